"""Positions: ``nonzero`` / ``argwhere`` / ``where(condition)`` (where a tensor is
non-zero), ``nonzero_static`` (the same, padded to a fixed count) and ``unravel_index``
(flat indices to coordinates). Integer results, no gradients.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops import elementwise as _elementwise
from deepgrad.ops.indexing import _index_array


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, one row per element in
    row-major order, or with ``as_tuple`` one 1-D tensor per dimension (a 0-d input acts as
    1-D). Not differentiable."""
    x = to_tensor(input)
    T = _fn._Tensor
    if as_tuple:
        return tuple(T._wrap(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(x.array)))
    return T._wrap(np.argwhere(x.array).astype(np.int64))


def nonzero_static(input, *, size, fill_value=-1):
    """``nonzero(input)`` with exactly ``size`` rows: truncated, or padded with rows of
    ``fill_value``."""
    size = int(size)
    if size < 0:
        raise RuntimeError(f"nonzero_static: size must be non-negative, received {size}")
    idx = nonzero(input).array[:size]
    pad = np.full((size - idx.shape[0], idx.shape[1]), fill_value, dtype=np.int64)
    return _fn._Tensor._wrap(np.concatenate([idx, pad], axis=0))


def argwhere(input):
    """``nonzero(input)``: the (n, ndim) indices of the non-zero elements."""
    return nonzero(input)


def where(condition, input=None, other=None):
    """``torch.where``: with one argument ``nonzero(condition, as_tuple=True)``; with three,
    ``input`` where condition else ``other`` (elementwise, differentiable)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: expected where(condition) or where(condition, input, other)")
    return _elementwise.where(condition, input, other)


def unravel_index(indices, shape):
    """The coordinates in a tensor of ``shape`` of flat (row-major) ``indices``: a tuple of
    int64 tensors shaped like ``indices``, one per dimension. As PyTorch, indices are taken
    modulo the size (so -1 is the last element)."""
    idx = _index_array("unravel_index", indices, "indices").astype(np.int64)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"unravel_index: shape must not contain negative sizes, received {shape}")
    if int(np.prod(shape, dtype=np.int64)) == 0 and idx.size:
        raise ValueError(f"unravel_index: cannot unravel indices into the empty shape {shape}")
    coords = []
    for n in reversed(shape):
        coords.append(idx % n)
        idx = idx // n
    return tuple(_fn._Tensor._wrap(c) for c in reversed(coords))
