"""Tensor methods that are ops: arithmetic, comparisons, math, reductions, shape.

Each method is a one-line call into :mod:`deepgrad.ops`, where the op's forward and
backward are written side by side. Reductions accept both PyTorch's ``dim``/``keepdim``
and NumPy's ``axis``/``keepdims``.
"""
from deepgrad import ops


def _dims(dim, axis):
    """PyTorch's ``dim`` or NumPy's ``axis`` (a list becomes a tuple)."""
    d = axis if dim is None else dim
    return tuple(d) if isinstance(d, list) else d


def _shape_args(shape):
    """``reshape(2, 3)`` and ``reshape((2, 3))`` both give ``(2, 3)``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


class TensorMath:
    __slots__ = ()

    # arithmetic -------------------------------------------------------------------------
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    matmul = __matmul__
    mm = __matmul__
    neg = __neg__

    # comparisons (no gradient) ----------------------------------------------------------
    def __eq__(self, other):
        return ops.eq(self, other)

    def __ne__(self, other):
        return ops.ne(self, other)

    def __lt__(self, other):
        return ops.lt(self, other)

    def __le__(self, other):
        return ops.le(self, other)

    def __gt__(self, other):
        return ops.gt(self, other)

    def __ge__(self, other):
        return ops.ge(self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    # elementwise math -------------------------------------------------------------------
    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def clamp(self, min=None, max=None):
        return ops.clip(self, min, max)

    clip = clamp

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    def relu(self):
        return ops.relu(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def tanh(self):
        return ops.tanh(self)

    def softmax(self, dim=-1):
        return ops.softmax(self, dim)

    def log_softmax(self, dim=-1):
        return ops.log_softmax(self, dim)

    def clone(self):
        return ops.clone(self)

    def type(self, dtype):
        return ops.cast(self, dtype)

    # reductions -------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.sum(self, _dims(dim, axis), keepdim if keepdims is None else keepdims)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.mean(self, _dims(dim, axis), keepdim if keepdims is None else keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """``max()`` -> scalar; ``max(dim)`` -> (values, indices) as PyTorch;
        ``max(axis=)`` -> values as NumPy; ``max(tensor)`` -> elementwise maximum."""
        if dim is not None and not isinstance(dim, int):
            return ops.maximum(self, dim)
        if dim is not None:
            return ops.max_with_indices(self, dim, keepdim)
        return ops.amax(self, _dims(None, axis), keepdim if keepdims is None else keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Like :meth:`max`, for the minimum."""
        if dim is not None and not isinstance(dim, int):
            return ops.minimum(self, dim)
        if dim is not None:
            return ops.min_with_indices(self, dim, keepdim)
        return ops.amin(self, _dims(None, axis), keepdim if keepdims is None else keepdims)

    def amax(self, dim=None, keepdim=False):
        return ops.amax(self, _dims(dim, None), keepdim)

    def amin(self, dim=None, keepdim=False):
        return ops.amin(self, _dims(dim, None), keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None, ddof=None):
        """Variance; PyTorch's default ``correction=1`` (unbiased), NumPy's ``ddof`` accepted."""
        corr = _correction(unbiased, correction, ddof)
        return ops.var(self, _dims(dim, axis), corr, keepdim if keepdims is None else keepdims)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None, ddof=None):
        corr = _correction(unbiased, correction, ddof)
        return ops.std(self, _dims(dim, axis), corr, keepdim if keepdims is None else keepdims)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.logsumexp(self, _dims(dim, axis), keepdim if keepdims is None else keepdims)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.argmax(self, _dims(dim, axis), keepdim if keepdims is None else keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.argmin(self, _dims(dim, axis), keepdim if keepdims is None else keepdims)

    def norm(self, p=2, dim=None, keepdim=False):
        return ops.norm(self, p, _dims(dim, None), keepdim)

    # shape ------------------------------------------------------------------------------
    def reshape(self, *shape):
        return ops.reshape(self, _shape_args(shape))

    view = reshape

    def view_as(self, other):
        return ops.reshape(self, other.shape)

    def transpose(self, dim0=None, dim1=None, *axes):
        """PyTorch's ``transpose(dim0, dim1)`` swaps two dims; with no or >2 arguments it
        permutes as NumPy does."""
        if dim0 is not None and dim1 is not None and not axes:
            return ops.transpose(self, dim0, dim1)
        if dim0 is None:
            return ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))
        return ops.permute(self, _shape_args((dim0,) if dim1 is None else (dim0, dim1) + axes))

    def t(self):
        return ops.transpose(self, 0, 1) if self.ndim == 2 else self

    def permute(self, *dims):
        return ops.permute(self, _shape_args(dims))

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def expand(self, *sizes):
        return ops.expand(self, _shape_args(sizes))

    def expand_as(self, other):
        return ops.expand(self, other.shape)

    def repeat(self, *sizes):
        return ops.repeat(self, _shape_args(sizes))

    def split(self, split_size_or_sections, dim=0):
        return ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def _correction(unbiased, correction, ddof):
    if correction is not None:
        return correction
    if ddof is not None:
        return ddof
    if unbiased is not None:
        return 1 if unbiased else 0
    return 1
