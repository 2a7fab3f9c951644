"""Gradient averaging in buckets, overlapped with backward: the engine of
``DistributedDataParallel`` and of the Keras front's ``DistributedOptimizer``.

After ``loss.backward()`` on N ranks, every parameter's gradient becomes the mean of the
ranks' gradients,

    g_p  <-  (1/N) sum_{r=0}^{N-1} g_p^(r),

so with each rank's loss the mean over its own B samples, ``g_p`` is the gradient of the
mean loss over all N*B samples: N ranks with batch B take the same step as one process
with batch N*B.

**Buckets** (PyTorch's rule). Parameters are packed per dtype into flat buffers of at
most a cap of bytes: walking them in order, a bucket closes as soon as it holds
``limits[k]`` bytes or more (``limits`` = the first bucket's cap, then the cap of the
others; the last repeats). Buckets are reduced in the order backward fills them. For
``DistributedDataParallel`` (without ``find_unused_parameters``) the first iteration
uses one bucket per dtype; the first iteration whose gradients all arrive through the
hooks gives the gradient-ready order (rank 0's, broadcast), which rebuilds the buckets
with a 1 MiB first bucket and 25 MiB ones after it, so the small first bucket, holding
the gradients backward produces first, starts reducing early. (The Keras front starts
from the parameters' reverse order with those caps and rebuilds the same way.)

**Overlap.** The engine runs a parameter's post-accumulate hook as soon as its
gradient is complete (``deepgrad.autograd.engine``). The hook copies the gradient into
its bucket (divided by N, as PyTorch does); when a bucket is full it starts ``MPI_Iallreduce``
(sum) on it, in bucket order (MPI needs every rank to start collectives in the same
order), while backward goes on with the earlier layers; later hooks poll MPI
(``Testall``) so the transfers progress. When the last bucket has started, the reducer
waits for all of them and writes the bucket back into each ``.grad``.

**Unused parameters.** With ``find_unused``, parameters that the forward outputs do not
reach are marked ready with zeros at once; after the reduction a flag per parameter
(one more small allreduce, a max) tells whether any rank used it: if none did, its
``.grad`` is left as it was (None), as in PyTorch.
"""
import sys
import time
import weakref

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.distributed import _mpi

MB = 1024 * 1024
DEFAULT_FIRST_BUCKET_BYTES = 1 * MB
DEFAULT_BUCKET_CAP_MB = 25


def assign_buckets(arrays, limits, order=None):
    """Parameter indices per bucket, in the order the buckets are reduced.

    Args:
        arrays (list of ndarray): the parameters' arrays.
        limits (list of int): bytes at which the 1st, 2nd, ... bucket of a dtype closes
            (the last value repeats).
        order (list of int, optional): the gradient-ready order; None: the reverse of the
            parameters' order (buckets are formed in parameter order, then reversed).
    """
    walk = list(range(len(arrays))) if order is None else list(order)
    buckets, open_ = [], {}
    for i in walk:
        key = arrays[i].dtype.str
        indices, size, k = open_.get(key, ([], 0, 0))
        indices.append(i)
        size += arrays[i].nbytes
        if size >= limits[min(k, len(limits) - 1)]:
            buckets.append(indices)
            open_[key] = ([], 0, k + 1)
        else:
            open_[key] = (indices, size, k)
    buckets += [indices for indices, _, _ in open_.values() if indices]
    if order is None:
        buckets.sort(key=min)
        buckets.reverse()
    return buckets


class Bucket:
    """A flat buffer holding some parameters' gradients (one dtype)."""

    def __init__(self, indices, arrays):
        self.indices = list(indices)
        sizes = [arrays[i].size for i in self.indices]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.slots = {i: (int(a), int(b)) for i, a, b in zip(self.indices, starts[:-1],
                                                              starts[1:])}
        self.flat = np.zeros(int(starts[-1]), dtype=arrays[self.indices[0]].dtype)
        self.pending = len(self.indices)

    def view(self, i, shape):
        a, b = self.slots[i]
        return self.flat[a:b].reshape(shape)


def _fill_bucket(bucket, i, grad, predivide):
    """Write ``grad / predivide`` into parameter i's slot (zeros when ``grad`` is None)."""
    a, b = bucket.slots[i]
    if grad is None:
        bucket.flat[a:b] = 0
        return
    view = bucket.flat[a:b].reshape(grad.shape)
    if np.may_share_memory(grad, bucket.flat):     # .grad is this slot (as_bucket_view)
        if predivide != 1:
            np.divide(view, predivide, out=view)
    elif predivide != 1:
        np.divide(grad, predivide, out=view)
    else:
        view[...] = grad


class Reducer:
    """Sums (divided by ``predivide``/``postdivide``) the gradients of ``params`` across ``pg``.

    Args:
        params (list of Tensor): leaves requiring grad (hooks are registered on them).
        pg: the ProcessGroup.
        limits (list of int): bucket caps for the first buckets (see :func:`assign_buckets`).
        rebuild_limits (list of int, optional): after the first complete iteration,
            rebuild the buckets in rank 0's gradient-ready order with these caps.
        find_unused (bool): see the module docstring.
        as_bucket_view (bool): after the reduction, ``.grad`` is a view into the bucket
            (no copy; the next backward accumulates into it in place).
        batched_copy (bool): copy a bucket's gradients in only when all are ready.
        predivide, postdivide (float): divisors applied before and after the sum
            (DDP: N and 1, as PyTorch; Horovod's Average with
            ``gradient_predivide_factor`` f: f and N/f).
        names (list of str, optional): parameter names, for error messages.
        buckets (list of lists of int, optional): the buckets, explicitly (parameter
            indices, in reduction order), instead of ``limits``.
    """

    def __init__(self, params, pg, limits, rebuild_limits=None, find_unused=False,
                 as_bucket_view=False, batched_copy=False, predivide=1.0, postdivide=1.0,
                 names=None, buckets=None):
        self.params, self.pg = list(params), pg
        self.names = list(names) if names is not None else [f"#{i}" for i in
                                                              range(len(self.params))]
        self.find_unused, self.as_bucket_view = find_unused, as_bucket_view
        self.batched_copy, self.predivide, self.postdivide = batched_copy, predivide, postdivide
        self.rebuild_limits = rebuild_limits
        self._build([p.array for p in self.params], limits, explicit=buckets)
        self.expect = False
        self.iterations = 0
        self.stats = dict.fromkeys(("launch_s", "progress_s", "wait_s", "copy_s"), 0.0)
        self.stats.update(iterations=0, buckets=0, bytes=0)
        me = weakref.ref(self)
        self._handles = [p.register_post_accumulate_grad_hook(_hook(me, i))
                         for i, p in enumerate(self.params)]
        self._reset()

    # ------------------------------------------------------------------ layout
    def _build(self, arrays, limits, order=None, explicit=None):
        layout = explicit if explicit is not None else assign_buckets(arrays, limits, order)
        self.buckets = [Bucket(b, arrays) for b in layout]
        self.bucket_of = {}
        for bucket in self.buckets:
            for i in bucket.indices:
                self.bucket_of[i] = bucket

    def bucket_indices(self):
        """Parameter indices per bucket, in reduction order."""
        return [list(b.indices) for b in self.buckets]

    def _reset(self):
        n = len(self.params)
        self.ready = np.zeros(n, dtype=bool)
        self.used = np.zeros(n, dtype=np.int8)
        self.ready_order = []
        self.next_bucket = 0
        self.requests = []
        for bucket in self.buckets:
            bucket.pending = len(bucket.indices)

    # ------------------------------------------------------------------ per iteration
    def prepare_for_backward(self, unused=()):
        """Expect the next backward's hooks; ``unused`` (indices) are ready at once."""
        self._reset()
        self.expect = True
        for i in unused:
            self.mark_ready(i, unused=True)

    def started(self):
        """Whether the expected backward has marked any parameter ready yet."""
        return self.expect and bool(self.ready.any())

    def unready_names(self):
        return [self.names[i] for i in np.flatnonzero(~self.ready)]

    def mark_ready(self, i, unused=False, hooked=False):
        """Parameter ``i``'s gradient is final (``unused``: it has none this iteration;
        ``hooked``: backward's hook says so, which records the gradient-ready order)."""
        if not self.expect:
            return
        if self.ready[i]:
            raise RuntimeError(
                f"Expected to mark a variable ready only once. This error is caused by one "
                f"of the following reasons: 1) Use of a module parameter outside the "
                f"`forward` function; 2) Reused parameters in multiple reentrant backward "
                f"passes or a second backward through the same graph in one iteration. "
                f"Parameter {self.names[i]} has been marked as ready twice.")
        self.ready[i] = True
        self.used[i] = 0 if unused else 1
        if hooked:
            self.ready_order.append(i)
        bucket = self.bucket_of[i]
        if not self.batched_copy:
            self._copy_in(bucket, i, unused)
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready()
        elif self.requests:
            t0 = time.perf_counter()
            _mpi.mpi().Request.Testall(self.requests)    # lets MPI move the bytes
            self.stats["progress_s"] += time.perf_counter() - t0
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _copy_in(self, bucket, i, unused):
        t0 = time.perf_counter()
        grad = None if unused else self.params[i].grad
        _fill_bucket(bucket, i, None if grad is None else grad.array, self.predivide)
        self.stats["copy_s"] += time.perf_counter() - t0

    def _launch_ready(self):
        MPI = _mpi.mpi()
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].pending == 0:
            bucket = self.buckets[self.next_bucket]
            if self.batched_copy:
                for i in bucket.indices:
                    self._copy_in(bucket, i, not self.used[i])
            t0 = time.perf_counter()
            self.requests.append(self.pg.comm.Iallreduce(MPI.IN_PLACE, bucket.flat,
                                                         op=MPI.SUM))
            self.stats["launch_s"] += time.perf_counter() - t0
            self.stats["buckets"] += 1
            self.stats["bytes"] += bucket.flat.nbytes
            self.next_bucket += 1

    def _finalize(self):
        t0 = time.perf_counter()
        _mpi.mpi().Request.Waitall(self.requests)
        used = self.used
        if self.find_unused:
            used = used.copy()
            self.pg.comm.Allreduce(_mpi.mpi().IN_PLACE, used, op=_mpi.mpi().MAX)
        self.stats["wait_s"] += time.perf_counter() - t0
        for bucket in self.buckets:
            for i in bucket.indices:
                if used[i]:
                    self._write_back(bucket, i)
        self.expect = False
        self.iterations += 1
        self.stats["iterations"] += 1
        if self.rebuild_limits is not None and len(self.ready_order) == len(self.params):
            self._rebuild()

    def _write_back(self, bucket, i):
        p = self.params[i]
        view = bucket.view(i, p.array.shape)
        if self.postdivide != 1:
            np.divide(view, self.postdivide, out=view)
        if self.as_bucket_view:
            if p.grad is None or p.grad.array is not view:
                p.grad = Tensor._wrap(view)
        elif p.grad is None:
            p.grad = Tensor._wrap(view.copy())
        else:
            p.grad.array[...] = view

    def _rebuild(self):
        """The buckets again, in rank 0's gradient-ready order (every rank the same)."""
        order = np.asarray(self.ready_order, dtype=np.int64)
        self.pg.comm.Bcast(order, root=0)
        self._build([p.array for p in self.params], self.rebuild_limits, order.tolist())
        self.rebuild_limits = None
        self._reset()

    def finish_iteration(self):
        """Mark every parameter not yet ready now (with its ``.grad``, or zeros when it
        has none) and complete the reduction: the synchronous path, for gradients that
        were not produced under the hooks (e.g. the first step of a Keras fit)."""
        if not self.expect:
            self.prepare_for_backward()
        for i in np.flatnonzero(~self.ready):
            self.mark_ready(int(i), unused=self.params[i].grad is None)

    def remove_hooks(self):
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _hook(reducer_ref, i):
    def on_grad_ready(_param):
        reducer = reducer_ref()
        if reducer is not None:
            reducer.mark_ready(i, hooked=True)
    return on_grad_ready


def bucket_limits(bucket_cap_mb=None, bucket_cap_mb_list=None):
    """Bucket caps in bytes from DDP's arguments: ``bucket_cap_mb_list`` as given, else
    PyTorch's defaults: 25 MiB buckets after a 1 MiB first one, or ``bucket_cap_mb``
    for all of them."""
    if bucket_cap_mb_list:
        return [int(c * MB) for c in bucket_cap_mb_list]
    if bucket_cap_mb is None:
        return [DEFAULT_FIRST_BUCKET_BYTES, DEFAULT_BUCKET_CAP_MB * MB]
    return [int(bucket_cap_mb * MB)]


#: one bucket per dtype (DDP's first iteration before the buckets are rebuilt)
UNBOUNDED = [sys.maxsize]
