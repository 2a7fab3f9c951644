"""Training throughput of deepgrad side by side with PyTorch, Keras and hand-written NumPy.

    python benchmarks/run.py                                   # all workloads, 11 rounds
    python benchmarks/run.py --workloads mlp128,lstm3 --repeats 5
    python benchmarks/run.py --threads 1,2                     # each thread count in turn
    python benchmarks/run.py --quick                           # smoke run, about a minute
    python benchmarks/run.py --markdown benchmarks/RESULTS.md  # also write the results file

Two APIs, two comparisons. deepgrad.nn, PyTorch and (dense models) a hand-written NumPy
step start from the same weights (PyTorch's initialisation, copied with
``load_state_dict``); deepgrad.keras and Keras 3 (TensorFlow backend by default) start
from Keras' initialisation (``set_weights(keras_model.get_weights())``) and are timed
through ``model.fit``. Every column's first losses are checked against its reference's
before anything is timed. Then every column is timed in interleaved rounds and the median
samples/s is reported; a ratio of two columns is the median of their per-round ratios.
Every column reads fresh data at each step, like for like: ``fit`` trains on n copies of
the batch laid out one after another, and the PyTorch-style and NumPy columns step through
the same n copies (``workloads.common.streaming``). Nothing here asserts a speed: the
numbers are measurements, not tests.
"""
import argparse
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from benchmarks import flops, harness, report         # noqa: E402
from benchmarks.workloads import FRAMEWORKS, REFERENCES, WORKLOADS  # noqa: E402

FULL = dict(repeats=11, target_s=0.75, warmup_s=0.5, pause_s=0.2, import_runs=5, rss_steps=500,
            parity=dict(repeats=101, target_s=0.15, pause_s=0.05))
QUICK = dict(repeats=3, target_s=0.08, warmup_s=0.05, pause_s=0.05, import_runs=1, rss_steps=30,
             parity=dict(repeats=5, target_s=0.05, pause_s=0.02))
#: the two columns of the paired run: the same engine through its two front ends
PARITY = ("deepgrad", "deepgrad.keras")
CHECK_STEPS = 3   # losses compared across frameworks before timing
#: largest relative loss difference from the reference column, per reference (Keras on
#: TensorFlow could be given 1e-4 for its oneDNN kernels' summation orders; so far its
#: losses and deepgrad.keras' agree to 1e-6).
TOLERANCES = {"torch": 1e-5, "keras": 1e-5}
#: import statements timed in fresh interpreters ("keras" also gets the worker's env).
IMPORTS = {"deepgrad": "import deepgrad", "torch": "import torch",
           "deepgrad.keras": "import deepgrad; import deepgrad.keras",
           "keras": "import keras"}


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
    p.add_argument("--repeats", type=int, help="interleaved rounds (default 11; quick 3)")
    p.add_argument("--parity-rounds", type=int,
                   help="short rounds of the paired deepgrad.keras/deepgrad.nn run after each "
                        "workload (default 101; quick 5; 0: none)")
    p.add_argument("--threads", type=_ints, default=[os.cpu_count()],
                   help="threads for PyTorch, TensorFlow and NumPy's BLAS; a list such as "
                        "1,2 runs everything once per count (default: all cores)")
    p.add_argument("--keras-backend", default="tensorflow",
                   help="KERAS_BACKEND of the Keras column's worker (default: tensorflow)")
    p.add_argument("--quick", action="store_true", help="short smoke run")
    p.add_argument("--markdown", metavar="PATH", help="also write the results as markdown")
    return p.parse_args()


def build(workers, w, x, y):
    """Build ``w`` in every worker, references first; returns {framework: thread info}.

    PyTorch's weights come from ``w.reference_state``, Keras' from its worker; every
    other column gets its reference's (:data:`REFERENCES`).
    """
    states, info = {"torch": w.reference_state(0)}, {}
    for fw in sorted(workers, key=lambda f: f in REFERENCES):     # references first
        reply = workers[fw].call("build", w.name, states.get(REFERENCES.get(fw, fw)), x, y)
        states.setdefault(fw, reply["weights"])
        info[fw] = reply["threads"]
    return info


def check(workers):
    """Every column's first losses against its reference's; {framework: max rel. diff}."""
    losses = {fw: wk.call("losses", CHECK_STEPS) for fw, wk in workers.items()}
    agree = {}
    for ref in {REFERENCES.get(fw, fw) for fw in losses}:
        group = {fw: ls for fw, ls in losses.items() if REFERENCES.get(fw, fw) == ref}
        agree.update(harness.check_agreement(group, ref, TOLERANCES[ref]))
    return agree


def parity_run(workers, w, cfg):
    """The two deepgrad columns alone (already built), in many short interleaved rounds.

    Their ratio is the one the full rounds measure least precisely: the two are close,
    and a full round of every column lasts seconds, over which this machine's speed
    drifts. Short rounds, side by side, many of them, with a short pause (deepgrad's
    threads wait on locks, they never spin), measure it to about 0.01 (the confidence
    interval in the table). A short round holds more of ``fit``'s fixed cost per call
    (deepgrad.keras: 0-2 ms, so at most about 1% of a 0.15 s round, against it).
    """
    p = cfg["parity"]
    return harness.time_interleaved(workers, w.batch, p["repeats"], p["target_s"],
                                    cfg["warmup_s"], p["pause_s"])


def run_workloads(names, threads, cfg, keras_env):
    """Check and time every workload with ``threads`` threads per framework.

    Returns:
        ({(name, threads): (workload, timing, agreement)}, {framework: its thread info}).
    """
    used = {fw for name in names for fw in WORKLOADS[name].builders}
    workers = {fw: harness.Worker(fw, threads, keras_env if fw == "keras" else None)
               for fw in FRAMEWORKS if fw in used}
    results, info = {}, {}
    try:
        for name in names:
            w = WORKLOADS[name]
            x, y = w.make_batch(np.random.default_rng(0))
            active = {fw: wk for fw, wk in workers.items() if fw in w.builders}
            info.update(build(active, w, x, y))
            agree = check(active)
            timing = harness.time_interleaved(active, w.batch, cfg["repeats"],
                                              cfg["target_s"], cfg["warmup_s"], cfg["pause_s"])
            results[name, threads] = (w, timing, agree)
            print(f"{name}, {threads} threads: " + ", ".join(
                f"{fw} {t['median']:,.0f}/s ({t['n']} steps/round)" for fw, t in timing.items()),
                flush=True)
            if cfg["parity"]["repeats"] and all(fw in active for fw in PARITY):
                timing["parity"] = parity_run({fw: active[fw] for fw in PARITY}, w, cfg)
                print(f"{name}, {threads} threads: deepgrad.keras/deepgrad.nn "
                      f"{report.parity_text(timing['parity'])}", flush=True)
    finally:
        for wk in workers.values():
            wk.close()
    return results, info


def main():
    args = parse_args()
    cfg = dict(QUICK if args.quick else FULL)
    if args.repeats:
        cfg["repeats"] = args.repeats
    if args.parity_rounds is not None:
        cfg["parity"] = dict(cfg["parity"], repeats=args.parity_rounds)
    keras_env = {"KERAS_BACKEND": args.keras_backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    start, load = time.perf_counter(), report.load_average()
    results, threads = {}, {}
    for n in args.threads:
        res, threads[n] = run_workloads(args.workloads, n, cfg, keras_env)
        results.update(res)
    info = report.machine(threads, f"{load} / {report.load_average()}", args.keras_backend)
    print("\n" + "\n".join(f"{k}: {v}" for k, v in info.items()), flush=True)

    imports = {fw: harness.import_time(code, cfg["import_runs"],
                                       keras_env if fw == "keras" else None)
               for fw, code in IMPORTS.items()}
    rss = {fw: harness.peak_rss(fw, "mlp128", cfg["rss_steps"], args.threads[-1])
           for fw in ("deepgrad", "torch")}
    for name in (w for w in ("cnn_mnist", "cnn_cifar") if w in args.workloads):
        steps = max(1, cfg["rss_steps"] // 10)       # a conv step's arrays peak in one step
        rss[f"deepgrad, {name}"] = harness.peak_rss("deepgrad", name, steps, args.threads[-1])
        if "ahead-of-time" in (rss[f"deepgrad, {name}"].get("kernels") or ""):
            rss[f"deepgrad (numba's JIT), {name}"] = harness.peak_rss(
                "deepgrad", name, steps, args.threads[-1], env={"DEEPGRAD_KERNELS": "numba"})
        rss[f"deepgrad (NumPy path), {name}"] = harness.peak_rss(
            "deepgrad", name, steps, args.threads[-1], env={"DEEPGRAD_KERNELS": "numpy"})
        rss[f"torch, {name}"] = harness.peak_rss("torch", name, steps, args.threads[-1])

    step_flops = {name: flops.step_flops(WORKLOADS[name]) for name in args.workloads}
    gemm = {n: flops.gemm_rate(n) for n in args.threads}
    compute = report.compute_table(results, step_flops, gemm)
    for api in report.TABLES:
        print("\n" + report.text_table(*report.table(api, results, args.keras_backend)))
    print("\n" + report.text_table(*compute))
    print("\n" + report.text_table(("measure", "value", "how"),
                                    report.extras_rows(imports, rss, args.keras_backend)))
    targets = report.targets_table(results, rss)
    print("\n" + report.text_table(*targets))
    print(f"\ntotal {time.perf_counter() - start:.1f} s")
    if args.markdown:
        method = report.method_text(cfg, CHECK_STEPS, TOLERANCES)
        command = shlex.join(["python", "benchmarks/run.py", *sys.argv[1:]])
        with open(args.markdown, "w") as f:
            f.write(report.markdown(results, imports, rss, info, method, command,
                                    args.keras_backend, compute, targets))
        print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
