"""Measuring: one worker process per framework, agreement of losses, interleaved timing.

Each framework runs in its own worker process (as a user would run it), so PyTorch's
OpenMP/MKL threads and NumPy's OpenBLAS threads never share a process. The parent sends
every worker the same weights and batch, collects the first losses to check that all
frameworks compute the same thing, then times them.

Timing method: each worker warms up and reports its time per step (its fastest step; for
a Keras column, whose N steps are one ``fit`` call, the slope of fit's time over the
number of batches, and fit's fixed cost per call); its steps-per-round N is chosen so one
round lasts about ``target_s`` on a quiet machine. One untimed round follows (a new
number of batches makes TensorFlow build a new input pipeline). Then ``repeats`` rounds
run, each timing N steps of every framework in turn (A, B, C, A, B, C, ...), so a noisy
neighbour slows all columns alike, with a short pause between frameworks so the previous
one's BLAS/OpenMP threads stop spinning before the next starts. The result is the median
over rounds; a ratio of two columns is the median over rounds of their ratio within each
round (:func:`paired_ratio`).
"""
import json
import os
import statistics
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def thread_info():
    """What this process's thread pools report: torch's and TensorFlow's (if imported), BLAS's."""
    info = {}
    if "torch" in sys.modules:
        info["torch"] = sys.modules["torch"].get_num_threads()
    if "deepgrad" in sys.modules:
        info["deepgrad"] = sys.modules["deepgrad"].get_num_threads()
        from deepgrad import kernels
        path = getattr(kernels, "path", None)     # (an A/B's base may predate it)
        info["deepgrad kernels"] = path() if path else (
            "compiled" if kernels.enabled() else "NumPy only")
    if "tensorflow" in sys.modules:
        threading = sys.modules["tensorflow"].config.threading
        info["tensorflow"] = (f"intra-op {threading.get_intra_op_parallelism_threads()}, "
                              f"inter-op {threading.get_inter_op_parallelism_threads()}")
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [f"{d['internal_api']} {d['num_threads']} threads"
                        for d in threadpool_info() if d["user_api"] == "blas"]
    except ImportError:
        pass
    return info


def set_threads(n):
    """Give PyTorch, TensorFlow, deepgrad (if imported) and the BLAS libraries loaded so far
    ``n`` threads (deepgrad: its intra-op pool, with NumPy's BLAS at one thread)."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    if "tensorflow" in sys.modules:              # before TensorFlow runs its first op
        threading = sys.modules["tensorflow"].config.threading
        threading.set_intra_op_parallelism_threads(n)
        threading.set_inter_op_parallelism_threads(n)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=n, user_api="blas")
    except ImportError:
        pass
    if "deepgrad" in sys.modules:                # its own pool of n; its BLAS at one thread
        sys.modules["deepgrad"].set_num_threads(n)


def _run_n(step, n):
    """Seconds for n steps: one ``step.run(n)`` call where the step has one (fit)."""
    if hasattr(step, "run"):
        return step.run(n)
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - t0


def _warmup(step, warmup_s):
    """Warm up for at least ``warmup_s``; returns {"step": s per step, "call": s or None}.

    A plain step: its fastest single step. A step run as one call (``fit`` over n
    batches): n doubles until a call lasts four times a one-batch call; "step" is then
    the n-batch call's time over n (an upper bound: it still holds 1/n of the call's
    fixed cost, at most a quarter of it, so rounds come out shorter, not longer) and
    "call" the fixed cost per call, the intercept of the line through the fastest
    one-batch and n-batch calls (a rough estimate on a busy machine).
    """
    if not hasattr(step, "run"):
        times = []
        while sum(times) < warmup_s or len(times) < 3:
            times.append(_run_n(step, 1))
        return {"step": min(times), "call": None}
    one = min(step.run(1) for _ in range(3))
    n, spent, t = 1, 0.0, one
    while t < 4 * one or spent < warmup_s:
        n *= 2
        t = step.run(n)
        spent += t
    t = min(t, step.run(n))
    return {"step": t / n, "call": max((n * one - t) / (n - 1), 0.0)}


def _as_float(loss):
    return float(loss.item()) if hasattr(loss, "item") else float(loss)


def _serve(framework, threads, env, conn):
    """Worker loop: build a step, report losses, warm up, time runs of N steps."""
    os.environ.update(env)                        # e.g. KERAS_BACKEND, before the import
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
                reply = {"threads": thread_info(),
                         "weights": getattr(step, "initial_weights", None)}
            elif op == "losses":
                reply = [_as_float(step()) for _ in range(args[0])]
            elif op == "warmup":                  # for >= args[0] s
                reply = _warmup(step, args[0])
            else:                                 # "run": seconds for args[0] steps
                reply = _run_n(step, args[0])
        except Exception:                         # noqa: BLE001  (sent to the parent)
            reply = RuntimeError(f"{framework} worker, {op}:\n{traceback.format_exc()}")
        conn.send(reply)


class Worker:
    """A framework's worker process; ``call(op, *args)`` returns its reply or raises."""

    def __init__(self, framework, threads, env=None):
        import multiprocessing     # here, not at the top: memory.py imports this module
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(framework, threads, env or {}, child),
                                   daemon=True)
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


def check_agreement(losses, reference, tol):
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
        {framework: {"median": samples/s, "all": [samples/s per round], "n": steps/round,
        "call": fixed seconds per call or None}}.
    """
    warm = {fw: w.call("warmup", warmup_s) for fw, w in workers.items()}
    counts = {fw: max(1, round(target_s / r["step"])) for fw, r in warm.items()}
    for fw, w in workers.items():                 # one untimed round
        w.call("run", counts[fw])
    rates = {fw: [] for fw in workers}
    for _ in range(repeats):
        for fw, w in workers.items():
            time.sleep(pause_s)
            rates[fw].append(counts[fw] * batch / w.call("run", counts[fw]))
    return {fw: {"median": statistics.median(r), "all": r, "n": counts[fw],
                 "call": warm[fw]["call"]} for fw, r in rates.items()}


def paired_ratio(a, b):
    """Throughput of column a over column b: the median over rounds of a_i / b_i, their
    ratio within round i (the rounds of ``time_interleaved``, same index = same round).

    The machine's speed drifts (a pure 256^3 GEMM loop, timed in 40 ms chunks on this
    project's 2-core VM, ran 1.0x to 2.1x its fastest, in stretches of a few hundred ms).
    Within a round the two columns run seconds apart and see much the same machine, so
    the per-round ratio cancels most of the drift that the ratio of the two columns'
    separate medians keeps: from 150 short rounds of deepgrad.nn and deepgrad.keras on
    mlp32_64, resampled as 7 rounds of 5, the estimate's standard deviation was 0.034
    paired against 0.057 for the ratio of medians.
    """
    return statistics.median(x / y for x, y in zip(a["all"], b["all"]))


def _python(args, code=None, env=None):
    import subprocess              # here, not at the top: memory.py imports this module
    env = dict(os.environ, **(env or {}),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTHONDONTWRITEBYTECODE", None)      # as on a user's machine: .pyc files cached
    cmd = [sys.executable, "-c", code] if code else [sys.executable, *args]
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def import_time(statement, runs, env=None):
    """Median seconds for ``statement`` (an import) in fresh interpreters, one untimed first.

    ``env`` adds environment variables (``KERAS_BACKEND``) to the interpreters'. The
    untimed run also writes deepgrad's ``.pyc`` files (an editable install has none until
    then; pip compiles an installed package's, torch's and Keras's, at install time), even
    where ``PYTHONDONTWRITEBYTECODE`` is set: without them every import compiles source
    (measured here: ``import deepgrad`` 380 ms instead of 170).
    """
    code = (f"import time; t = time.perf_counter(); {statement}; "
            f"print(time.perf_counter() - t)")
    _python(None, code, env)                      # warm the file cache
    return statistics.median(float(_python(None, code, env).split()[-1]) for _ in range(runs))


def peak_rss(framework, workload, steps, threads, env=None):
    """{"import_mb", "peak_mb", ...} of a fresh process training ``workload`` (memory.py);
    ``env`` adds environment variables (``DEEPGRAD_KERNELS=numpy``)."""
    out = _python([os.path.join(ROOT, "benchmarks", "memory.py"), framework,
                   "--workload", workload, "--steps", str(steps), "--threads", str(threads)],
                  env=env)
    return json.loads(out.strip().splitlines()[-1])
