"""The results as text: machine description, the throughput tables, the markdown file."""
import datetime
import math
import os
import platform
import statistics
from importlib import metadata

from benchmarks import harness


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


def _version(*distributions):
    for name in distributions:
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            pass
    return "not installed"


def _thread_text(info):
    return ", ".join(" + ".join(v) if isinstance(v, list) else f"{k} {v}"
                     for k, v in info.items())


def simd_level():
    """The widest x86 vector extension the CPU has, as NumPy detects it ("AVX512F",
    "AVX2", ...; the peers' oneDNN kernels, NumPy's exp/tanh and deepgrad's compiled loops
    all run at that width, so two machines with one CPU name can rank differently)."""
    import numpy as np
    try:
        features = np._core._multiarray_umath.__cpu_features__
    except AttributeError:
        return "n/a"
    for name in ("AVX512F", "AVX2", "AVX", "SSE42", "ASIMD"):
        if features.get(name):
            return name
    return "n/a"


def machine(threads, load="n/a", backend="tensorflow"):
    """Machine and library description.

    Args:
        threads: {thread count: {framework: the thread info its worker reported}}.
        load: the 1-minute load average, as text (other work on the machine skews timings).
        backend: the Keras column's KERAS_BACKEND.
    """
    import numpy as np
    import torch
    backend_dist = {"tensorflow": ("tensorflow-cpu", "tensorflow"), "torch": ("torch",),
                    "jax": ("jax",)}.get(backend, (backend,))
    return {
        "CPU": cpu_model(),
        "widest SIMD (NumPy's CPU features)": simd_level(),
        "cores (os.cpu_count)": os.cpu_count(),
        "Python": platform.python_version(),
        "NumPy": np.__version__,
        "PyTorch": torch.__version__,
        "Keras": f"{_version('keras')}, backend {backend} ({_version(*backend_dist)})",
        "BLAS (NumPy)": "; ".join(blas_info()),
        "threads (as each worker reported them)": " | ".join(
            f"{n} requested: " + "; ".join(f"{fw}: {_thread_text(fw_info)}"
                                            for fw, fw_info in per_fw.items())
            for n, per_fw in threads.items()),
        "load average (1 min) at start / end": load,
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def _spread(r):
    """Half the min-max range of the rounds, relative to the median."""
    return (max(r["all"]) - min(r["all"])) / 2 / r["median"] * 100


TABLES = ("nn", "keras")


def parity_interval(t):
    """(median, low, high) of the per-round deepgrad.keras/deepgrad.nn ratios of a paired
    run: the median with its distribution-free 95% confidence interval (the order
    statistics n/2 -/+ 0.98 sqrt(n) of the sorted ratios)."""
    r = sorted(k / n for k, n in zip(t["deepgrad.keras"]["all"], t["deepgrad"]["all"]))
    n = len(r)
    half = 0.98 * n ** 0.5
    lo, hi = max(0, int(n / 2 - half)), min(n - 1, int(math.ceil(n / 2 + half)) - 1)
    return statistics.median(r), r[lo], r[hi]


def parity_text(t):
    m, lo, hi = parity_interval(t)
    return f"{m:.2f}x [{lo:.2f}, {hi:.2f}] ({len(t['deepgrad']['all'])} rounds)"


def _header(api, backend):
    if api == "nn":
        return ("workload", "seed", "batch", "threads", "deepgrad.nn samples/s",
                "torch samples/s", "numpy samples/s", "deepgrad.nn/torch", "deepgrad.nn/numpy",
                "max rel. loss diff vs torch")
    return ("workload", "seed", "batch", "threads", "deepgrad.keras samples/s",
            f"keras/{backend} samples/s", "deepgrad.nn samples/s", "deepgrad.keras/keras",
            "deepgrad.keras/deepgrad.nn", "deepgrad.keras/deepgrad.nn, paired run [95% CI]",
            "fit() fixed cost, ms (deepgrad.keras / keras)",
            "max rel. loss diff vs keras")


def table(api, results, backend, stat="median"):
    """(header, rows) of the ``api`` ("nn" or "keras") table, one row per workload.

    ``stat``: "median" (with the spread) or "best" (each column's fastest round).
    """
    def rate(fw):
        r = timing.get(fw)
        return None if r is None else r["median"] if stat == "median" else max(r["all"])

    def cell(fw):
        r = timing.get(fw)
        if r is None:
            return "n/a"
        return f"{rate(fw):,.0f}" + (f" ±{_spread(r):.0f}%" if stat == "median" else "")

    def ratio(a, b):
        if rate(a) is None or rate(b) is None:
            return "n/a"
        if stat == "median":                      # within each round, then the median
            return f"{harness.paired_ratio(timing[a], timing[b]):.2f}x"
        return f"{rate(a) / rate(b):.2f}x"

    def diff(fws):
        worst = [agree[fw] for fw in fws if fw in agree]
        return f"{max(worst):.1e}" if worst else "n/a"

    def fixed_ms(fw):
        call = timing.get(fw, {}).get("call")
        return "n/a" if call is None else f"{call * 1000:.0f}"

    rows = []
    for (name, threads), (w, timing, agree) in results.items():
        first = (name, w.seed, str(w.batch), str(threads))
        if api == "nn":
            rows.append(first + (cell("deepgrad"), cell("torch"), cell("numpy"),
                                 ratio("deepgrad", "torch"), ratio("deepgrad", "numpy"),
                                 diff(("deepgrad", "numpy"))))
        elif "keras" in timing:
            rows.append(first + (cell("deepgrad.keras"), cell("keras"), cell("deepgrad"),
                                 ratio("deepgrad.keras", "keras"),
                                 ratio("deepgrad.keras", "deepgrad"),
                                 parity_text(timing["parity"]) if "parity" in timing else "n/a",
                                 f"{fixed_ms('deepgrad.keras')} / {fixed_ms('keras')}",
                                 diff(("deepgrad.keras",))))
    return _header(api, backend), rows


def compute_table(results, step_flops, gemm):
    """(header, rows): each column's achieved GFLOP/s (layer GEMM FLOPs per step, see
    :mod:`benchmarks.flops`, times the median steps/s) next to the machine's float32 GEMM
    rate at the same thread count, and deepgrad.nn's share of that rate."""
    fws = ("deepgrad", "deepgrad.keras", "torch", "keras")
    header = ("workload", "threads", "GFLOP per step", "deepgrad.nn GFLOP/s",
              "deepgrad.keras GFLOP/s", "torch GFLOP/s", "keras GFLOP/s",
              "GEMM GFLOP/s (1024^3, NumPy's BLAS)", "deepgrad.nn / GEMM")
    rows = []
    for (name, threads), (w, timing, _) in results.items():
        flops = step_flops.get(name)
        if flops is None:
            continue
        per_sample = flops / w.batch

        def rate(fw):
            r = timing.get(fw)
            return None if r is None else r["median"] * per_sample / 1e9

        cells = [("n/a" if rate(fw) is None else f"{rate(fw):.1f}") for fw in fws]
        peak = gemm.get(threads)
        share = "n/a" if peak is None or rate("deepgrad") is None else \
            f"{rate('deepgrad') * 1e9 / peak:.0%}"
        rows.append((name, str(threads), f"{flops / 1e9:.3f}", *cells,
                     "n/a" if peak is None else f"{peak / 1e9:.0f}", share))
    return header, rows


#: issue 11's targets for the conv and recurrent workloads: deepgrad.nn against the
#: faster peer (on the LSTM, PyTorch), and the peak RSS of the conv workloads (MiB).
PEER_TARGETS = {"cnn_mnist": ("torch", "keras"), "cnn_cifar": ("torch", "keras"),
                "lstm3": ("torch",)}
RSS_TARGETS = {"cnn_mnist": 66, "cnn_cifar": 109}
KERAS_TARGET = 0.95


def targets_table(results, rss):
    """(header, rows): each throughput and memory target, what this run measured, met or not.

    deepgrad.nn against a peer: the median of the per-round ratios of the full rounds
    (against the faster peer: the smaller of the two ratios). deepgrad.keras against
    deepgrad.nn: the paired run's median (many short rounds of the two columns alone;
    the full rounds' ratio is shown beside it). On a noisy machine the full rounds' ratio
    of two columns this close moves by several percent from run to run, as much as the
    5% margin it would be judged on; the paired run's is the same quantity measured
    with six times more rounds, its 95% interval in the table.
    """
    rows = []
    for (name, threads), (w, timing, _) in results.items():
        peers = [p for p in PEER_TARGETS.get(name, ()) if p in timing]
        if "deepgrad" in timing and peers:
            worst = min(peers, key=lambda p: harness.paired_ratio(timing["deepgrad"], timing[p]))
            r = harness.paired_ratio(timing["deepgrad"], timing[worst])
            label = "faster of " + " and ".join(peers) if len(peers) > 1 else peers[0]
            rows.append((f"deepgrad.nn >= 1.00x {label}", name, str(threads),
                         f"{r:.3f}x (vs {worst})", "yes" if r >= 1.0 else "**no**"))
        if "parity" in timing:
            m, lo, hi = parity_interval(timing["parity"])
            full = harness.paired_ratio(timing["deepgrad.keras"], timing["deepgrad"])
            rows.append((f"deepgrad.keras >= {KERAS_TARGET:.2f}x deepgrad.nn (paired run)",
                         name, str(threads), f"{m:.3f}x [{lo:.2f}, {hi:.2f}]; full rounds "
                         f"{full:.3f}x", "yes" if m >= KERAS_TARGET else "**no**"))
    for name, limit in RSS_TARGETS.items():
        r = rss.get(f"deepgrad, {name}")
        if r is not None:
            rows.append((f"peak RSS <= {limit} MiB", name, "", f"{r['peak_mb']:.0f} MiB",
                         "yes" if r["peak_mb"] <= limit else "**no**"))
    return ("target", "workload", "threads", "measured", "met"), rows


def text_table(header, rows):
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))
    return "\n".join([line(header), line("-" * w for w in widths), *map(line, rows)])


def markdown_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(out + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def extras_rows(imports, rss, backend):
    """Import times ({column: seconds}, run.IMPORTS) and peak RSS ({framework: dict})."""
    names = {"deepgrad.keras": "import deepgrad + deepgrad.keras",
             "keras": f"import keras ({backend} backend)"}
    rows = [(names.get(m, f"import {m}"), f"{s * 1000:.0f} ms", "median of fresh interpreters")
            for m, s in imports.items()]
    rows += [(f"peak RSS, {fw}", f"{r['peak_mb']:.0f} MiB",
              f"{r['workload']}, {r['steps']} steps (after import: {r['import_mb']:.0f} MiB)"
              + (f"; kernels: {r['kernels']}" if r.get("kernels") else ""))
             for fw, r in rss.items()]
    return rows


def method_text(cfg, check_steps, tolerances):
    return (
        "Each framework runs in its own worker process, with the table's thread count for "
        "PyTorch (`torch.set_num_threads`), TensorFlow (intra- and inter-op threads) and "
        f"OpenBLAS (threadpoolctl). Median of {cfg['repeats']} interleaved rounds "
        "(torch, deepgrad.nn, deepgrad.keras, keras, numpy, torch, ...: compared columns "
        "side by side; a ratio is the median of the per-round ratios), each round "
        f"timing N steps per framework, N chosen after a {cfg['warmup_s']} s warm-up so one "
        f"round lasts about {cfg['target_s']} s, then one untimed round, with a "
        f"{cfg['pause_s']} s pause before each framework's turn (so idle BLAS/OpenMP threads "
        "of the previous one have stopped spinning). deepgrad.nn, torch and numpy time N "
        "training steps over N copies of the batch, step i reading copy i. The Keras "
        "columns time one call of "
        "`model.fit(x, y, batch_size=B, epochs=1, verbose=0, shuffle=False)` on N copies "
        "of that batch (made before the clock starts), so fit's own loop and its fixed "
        "cost per call (the `fit() fixed cost` column: intercept of fit's time over the "
        "number of batches, from the warm-up) are in the numbers: a fixed cost c slows a "
        f"column by about c / {cfg['target_s']} s. Every column thus reads fresh data at "
        "each step, as training does (the copies are made before the clock starts). "
        "Inputs: random "
        "float32 "
        "in [0, 1) (dense models: MNIST rows when $DEEPGRAD_DATA/mnist.npz exists; lstm3: "
        "standard normal), channels-last for Keras; the garbage collector stays on. Before "
        f"timing, losses over {check_steps} steps are compared: deepgrad.nn and numpy "
        "against PyTorch from PyTorch's initialisation (copied with `load_state_dict`), "
        f"relative tolerance {tolerances['torch']:g}; deepgrad.keras against Keras from "
        "Keras' initialisation (`set_weights(keras_model.get_weights())`), relative "
        f"tolerance {tolerances['keras']:g}. Keras' optimizers differ slightly from "
        "PyTorch's (Adam eps 1e-7, not 1e-8), so losses are only compared within an API. "
        f"After each workload's rounds, the paired run: deepgrad.nn and deepgrad.keras alone, "
        f"{cfg['parity']['repeats']} interleaved rounds of about {cfg['parity']['target_s']} s "
        f"with a {cfg['parity']['pause_s']} s pause, the same built models and data. "
        "Import time: median of "
        f"{cfg['import_runs']} fresh interpreters (after one untimed run), timing the "
        "`import` statements only (deepgrad.keras loads most submodules on first use). "
        "Peak RSS: VmHWM of a fresh process that imports one framework and trains mlp128 "
        f"for {cfg['rss_steps']} steps, a conv workload for {max(1, cfg['rss_steps'] // 10)} "
        "(`benchmarks/memory.py`); deepgrad as installed (the row names its kernels: the "
        "ahead-of-time build of `python -m deepgrad.kernels.build`, which runs without "
        "numba in the process, or numba's JIT, whose numba and LLVM are about 120 MiB), "
        "with numba's JIT where a build exists (`DEEPGRAD_KERNELS=numba`), and on the NumPy "
        "path (`DEEPGRAD_KERNELS=numpy`). On a machine shared with "
        "other work (see the load average), more threads can be far slower than one: a "
        "parallel BLAS call or OpenMP region waits for its slowest thread, and a "
        "descheduled thread stalls it; the fastest-round tables and a `--threads 1` run "
        "show how much of a number is noise.")


def markdown(results, imports, rss, info, method, command, backend, compute=None,
             targets=None):
    workloads = {name: w for (name, _), (w, _, _) in results.items()}
    descriptions = "\n".join(f"- **{n}** (seed {w.seed}): {w.description}, batch {w.batch}"
                              for n, w in workloads.items())
    best = ("The same rounds, fastest round of each framework (the least disturbed by other "
            "load on the machine; compare with the median to judge the noise):")
    return "\n\n".join([
        "# deepgrad training throughput vs PyTorch, Keras and hand-written NumPy",
        "Training samples per second of full steps (forward, loss, zero_grad, backward, "
        "optimizer step), float32, CPU. Higher is better; a ratio is the median over the "
        "rounds of the two columns' ratio within a round (1.00x = as fast; the fastest-round "
        "tables: ratio of the fastest rounds). `±` is half the min-max range over rounds. `max rel. loss "
        "diff` is the largest relative difference between a column's loss and its "
        "reference's over the first steps from identical weights.",
        descriptions,
        *([] if not targets or not targets[1] else [
            "## Targets",
            "Issue 11's throughput and memory targets as this run measured them: "
            "deepgrad.nn against the faster peer on the conv workloads and against PyTorch "
            "on lstm3 (median of the full rounds' per-round ratios); deepgrad.keras "
            f"against deepgrad.nn, >= {KERAS_TARGET:.2f}x on every workload, judged on the "
            "paired run (the same ratio from many short rounds of the two columns alone, "
            "its 95% interval in brackets, which holds within this run only: fresh worker "
            "processes can move it by a few percent; the full rounds' ratio, from rounds "
            "that also hold the peers, is beside it, and on a noisy machine it moves by as "
            "much as the 5% margin from run to run); the conv workloads' peak RSS. The dense "
            "workloads' target (no slower than before a change) is an A/B between two "
            "commits (`benchmarks/ab.py`), not a single run.",
            markdown_table(*targets)]),
        "## deepgrad.nn vs PyTorch (and a hand-written NumPy step, dense models only)",
        markdown_table(*table("nn", results, backend)),
        best,
        markdown_table(*table("nn", results, backend, "best")),
        f"## deepgrad.keras vs Keras 3 ({backend} backend), through `model.fit`",
        "The target for the Keras front end is `deepgrad.keras/deepgrad.nn` >= 0.95x (the "
        "same engine, within 5%; issue 11). The two are close, so besides the ratio from "
        "the full rounds, a paired run times the two deepgrad columns alone, right after "
        "the workload's rounds, in many short interleaved rounds: its median ratio and the "
        "median's 95% confidence interval (distribution-free, from the order statistics) "
        "are the `paired run` column (`benchmarks/run.py` `parity_run`).",
        markdown_table(*table("keras", results, backend)),
        best,
        markdown_table(*table("keras", results, backend, "best")),
        *([] if compute is None else [
            "## Achieved compute",
            "GFLOP/s of each column: the step's layer GEMM FLOPs (Linear, Conv, LSTM; forward "
            "and backward, 2 per multiply-add; `benchmarks/flops.py`) times its median steps "
            "per second, next to this machine's float32 GEMM rate at the same thread count "
            "(a 1024x1024x1024 `np.matmul`, fastest of 30). The gap to the GEMM rate is "
            "everything that is not a large GEMM: elementwise work, im2col copies, small "
            "products, the framework's own overhead.",
            markdown_table(*compute)]),
        "## Import time and memory",
        "The target for `import deepgrad + deepgrad.keras` is under 500 ms.",
        markdown_table(("measure", "value", "how"), extras_rows(imports, rss, backend)),
        "## Machine",
        "\n".join(f"- {k}: {v}" for k, v in info.items()),
        "## Method",
        method,
        "## Reproduce",
        f"```\n{command}\n```",
    ]) + "\n"
