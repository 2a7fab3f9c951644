"""Measuring: one worker process per framework, agreement of losses, interleaved timing.

Each framework runs in its own worker process (as a user would run it), so PyTorch's
OpenMP/MKL threads and NumPy's OpenBLAS threads never share a process. The parent sends
every worker the same weights and batch, collects the first losses to check that all
frameworks compute the same thing, then times them.

Timing method: each worker warms up and reports its fastest step; its steps-per-round N
is chosen so one round lasts about ``target_s`` on a quiet machine. Then ``repeats``
rounds run, each timing N steps of every framework in turn (A, B, C, A, B, C, ...), so a
noisy neighbour slows all columns alike, with a short pause between frameworks so the
previous one's BLAS/OpenMP threads stop spinning before the next starts. The result is
the median over rounds.
"""
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def thread_info():
    """What this process's thread pools report: torch's (if imported) and BLAS's."""
    info = {}
    if "torch" in sys.modules:
        info["torch"] = sys.modules["torch"].get_num_threads()
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [f"{d['internal_api']} {d['num_threads']} threads"
                        for d in threadpool_info() if d["user_api"] == "blas"]
    except ImportError:
        pass
    return info


def set_threads(n):
    """Give PyTorch (if imported) and the BLAS libraries loaded so far ``n`` threads."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=n, user_api="blas")
    except ImportError:
        pass


def _run_n(step, n):
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - t0


def _as_float(loss):
    return float(loss.item()) if hasattr(loss, "item") else float(loss)


def _serve(framework, threads, conn):
    """Worker loop: build a step, report losses, warm up, time runs of N steps."""
    __import__(framework)
    import numpy  # noqa: F401  (so its BLAS is loaded before the limit is set)
    set_threads(threads)
    from benchmarks.workloads import WORKLOADS
    step = None
    for op, *args in iter(conn.recv, None):
        try:
            if op == "build":
                name, state, x, y = args
                step = WORKLOADS[name].builders[framework](state, x, y)
                reply = thread_info()
            elif op == "losses":
                reply = [_as_float(step()) for _ in range(args[0])]
            elif op == "warmup":                  # fastest step seen in >= args[0] s
                times = []
                while sum(times) < args[0] or len(times) < 3:
                    times.append(_run_n(step, 1))
                reply = min(times)
            else:                                 # "run": seconds for args[0] steps
                reply = _run_n(step, args[0])
        except Exception:                         # noqa: BLE001  (sent to the parent)
            reply = RuntimeError(f"{framework} worker, {op}:\n{traceback.format_exc()}")
        conn.send(reply)


class Worker:
    """A framework's worker process; ``call(op, *args)`` returns its reply or raises."""

    def __init__(self, framework, threads):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(framework, threads, child), daemon=True)
        self.process.start()

    def call(self, *message):
        self.conn.send(message)
        reply = self.conn.recv()
        if isinstance(reply, Exception):
            raise reply
        return reply

    def close(self):
        self.conn.send(None)
        self.process.join(timeout=10)


def check_agreement(losses, reference="torch", tol=1e-5):
    """Compare every framework's losses with ``reference``'s, step by step.

    Step 0 checks forward and loss; later steps also check backward and Adam.

    Args:
        losses: {framework: [loss at step 0, 1, ...]}.
    Returns:
        {framework: max relative difference from the reference over the steps}.
    Raises:
        AssertionError naming the framework, step and losses when a difference > tol.
    """
    ref, worst = losses[reference], {}
    for fw, ls in losses.items():
        rel = [abs(a - b) / max(abs(b), 1e-12) for a, b in zip(ls, ref)]
        worst[fw] = max(rel)
        if worst[fw] > tol:
            k = rel.index(worst[fw])
            raise AssertionError(f"{fw} and {reference} disagree at step {k}: loss "
                                 f"{ls[k]!r} vs {ref[k]!r} (relative {rel[k]:.2e} > {tol})")
    return worst


def time_interleaved(workers, batch, repeats, target_s, warmup_s, pause_s):
    """Median samples/s per framework over ``repeats`` interleaved rounds.

    Returns:
        {framework: {"median": samples/s, "all": [samples/s per round], "n": steps/round}}.
    """
    counts = {fw: max(1, round(target_s / w.call("warmup", warmup_s)))
              for fw, w in workers.items()}
    rates = {fw: [] for fw in workers}
    for _ in range(repeats):
        for fw, w in workers.items():
            time.sleep(pause_s)
            rates[fw].append(counts[fw] * batch / w.call("run", counts[fw]))
    return {fw: {"median": statistics.median(r), "all": r, "n": counts[fw]}
            for fw, r in rates.items()}


def _python(args, code=None):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-c", code] if code else [sys.executable, *args]
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def import_time(module, runs):
    """Median seconds for ``import module`` in a fresh interpreter (one untimed run first)."""
    code = (f"import time; t = time.perf_counter(); import {module}; "
            f"print(time.perf_counter() - t)")
    _python(None, code)                           # warm the file cache
    return statistics.median(float(_python(None, code)) for _ in range(runs))


def peak_rss(framework, workload, steps, threads):
    """{"import_mb", "peak_mb", ...} of a fresh process training ``workload`` (memory.py)."""
    out = _python([os.path.join(ROOT, "benchmarks", "memory.py"), framework,
                   "--workload", workload, "--steps", str(steps), "--threads", str(threads)])
    return json.loads(out.strip().splitlines()[-1])
