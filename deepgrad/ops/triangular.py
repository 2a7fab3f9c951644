"""Triangles and diagonals: tril/triu, diagonal, diag_embed, diag, diagflat, the
``*_scatter`` ops that write one slice back (diagonal, select, slice), and the index
helpers tril_indices/triu_indices.

A diagonal with ``offset`` in the plane of (dim1, dim2) is the elements
x[..., i, i + offset] (offset >= 0) or x[..., i - offset, i] (offset < 0), with the other
axes kept in order and the diagonal as the new last axis. Reading a diagonal and writing
one are each other's backward:

    diagonal:          dL/dx = G placed on the diagonal of zeros
    diagonal_scatter:  dL/dx = G with its diagonal zeroed,  dL/dsrc = diagonal of G
    tril / triu:       dL/dx = tril(G) / triu(G)  (the kept triangle passes, the rest is 0)
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import normalize_axis
from deepgrad.ops.shape import reshape
from deepgrad.ops.indexing import IndexPut


class Triangle(Function):
    """out = tril(x, k) or triu(x, k) on the last two axes; backward keeps the same triangle of G."""

    def forward(self, x, k=0, upper=False):
        self.k, self.upper = k, upper
        return np.triu(x, k) if upper else np.tril(x, k)

    def backward(self, g):
        return np.triu(g, self.k) if self.upper else np.tril(g, self.k)


def diagonal_positions(shape, offset, d1, d2):
    """(i, j): the diagonal is ``np.moveaxis(x, (d1, d2), (-2, -1))[..., i, j]``."""
    rows, cols = shape[d1], shape[d2]
    if offset >= 0:
        n = max(0, min(rows, cols - offset))
        return np.arange(n), np.arange(n) + offset
    n = max(0, min(rows + offset, cols))
    return np.arange(n) - offset, np.arange(n)


class Diagonal(Function):
    """out = the diagonal (see module doc); backward puts G on the diagonal of zeros."""

    def forward(self, x, offset=0, dims=(0, 1)):
        self.shape, self.dims = x.shape, dims
        self.pos = diagonal_positions(x.shape, offset, *dims)
        return np.moveaxis(x, dims, (-2, -1))[(Ellipsis,) + self.pos]

    def backward(self, g):
        out = np.zeros(self.shape, dtype=g.dtype)
        np.moveaxis(out, self.dims, (-2, -1))[(Ellipsis,) + self.pos] = g
        return out


class DiagonalScatter(Function):
    """out = x with its diagonal replaced by src; dL/dx = G off the diagonal, dL/dsrc =
    the diagonal of G."""

    def forward(self, x, src, offset=0, dims=(0, 1)):
        self.dims = dims
        self.pos = diagonal_positions(x.shape, offset, *dims)
        out = x.copy()
        np.moveaxis(out, dims, (-2, -1))[(Ellipsis,) + self.pos] = src
        return out

    def backward(self, g):
        where = (Ellipsis,) + self.pos
        gx = gs = None
        if self.needs_grad[0]:
            gx = g.copy()
            np.moveaxis(gx, self.dims, (-2, -1))[where] = 0
        if self.needs_grad[1]:
            gs = np.moveaxis(g, self.dims, (-2, -1))[where]
        return gx, gs


def _matrix_check(name, x):
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions, received shape "
                           f"{tuple(x.shape)}")


def tril(input, diagonal=0):
    """The lower triangle of the last two axes: out[..., i, j] = x[..., i, j] if
    j - i <= diagonal else 0.   dL/dx = tril(G, diagonal)."""
    x = to_tensor(input)
    _matrix_check("tril", x)
    return Triangle.apply(x, k=int(diagonal), upper=False)


def triu(input, diagonal=0):
    """The upper triangle of the last two axes: out[..., i, j] = x[..., i, j] if
    j - i >= diagonal else 0.   dL/dx = triu(G, diagonal)."""
    x = to_tensor(input)
    _matrix_check("triu", x)
    return Triangle.apply(x, k=int(diagonal), upper=True)


def _plane(name, x, dim1, dim2, ndim=None):
    ndim = x.ndim if ndim is None else ndim
    d1, d2 = normalize_axis(dim1, ndim), normalize_axis(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"{name}: dim1 and dim2 cannot be the same dimension, received "
                           f"{dim1} and {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` of the plane (dim1, dim2) as the last axis (see module doc)."""
    x = to_tensor(input)
    _matrix_check("diagonal", x)
    return Diagonal.apply(x, offset=int(offset), dims=_plane("diagonal", x, dim1, dim2))


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """input with its diagonal ``offset`` of the plane (dim1, dim2) replaced by ``src``,
    which has the shape ``diagonal(input, offset, dim1, dim2)`` has."""
    x, src = to_tensor(input), to_tensor(src)
    _matrix_check("diagonal_scatter", x)
    dims = _plane("diagonal_scatter", x, dim1, dim2)
    i, _ = diagonal_positions(x.shape, int(offset), *dims)
    want = tuple(n for k, n in enumerate(x.shape) if k not in dims) + (i.size,)
    if tuple(src.shape) != want:
        raise RuntimeError(f"diagonal_scatter: src must have the diagonal's shape {want}, "
                           f"received {tuple(src.shape)}")
    _same(x, src, "diagonal_scatter")
    return DiagonalScatter.apply(x, src, offset=int(offset), dims=dims)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices with the last axis of ``input`` on their diagonal ``offset`` in the plane
    (dim1, dim2) of the output (which has one more axis), zeros elsewhere.

    Shape: (*, n) -> the output has n + |offset| at dim1 and dim2, * elsewhere in order.
    dL/dinput = the diagonal of G.
    """
    x = to_tensor(input)
    if x.ndim == 0:
        raise RuntimeError("diag_embed: input must have at least 1 dimension")
    d1, d2 = _plane("diag_embed", x, dim1, dim2, x.ndim + 1)
    m = x.shape[-1] + abs(int(offset))
    batch = iter(x.shape[:-1])
    shape = tuple(m if k in (d1, d2) else next(batch) for k in range(x.ndim + 1))
    zeros = _fn._Tensor._wrap(np.zeros(shape, dtype=x.dtype))
    return DiagonalScatter.apply(zeros, x, offset=int(offset), dims=(d1, d2))


def diag(input, diagonal=0):
    """1-D input: the square matrix with it on diagonal ``diagonal``; 2-D input: that
    diagonal, as a 1-D tensor."""
    x = to_tensor(input)
    if x.ndim == 1:
        return diag_embed(x, diagonal, 0, 1)
    if x.ndim == 2:
        return Diagonal.apply(x, offset=int(diagonal), dims=(0, 1))
    raise RuntimeError(f"diag: expected a 1-d or 2-d tensor, received shape {tuple(x.shape)}")


def diagflat(input, offset=0):
    """The square matrix with the flattened input on diagonal ``offset``."""
    return diag_embed(reshape(to_tensor(input), (-1,)), offset, 0, 1)


def _same(x, src, name):
    if src.dtype != x.dtype:
        raise TypeError(f"{name}: src has dtype {src.dtype}, the input {x.dtype}")


def _scatter_slice(name, x, src, index):
    want = np.broadcast_to(np.empty((), dtype=np.bool_), x.shape)[index].shape
    if tuple(src.shape) != want:
        raise RuntimeError(f"{name}: src must have shape {want}, received {tuple(src.shape)}")
    _same(x, src, name)
    return IndexPut.apply(x, src, index=index)


def select_scatter(input, src, dim, index):
    """input with the slice ``input.select(dim, index)`` replaced by ``src`` (that shape).
    dL/dinput = G with that slice zeroed;  dL/dsrc = the slice of G."""
    x, src = to_tensor(input), to_tensor(src)
    d = normalize_axis(dim, x.ndim)
    n, i = x.shape[d], int(index)
    if not -n <= i < n:
        raise IndexError(f"select_scatter: index {i} is out of range for dim {dim} of size {n}")
    return _scatter_slice("select_scatter", x, src, (slice(None),) * d + (i % n,))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """input with the slice [start:end:step] along ``dim`` replaced by ``src`` (that
    slice's shape). dL/dinput = G with the slice zeroed;  dL/dsrc = the slice of G."""
    x, src = to_tensor(input), to_tensor(src)
    d = normalize_axis(dim, x.ndim)
    if int(step) <= 0:
        raise RuntimeError(f"slice_scatter: step must be positive, received {step}")
    index = (slice(None),) * d + (slice(start, end, int(step)),)
    return _scatter_slice("slice_scatter", x, src, index)


def fill_diagonal(input, fill_value, wrap=False):
    """``input`` with its main diagonal x[i, i, ..., i] set to ``fill_value`` (all dims of
    equal length when more than 2); a tall matrix restarts the diagonal every n + 1 rows
    when ``wrap``. Out of place; ``Tensor.fill_diagonal_`` writes it back."""
    from deepgrad.ops.indexing import masked_fill
    x = to_tensor(input)
    _matrix_check("fill_diagonal_", x)
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of the input must be of equal "
                           f"length, received shape {tuple(x.shape)}")
    mask = np.zeros(x.shape, dtype=np.bool_)
    np.fill_diagonal(mask, True, wrap=bool(wrap))
    return masked_fill(x, mask, fill_value)


def _triangle_indices(name, row, col, offset, dtype, device, upper):
    if device is not None and str(getattr(device, "type", device)).split(":")[0] != "cpu":
        raise RuntimeError(f"{name}: deepgrad runs on the CPU only; received device {device!r}")
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"{name}: dtype must be an integer dtype, received {dtype}")
    row, col, offset = int(row), int(col), int(offset)
    if row < 0 or col < 0:
        raise RuntimeError(f"{name}: row and col must be non-negative, received {row}, {col}")
    pick = np.triu_indices if upper else np.tril_indices
    i, j = pick(row, offset, col)
    return _fn._Tensor._wrap(np.stack([i, j]).astype(dtype))


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (2, N) coordinates of the lower triangle (j - i <= offset) of a row x col
    matrix, row by row."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, device, upper=False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (2, N) coordinates of the upper triangle (j - i >= offset) of a row x col
    matrix, row by row."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, device, upper=True)
