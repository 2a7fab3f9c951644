"""The results as text: machine description, the throughput table, the markdown file."""
import datetime
import os
import platform


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_info():
    """BLAS library lines: threadpoolctl's live view if installed, else NumPy's build info."""
    try:
        from threadpoolctl import threadpool_info
        return [f"{d['internal_api']} {d['version']} ({d.get('architecture')}, "
                f"{d['num_threads']} threads) {os.path.basename(d['filepath'])}"
                for d in threadpool_info() if d["user_api"] == "blas"]
    except ImportError:
        import numpy as np
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return [f"{blas.get('name')} {blas.get('version')} (NumPy build info)"]


def load_average():
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def machine(threads, load="n/a"):
    """Machine and library description.

    Args:
        threads: {thread count: {framework: the thread info its worker reported}}.
        load: the 1-minute load average, as text (other work on the machine skews timings).
    """
    import numpy as np
    import torch
    return {
        "CPU": cpu_model(),
        "cores (os.cpu_count)": os.cpu_count(),
        "Python": platform.python_version(),
        "NumPy": np.__version__,
        "PyTorch": torch.__version__,
        "BLAS (NumPy)": "; ".join(blas_info()),
        "threads (as each worker reported them)": " | ".join(
            f"{n} requested: " + "; ".join(
                f"{fw}: " + ", ".join(f"torch {v}" if k == "torch" else " + ".join(v)
                                      for k, v in fw_info.items())
                for fw, fw_info in per_fw.items())
            for n, per_fw in threads.items()),
        "load average (1 min) at start / end": load,
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def _spread(r):
    """Half the min-max range of the rounds, relative to the median."""
    return (max(r["all"]) - min(r["all"])) / 2 / r["median"] * 100


COLUMNS = ("workload", "seed", "batch", "threads", "deepgrad samples/s", "torch samples/s",
           "numpy samples/s", "deepgrad/torch", "deepgrad/numpy", "max rel. loss diff")


def throughput_rows(results, stat="median"):
    """One row per workload; ``stat`` "median" (with spread) or "best" (fastest round)."""
    def rate(r):
        return r["median"] if stat == "median" else max(r["all"])

    def cell(r):
        spread = f" ±{_spread(r):.0f}%" if stat == "median" else ""
        return f"{rate(r):,.0f}{spread}"

    rows = []
    for (name, threads), (w, timing, agree) in results.items():
        d, t, n = (timing[fw] for fw in ("deepgrad", "torch", "numpy"))
        rows.append((name, w.seed, str(w.batch), str(threads), cell(d), cell(t), cell(n),
                     f"{rate(d) / rate(t):.2f}x", f"{rate(d) / rate(n):.2f}x",
                     f"{max(agree.values()):.1e}"))
    return rows


def text_table(header, rows):
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))
    return "\n".join([line(header), line("-" * w for w in widths), *map(line, rows)])


def markdown_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(out + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def extras_rows(imports, rss):
    rows = [(f"import {m}", f"{s * 1000:.0f} ms", "median of fresh interpreters")
            for m, s in imports.items()]
    rows += [(f"peak RSS, {fw}", f"{r['peak_mb']:.0f} MiB",
              f"{r['workload']}, {r['steps']} steps (after import: {r['import_mb']:.0f} MiB)")
             for fw, r in rss.items()]
    return rows


def method_text(cfg, check_steps):
    return (
        "Each framework runs in its own worker process, with the table's thread count for "
        "PyTorch (`torch.set_num_threads`) and for OpenBLAS (threadpoolctl). "
        f"Median of {cfg['repeats']} interleaved rounds (deepgrad, torch, numpy, deepgrad, "
        f"...), each round timing N steps per framework, N chosen after a {cfg['warmup_s']} s "
        f"warm-up so one round lasts about {cfg['target_s']} s, with a {cfg['pause_s']} s "
        "pause before each framework's turn (so idle BLAS/OpenMP threads of the previous one "
        "have stopped spinning). One fixed batch of random float32 inputs in [0, 1) (MNIST "
        "rows when $DEEPGRAD_DATA/mnist.npz exists), reused every step; the garbage "
        f"collector stays on. Before timing, every framework's losses over {check_steps} "
        "steps from identical weights (PyTorch's initialisation, copied with "
        "`load_state_dict`) are checked against PyTorch's. Import time: median of "
        f"{cfg['import_runs']} fresh interpreters (after one untimed run), timing the "
        "`import` statement only. Peak RSS: VmHWM (the process's own ru_maxrss) of a fresh "
        f"process that imports one framework and trains mlp128 for {cfg['rss_steps']} steps "
        "(`benchmarks/memory.py`). On a machine shared with other work (see the load "
        "average), more threads can be far slower than one: a parallel BLAS call or OpenMP "
        "region waits for its slowest thread, and a descheduled thread stalls it; the "
        "fastest-round table and a `--threads 1` run show how much of a number is noise.")


def markdown(results, imports, rss, info, method, command):
    rows = throughput_rows(results)
    workloads = {name: w for (name, _), (w, _, _) in results.items()}
    descriptions = "\n".join(f"- **{n}** (seed {w.seed}): {w.description}, batch {w.batch}"
                             for n, w in workloads.items())
    return "\n\n".join([
        "# deepgrad training throughput vs PyTorch and hand-written NumPy",
        "Training samples per second of full steps (forward, loss, zero_grad, backward, "
        "Adam step), float32, CPU. Higher is better; `deepgrad/torch` and `deepgrad/numpy` "
        "are throughput ratios (1.00x = as fast). `±` is half the min-max range over "
        "rounds. `max rel. loss diff` is the largest relative difference between a "
        "framework's loss and PyTorch's over the first steps from identical weights.",
        markdown_table(COLUMNS, rows),
        descriptions,
        "The same rounds, fastest round of each framework (the least disturbed by other "
        "load on the machine; compare with the median to judge the noise):",
        markdown_table(COLUMNS, throughput_rows(results, "best")),
        "## Import time and memory",
        markdown_table(("measure", "value", "how"), extras_rows(imports, rss)),
        "## Machine",
        "\n".join(f"- {k}: {v}" for k, v in info.items()),
        "## Method",
        method,
        "## Reproduce",
        f"```\n{command}\n```",
    ]) + "\n"
