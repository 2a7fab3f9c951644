"""deepgrad's intra-op thread pool: it splits an op's heavy NumPy work, GEMMs included.

``set_num_threads(n)`` sizes this pool (PyTorch's meaning: the intra-op threads), and
NumPy's BLAS is kept at one thread (:mod:`deepgrad.runtime` says why). NumPy releases
the GIL inside ufunc loops, array copies and BLAS calls, so plain Python threads run those
truly in parallel. :func:`parallel_for` runs ``fn(start, stop)`` over consecutive chunks
of ``range(n)`` on the calling thread and ``threads - 1`` pool threads, where ``threads``
is :func:`deepgrad.get_num_threads`; :func:`matmul` cuts a large product into a fixed
grid of blocks that the threads share.

What is split, and why the bits do not change
----------------------------------------------
Ops split only along an axis where each output element's computation is untouched:

* Conv (NCHW) forward: the im2col copy, the per-sample GEMMs ``y[n] = W_mat @ cols[n]``
  (NumPy's batched matmul already makes one GEMM call per sample) and the bias add, each
  over the chunk's samples n. Backward: ``gcols[n] = W_mat^T G[n]`` and the col2im into
  the chunk's own rows of dL/dx, and the per-sample dW products ``G[n] cols[n]^T`` into
  an (N, ...) buffer; their sum over n is then split over the *output elements* (columns
  of the buffer), each column still summed n = 0, 1, ..., N-1 in order, as today.
* ConvLast (NHWC) forward: its one GEMM (N P, K) @ (K, O) is split by rows (whole
  samples). dW = cols^T G is made per fixed block of samples inside the region and the
  blocks' products summed in block order (:mod:`deepgrad.ops.conv`).
* Winograd convolutions (:mod:`deepgrad.ops.conv_winograd`): fixed blocks of samples,
  partial sums added in block order.
* MaxPool forward/backward (both layouts), ReLU forward/backward: independent per sample
  (per element for ReLU).
* Batched products (attention, ``matmul`` of stacks): by batch entry, each its own GEMM.
* Multi-pass elementwise updates (:func:`blockwise`: Adam): by fixed blocks of elements.
* The LSTM's whole-loop kernels (float32, :mod:`deepgrad.kernels.lstm_loop`): the batch's
  columns in parts fixed by the batch size, each thread running its own parts for the
  whole sequence (a ``static`` region: the same thread for a part in forward and in
  backward); the weight gradients' per-part sums are added in part order.

No reduction is ever split along the axis it sums over, so one thread and n threads give
the same bits (``tests/engine/test_parallel.py`` checks it with ``np.array_equal``).

The one exception: large 2-D GEMMs (:func:`matmul`: the Linear/Dense layers, ``matmul``
on 2-D operands or a batch against one matrix) are cut, from two threads up, into the
row (or column) blocks of :func:`gemm_grid`, which depends on the shape only: every
thread count >= 2 gives the same bits, and one thread (one call per product) can differ
from them in the last bit, as a BLAS's own threads do (see :func:`gemm_grid`).

BLAS threads: the BLAS stays at one thread, so the chunk GEMMs run one per core. If
something outside deepgrad gives it more threads, a region sets it to one while it runs
and restores it after. A region is never nested: a :func:`parallel_for` from inside a
chunk (or from a second user thread while the pool is busy) runs serially in its caller.

Costs: at one thread :func:`parallel_for` is one function call and ``fn(0, n)``; no thread
is ever started. Below ``min_work`` (elements the whole call touches, default
:data:`MIN_WORK`) it also stays on the calling thread, where a thread hand-off (tens of
microseconds) would cost more than it saves. Chunks are taken first come, first served,
the calling thread included: a pool thread that is slow to wake (a busy machine) never
holds the caller up, the caller simply takes more chunks.

Memory: a chunk allocates nothing of size. Every output and every temporary (MaxPool's
comparison masks, ReLU's sign mask, Conv's gcols and per-sample dW buffer) is made by the
calling thread, whole, at the size today's single-thread code makes it, and each chunk
writes its slice (``out=``). So the pool threads' malloc arenas stay empty, and a
finished region's arrays are released at once (the job drops ``fn``; an idle pool thread
keeps no reference): the peak resident memory of a training step is as at one thread.

Why the pool and not the BLAS's own threads: OpenBLAS's threads busy-wait for work after
each call; between two GEMMs they spin on the cores the pool's threads need. On a
2-core machine, a cnn_cifar step at two threads (BLAS at two, pool regions at one BLAS
thread each) took as long as at one thread for twice the CPU time; with the BLAS at one
thread everywhere it took 0.6 of the one-thread time. The pool itself waits on locks (no
spinning): a region's hand-off (waking a pool thread, then waiting for it) measured 30 to
100 microseconds on a 2-vCPU VM, which is what :data:`MIN_WORK` pays for.

Lifetime: the threads start on the first split call, are daemon threads blocked on a
queue when idle, are stopped and joined at interpreter exit (``atexit``), and are
forgotten in a forked child (``os.register_at_fork``), which starts its own on demand.
An exception in any chunk is re-raised in the caller after every chunk has finished or
been skipped.
"""
import atexit
import os
import threading

import numpy as np

try:
    from _queue import SimpleQueue         # what queue.SimpleQueue is, without queue's imports
except ImportError:                         # pragma: no cover  (not CPython)
    from queue import SimpleQueue

from deepgrad import runtime

#: Below this many elements touched in a call, work stays on the calling thread. A region
#: costs up to 0.1 ms (waking a pool thread, then waiting for it; measured on a 2-vCPU VM)
#: and two threads share the memory bandwidth. Chosen on whole training steps at two
#: threads (cnn_cifar: 2^18 24.5 ms, 2^20 25.1, 2^21 27.7, no split 35.2; its Keras twin
#: 24.4, 24.0, 25.6, 32.4; cnn_mnist the same within 2% at every setting).
MIN_WORK = 1 << 20

#: Elementwise passes (:func:`map_flat`) split only from this many elements up (chosen
#: with :data:`MIN_WORK`; alone, ReLU's forward ran 0.93x as fast at two threads on 2^20
#: elements, 1.28x on 2^21, 1.57x on 2^22).
MIN_ELEMENTWISE = 1 << 20

#: :func:`map_flat` cuts at multiples of this many elements, so every chunk but the last
#: runs NumPy's vector loop through (the scalar tail stays where one thread has it).
BLOCK = 4096

#: Chunks per thread: > 1 lets a thread that finishes early take more (balance on a
#: shared machine); each chunk costs one Python call of ``fn``.
CHUNKS_PER_THREAD = 1

_queues = []                    # one SimpleQueue per pool thread
_threads = []
_busy = threading.Lock()        # held by the thread running a parallel region
_start_lock = threading.Lock()
_region = [None]                # BLAS threads to restore while a region runs


def num_threads():
    """The threads a parallel region uses: deepgrad's intra-op thread count (see
    :func:`deepgrad.set_num_threads`), 1 while a region runs (a nested call is serial)."""
    if _region[0] is not None:
        return 1
    n = runtime._requested
    return runtime.get_num_threads() if n is None else n


def _blas_threads():
    return runtime._blas[1]() if runtime._blas else 1


def _set_blas(n):
    if runtime._blas:
        runtime._blas[2](n)


class _Job:
    """One parallel region: ``fn`` over the chunks ``bounds[i]:bounds[i + 1]``."""
    __slots__ = ("fn", "bounds", "taken", "left", "lock", "done", "error", "static")

    def __init__(self, fn, bounds, static=False):
        self.fn, self.bounds, self.static = fn, bounds, static
        self.taken, self.left = 0, len(bounds) - 1
        self.lock, self.done, self.error = threading.Lock(), threading.Lock(), None
        self.done.acquire()                 # released when the last chunk is done

    def work(self, slot=0):
        """Take chunks until none is left; the last one to finish releases ``done``.
        ``static`` jobs: run chunk ``slot`` only (the caller's is 0, pool thread k's k + 1)."""
        bounds, lock = self.bounds, self.lock
        while True:
            if self.static:
                i = slot
                if i >= len(bounds) - 1:
                    return
            else:
                with lock:
                    i = self.taken
                    if i >= len(bounds) - 1:
                        return
                    self.taken = i + 1
            if self.error is None:            # after an error, skip what is left
                try:
                    self.fn(bounds[i], bounds[i + 1])
                except BaseException as e:    # noqa: BLE001  (re-raised in the caller)
                    self.error = self.error or e
            with lock:
                self.left -= 1
                last = self.left == 0
            if last:
                self.done.release()
            if self.static:
                return


def _serve(queue, slot):
    for job in iter(queue.get, None):
        job.work(slot)
        del job                    # keep nothing of a finished region alive while idle


def _ensure(workers):
    """Start pool threads until there are ``workers``; returns their queues."""
    if len(_queues) < workers:
        with _start_lock:
            while len(_queues) < workers:
                q = SimpleQueue()
                t = threading.Thread(target=_serve, args=(q, len(_queues) + 1), daemon=True,
                                     name=f"deepgrad-pool-{len(_queues)}")
                t.start()
                _queues.append(q)
                _threads.append(t)
    return _queues


def parallel_for(n, fn, work=0, min_work=None, static=False):
    """Run ``fn(start, stop)`` over consecutive chunks covering ``range(n)``.

    Args:
        n (int): the number of items (samples of the batch axis, usually).
        fn: called as ``fn(start, stop)``; chunks are disjoint, so ``fn`` may write its
            own slice of a shared output. Its return value is ignored.
        work (int): about how many elements the whole call touches; below ``min_work``
            (default :data:`MIN_WORK`) it runs as ``fn(0, n)`` on the calling thread.
        static (bool): one chunk per thread, chunk k always on the same thread (the
            caller's is the first), so that work on the same part of the data, region
            after region, finds it in that core's cache (the first come, first served
            default lets a thread that is late to wake cost nothing).
    Raises:
        Whatever ``fn`` raised (the first error, once every chunk has stopped).
    """
    threads = num_threads()
    if threads == 1 or n < 2 or work < (MIN_WORK if min_work is None else min_work):
        fn(0, n)
        return
    _split(n, fn, threads, static)


def serial(work, min_work=None):
    """True when a call touching ``work`` elements stays on the calling thread (one thread,
    or less than ``min_work``, default :data:`MIN_WORK`): a caller may then skip building
    its chunk function and run its plain whole-array code."""
    return work < (MIN_WORK if min_work is None else min_work) or num_threads() == 1


def _split(n, fn, threads, static=False):
    """The parallel region of :func:`parallel_for`."""
    if not _busy.acquire(blocking=False):       # nested, or another thread's region
        fn(0, n)
        return
    try:
        chunks = min(n, threads * CHUNKS_PER_THREAD)
        job = _Job(fn, [n * i // chunks for i in range(chunks + 1)], static)
        blas = _blas_threads()     # 1, unless something outside deepgrad changed it
        _region[0] = blas
        if blas != 1:
            _set_blas(1)
        try:
            for q in _ensure(threads - 1)[:min(threads, chunks) - 1]:
                q.put(job)
            job.work()
            job.done.acquire()
            job.fn = None          # a late pool thread may still hold the job: not its arrays
        finally:
            if blas != 1:
                _set_blas(blas)
            _region[0] = None
    finally:
        _busy.release()
    if job.error is not None:
        raise job.error


#: A GEMM of fewer multiply-adds than this is one BLAS call. Measured at two threads
#: (float32), whole training steps with 2^24 against 2^25 in one process, interleaved:
#: cnn_mnist (its Dense layer's three 22M products split) 1.15-1.19x, cnn_cifar (19M)
#: 1.06x, the transformer 1.00x; 2^23 split mlp128's 13M products and slowed its step to
#: 0.90x, so the seeds' MLPs (at most 13M) stay one call. (An earlier machine state gave
#: 19M 1.05x, 26M 1.09x for the products alone.)
GEMM_MIN_WORK = 1 << 24

#: Row (or column) blocks of a split GEMM hold a multiple of this many rows (columns), at
#: least twice as many as it: whole register tiles, and blocks big enough to run at speed.
GEMM_ALIGN = 32

#: At most this many blocks per GEMM (enough for 8 threads; more only costs calls).
GEMM_BLOCKS = 8


def gemm_grid(m, k, n):
    """Where :func:`matmul` cuts an (m, k) @ (k, n) product: ``(axis, bounds)``, axis 0
    (rows of the result) or 1 (columns), or None for one call.

    A function of the shape only -- never of the thread count -- so that every thread
    count from two up makes the same BLAS calls on the same blocks, and gets the same
    bits. One thread makes one call, whose last bits can differ from the blocks' (a BLAS's
    result for a row can depend on how many rows the call has): on 181 random float32
    shapes cut in two, 2 differed (float64: 61 of 185); OpenBLAS's own two threads, which
    deepgrad no longer uses, differ from its one thread on 56 of 128 float32 shapes.
    """
    axis, size = (0, m) if m >= n else (1, n)
    blocks = min(GEMM_BLOCKS, 2 * ((m * k * n) // GEMM_MIN_WORK), size // (2 * GEMM_ALIGN))
    if blocks < 2:
        return None
    blocks = 1 << (blocks.bit_length() - 1)   # 2, 4 or 8: even shares for 2, 4, 8 threads
    return axis, [round(size * i / blocks / GEMM_ALIGN) * GEMM_ALIGN
                  for i in range(blocks)] + [size]


def matmul(a, b, out=None):
    """``a @ b`` for 2-D ``a`` (m, k) and ``b`` (k, n), split over the pool's threads.

    deepgrad keeps the BLAS at one thread (see :mod:`deepgrad.runtime`), so at two or more
    threads a large product is cut into the row (or column) blocks of :func:`gemm_grid`,
    one BLAS call each, shared by the threads. At one thread it is one call: each extra
    block repacks the other operand, which cost 7-10% of a one-thread mlp128 step.
    Operands may be transposed views (BLAS reads them as they are). Returns ``out``, or a
    new array of ``np.matmul``'s result dtype.
    """
    m, k = a.shape
    n = b.shape[1]
    if m * k * n < GEMM_MIN_WORK or num_threads() == 1:       # the common case: one call
        return np.matmul(a, b, out=out)
    grid = gemm_grid(m, k, n)
    if grid is None:
        return np.matmul(a, b, out=out)
    if out is None:
        out = np.empty((m, n), np.result_type(a.dtype, b.dtype))
    axis, bounds = grid

    if axis == 0:
        def chunk(i, j):
            for lo, hi in zip(bounds[i:j], bounds[i + 1:j + 1]):
                np.matmul(a[lo:hi], b, out=out[lo:hi])
    else:
        def chunk(i, j):
            for lo, hi in zip(bounds[i:j], bounds[i + 1:j + 1]):
                np.matmul(a, b[:, lo:hi], out=out[:, lo:hi])

    parallel_for(len(bounds) - 1, chunk, work=m * k * n, min_work=0)
    return out


def bmm(a, b):
    """``np.matmul(a, b)`` for stacks of matrices with the same leading (batch) axes, the
    batch split over the pool's threads; other operands go to ``np.matmul`` as they are.

    Each batch entry is its own product, as in ``np.matmul``'s own loop, so the bits are
    those of one thread.
    """
    lead = a.shape[:-2]
    if a.ndim < 3 or b.ndim != a.ndim or b.shape[:-2] != lead or a.shape[-1] != b.shape[-2]:
        return np.matmul(a, b)
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = a.size // (m * k) if m * k else 0
    if serial(batch * m * k * n):
        return np.matmul(a, b)
    a3, b3 = a.reshape(batch, m, k), b.reshape(batch, k, n)
    out = np.empty((batch, m, n), np.result_type(a.dtype, b.dtype))

    def chunk(i, j):
        np.matmul(a3[i:j], b3[i:j], out=out[i:j])

    parallel_for(batch, chunk, work=batch * m * k * n)
    return out.reshape(lead + (m, n))


def blockwise(update, *arrays, block=1 << 16):
    """Run ``update(*slices)`` over ``block``-element blocks of the flattened ``arrays``, the
    blocks shared by the threads, or once on the arrays as they are when they hold fewer
    than two blocks or are not all C-contiguous of one shape (``None`` entries pass as
    ``None``; arrays in Fortran order run as their transposes). For multi-pass
    elementwise updates (an optimizer's): every pass runs on one block while it is in
    cache. The blocks depend on the size only, and each element's
    arithmetic is unchanged, so the bits are those of one whole-array call.
    """
    if not arrays[0].flags.c_contiguous and arrays[0].flags.f_contiguous:
        arrays = [None if a is None else a.T for a in arrays]    # all transposed: the same
    first = arrays[0]                                            # elementwise update
    if first.size < 2 * block or not all(
            a is None or (a.flags.c_contiguous and a.shape == first.shape) for a in arrays):
        update(*arrays)
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    blocks = -(-first.size // block)

    def chunk(i, j):
        for k in range(i, j):
            lo, hi = k * block, min(k * block + block, first.size)
            update(*[None if a is None else a[lo:hi] for a in flat])

    parallel_for(blocks, chunk, work=first.size * 8)


def map_flat(ufunc, out, *operands, cost=1):
    """``ufunc(*operands, out=out)`` by chunks of the flattened arrays.

    ``out`` and every array operand are C-contiguous of one shape (scalars pass as they
    are); each output element depends on the same elements of the inputs only, so a chunk
    computes exactly what the whole call would. ``cost``: an element's time in units of a
    memory-bound pass's (a copy, a ReLU), so that arithmetic-heavy passes split from
    fewer elements: the split starts at ``MIN_ELEMENTWISE / cost``. Returns ``out``.
    """
    if serial(out.size * cost, MIN_ELEMENTWISE):
        return ufunc(*operands, out=out)
    o = out.reshape(-1)
    ops = [a.reshape(-1) if hasattr(a, "ndim") and a.ndim else a for a in operands]
    blocks = -(-o.size // BLOCK)

    def chunk(a, z):
        a, z = a * BLOCK, z * BLOCK
        ufunc(*[x[a:z] if hasattr(x, "ndim") and x.ndim else x for x in ops], out=o[a:z])

    parallel_for(blocks, chunk, work=o.size * cost, min_work=MIN_ELEMENTWISE)
    return out


def shutdown():
    """Stop and join the pool threads (at exit; a later split call starts new ones)."""
    with _start_lock:
        for q in _queues:
            q.put(None)
        for t in _threads:
            t.join(timeout=5)
        _queues.clear()
        _threads.clear()


def _after_fork():
    """In a forked child the pool threads do not exist: forget them and their locks, and
    give the BLAS back the threads a region of another thread had taken from it."""
    global _busy, _start_lock
    _queues.clear()
    _threads.clear()
    _busy, _start_lock = threading.Lock(), threading.Lock()
    if _region[0] is not None:
        _set_blas(_region[0])
        _region[0] = None


atexit.register(shutdown)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
