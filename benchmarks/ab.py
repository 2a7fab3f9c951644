"""A/B: the same deepgrad column from two source trees, side by side in one run.

    git worktree add /tmp/base <commit>
    python benchmarks/ab.py --base /tmp/base --threads 1,2            # all six seed workloads

    python benchmarks/ab.py --base . --base-env DEEPGRAD_KERNELS=numpy   # compiled kernels on/off

Each column (``deepgrad``: deepgrad.nn; ``deepgrad.keras``: the Keras front) runs in two
worker processes, one importing deepgrad from ``--base``, one from ``--new`` (default:
this tree); both build the same workload from the same weights and batch, their first
losses are compared, then they are timed in interleaved rounds exactly as
``benchmarks/run.py`` times frameworks (:func:`benchmarks.harness.time_interleaved`). The
benchmark code itself (workloads, harness) is this tree's for both sides. Reported:
new/base throughput, the median of the per-round ratios
(:func:`benchmarks.harness.paired_ratio`); 1.00 = no change.
"""
import argparse
import multiprocessing
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from benchmarks import harness  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

SEED_WORKLOADS = "mlp128,mlp32_64,autoencoder,cnn_mnist,cnn_cifar,lstm3"


def _serve_from(tree, framework, threads, env, conn):
    """harness._serve with ``tree`` first on sys.path, so ``import deepgrad`` finds it."""
    sys.path.insert(0, tree)
    harness._serve(framework, threads, env, conn)


class TreeWorker(harness.Worker):
    def __init__(self, tree, framework, threads, env=None):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_from,
                                   args=(tree, framework, threads, env or {}, child),
                                   daemon=True)
        self.process.start()


def run(names, threads, trees, repeats, target_s, envs=None):
    rows = []
    envs = envs or {}
    for column in ("deepgrad", "deepgrad.keras"):
        workers = {side: TreeWorker(tree, column, threads, envs.get(side))
                   for side, tree in trees.items()}
        try:
            for name in names:
                w = WORKLOADS[name]
                if column not in w.builders:
                    continue
                x, y = w.make_batch(np.random.default_rng(0))
                state = w.reference_state(0) if column == "deepgrad" else None
                first = workers["base"].call("build", name, state, x, y)
                state = state if state is not None else first["weights"]
                workers["new"].call("build", name, state, x, y)
                losses = {s: wk.call("losses", 3) for s, wk in workers.items()}
                agree = harness.check_agreement(losses, "base", 1e-5)["new"]
                t = harness.time_interleaved(workers, w.batch, repeats, target_s, 1.0, 0.2)
                ratio = harness.paired_ratio(t["new"], t["base"])
                rows.append((name, column, threads, t["base"]["median"], t["new"]["median"],
                             ratio, agree))
                print(f"{name:12s} {column:15s} {threads} thr: base {t['base']['median']:>10,.0f}/s"
                      f"  new {t['new']['median']:>10,.0f}/s  new/base {ratio:.3f}"
                      f"  (loss rel. diff {agree:.1e})", flush=True)
        finally:
            for wk in workers.values():
                wk.close()
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", required=True, help="source tree of the baseline")
    p.add_argument("--new", default=ROOT, help="source tree of the change (default: this one)")
    p.add_argument("--workloads", default=SEED_WORKLOADS)
    p.add_argument("--threads", default="1")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--target-s", type=float, default=1.0, help="seconds per timed round")
    p.add_argument("--base-env", action="append", default=[], metavar="NAME=VALUE",
                   help="environment of the base workers (e.g. DEEPGRAD_KERNELS=numpy)")
    p.add_argument("--new-env", action="append", default=[], metavar="NAME=VALUE")
    a = p.parse_args()
    trees = {"base": os.path.abspath(a.base), "new": os.path.abspath(a.new)}
    envs = {side: dict(kv.split("=", 1) for kv in pairs)
            for side, pairs in (("base", a.base_env), ("new", a.new_env))}
    rows = []
    for threads in [int(t) for t in a.threads.split(",")]:
        rows += run(a.workloads.split(","), threads, trees, a.repeats, a.target_s, envs)
    print("\n| workload | column | threads | base samples/s | new samples/s | new/base |")
    print("|---|---|---|---|---|---|")
    for name, column, threads, b, n, r, _ in rows:
        print(f"| {name} | {column} | {threads} | {b:,.0f} | {n:,.0f} | {r:.2f} |")


if __name__ == "__main__":
    main()
