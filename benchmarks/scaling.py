"""Data-parallel scaling of the seed workloads: measured on this machine (1 and 2 ranks),
modelled beyond it (ring allreduce, 8 to 512 ranks at 10 and 100 Gb/s).

    python benchmarks/scaling.py                                  # 5 rounds, ~4 minutes
    python benchmarks/scaling.py --rounds 1 --seconds 0.3         # smoke run
    python benchmarks/scaling.py --markdown benchmarks/SCALING.md

Each round launches ``mpirun -n 1`` and ``mpirun -n 2`` (one BLAS thread per rank) on
``benchmarks/scaling_worker.py``, which times full training steps of every workload with
B samples per rank (a plain model on 1 rank, DistributedDataParallel on 2); medians
over the rounds are reported. Efficiency at N ranks is ``samples/s(N) / (N x
samples/s(1))``. Per step on 2 ranks: the blocking allreduce of DDP's buckets timed
alone, and what DDP spent in MPI during the step: starting the reductions, polling them
during backward (on shared memory the ranks' own CPUs move the bytes, so this is
communication work, not free), and waiting at the end of backward ("exposed"; it also
absorbs the ranks' difference in speed). Overlap is ``1 - exposed / allreduce``. The
cost model is :mod:`benchmarks.cost_model`, calibrated with the 2-rank allreduce timings.
"""
import argparse
import json
import os
import platform
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from benchmarks import cost_model  # noqa: E402
from benchmarks.scaling_worker import MODELS  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RANKS = (8, 64, 512)


def launch(ranks, workloads, seconds, calibrate, front="torch"):
    """One ``mpirun -n ranks`` of the worker; its RESULT records."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    here = os.path.dirname(sys.executable)
    mpirun = next((p for p in (os.path.join(here, "mpirun"), "mpirun") if
                   os.path.exists(p) or p == "mpirun"))
    cmd = [mpirun, "-n", str(ranks), "--oversubscribe", "--bind-to", "none", sys.executable,
           os.path.join(HERE, "scaling_worker.py"), "--workloads", ",".join(workloads),
           "--seconds", str(seconds), "--front", front] + (["--calibrate"] if calibrate
                                                             else [])
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return [json.loads(line[7:]) for line in done.stdout.splitlines()
            if line.startswith("RESULT ")]


def measure(workloads, rounds, seconds, fronts):
    runs, calibration = {}, {}
    for r in range(rounds):
        for front in fronts:
            for ranks in (1, 2):
                calibrate = ranks == 2 and front == fronts[0]
                for rec in launch(ranks, workloads, seconds, calibrate, front):
                    if rec.get("calibration"):
                        calibration.setdefault(rec["bytes"], []).append(rec["seconds"])
                    else:
                        runs.setdefault((rec["workload"], front, ranks), []).append(rec)
                print(f"round {r + 1}/{rounds}: {front}, {ranks} rank(s) done",
                      file=sys.stderr)
    return runs, {n: float(np.median(t)) for n, t in sorted(calibration.items())}


def _median(records, key):
    return float(np.median([rec[key] for rec in records]))


def summarise(workloads, runs, front):
    rows = []
    for name in workloads:
        one, two = runs[(name, front, 1)], runs[(name, front, 2)]
        r1, r2 = _median(one, "samples_s"), _median(two, "samples_s")
        allreduce, wait = _median(two, "allreduce_s"), _median(two, "wait_s")
        busy = np.median([t["launch_s"] + t["progress_s"] + t["wait_s"] for t in two])
        rows.append(dict(
            workload=name, front=front, seed=WORKLOADS[name].seed, batch=WORKLOADS[name].batch,
            one=r1, two=r2, efficiency=r2 / (2 * r1), bytes=two[0]["bytes"],
            buckets=two[0]["buckets"], allreduce_ms=1e3 * allreduce, wait_ms=1e3 * wait,
            mpi_ms=1e3 * float(busy), copy_ms=1e3 * _median(two, "copy_s"),
            overlap=max(0.0, 1.0 - wait / allreduce), step_ms=1e3 * _median(one, "step_s")))
    return rows


def predictions(rows, alpha0, gamma):
    out = []
    for row in rows:
        t_c = row["batch"] / row["one"]
        local = cost_model.ring_time(2, row["bytes"], alpha0, gamma)
        pred = dict(workload=row["workload"], local2=cost_model.efficiency(t_c, local))
        for link, (bw, latency) in cost_model.LINKS.items():
            for n in RANKS:
                t = cost_model.ring_time(n, row["bytes"], alpha0, gamma, bw, latency)
                pred[(link, n)] = cost_model.efficiency(t_c, t)
                pred[("batch", link, n)] = cost_model.batch_for(0.9, t, row["one"])
        out.append(pred)
    return out


def markdown(fronts, preds, alpha0, gamma, calibration, args):
    lines = [
        "# Data-parallel scaling: measured (1 and 2 ranks) and modelled (8 to 512 ranks)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}; Open "
        f"MPI over shared memory; one BLAS thread per rank; float32; {args.rounds} rounds "
        f"of {args.seconds} s per workload and front, medians. Produced by `python "
        f"benchmarks/scaling.py --rounds {args.rounds} --seconds {args.seconds}` (method in "
        f"its docstring and in `benchmarks/cost_model.py`).",
        "",
        "## Measured: 1 and 2 ranks, B samples per rank",
        "",
        "`deepgrad.nn` with `DistributedDataParallel` (torch) and `deepgrad.keras` `fit` "
        "with Horovod's `DistributedOptimizer` (keras); one rank runs the plain model.",
        "",
        "| workload | front | seed | B per rank | 1 rank samples/s | 2 ranks samples/s | "
        "efficiency | gradients | buckets | allreduce alone (ms/step) | in MPI (ms/step)"
        " | exposed wait (ms/step) | overlap |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in (row for rows in fronts.values() for row in rows):
        lines.append(
            f"| {r['workload']} | {r['front']} | {r['seed']} | {r['batch']} | {r['one']:,.0f} | "
            f"{r['two']:,.0f} | **{100 * r['efficiency']:.0f}%** | "
            f"{r['bytes'] / 2**20:.2f} MiB | {len(r['buckets'])} | {r['allreduce_ms']:.3f} | "
            f"{r['mpi_ms']:.3f} | {r['wait_ms']:.3f} | {100 * r['overlap']:.0f}% |")
    lines += [
        "",
        "*allreduce alone*: the step's buckets all-reduced back to back, blocking, nothing "
        "else running. *in MPI*: what the training step spent starting the bucket "
        "reductions, polling them during backward and waiting for them at its end. "
        "*exposed wait*: the last part alone (it also holds the faster rank's wait for the "
        "slower). *overlap* = 1 - exposed / alone: the share of the reduction that was no "
        "longer outstanding when backward finished.",
        "",
        "## Modelled: ring allreduce beyond this machine",
        "",
        f"Calibration (2-rank MPI_Allreduce, 8 B to 32 MiB, {len(calibration)} sizes, fitted "
        f"T = 2 alpha_0 + gamma n): alpha_0 = {alpha0 * 1e6:.2f} us per message, gamma = "
        f"{gamma * 1e9:.3f} ns per byte ({1 / gamma / 1e9:.1f} GB/s of copying and summing)."
        f" Links: 10 Gb/s Ethernet (TCP, alpha_link = 25 us) and 100 Gb/s RDMA "
        f"(alpha_link = 2 us). Model: T(N, n) = 2(N-1)(alpha_0 + alpha_link) + "
        f"2(N-1)/N n (1/beta + gamma); E = t_c / (t_c + T), t_c = B / (one rank's "
        f"samples/s) with this machine's one-thread compute, no overlap (conservative).",
        "",
        "| workload | gradients | model, 2 ranks here | measured | "
        + " | ".join(f"{n} ranks, {link}" for link in cost_model.LINKS for n in RANKS) + " |",
        "|---|---|---|---|" + "---|" * (len(RANKS) * len(cost_model.LINKS))]
    rows = fronts["torch"] if "torch" in fronts else next(iter(fronts.values()))
    for r, p in zip(rows, preds):
        lines.append(
            f"| {r['workload']} | {r['bytes'] / 2**20:.2f} MiB | {100 * p['local2']:.0f}% | "
            f"{100 * r['efficiency']:.0f}% | " + " | ".join(
                f"{100 * p[(link, n)]:.0f}%" for link in cost_model.LINKS for n in RANKS) + " |")
    lines += [
        "",
        "Per-rank batch B at which each workload stays at or above 90% efficiency (its "
        "global batch is N x B):",
        "",
        "| workload | B today | " + " | ".join(
            f"{n} ranks, {link}" for link in cost_model.LINKS for n in RANKS) + " |",
        "|---|---|" + "---|" * (len(RANKS) * len(cost_model.LINKS))]
    for r, p in zip(rows, preds):
        lines.append(f"| {r['workload']} | {r['batch']} | " + " | ".join(
            f"{p[('batch', link, n)]:,}" for link in cost_model.LINKS for n in RANKS) + " |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", default=",".join(MODELS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--fronts", default="torch,keras")
    parser.add_argument("--markdown", help="write the tables to this file")
    args = parser.parse_args()
    workloads, fronts = args.workloads.split(","), args.fronts.split(",")
    runs, calibration = measure(workloads, args.rounds, args.seconds, fronts)
    rows = {front: summarise(workloads, runs, front) for front in fronts}
    alpha0, gamma = cost_model.fit_local(list(calibration.items()))
    preds = predictions(rows.get("torch", rows[fronts[0]]), alpha0, gamma)
    text = markdown(rows, preds, alpha0, gamma, calibration, args)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
