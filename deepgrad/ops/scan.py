"""Scans along one dim (cumsum, cumprod, cummax/cummin, logcumsumexp), differences
(diff, gradient) and trapezoid integration.

A scan's output at position i depends on the inputs at positions <= i, so each backward
is a reversed scan of the incoming gradient.
"""
from collections import namedtuple

import numpy as np

from deepgrad import backend
from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import normalize_axis
from deepgrad.ops.elementwise import cast, clone, div, mul, sub
from deepgrad.ops.reduce import sum as _sum
from deepgrad.ops.shape import cat, getitem
from deepgrad.ops.sorting import take_along_axis

CumResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])


def _reverse_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


class CumSum(Function):
    def forward(self, x, axis=0):
        self.axis = axis
        return np.cumsum(x, axis)

    def backward(self, g):
        return _reverse_cumsum(g, self.axis)       # d out_j / d x_i = 1 for j >= i


class CumProd(Function):
    """out_j = prod_{k <= j} x_k.   d/dx_i = sum_{j >= i} g_j prod_{k <= j, k != i} x_k.

    Without zeros this is revcumsum(g out) / x. Along a slice whose first zero is at z:
    positions before z use that formula restricted to j < z; position z gets
    out_{z-1} sum_{j >= z} g_j prod_{z < k <= j} x_k; positions after z get 0.
    """

    def forward(self, x, axis=0):
        self.x, self.axis = x, axis
        self.out = np.cumprod(x, axis)
        return self.out

    def backward(self, g):
        x, out = np.moveaxis(self.x, self.axis, -1), np.moveaxis(self.out, self.axis, -1)
        g = np.moveaxis(g, self.axis, -1)
        n = x.shape[-1]
        is_zero = x == 0
        has_zero = is_zero.any(-1, keepdims=True)
        z = np.where(has_zero, np.argmax(is_zero, -1)[..., None], n)
        pos = np.arange(n)
        before = pos < z
        safe_x = np.where(before, x, np.ones((), x.dtype))
        grad = _reverse_cumsum(np.where(before, g * out, 0), -1) / safe_x
        grad = np.where(before, grad, 0)
        if has_zero.any():
            after_z = np.where(pos > z, x, np.ones((), x.dtype))
            tail = np.cumprod(after_z, -1)                # prod_{z < k <= j} x_k
            s = np.sum(np.where(pos >= z, g * tail, 0), -1, keepdims=True)
            prefix = np.take_along_axis(out, np.maximum(z - 1, 0), -1)
            prefix = np.where(z == 0, np.ones((), x.dtype), prefix)
            grad = np.where((pos == z), prefix * s, grad)
        return np.moveaxis(grad.astype(g.dtype, copy=False), -1, self.axis)


class LogCumSumExp(Function):
    """out_j = ln sum_{k <= j} e^{x_k}.   d/dx_i = sum_{j >= i} g_j e^{x_i - out_j},
    evaluated in log space (split by the sign of g) so nothing overflows."""

    def forward(self, x, axis=0):
        self.x, self.axis = x, axis
        self.out = np.logaddexp.accumulate(x, axis=axis) if x.size else x.copy()
        return self.out

    def backward(self, g):
        x, out, axis = self.x, self.out, self.axis
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            pos = np.exp(x + _rev_logcumsumexp(np.log(np.maximum(g, 0)) - out, axis))
            neg = np.exp(x + _rev_logcumsumexp(np.log(-np.minimum(g, 0)) - out, axis))
        return pos - neg


def _rev_logcumsumexp(a, axis):
    return np.flip(np.logaddexp.accumulate(np.flip(a, axis), axis=axis), axis)


def _scan_input(x, dtype):
    x = to_tensor(x)
    if dtype is not None:
        return cast(x, dtype)
    if x.array.dtype.kind in "biu" and x.array.dtype != np.int64:
        return _fn._Tensor._wrap(x.array.astype(np.int64))     # as PyTorch: int64 sums
    return x


def _scan_axis(name, x, dim):
    if dim is None:
        raise TypeError(f"{name}: missing the required argument dim")
    return normalize_axis(dim, x.ndim) if x.ndim else None


def cumsum(input, dim, *, dtype=None):
    """out_j = sum_{k <= j} x_k along ``dim`` (integers and bools accumulate in int64).

    d/dx_i = sum_{j >= i} g_j (a reversed cumulative sum).
    """
    x = _scan_input(input, dtype)
    axis = _scan_axis("cumsum", x, dim)
    if axis is None:                           # a 0-d tensor is its own running sum
        return clone(x)
    return CumSum.apply(x, axis=axis)


def cumprod(input, dim, *, dtype=None):
    """out_j = prod_{k <= j} x_k along ``dim``; gradients exact with zeros in the input."""
    x = _scan_input(input, dtype)
    axis = _scan_axis("cumprod", x, dim)
    if axis is None:
        return clone(x)
    return CumProd.apply(x, axis=axis)


def _cum_extreme(name, result, accumulate, input, dim):
    x = to_tensor(input)
    axis = _scan_axis(name, x, dim)
    if axis is None:
        return result(x, _fn._Tensor._wrap(np.zeros((), np.int64)))
    a = x.array
    running = accumulate.accumulate(a, axis=axis) if a.size else a
    # the index is the latest position whose value equals the running extreme (a NaN
    # counts as a new extreme): a running max over those positions
    pos = np.arange(a.shape[axis]).reshape([-1 if i == axis else 1 for i in range(a.ndim)])
    hit = (a == running) | np.isnan(a)
    idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=axis) if a.size else \
        np.zeros(a.shape, np.int64)
    idx = idx.astype(np.int64, copy=False)
    values = take_along_axis(x, idx, axis)
    return result(values, _fn._Tensor._wrap(idx))


def cummax(input, dim):
    """Running maximum along ``dim`` and the index where it was attained (the latest of
    equal values; a NaN propagates), as a named tuple (values, indices). The gradient of
    each output goes to that index."""
    return _cum_extreme("cummax", CumResult, np.maximum, input, dim)


def cummin(input, dim):
    """Running minimum along ``dim`` and its index (values, indices); see :func:`cummax`."""
    return _cum_extreme("cummin", CumminResult, np.minimum, input, dim)


def logcumsumexp(input, dim):
    """out_j = ln sum_{k <= j} e^{x_k} along ``dim`` (exact: pairwise ``logaddexp``).

    d/dx_i = sum_{j >= i} g_j e^{x_i - out_j}.
    """
    x = to_tensor(input)
    if x.array.dtype.kind != "f":
        raise TypeError(f"logcumsumexp: expected a floating point tensor, received dtype {x.dtype}")
    axis = _scan_axis("logcumsumexp", x, dim)
    if axis is None:
        return clone(x)
    return LogCumSumExp.apply(x, axis=axis)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference out_i = x_{i+1} - x_i along ``dim``, after joining
    ``prepend`` and ``append`` (tensors) to the ends. Bool tensors give x_{i+1} != x_i.

    A composition of slicing and subtraction, so gradients come from the chain rule.
    """
    x = to_tensor(input)
    if x.ndim == 0:
        raise RuntimeError("diff: expected at least a 1-dimensional tensor, received a 0-d tensor")
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, received {n}")
    axis = normalize_axis(dim, x.ndim)
    parts = [t for t in (prepend, x, append) if t is not None]
    if len(parts) > 1:
        edge = [1 if i == axis else n_i for i, n_i in enumerate(x.shape)]
        parts = [to_tensor(t) for t in parts]
        x = cat([t if t.ndim else t.reshape([1] * x.ndim).expand(edge) for t in parts], axis)
    head = (slice(None),) * axis
    for _ in range(n):
        if x.shape[axis] == 0:
            break
        hi, lo = getitem(x, head + (slice(1, None),)), getitem(x, head + (slice(None, -1),))
        if x.array.dtype.kind == "b":
            x = _fn._Tensor._wrap(hi.array != lo.array)
        else:
            x = sub(hi, lo)
    return x


def _trapezoid_parts(name, y, x, dx, dim):
    y = to_tensor(y)
    if y.array.dtype.kind in "biu":
        y = _fn._Tensor._wrap(y.array.astype(backend.default_float))
    if y.ndim == 0:
        raise RuntimeError(f"{name}: expected y to have at least 1 dimension, received a "
                           f"0-d tensor")
    axis = normalize_axis(dim, y.ndim)
    head = (slice(None),) * axis
    left, right = getitem(y, head + (slice(None, -1),)), getitem(y, head + (slice(1, None),))
    if x is None:
        widths = dx
    else:
        x = to_tensor(x)
        if x.ndim == 1:
            if x.shape[0] != y.shape[axis]:
                raise RuntimeError(f"{name}: x has {x.shape[0]} points, y has {y.shape[axis]} "
                                   f"along dim {dim}")
            x = x.reshape([x.shape[0] if i == axis else 1 for i in range(y.ndim)])
            widths = diff(x, dim=axis)
        else:
            widths = diff(x, dim=dim)
    return mul(div(left + right, 2.0), widths), axis


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Trapezoid rule along ``dim``: sum_i (x_{i+1} - x_i)(y_i + y_{i+1}) / 2, with sample
    points ``x`` (a tensor) or a constant spacing ``dx`` (default 1)."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid: give either x or dx, not both")
    if x is not None and not isinstance(x, _fn._Tensor):
        raise TypeError(f"trapezoid: x must be a tensor of sample points (use dx= for a "
                        f"spacing), received {type(x).__name__}")
    areas, axis = _trapezoid_parts("trapezoid", y, x, 1.0 if dx is None else dx, dim)
    return _sum(areas, axis)


def trapz(y, x=None, *, dx=None, dim=-1):
    """The older name of :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoid integral along ``dim`` (one element fewer than ``y``)."""
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid: give either x or dx, not both")
    areas, axis = _trapezoid_parts("cumulative_trapezoid", y, x, 1.0 if dx is None else dx, dim)
    return cumsum(areas, axis)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimate the derivatives of a sampled function along each of ``dim`` (all dims by
    default), as ``numpy.gradient``: second-order central differences inside,
    first- or second-order (``edge_order``) one-sided differences at the ends.

    ``spacing`` is one number (the step in every dim), a list of numbers (one per dim),
    or a list of 1-D coordinate tensors. With steps h_{i-1} (left) and h_i (right):
    g_i = (h_{i-1}^2 f_{i+1} + (h_i^2 - h_{i-1}^2) f_i - h_i^2 f_{i-1})
          / (h_{i-1} h_i (h_{i-1} + h_i)).
    Returns a tuple with one tensor per dim; built from slicing and arithmetic, so it is
    differentiable (also in the coordinates).
    """
    x = to_tensor(input)
    if x.array.dtype.kind in "biu":
        x = _fn._Tensor._wrap(x.array.astype(backend.default_float))
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, received {edge_order}")
    if x.ndim == 0:
        raise RuntimeError("gradient: expected a tensor with at least 1 dimension, received 0-d")
    if dim is None:
        axes = list(range(x.ndim))
    else:
        dims = dim if isinstance(dim, (list, tuple)) else [dim]
        axes = [normalize_axis(d, x.ndim) for d in dims]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(axes):
            raise ValueError(f"gradient: expected {len(axes)} spacings (one per dim), "
                             f"received {len(spacing)}")
        steps = list(spacing)
    else:
        steps = [spacing] * len(axes)
    out = []
    for axis, step in zip(axes, steps):
        if x.shape[axis] < edge_order + 1:
            raise RuntimeError(f"gradient: expected each dimension size to be at least "
                               f"edge_order+1 = {edge_order + 1}, dim {axis} has {x.shape[axis]}")
        out.append(_gradient_along(x, axis, step, edge_order))
    return tuple(out)


def _gradient_along(x, axis, step, edge_order):
    head = (slice(None),) * axis

    def f(start, stop=None):
        return getitem(x, head + (slice(start, stop),))
    if isinstance(step, _fn._Tensor):
        n = x.shape[axis]
        if step.ndim != 1 or step.shape[0] != n:
            raise ValueError(f"gradient: coordinates along dim {axis} must be a 1-D tensor of "
                             f"{n} values, received shape {step.shape}")
        c = step if step.dtype == x.dtype else cast(step, x.dtype)
        c = c.reshape([n if i == axis else 1 for i in range(x.ndim)])
        h = diff(c, dim=axis)
        hd, hs = getitem(h, head + (slice(None, -1),)), getitem(h, head + (slice(1, None),))
    else:
        h = hd = hs = step
    if isinstance(step, _fn._Tensor):
        inner = (hd * hd * f(2) + (hs * hs - hd * hd) * f(1, -1) - hs * hs * f(None, -2)) \
            / (hd * hs * (hd + hs))
        h0, h1 = getitem(h, head + (slice(0, 1),)), getitem(h, head + (slice(-1, None),))
    else:
        inner = (f(2) - f(None, -2)) / (2 * h)
        h0 = h1 = h
    if edge_order == 1:
        left = (f(1, 2) - f(0, 1)) / h0
        right = (f(-1) - f(-2, -1)) / h1
    elif isinstance(step, _fn._Tensor):
        a, b = h0, getitem(h, head + (slice(1, 2),))
        left = (-(2 * a + b) / (a * (a + b)) * f(0, 1) + (a + b) / (a * b) * f(1, 2)
                - a / (b * (a + b)) * f(2, 3))
        a, b = getitem(h, head + (slice(-2, -1),)), h1
        right = (b / (a * (a + b)) * f(-3, -2) - (a + b) / (a * b) * f(-2, -1)
                 + (2 * b + a) / (b * (a + b)) * f(-1))
    else:
        left = (-1.5 * f(0, 1) + 2 * f(1, 2) - 0.5 * f(2, 3)) / h
        right = (0.5 * f(-3, -2) - 2 * f(-2, -1) + 1.5 * f(-1)) / h
    return cat([left, inner, right], axis)
