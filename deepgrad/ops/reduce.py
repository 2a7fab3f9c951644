"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, argmax/argmin, norms,
the NaN-ignoring sums, all/any/count_nonzero, and the paired aminmax/std_mean/var_mean.

``axis`` is an int, a tuple of ints or None (all axes); ``keepdims`` keeps reduced
axes as size 1. Each backward expands the incoming gradient back over the reduced axes.
"""
from collections import namedtuple

import numpy as np

from deepgrad import backend
from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import expand_reduced, normalize_axis, reduced_count, reduction_axis
from deepgrad.ops.elementwise import cast, sqrt, where
from deepgrad.ops.norms import VectorNorm, matrix_norm

MaxResult = namedtuple("MaxResult", ["values", "indices"])
AminmaxResult = namedtuple("aminmax", ["min", "max"])


class Sum(Function):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return np.asarray(x.sum(axis=axis, keepdims=keepdims))

    def backward(self, g):
        return np.broadcast_to(expand_reduced(g, self.shape, self.axis, self.keepdims), self.shape)


class Mean(Function):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        self.n = reduced_count(x.shape, axis)
        return np.asarray(x.mean(axis=axis, keepdims=keepdims))

    def backward(self, g):
        g = expand_reduced(g, self.shape, self.axis, self.keepdims) / np.asarray(self.n, g.dtype)
        return np.broadcast_to(g, self.shape)


class Amax(Function):
    """max (or, with ``minimum``, min) over ``axis``; at ties the gradient is shared
    equally (PyTorch's amax/amin)."""

    def forward(self, x, axis=None, keepdims=False, minimum=False):
        self.x, self.axis, self.keepdims = x, axis, keepdims
        reduce = x.min if minimum else x.max
        self.out = np.asarray(reduce(axis=axis, keepdims=keepdims))
        return self.out

    def backward(self, g):
        out = expand_reduced(self.out, self.x.shape, self.axis, self.keepdims)
        mask = (self.x == out)
        count = mask.sum(axis=self.axis, keepdims=True)
        g = expand_reduced(g, self.x.shape, self.axis, self.keepdims)
        return mask * (g / count.astype(g.dtype))


class MaxAlongAxis(Function):
    """max over one axis, the gradient going to the index returned (``torch.max(dim)``)."""

    def forward(self, x, axis=0, keepdims=False, indices=None):
        self.shape, self.axis, self.keepdims, self.indices = x.shape, axis, keepdims, indices
        out = np.take_along_axis(x, indices, axis=axis)
        return out if keepdims else np.squeeze(out, axis=axis)

    def backward(self, g):
        if not self.keepdims:
            g = np.expand_dims(g, self.axis)
        out = np.zeros(self.shape, dtype=g.dtype)
        np.put_along_axis(out, self.indices, g, axis=self.axis)
        return out


class LogSumExp(Function):
    def forward(self, x, axis=None, keepdims=False):
        m = x.max(axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        self.e = np.exp(x - m)
        s = self.e.sum(axis=axis, keepdims=True)
        self.s, self.shape, self.axis, self.keepdims = s, x.shape, axis, keepdims
        out = np.log(s) + m
        return out if keepdims else np.asarray(np.squeeze(out, axis=axis))

    def backward(self, g):
        # d/dx_i log sum_j e^{x_j} = softmax(x)_i
        return expand_reduced(g, self.shape, self.axis, self.keepdims) * (self.e / self.s)


def sum(x, dim=None, keepdim=False):
    """Sum over ``dim`` (unsigned integers sum in int64, as PyTorch).   d/dx_i = 1."""
    x = to_tensor(x)
    if x.array.dtype.kind == "u":
        x = _fn._Tensor._wrap(x.array.astype(np.int64))
    return Sum.apply(x, axis=reduction_axis(dim, x.ndim), keepdims=keepdim)


def mean(x, dim=None, keepdim=False):
    """Mean over ``dim`` (n elements).   d/dx_i = 1/n."""
    x = to_tensor(x)
    if x.array.dtype.kind not in "fc":
        raise TypeError(f"mean: expected a floating point tensor, received dtype {x.dtype}")
    return Mean.apply(x, axis=reduction_axis(dim, x.ndim), keepdims=keepdim)


def amax(x, dim=None, keepdim=False):
    """Maximum over ``dim`` (all axes by default); ties share the gradient."""
    x = to_tensor(x)
    axis = reduction_axis(dim, x.ndim)
    _check_nonempty("amax", x, axis)
    return Amax.apply(x, axis=axis, keepdims=keepdim)


def amin(x, dim=None, keepdim=False):
    """Minimum over ``dim`` (all axes by default); ties share the gradient."""
    x = to_tensor(x)
    axis = reduction_axis(dim, x.ndim)
    _check_nonempty("amin", x, axis)
    return Amax.apply(x, axis=axis, keepdims=keepdim, minimum=True)


def _check_nonempty(name, x, axis):
    """A max/min needs something to reduce: every reduced axis must be non-empty (an
    empty tensor reduced over its other axes gives an empty result, as in PyTorch)."""
    axes = range(x.ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if x.shape[a] == 0:
            raise RuntimeError(f"{name}: expected a non-empty tensor, received shape "
                               f"{tuple(x.shape)} (reduction dim {a} has size zero)")


def max_with_indices(x, dim, keepdim=False):
    """``torch.max(x, dim)``: (values, indices) along ``dim``; the gradient goes to the index."""
    return _along_dim("max", np.argmax, x, dim, keepdim)


def min_with_indices(x, dim, keepdim=False):
    """``torch.min(x, dim)``: (values, indices) along ``dim``."""
    return _along_dim("min", np.argmin, x, dim, keepdim)


def _along_dim(name, argfn, x, dim, keepdim):
    x = to_tensor(x)
    axis = reduction_axis(dim, x.ndim)
    _check_nonempty(name, x, axis)
    if axis is None:               # a 0-d tensor: itself, at index 0
        values, indices = _along_dim(name, argfn, x.reshape(1), 0, False)
        return MaxResult(values, indices)
    idx = np.expand_dims(argfn(x.array, axis=axis), axis)
    values = MaxAlongAxis.apply(x, axis=axis, keepdims=keepdim, indices=idx)
    return MaxResult(values, _fn._Tensor._wrap(idx if keepdim else np.squeeze(idx, axis)))


def var(x, dim=None, correction=1, keepdim=False):
    """Variance: sum (x - mean)^2 / (n - correction); PyTorch's default correction=1.

    Built from mean, sub and mul, so its gradient 2 (x - mean) / (n - correction) comes
    from the chain rule.
    """
    x = to_tensor(x)
    axis = reduction_axis(dim, x.ndim)
    n = reduced_count(x.shape, axis)
    d = x - mean(x, axis, keepdim=True)
    return sum(d * d, axis, keepdim) * (1.0 / max(n - correction, 0) if n > correction else float("nan"))


def std(x, dim=None, correction=1, keepdim=False):
    """Standard deviation sqrt(var)."""
    return sqrt(var(x, dim, correction, keepdim))


def logsumexp(x, dim=None, keepdim=False):
    """ln sum_i e^{x_i}, computed as m + ln sum_i e^{x_i - m} (m = max, no overflow).

    d/dx_i = softmax(x)_i. Integer and bool inputs give the default float dtype.
    """
    x = to_tensor(x)
    if x.array.dtype.kind in "biu":
        x = _fn._Tensor._wrap(x.array.astype(backend.default_float))
    return LogSumExp.apply(x, axis=reduction_axis(dim, x.ndim), keepdims=keepdim)


def _dim_alias(name, dim, axis):
    """``dim``, or ``axis`` when given instead (PyTorch's NumPy-style alias); both at once
    is a TypeError, as in PyTorch."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{name}() got both `dim` and its alias `axis`")
    return axis


def argmax(x, dim=None, keepdim=False, *, axis=None):
    """Index of the maximum (flattened when ``dim`` is None; ``axis=`` is PyTorch's alias
    of ``dim``); int64, no gradient."""
    dim = _dim_alias("argmax", dim, axis)
    x = to_tensor(x)
    axis = reduction_axis(dim, x.ndim)
    _check_nonempty("argmax", x, axis)
    return _fn._Tensor._wrap(np.asarray(np.argmax(x.array, axis=axis, keepdims=keepdim), np.int64))


def argmin(x, dim=None, keepdim=False, *, axis=None):
    """Index of the minimum (``axis=``: PyTorch's alias of ``dim``); int64, no gradient."""
    dim = _dim_alias("argmin", dim, axis)
    x = to_tensor(x)
    axis = reduction_axis(dim, x.ndim)
    _check_nonempty("argmin", x, axis)
    return _fn._Tensor._wrap(np.asarray(np.argmin(x.array, axis=axis, keepdims=keepdim), np.int64))




class Prod(Function):
    """prod over ``axis``.   d/dx_i = prod_{j != i} x_j, the product of the others
    (exclusive cumulative products from both sides: right with zeros, no division)."""

    def forward(self, x, axis=None, keepdims=False):
        self.x, self.axis, self.keepdims = x, axis, keepdims
        return np.asarray(np.prod(x, axis=axis, keepdims=keepdims))

    def backward(self, g):
        x = self.x
        flat = x.reshape(1, -1) if self.axis is None else np.moveaxis(x, self.axis, -1)
        ones = np.ones(flat.shape[:-1] + (1,), flat.dtype)
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
        others = left * right
        others = (others.reshape(x.shape) if self.axis is None
                  else np.moveaxis(others, -1, self.axis))
        return expand_reduced(g, x.shape, self.axis, self.keepdims) * others


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of the elements (over one ``dim`` when given); integers and bools give
    int64, as PyTorch; ``dtype`` casts the input first.

    d/dx_i = prod_{j != i} x_j (correct with zeros in the input).
    """
    x = _cast_for_reduction(input, dtype)
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod: dim must be a single int, received {dim!r}")
    axis = reduction_axis(dim, x.ndim)
    if x.array.dtype.kind in "biu" and x.array.dtype != np.int64:
        x = _fn._Tensor._wrap(x.array.astype(np.int64))
    return Prod.apply(x, axis=axis, keepdims=keepdim)


def _cast_for_reduction(x, dtype):
    x = to_tensor(x)
    return x if dtype is None else cast(x, dtype)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum treating NaN as 0.   d/dx_i = 1 where x_i is not NaN, else 0."""
    x = _cast_for_reduction(input, dtype)
    if x.array.dtype.kind == "f":
        x = where(_fn._Tensor._wrap(np.isnan(x.array)), 0.0, x)
    return sum(x, dim, keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of the non-NaN elements: nansum / (count of non-NaN); NaN where all are NaN."""
    x = _cast_for_reduction(input, dtype)
    if x.array.dtype.kind != "f":
        raise TypeError(f"nanmean: expected input to have a floating point dtype, received "
                        f"{x.dtype}")
    axis = reduction_axis(dim, x.ndim)
    count = np.sum(~np.isnan(x.array), axis=axis, keepdims=keepdim).astype(x.array.dtype)
    with np.errstate(invalid="ignore"):         # all-NaN slices: 0 / 0 = NaN, as PyTorch
        return nansum(x, dim, keepdim) / _fn._Tensor._wrap(np.asarray(count))


def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``: an int, a tuple or None) is nonzero.

    bool result (uint8 for a uint8 input, as PyTorch); not differentiable.
    """
    return _logical_reduce(np.all, input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """True where some element (over ``dim``) is nonzero."""
    return _logical_reduce(np.any, input, dim, keepdim)


def _logical_reduce(fn, input, dim, keepdim):
    x = to_tensor(input)
    axis = reduction_axis(dim, x.ndim)
    out = np.asarray(fn(x.array, axis=axis, keepdims=keepdim))
    if x.array.dtype == np.uint8:
        out = out.astype(np.uint8)
    return _fn._Tensor._wrap(out)


def count_nonzero(input, dim=None):
    """How many elements are nonzero, over ``dim`` (int, tuple or None); int64."""
    x = to_tensor(input)
    axis = reduction_axis(dim, x.ndim)
    return _fn._Tensor._wrap(np.asarray(np.count_nonzero(x.array, axis=axis), dtype=np.int64))


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over ``dim`` (all elements by default) as a named tuple; each is
    differentiable as ``amin``/``amax`` (ties share the gradient)."""
    x = to_tensor(input)
    _check_nonempty("aminmax", x, reduction_axis(dim, x.ndim))
    return AminmaxResult(amin(x, dim, keepdim), amax(x, dim, keepdim))


def _moment_args(name, dim, unbiased, correction):
    if isinstance(dim, bool):                  # std_mean(x, True): the old unbiased slot
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}: give either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim``; var divides by n - correction (default 1)."""
    dim, correction = _moment_args("var_mean", dim, unbiased, correction)
    x = to_tensor(input)
    return var(x, dim, correction, keepdim), mean(x, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim``; std = sqrt(var) with n - correction (default 1)."""
    dim, correction = _moment_args("std_mean", dim, unbiased, correction)
    x = to_tensor(input)
    return std(x, dim, correction, keepdim), mean(x, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """``torch.norm``: a vector norm (sum |x|^p)^(1/p) over ``dim`` (all elements when
    None), the Frobenius norm (``'fro'``, the 2-norm of the entries) or the nuclear norm
    (``'nuc'``, the sum of singular values of the matrices in ``dim``, default the last
    two axes of a 2-D input). ``p`` may be 0 (count of nonzeros), +-inf (max/min |x|),
    or any other number. Computed by the norm kernels of :mod:`deepgrad.ops.norms`
    (``VectorNorm``; ``matrix_norm(..., 'nuc')`` through the singular values).
    """
    if out is not None:
        raise TypeError("norm: out= is not supported by deepgrad; use the returned tensor")
    x = _cast_for_reduction(input, dtype)
    if x.array.dtype.kind != "f":
        raise TypeError(f"norm: expected a floating point tensor, received dtype {x.dtype}")
    if isinstance(dim, list):
        dim = tuple(dim)
    if p == "nuc":
        return _nuclear_norm(x, dim, keepdim)
    if p == "fro":
        p = 2
    elif isinstance(p, str) or p is None:
        raise ValueError(f"norm: p must be a number, 'fro' or 'nuc', received {p!r}")
    axis = reduction_axis(dim, x.ndim)
    if np.isinf(p) and x.array.size == 0:
        raise RuntimeError(f"norm: the inf-norm of an empty tensor is undefined (shape {x.shape})")
    return VectorNorm.apply(x, ord=float(p), axis=axis, keepdims=keepdim)


def _nuclear_norm(x, dim, keepdim):
    """torch.norm(x, 'nuc', dim): the sum of singular values in the plane ``dim``."""
    if dim is None:
        if x.ndim != 2:
            raise RuntimeError(f"norm: 'nuc' without dim needs a 2-D input, received shape "
                               f"{x.shape}")
        dim = (0, 1)
    axes = normalize_axis(dim, x.ndim)
    if not isinstance(axes, tuple) or len(axes) != 2 or axes[0] == axes[1]:
        raise RuntimeError(f"norm: 'nuc' needs dim to be two distinct dims, received {dim!r}")
    return matrix_norm(x, "nuc", axes, keepdim)
