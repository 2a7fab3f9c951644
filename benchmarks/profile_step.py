"""Where a deepgrad training step spends its time, next to the hand-written NumPy step.

    python benchmarks/profile_step.py mlp128 autoencoder --steps 300
    python benchmarks/profile_step.py mlp128 --pyinstrument        # call tree instead

For each workload: the step time and page faults of deepgrad and of the NumPy reference
(the time difference is the engine's overhead), then cProfile's top functions by own time and the
own time summed per deepgrad package. NumPy ufuncs (``np.matmul``, ``np.exp``, ...) are
not functions to cProfile: their time counts as the own time of the Python function
calling them, so an op's ``forward``/``backward`` own time is mostly its NumPy compute.
"""
import argparse
import cProfile
import os
import pstats
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from benchmarks.workloads import WORKLOADS  # noqa: E402


def step_cost(step, n):
    """(seconds, minor page faults) per step, after a warm-up.

    Page faults are the noise-free sign of a step that hands memory back to the OS and
    touches it again: each fault costs a kernel entry and a zeroed page.
    """
    for _ in range(max(3, n // 10)):
        step()
    faults, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
    for _ in range(n):
        step()
    elapsed = time.perf_counter() - t0
    return elapsed / n, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / n


def group_of(filename):
    """'deepgrad/autograd', 'deepgrad/ops', ... for deepgrad files; else 'numpy/builtins'."""
    parts = filename.replace(os.sep, "/").split("/")
    if "deepgrad" in parts:
        i = len(parts) - 1 - parts[::-1].index("deepgrad")
        return "/".join(parts[i:i + 2]) if i + 2 < len(parts) else "deepgrad"
    if filename == "~" or "numpy" in parts:
        return "numpy/builtins"
    return "other"


def profile(name, steps, top, use_pyinstrument):
    w = WORKLOADS[name]
    x, y = w.make_batch(np.random.default_rng(0))
    state = w.reference_state(0)
    dg_step, np_step = (w.builders[fw](state, x, y) for fw in ("deepgrad", "numpy"))
    (t_dg, f_dg), (t_np, f_np) = step_cost(dg_step, steps), step_cost(np_step, steps)
    print(f"== {name}: deepgrad {t_dg * 1e6:.0f} us/step, numpy reference "
          f"{t_np * 1e6:.0f} us/step, overhead {(t_dg - t_np) * 1e6:.0f} us "
          f"({t_dg / t_np:.2f}x); minor page faults/step: deepgrad {f_dg:.0f}, "
          f"numpy {f_np:.0f}")
    if use_pyinstrument:
        from pyinstrument import Profiler
        with Profiler(interval=0.0002) as prof:
            for _ in range(steps):
                dg_step()
        print(prof.output_text(unicode=False, color=False, show_all=False))
        return
    prof = cProfile.Profile()
    prof.runcall(lambda: [dg_step() for _ in range(steps)])
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())
    groups = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        groups[group_of(filename)] = groups.get(group_of(filename), 0.0) + tottime
    print("own time per group (per step, under cProfile):")
    for g, t in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {g:<20} {t / steps * 1e6:8.0f} us  {t / total:6.1%}")
    print(f"top {top} functions by own time:")
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, func), (_, calls, tottime, cumtime, _) in rows:
        where = "/".join(filename.split(os.sep)[-2:]) + f":{line}" if filename != "~" else ""
        print(f"  {tottime / steps * 1e6:7.0f} us  {calls // steps:4d}x  {func:<40} {where}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workloads", nargs="*", default=["mlp128", "autoencoder"],
                   choices=[n for n, w in WORKLOADS.items() if "numpy" in w.builders],
                   help="workloads with a hand-written NumPy step (the dense ones)")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--pyinstrument", action="store_true", help="print pyinstrument's tree")
    args = p.parse_args()
    for name in args.workloads:
        profile(name, args.steps, args.top, args.pyinstrument)


if __name__ == "__main__":
    main()
