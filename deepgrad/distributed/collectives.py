"""Collectives on tensors: ``torch.distributed``'s names and arguments, on MPI.

With N ranks holding ``x_0 ... x_{N-1}`` (same shape and dtype everywhere):

    all_reduce(x, op)            every rank: op_r x_r                 (in place)
    reduce(x, dst, op)           rank dst:   op_r x_r                 (in place on dst)
    broadcast(x, src)            every rank: x_src                    (in place)
    all_gather(out_list, x)      every rank: out_list[r] = x_r
    all_gather_into_tensor(o, x) every rank: o = concat_r x_r         (along dim 0)
    gather(x, lst, dst)          rank dst:   lst[r] = x_r
    scatter(x, lst, src)         rank r:     x = lst_src[r]
    reduce_scatter(o, lst, op)   rank r:     o = op_s lst_s[r]
    reduce_scatter_tensor(o, x)  rank r:     o = op_s (block r of x_s)

Tensors are deepgrad Tensors or NumPy arrays; their memory goes to MPI as it is (no copy
for C-contiguous arrays). ``src``/``dst`` are global ranks (``group_src``/``group_dst``
ranks within ``group``). With ``async_op=True`` the call returns a :class:`Work` at once
(MPI's non-blocking collective), else it returns when done. Before any data moves, the
ranks agree on the call (:mod:`deepgrad.distributed.agreement`): different shapes,
dtypes, ops or roots raise the same error on every rank.
"""
import numpy as np

from deepgrad.distributed import _mpi
from deepgrad.distributed.agreement import (agree, array_of, describe, group_root,
                                            tensor_list)
from deepgrad.distributed.process_group import resolve
from deepgrad.distributed.reduce_op import ReduceOp, op_name
from deepgrad.distributed.work import Work


def _run(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def _finisher(*steps):
    steps = [s for s in steps if s is not None]
    if not steps:
        return None

    def finish():
        for step in steps:
            step()
    return finish


def _copy_back(arr, buf, copied):
    if not copied:
        return None

    def copy():
        arr[...] = buf
    return copy


def _divide(buf, n, name):
    if name != "AVG":
        return None

    def divide():
        np.divide(buf, n, out=buf)
    return divide


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across the ranks with ``op``; every rank gets the result, in place.

    Example:
        >>> t = deepgrad.ones(3) * (dist.get_rank() + 1)
        >>> dist.all_reduce(t)          # 2 ranks: t == [3., 3., 3.]
    """
    where, pg = "all_reduce", resolve(group, "all_reduce")

    def prepare():
        arr = array_of(tensor, where, writable=True)
        name = op_name(op, where)
        mop = _mpi.mpi_op(name, arr.dtype, where)
        return (where, name, describe(arr)), (arr, name, mop)

    arr, name, mop = agree(pg, where, prepare)
    buf, copied = _mpi.contiguous(arr)
    request = pg.comm.Iallreduce(_mpi.mpi().IN_PLACE, buf, op=mop)
    work = Work([request], _finisher(_divide(buf, pg.size(), name),
                                     _copy_back(arr, buf, copied)), [tensor])
    return _run(work, async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` across the ranks with ``op`` into rank ``dst``'s tensor (in place);
    the other ranks' tensors are left as they are."""
    where, pg = "reduce", resolve(group, "reduce")

    def prepare():
        arr = array_of(tensor, where, writable=True)
        root = group_root(pg, where, dst, group_dst, "dst")
        name = op_name(op, where)
        return (where, name, root, describe(arr)), (arr, root, name,
                                                    _mpi.mpi_op(name, arr.dtype, where))

    arr, root, name, mop = agree(pg, where, prepare)
    buf, copied = _mpi.contiguous(arr)
    mine = pg.rank() == root
    send = _mpi.mpi().IN_PLACE if mine else buf
    request = pg.comm.Ireduce(send, buf if mine else None, op=mop, root=root)
    work = Work([request], _finisher(_divide(buf, pg.size(), name) if mine else None,
                                     _copy_back(arr, buf, copied and mine)), [tensor])
    return _run(work, async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor`` (in place)."""
    where, pg = "broadcast", resolve(group, "broadcast")

    def prepare():
        arr = array_of(tensor, where, writable=True)
        root = group_root(pg, where, src, group_src)
        return (where, root, describe(arr)), (arr, root)

    arr, root = agree(pg, where, prepare)
    buf, copied = _mpi.contiguous(arr)
    request = pg.comm.Ibcast(buf, root=root)
    work = Work([request], _copy_back(arr, buf, copied and pg.rank() != root), [tensor])
    return _run(work, async_op)


def all_gather(tensor_list_, tensor, group=None, async_op=False):
    """``tensor_list[r]`` = rank r's ``tensor`` on every rank (``tensor_list``: N tensors
    of ``tensor``'s shape and dtype)."""
    where, pg = "all_gather", resolve(group, "all_gather")

    def prepare():
        arr = array_of(tensor, where)
        outs = tensor_list(tensor_list_, pg.size(), describe(arr), where, "tensor_list")
        return (where, describe(arr)), (arr, outs)

    arr, outs = agree(pg, where, prepare)
    send, _ = _mpi.contiguous(arr)
    recv = np.empty((pg.size(),) + arr.shape, dtype=arr.dtype)
    request = pg.comm.Iallgather(send, recv)

    def scatter_rows():
        for r, out in enumerate(outs):
            out[...] = recv[r]
    return _run(Work([request], scatter_rows, list(tensor_list_)), async_op)


def _blocks(block, big, n, where, block_name, big_name):
    """Check ``big`` holds n blocks of ``block``'s shape: (n * d0, ...) or (n, *shape)."""
    if big.dtype != block.dtype:
        raise ValueError(f"{where}: {big_name} is {big.dtype.name} and {block_name} "
                         f"{block.dtype.name}; they must have the same dtype")
    stacked = (n,) + block.shape
    joined = ((n * block.shape[0],) + block.shape[1:]) if block.ndim else None
    if big.shape not in (stacked, joined):
        raise ValueError(f"{where}: {big_name} has shape {tuple(big.shape)}; expected "
                         f"{stacked}" + (f" or {joined}" if joined else "") +
                         f" (world size {n} x {block_name}'s shape {tuple(block.shape)})")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """``output_tensor`` = the ranks' ``input_tensor`` s concatenated (or stacked) along
    dim 0, written by MPI straight into ``output_tensor``."""
    where, pg = "all_gather_into_tensor", resolve(group, "all_gather_into_tensor")

    def prepare():
        inp = array_of(input_tensor, where, "input_tensor")
        out = array_of(output_tensor, where, "output_tensor", writable=True)
        _blocks(inp, out, pg.size(), where, "input_tensor", "output_tensor")
        return (where, describe(inp)), (inp, out)

    inp, out = agree(pg, where, prepare)
    send, _ = _mpi.contiguous(inp)
    recv, copied = _mpi.contiguous(out)
    request = pg.comm.Iallgather(send, recv)
    return _run(Work([request], _copy_back(out, recv, copied), [output_tensor]), async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """On rank ``dst``: ``gather_list[r]`` = rank r's ``tensor`` (``gather_list`` is given
    on ``dst`` only)."""
    where, pg = "gather", resolve(group, "gather")

    def prepare():
        arr = array_of(tensor, where)
        root = group_root(pg, where, dst, group_dst, "dst")
        outs = None
        if pg.rank() == root:
            outs = tensor_list(gather_list, pg.size(), describe(arr), where, "gather_list")
        elif gather_list:
            raise ValueError(f"{where}: gather_list must NOT be specified on non-destination "
                             f"ranks (this is rank {pg.rank()}, dst is group rank {root})")
        return (where, root, describe(arr)), (arr, root, outs)

    arr, root, outs = agree(pg, where, prepare)
    send, _ = _mpi.contiguous(arr)
    recv = np.empty((pg.size(),) + arr.shape, arr.dtype) if outs is not None else None
    request = pg.comm.Igather(send, recv, root=root)

    def scatter_rows():
        for r, out in enumerate(outs or ()):
            out[...] = recv[r]
    return _run(Work([request], scatter_rows, list(gather_list or [])), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank r's ``tensor`` = ``scatter_list[r]`` of rank ``src`` (given there only)."""
    where, pg = "scatter", resolve(group, "scatter")

    def prepare():
        arr = array_of(tensor, where, writable=True)
        root = group_root(pg, where, src, group_src)
        ins = None
        if pg.rank() == root:
            ins = tensor_list(scatter_list, pg.size(), describe(arr), where, "scatter_list")
        elif scatter_list:
            raise ValueError(f"{where}: scatter_list must NOT be specified on non-source "
                             f"ranks (this is rank {pg.rank()}, src is group rank {root})")
        return (where, root, describe(arr)), (arr, root, ins)

    arr, root, ins = agree(pg, where, prepare)
    send = np.stack(ins) if ins is not None else None
    recv, copied = _mpi.contiguous(arr)
    request = pg.comm.Iscatter(send, recv, root=root)
    return _run(Work([request], _copy_back(arr, recv, copied), [tensor]), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank r's ``output`` = ``op`` over the ranks of their ``input_list[r]``."""
    where, pg = "reduce_scatter", resolve(group, "reduce_scatter")

    def prepare():
        out = array_of(output, where, "output", writable=True)
        ins = tensor_list(input_list, pg.size(), describe(out), where, "input_list")
        name = op_name(op, where)
        return (where, name, describe(out)), (out, ins, name,
                                              _mpi.mpi_op(name, out.dtype, where))

    out, ins, name, mop = agree(pg, where, prepare)
    return _reduce_scatter(pg, np.stack(ins), out, name, mop, output, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank r's ``output`` = ``op`` over the ranks of block r of their ``input`` (N blocks
    of ``output``'s shape, concatenated or stacked along dim 0)."""
    where, pg = "reduce_scatter_tensor", resolve(group, "reduce_scatter_tensor")

    def prepare():
        out = array_of(output, where, "output", writable=True)
        inp = array_of(input, where, "input")
        _blocks(out, inp, pg.size(), where, "output", "input")
        name = op_name(op, where)
        return (where, name, describe(out)), (out, inp, name,
                                              _mpi.mpi_op(name, out.dtype, where))

    out, inp, name, mop = agree(pg, where, prepare)
    return _reduce_scatter(pg, _mpi.contiguous(inp)[0], out, name, mop, output, async_op)


def _reduce_scatter(pg, send, out, name, mop, output, async_op):
    recv, copied = _mpi.contiguous(out)
    request = pg.comm.Ireduce_scatter_block(send, recv, op=mop)
    work = Work([request], _finisher(_divide(recv, pg.size(), name),
                                     _copy_back(out, recv, copied)), [output])
    return _run(work, async_op)


def broadcast_coalesced(pg, arrays, root=0):
    """Copy group rank ``root``'s ``arrays`` into every rank's, in place: one MPI broadcast
    per dtype of the arrays packed together (callers agree on the layout first)."""
    by_dtype = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype.str, []).append(a)
    for group_ in by_dtype.values():
        flat = np.concatenate([a.ravel() for a in group_])
        pg.comm.Bcast(flat, root=root)
        start = 0
        for a in group_:
            a[...] = flat[start:start + a.size].reshape(a.shape)
            start += a.size
