"""Peak resident memory of a fresh process training one workload with one framework.

    python benchmarks/memory.py deepgrad --workload mlp128 --steps 500

Prints one JSON line: ``import_mb`` (ru_maxrss once the framework is imported),
``peak_mb`` (ru_maxrss after training) and, for deepgrad, ``kernels``: which kernels ran
(:func:`deepgrad.kernels.path`). Only the named framework is imported, so the
numbers are that framework's own footprint.

The peak is the kernel's high-water mark of this process's resident set, ``VmHWM`` in
/proc/self/status. ``ru_maxrss`` is the same figure where /proc is missing, but on Linux
it also remembers the parent's RSS at fork time (it survives ``exec``), so a child of a
large parent would report the parent's size.
"""
import argparse
import importlib
import json
import os
import resource
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def maxrss_mb():
    """Peak resident set size of this process so far, in MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024       # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("framework", choices=("deepgrad", "torch"))
    p.add_argument("--workload", default="mlp128")
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()

    importlib.import_module(args.framework)
    import numpy as np
    from benchmarks.harness import set_threads
    from benchmarks.workloads import WORKLOADS
    set_threads(args.threads)
    import_mb = maxrss_mb()

    w = WORKLOADS[args.workload]
    x, y = w.make_batch(np.random.default_rng(0))
    step = w.builders[args.framework](None, x, y)     # the framework's own initialisation
    for _ in range(args.steps):
        step()
    peak_mb = maxrss_mb()
    kernels = (sys.modules["deepgrad.kernels"].path() if args.framework == "deepgrad"
               else None)
    print(json.dumps({"framework": args.framework, "workload": args.workload,
                      "steps": args.steps, "import_mb": round(import_mb, 1),
                      "peak_mb": round(peak_mb, 1), "kernels": kernels}))


if __name__ == "__main__":
    main()
