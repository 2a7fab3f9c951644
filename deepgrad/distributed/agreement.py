"""Every rank agrees on a call before any data moves: shapes, dtypes, roots, ops.

MPI trusts its callers: if rank 0 all-reduces 12 floats and rank 1 all-reduces 10, MPI
reads past a buffer or waits forever. So every collective first exchanges a small
description of the call (``allgather`` of a tuple: the collective's name, its op and
root, each tensor's shape and dtype) together with any error the rank found in its own
arguments. If any rank's arguments are wrong, or the descriptions differ, every rank
raises the same error, naming each rank's shapes, before a byte of the tensors is sent:
no hang and no half-written buffer. (One latency per call; DistributedDataParallel's
gradient buckets skip it: their layout is checked once, at construction.)
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor


def array_of(x, where, name="tensor", writable=False):
    """The NumPy array of a deepgrad Tensor or NumPy array (shared, not copied).

    Raises:
        TypeError: anything else.
        ValueError: a read-only array where the collective writes.
    """
    if isinstance(x, Tensor):
        arr = x.array
    elif isinstance(x, np.ndarray):
        arr = x
    else:
        raise TypeError(f"{where}: {name} must be a deepgrad Tensor or a NumPy array, "
                        f"received {type(x).__name__}")
    if writable and not arr.flags.writeable:
        raise ValueError(f"{where}: {name} is read-only, and {where} writes into it")
    return arr


def describe(arr):
    """``(shape, dtype name)`` of an array, what ranks compare."""
    return (tuple(arr.shape), arr.dtype.name)


def _item(item):
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], tuple):
        return f"{item[1]} {item[0]}"                       # (shape, dtype)
    if isinstance(item, (tuple, list)):
        return "[" + ", ".join(_item(i) for i in item) + "]"
    return str(item)


def _text(meta):
    if meta is None:
        return "no valid call"
    return f"{meta[0]}(" + ", ".join(_item(item) for item in meta[1:]) + ")"


def agree(pg, where, prepare):
    """Run ``prepare()`` here, then make sure every rank of ``pg`` can go ahead.

    Args:
        pg: the ProcessGroup.
        where (str): the collective's name, for messages.
        prepare: ``() -> (meta, state)``: checks this rank's arguments (raising
            TypeError/ValueError) and returns what all ranks must agree on (a tuple
            starting with ``where``) and what the caller needs.

    Returns:
        ``state``.

    Raises:
        the rank's own TypeError/ValueError, or a RuntimeError naming every rank's call
        when another rank's arguments are wrong or the calls differ (on every rank).
    """
    try:
        meta, state = prepare()
        error = None
    except (TypeError, ValueError) as err:
        meta, state, error = None, None, err
    if pg.size() == 1:
        if error is not None:
            raise error
        return state
    infos = pg.comm.allgather((meta, None if error is None
                               else f"{type(error).__name__}: {error}"))
    if error is not None:
        raise error
    failed = [(r, e) for r, (_, e) in enumerate(infos) if e is not None]
    if failed:
        rank, message = failed[0]
        raise RuntimeError(f"{where}: rank {rank} could not take part ({message}); no rank "
                           f"has sent any data")
    metas = [m for m, _ in infos]
    if any(m != metas[0] for m in metas):
        calls = "; ".join(f"rank {r}: {_text(m)}" for r, m in enumerate(metas))
        raise RuntimeError(f"{where}: the ranks' calls do not match ({calls}); every rank "
                           f"must call the same collective with tensors of the same shape "
                           f"and dtype")
    return state


def group_root(pg, where, src, group_src, name="src"):
    """The group rank of the root, from a global rank ``src`` or a group rank
    ``group_src`` (exactly one of them, as PyTorch).

    Raises:
        ValueError: both or neither given, or a rank outside the group.
    """
    if src is not None and group_src is not None:
        raise ValueError(f"{where}: can't specify both {name}= and group_{name}=")
    if src is None and group_src is None:
        raise ValueError(f"{where}: must specify {name}= (a global rank) or group_{name}=")
    if group_src is not None:
        if isinstance(group_src, bool) or not isinstance(group_src, (int, np.integer)) or \
                not 0 <= group_src < pg.size():
            raise ValueError(f"{where}: group_{name}={group_src!r} is not a rank of the group "
                             f"(0..{pg.size() - 1})")
        return int(group_src)
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or src not in pg.ranks:
        raise ValueError(f"{where}: {name}={src!r} is not a rank of the group (its global "
                         f"ranks are {pg.ranks})")
    return pg.ranks.index(int(src))


def tensor_list(items, n, shape_dtype, where, name):
    """Arrays of ``items``: a list of ``n`` tensors each of ``shape_dtype``.

    Raises:
        ValueError/TypeError: not a list of n, or a tensor of another shape or dtype.
    """
    if not isinstance(items, (list, tuple)) or len(items) != n:
        got = len(items) if isinstance(items, (list, tuple)) else type(items).__name__
        raise ValueError(f"{where}: {name} must be a list of {n} tensors (one per rank), "
                         f"received {got}")
    arrays = [array_of(t, where, f"{name}[{i}]") for i, t in enumerate(items)]
    for i, a in enumerate(arrays):
        if describe(a) != shape_dtype:
            raise ValueError(f"{where}: {name}[{i}] is {a.dtype.name} {tuple(a.shape)}, "
                             f"expected {shape_dtype[1]} {shape_dtype[0]} like the tensor")
    return arrays
