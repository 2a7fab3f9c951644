"""Horovod's runtime and tensor operations (``hvd.init``, ``hvd.rank``, ``hvd.allreduce``,
...) on :mod:`deepgrad.distributed`.

``init()`` creates deepgrad's default process group (on MPI) unless the script already
did; the operations then run on it:

    allreduce(x, op=Average)   (1/N) sum_r x_r   (Sum: sum_r x_r), a new tensor
    allgather(x)               concat_r x_r along axis 0 (first dims may differ)
    broadcast(x, root_rank)    x of rank root_rank, a new tensor
    broadcast_variables(vs, root_rank)   every variable takes root_rank's value in place

``Compression.fp16`` sends floating-point tensors as float16 (the sum itself is taken in
float16, as Horovod's compressor does) and casts the result back.
"""
import numpy as np

import deepgrad.distributed as dist
from deepgrad.autograd.tensor import Tensor
from deepgrad.distributed import _mpi
from deepgrad.distributed.agreement import agree, group_root
from deepgrad.distributed.collectives import broadcast_coalesced
from deepgrad.distributed.reduce_op import ReduceOp

#: Horovod's reduction names
Average = ReduceOp.AVG
Sum = ReduceOp.SUM


class _NoneCompressor:
    """No compression: tensors travel in their own dtype."""

    @staticmethod
    def compress(array):
        return array, None

    @staticmethod
    def decompress(array, ctx):
        return array


class _FP16Compressor:
    """Floating-point tensors travel (and are summed) as float16."""

    @staticmethod
    def compress(array):
        if array.dtype.kind == "f" and array.dtype != np.float16:
            return array.astype(np.float16), array.dtype
        return array, None

    @staticmethod
    def decompress(array, ctx):
        return array if ctx is None else array.astype(ctx)


class Compression:
    """``Compression.none`` and ``Compression.fp16`` (Horovod's compressors)."""

    none = _NoneCompressor
    fp16 = _FP16Compressor


def _check_compression(compression, where):
    if compression not in (Compression.none, Compression.fp16):
        raise ValueError(f"{where}: compression must be Compression.none or Compression.fp16, "
                         f"received {compression!r}")
    return compression


def _check_device(device, where):
    if device not in ("", None) and "cpu" not in str(device).lower():
        raise ValueError(f"{where}: device {device!r} names an accelerator; deepgrad runs on "
                         f"the CPU (leave it '')")


# ------------------------------------------------------------------ runtime
def init(comm=None, process_sets=None):
    """Start (Horovod's ``hvd.init()``): the default process group on MPI, unless one
    exists already. ``comm`` and ``process_sets``: None (the whole MPI job)."""
    if comm is not None or process_sets is not None:
        raise ValueError("init: comm= and process_sets= are not supported; every rank of the "
                         "MPI job takes part (use deepgrad.distributed.new_group for "
                         "sub-groups)")
    if not dist.is_initialized():
        dist.init_process_group(backend="mpi")


def shutdown():
    """Leave (destroy the default process group)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def is_initialized():
    return dist.is_initialized()


def group():
    """The default process group.

    Raises:
        ValueError: Horovod's message, before :func:`init`.
    """
    if not dist.is_initialized():
        raise ValueError("Horovod has not been initialized; use hvd.init().")
    return dist.group.WORLD


def rank():
    """This process's rank (0 .. size() - 1)."""
    return group().rank()


def size():
    """The number of processes."""
    return group().size()


def local_rank():
    """This process's rank among those on its node."""
    group()
    return dist.get_local_rank()


def local_size():
    """The number of processes on this node."""
    group()
    return dist.get_local_world_size()


def cross_rank():
    """The rank of this process's node among the nodes (nodes hold ranks in blocks)."""
    return rank() // local_size()


def cross_size():
    """The number of nodes."""
    return -(-size() // local_size())


def is_homogeneous():
    """Whether every node runs the same number of processes."""
    counts = group().comm.allgather(local_size())
    return len(set(counts)) == 1


def mpi_built():
    return dist.is_mpi_available()


def mpi_enabled():
    return dist.is_initialized()


def mpi_threads_supported():
    """Whether MPI runs with ``MPI_THREAD_MULTIPLE``."""
    group()
    MPI = _mpi.mpi()
    return MPI.Query_thread() == MPI.THREAD_MULTIPLE


def gloo_built():
    return False


def gloo_enabled():
    return False


def nccl_built():
    return False


def ddl_built():
    return False


def ccl_built():
    return False


def cuda_built():
    return False


def rocm_built():
    return False


# ------------------------------------------------------------------ operations
def _array(value):
    if isinstance(value, Tensor):
        return value.array
    return np.asarray(value)


def _op(average, op, where):
    if average is not None and op is not None:
        raise ValueError(f"{where}: give op= or the deprecated average=, not both")
    if op is None:
        op = Sum if average is False else Average
    if op not in (Average, Sum):
        raise ValueError(f"{where}: op must be Average or Sum, received {op!r} (Adasum is "
                         f"not supported)")
    return op


def allreduce_arrays(pg, arrays, predivide=1.0, postdivide=1.0, compression=Compression.none):
    """``sum_r (a_r / predivide) / postdivide`` for each array, as new arrays: one MPI
    allreduce per dtype over the arrays packed together (no agreement step: callers
    agree on the layout first)."""
    MPI = _mpi.mpi()
    out = [None] * len(arrays)
    groups = {}
    for i, a in enumerate(arrays):
        groups.setdefault(a.dtype.str, []).append(i)
    for indices in groups.values():
        flat = np.concatenate([arrays[i].ravel() for i in indices])
        if predivide != 1:
            flat /= predivide
        flat, ctx = compression.compress(flat)
        pg.comm.Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
        flat = compression.decompress(flat, ctx)
        if postdivide != 1:
            flat /= postdivide
        start = 0
        for i in indices:
            n = arrays[i].size
            out[i] = flat[start:start + n].reshape(arrays[i].shape)
            start += n
    return out


def allreduce(value, name=None, average=None, op=None, prescale_factor=1.0,
              postscale_factor=1.0, compression=Compression.none):
    """The ranks' ``value`` s reduced: ``postscale * op_r(prescale * value_r)``.

    Args:
        value: a Tensor, NumPy array or number (same shape and dtype on every rank).
        op: ``Average`` (default) or ``Sum``; ``average`` (deprecated): True/False.
        prescale_factor, postscale_factor (float): multiply before / after.
        compression: ``Compression.none`` or ``Compression.fp16``.

    Returns:
        Tensor: a new tensor.
    """
    where = "allreduce"
    pg = group()
    op = _op(average, op, where)
    _check_compression(compression, where)
    arr = _array(value)
    if op == Average and arr.dtype.kind not in "fc":
        raise ValueError(f"{where}: Average needs a floating-point value, received "
                         f"{arr.dtype.name} (use op=Sum)")
    agree(pg, where, lambda: ((where, op.name, tuple(arr.shape), arr.dtype.name), None))
    x = arr * prescale_factor if prescale_factor != 1 else arr
    (out,) = allreduce_arrays(pg, [np.asarray(x, arr.dtype)], 1.0,
                              pg.size() if op == Average else 1.0, compression)
    if postscale_factor != 1:
        out = out * postscale_factor
    return Tensor._wrap(np.asarray(out, dtype=arr.dtype))


def allgather(value, name=None):
    """The ranks' ``value`` s concatenated along axis 0 (their first dimensions may
    differ; the rest of the shape and the dtype must agree). A new tensor."""
    where = "allgather"
    pg = group()
    arr = np.ascontiguousarray(_array(value))
    if arr.ndim == 0:
        arr = arr.reshape(1)
    agree(pg, where, lambda: ((where, tuple(arr.shape[1:]), arr.dtype.name), None))
    rows = pg.comm.allgather(arr.shape[0])
    row = int(np.prod(arr.shape[1:], dtype=np.int64))
    out = np.empty((sum(rows),) + arr.shape[1:], arr.dtype)
    counts = [r * row for r in rows]
    pg.comm.Allgatherv(arr, [out, counts])
    return Tensor._wrap(out)


def broadcast(value, root_rank, name=None):
    """Rank ``root_rank``'s ``value`` on every rank (a new tensor)."""
    buf = np.array(_array(value), copy=True)
    dist.broadcast(buf, src=root_rank, group=group())
    return Tensor._wrap(buf)


def broadcast_variables(variables, root_rank):
    """Every variable (Tensor or NumPy array) takes rank ``root_rank``'s value, in place;
    one agreement on the whole list, then one broadcast per dtype."""
    where = "broadcast_variables"
    pg = group()
    arrays = [_array(v) for v in variables]

    def prepare():
        for i, a in enumerate(arrays):
            if not a.flags.writeable:
                raise ValueError(f"{where}: variable {i} is read-only")
        root = group_root(pg, where, root_rank, None, "root_rank")
        return (where, root, [(tuple(a.shape), a.dtype.name) for a in arrays]), root

    root = agree(pg, where, prepare)
    broadcast_coalesced(pg, arrays, root)
