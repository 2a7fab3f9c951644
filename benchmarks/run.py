"""Training throughput of deepgrad.nn side by side with PyTorch and a hand-written NumPy step.

    python benchmarks/run.py                                   # all workloads, 7 rounds
    python benchmarks/run.py --workloads mlp128 --repeats 5
    python benchmarks/run.py --threads 1,2                     # each thread count in turn
    python benchmarks/run.py --quick                           # smoke run, well under 60 s
    python benchmarks/run.py --markdown benchmarks/RESULTS.md  # also write the results file

For every workload the three frameworks start from the same weights (PyTorch's
initialisation, copied with ``load_state_dict``) and the same batch; their losses are
checked to agree before anything is timed. Then each framework's full training step is
timed in interleaved rounds and the median samples/s is reported. Nothing here asserts
a speed: the numbers are measurements, not tests.
"""
import argparse
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from benchmarks import harness, report                # noqa: E402
from benchmarks.workloads import FRAMEWORKS, WORKLOADS  # noqa: E402

FULL = dict(repeats=7, target_s=0.75, warmup_s=0.5, pause_s=0.2, import_runs=5, rss_steps=500)
QUICK = dict(repeats=3, target_s=0.08, warmup_s=0.05, pause_s=0.05, import_runs=1, rss_steps=30)
CHECK_STEPS = 3   # losses compared across frameworks before timing


def _names(text, known, what):
    names = [n for n in text.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown {what} {unknown or text!r}; expected a "
                                         f"comma-separated list from {list(known)}")
    return names


def _ints(text):
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers like 1,2, received {text!r}")
    return values


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default=list(WORKLOADS),
                   type=lambda s: _names(s, WORKLOADS, "workload"),
                   help=f"comma-separated, from: {', '.join(WORKLOADS)} (default: all)")
    p.add_argument("--repeats", type=int, help="interleaved rounds (default 7; quick 3)")
    p.add_argument("--threads", type=_ints, default=[os.cpu_count()],
                   help="threads for PyTorch and for NumPy's BLAS; a list such as 1,2 runs "
                        "everything once per count (default: all cores)")
    p.add_argument("--quick", action="store_true", help="short smoke run")
    p.add_argument("--markdown", metavar="PATH", help="also write the results as markdown")
    return p.parse_args()


def run_workloads(names, threads, cfg):
    """Check and time every workload with ``threads`` threads per framework.

    Returns:
        ({(name, threads): (workload, timing, agreement)}, {framework: its thread info}).
    """
    workers = {fw: harness.Worker(fw, threads) for fw in FRAMEWORKS}
    results, info = {}, {}
    try:
        for name in names:
            w = WORKLOADS[name]
            x, y = w.make_batch(np.random.default_rng(0))
            state = w.reference_state(0)
            info = {fw: wk.call("build", name, state, x, y) for fw, wk in workers.items()}
            agree = harness.check_agreement(
                {fw: wk.call("losses", CHECK_STEPS) for fw, wk in workers.items()})
            timing = harness.time_interleaved(workers, w.batch, cfg["repeats"],
                                              cfg["target_s"], cfg["warmup_s"], cfg["pause_s"])
            results[name, threads] = (w, timing, agree)
            print(f"{name}, {threads} threads: " + ", ".join(
                f"{fw} {t['median']:,.0f}/s ({t['n']} steps/round)" for fw, t in timing.items()),
                flush=True)
    finally:
        for wk in workers.values():
            wk.close()
    return results, info


def main():
    args = parse_args()
    cfg = dict(QUICK if args.quick else FULL)
    if args.repeats:
        cfg["repeats"] = args.repeats
    start, load = time.perf_counter(), report.load_average()
    results, threads = {}, {}
    for n in args.threads:
        res, threads[n] = run_workloads(args.workloads, n, cfg)
        results.update(res)
    info = report.machine(threads, f"{load} / {report.load_average()}")
    print("\n" + "\n".join(f"{k}: {v}" for k, v in info.items()), flush=True)

    imports = {m: harness.import_time(m, cfg["import_runs"]) for m in ("deepgrad", "torch")}
    rss = {fw: harness.peak_rss(fw, "mlp128", cfg["rss_steps"], args.threads[-1])
           for fw in ("deepgrad", "torch")}

    print("\n" + report.text_table(report.COLUMNS, report.throughput_rows(results)))
    print("\n" + report.text_table(("measure", "value", "how"), report.extras_rows(imports, rss)))
    print(f"\ntotal {time.perf_counter() - start:.1f} s")
    if args.markdown:
        method = report.method_text(cfg, CHECK_STEPS)
        command = shlex.join(["python", "benchmarks/run.py", *sys.argv[1:]])
        with open(args.markdown, "w") as f:
            f.write(report.markdown(results, imports, rss, info, method, command))
        print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
