"""Reductions: sum, mean, max/min, var/std, logsumexp, argmax/argmin, norm.

``axis`` is an int, a tuple of ints or None (all axes); ``keepdims`` keeps reduced
axes as size 1. Each backward expands the incoming gradient back over the reduced axes.
"""
from collections import namedtuple

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import expand_reduced, reduced_count, reduction_axis
from deepgrad.ops.elementwise import sqrt, pow as _pow

MaxResult = namedtuple("MaxResult", ["values", "indices"])


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
    """max over ``axis``; at ties the gradient is shared equally (PyTorch's amax)."""

    def forward(self, x, axis=None, keepdims=False):
        self.x, self.axis, self.keepdims = x, axis, keepdims
        self.out = np.asarray(x.max(axis=axis, keepdims=keepdims))
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
    """Sum over ``dim``.   d/dx_i = 1 for every summed element."""
    x = to_tensor(x)
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
    _check_nonempty("amax", x)
    return Amax.apply(x, axis=reduction_axis(dim, x.ndim), keepdims=keepdim)


def amin(x, dim=None, keepdim=False):
    """Minimum over ``dim`` = -amax(-x)."""
    return -amax(-to_tensor(x), dim, keepdim)


def _check_nonempty(name, x):
    if x.array.size == 0:
        raise RuntimeError(f"{name}: expected a non-empty tensor, received shape {x.shape}")


def max_with_indices(x, dim, keepdim=False):
    """``torch.max(x, dim)``: (values, indices) along ``dim``; the gradient goes to the index."""
    return _along_dim("max", np.argmax, x, dim, keepdim)


def min_with_indices(x, dim, keepdim=False):
    """``torch.min(x, dim)``: (values, indices) along ``dim``."""
    return _along_dim("min", np.argmin, x, dim, keepdim)


def _along_dim(name, argfn, x, dim, keepdim):
    x = to_tensor(x)
    _check_nonempty(name, x)
    axis = reduction_axis(dim, x.ndim)
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

    d/dx_i = softmax(x)_i.
    """
    x = to_tensor(x)
    return LogSumExp.apply(x, axis=reduction_axis(dim, x.ndim), keepdims=keepdim)


def argmax(x, dim=None, keepdim=False):
    """Index of the maximum (flattened when ``dim`` is None); int64, no gradient."""
    x = to_tensor(x)
    _check_nonempty("argmax", x)
    axis = reduction_axis(dim, x.ndim)
    return _fn._Tensor._wrap(np.asarray(np.argmax(x.array, axis=axis, keepdims=keepdim), np.int64))


def argmin(x, dim=None, keepdim=False):
    """Index of the minimum; int64, no gradient."""
    x = to_tensor(x)
    _check_nonempty("argmin", x)
    axis = reduction_axis(dim, x.ndim)
    return _fn._Tensor._wrap(np.asarray(np.argmin(x.array, axis=axis, keepdims=keepdim), np.int64))


def norm(x, p=2, dim=None, keepdim=False):
    """p-norm (sum |x|^p)^(1/p); p=2 is the Euclidean norm, p=inf the largest |x|."""
    x = to_tensor(x)
    if p == float("inf"):
        return amax(abs(x), dim, keepdim)
    if p == 2:
        return sqrt(sum(x * x, dim, keepdim))
    if p == 1:
        return sum(abs(x), dim, keepdim)
    return _pow(sum(_pow(abs(x), p), dim, keepdim), 1.0 / p)
