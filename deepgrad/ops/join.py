"""Ops that join or combine tensors: the stacks (hstack, vstack, dstack, column_stack),
broadcasting several tensors together, meshgrid, cartesian_prod, combinations,
block_diag and vander.

All are compositions of differentiable primitives (expand, reshape, cat, stack, getitem,
mul), so their gradients come from the chain rule: each input gets back the part of G that
came from it (summed over the copies broadcasting or indexing made).
"""
import itertools

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops.shape import cat, expand, getitem, reshape, stack


def _tensor_list(name, tensors):
    """``f(a, b)`` and ``f([a, b])`` both give [a, b]."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tensors[0]
    return [to_tensor(t) for t in tensors]


def broadcast_shapes(*shapes):
    """The shape that tensors of the given shapes broadcast to (ints count as 1-D shapes).

    Example: broadcast_shapes((2, 1), (3,)) == (2, 3).
    """
    shapes = [(int(s),) if isinstance(s, (int, np.integer)) else tuple(int(n) for n in s)
              for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {', '.join(map(str, shapes))} cannot be "
                           f"broadcast together") from None


def broadcast_tensors(*tensors):
    """Expand every tensor to their common broadcast shape (dL/dt sums G back)."""
    ts = _tensor_list("broadcast_tensors", tensors)
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(expand(t, shape) for t in ts)


def _atleast(name, ndim, tensors):
    ts = _tensor_list(name, tensors)
    out = []
    for t in ts:
        if t.ndim >= ndim:
            out.append(t)
        elif ndim == 3 and t.ndim == 2:
            out.append(reshape(t, t.shape + (1,)))
        elif ndim == 3 and t.ndim == 1:
            out.append(reshape(t, (1,) + t.shape + (1,)))
        else:
            out.append(reshape(t, (1,) * (ndim - t.ndim) + t.shape))
    single = len(tensors) == 1 and not isinstance(tensors[0], (tuple, list))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d -> (1,)); one tensor in, one out, else a tuple."""
    return _atleast("atleast_1d", 1, tensors)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: () -> (1, 1), (n,) -> (1, n)."""
    return _atleast("atleast_2d", 2, tensors)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: () -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _atleast("atleast_3d", 3, tensors)


def hstack(tensors):
    """Concatenate horizontally: along dim 1, or dim 0 for 1-D tensors (0-d become 1-D)."""
    ts = atleast_1d(list(tensors))
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    """Concatenate vertically: along dim 0 after ``atleast_2d`` ((n,) rows become (1, n))."""
    return cat(atleast_2d(list(tensors)), 0)


row_stack = vstack


def dstack(tensors):
    """Concatenate depth-wise: along dim 2 after ``atleast_3d``."""
    return cat(atleast_3d(list(tensors)), 2)


def column_stack(tensors):
    """Stack as columns: 0-d and 1-d tensors become (n, 1) columns, then cat along dim 1."""
    ts = [to_tensor(t) for t in tensors]
    ts = [reshape(t, (t.array.size, 1)) if t.ndim <= 1 else t for t in ts]
    return cat(ts, 1)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D (or 0-d) tensors t_1..t_k: output i has shape
    (n_1, ..., n_k) and holds t_i's values along axis i ('ij', the default, as PyTorch's
    current behaviour) or, with 'xy', with the first two axes swapped (Cartesian, as NumPy).
    Each output is t_i expanded, so dL/dt_i sums G_i over the other axes."""
    ts = _tensor_list("meshgrid", tensors)
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', received {indexing!r}")
    for k, t in enumerate(ts):
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0-d or 1-d tensors, tensor {k} has shape "
                               f"{tuple(t.shape)}")
    sizes = [t.array.size for t in ts]
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        axes[0], axes[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for t, a in zip(ts, axes):
        view = [1] * len(ts)
        view[a] = t.array.size
        out.append(expand(reshape(t, tuple(view)), tuple(sizes)))
    return tuple(out)


def cartesian_prod(*tensors):
    """All tuples (a_1, ..., a_k) of elements of the 1-D inputs, in row-major order, as a
    (n_1 * ... * n_k, k) tensor (itertools.product); one input comes back 1-D."""
    ts = _tensor_list("cartesian_prod", tensors)
    for k, t in enumerate(ts):
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: expected 1-d tensors, tensor {k} has shape "
                               f"{tuple(t.shape)}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the elements of a 1-D tensor (itertools'
    combinations, or combinations_with_replacement), as an (N, r) tensor; r=0 gives an
    empty 1-D tensor."""
    x = to_tensor(input)
    if x.ndim != 1:
        raise RuntimeError(f"combinations: expected a 1-d tensor, received shape {tuple(x.shape)}")
    r = int(r)
    if r < 0:
        raise RuntimeError(f"combinations: r must be non-negative, received {r}")
    if r == 0:
        return getitem(x, slice(0, 0))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(pick(range(x.shape[0]), r)), dtype=np.intp).reshape(-1, r)
    return getitem(x, index)


def _common_float(name, ts):
    """One dtype for all: integers and bools join a float tensor's dtype; float32 with
    float64 is refused (deepgrad never upcasts silently)."""
    from deepgrad.ops.elementwise import cast
    floats = {t.dtype for t in ts if t.dtype.kind == "f"}
    if len(floats) > 1:
        raise TypeError(f"{name}: tensors have dtypes {sorted(map(str, floats))}; deepgrad "
                        f"never upcasts silently. Cast them to one dtype first.")
    if floats:
        dtype = floats.pop()
    else:
        dtype = np.result_type(*[t.dtype for t in ts]) if ts else np.dtype(np.float32)
    return [cast(t, dtype) for t in ts], dtype


def block_diag(*tensors):
    """A block-diagonal matrix with the inputs (0-d -> 1x1, 1-d -> one row, 2-d as is) on
    its diagonal and zeros elsewhere; no input gives a (1, 0) float tensor.

    dL/dt_i is the block of G where t_i sits.
    """
    ts = [to_tensor(t) for t in tensors]
    for k, t in enumerate(ts):
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: input {k} must have 2 or fewer dimensions, "
                               f"received shape {tuple(t.shape)}")
    ts, dtype = _common_float("block_diag", ts)
    ts = [reshape(t, (1, 1) if t.ndim == 0 else (1, t.shape[0])) if t.ndim < 2 else t
          for t in ts]
    if not ts:
        return _fn._Tensor._wrap(np.zeros((1, 0), dtype=dtype))
    width = sum(t.shape[1] for t in ts)
    rows, left = [], 0
    for t in ts:
        r, c = t.shape
        zl = _fn._Tensor._wrap(np.zeros((r, left), dtype=dtype))
        zr = _fn._Tensor._wrap(np.zeros((r, width - left - c), dtype=dtype))
        rows.append(cat([zl, t, zr], 1))
        left += c
    return cat(rows, 0)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D tensor: out[i, j] = x[i] ** (N - 1 - j), or
    x[i] ** j with ``increasing``; N defaults to len(x). Built by repeated products
    (x^k = x^(k-1) * x), so d out[i, j] / d x[i] = k x[i]^(k-1) holds at x = 0 too."""
    from deepgrad.ops.elementwise import mul
    from deepgrad.ops.rearrange import flip
    x = to_tensor(x)
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a 1-d tensor, received shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError(f"vander: N must be non-negative, received {n}")
    if n == 0:
        return _fn._Tensor._wrap(np.zeros((x.shape[0], 0), dtype=x.dtype))
    cols = [_fn._Tensor._wrap(np.ones(x.shape, dtype=x.dtype))]
    for _ in range(n - 1):
        cols.append(mul(cols[-1], x))
    out = stack(cols, 1)
    return out if increasing else flip(out, (1,))
