"""Piecewise-linear activations, forward and backward side by side.

    threshold(x)   = x if x > th else value               d/dx = [x > th]
    hardtanh(x)    = min(max(x, lo), hi)                  d/dx = [lo < x < hi]
    relu6(x)       = hardtanh(x, 0, 6)
    hardsigmoid(x) = relu6(x + 3) / 6                     d/dx = [-3 < x < 3] / 6
    hardswish(x)   = x relu6(x + 3) / 6                   d/dx = 0 (x <= -3), x/3 + 1/2
                                                                 (-3 < x < 3), 1 (x >= 3)
    hardshrink(x)  = x if |x| > l else 0                  d/dx = [|x| > l]
    softshrink(x)  = x - l sign(x) if |x| > l else 0      d/dx = [|x| > l]
    prelu(x, w)    = x if x > 0 else w x                  d/dx = 1 or w;  d/dw = x [x <= 0]
    rrelu(x)       = x if x >= 0 else a x                 d/dx = 1 or a
                     a ~ U(lower, upper) per element in training, (lower + upper)/2 in eval

At the kinks the derivative is PyTorch's (the bracket conditions above, from its kernels).
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops import _inplace
from deepgrad.ops._util import operands
from deepgrad.ops.activation import _floating, _maybe_inplace, leaky_relu


class Threshold(Function):
    def forward(self, x, threshold=0.0, value=0.0):
        self.mask = x > threshold
        return np.where(self.mask, x, np.asarray(value).astype(x.dtype))

    def backward(self, g):
        return g * self.mask


class Hardtanh(Function):
    def forward(self, x, lo=-1.0, hi=1.0):
        self.mask = (x > lo) & (x < hi)
        return np.clip(x, lo, hi).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * self.mask


class Hardsigmoid(Function):
    def forward(self, x):
        self.mask = (x > -3) & (x < 3)
        return np.clip(x + 3, 0, 6) / np.asarray(6, x.dtype)

    def backward(self, g):
        return g * self.mask / np.asarray(6, g.dtype)


class Hardswish(Function):
    def forward(self, x):
        self.x = x
        return x * np.clip(x + 3, 0, 6) / np.asarray(6, x.dtype)

    def backward(self, g):
        x = self.x
        d = np.where(x <= -3, 0, np.where(x < 3, x / np.asarray(3, x.dtype) + 0.5, 1))
        return g * d.astype(g.dtype, copy=False)


class Shrink(Function):
    """hardshrink (``soft=False``) and softshrink: both zero the band [-l, l]."""

    def forward(self, x, lambd=0.5, soft=False):
        self.mask = (x > lambd) | (x < -lambd)
        if not soft:
            return np.where(self.mask, x, 0).astype(x.dtype, copy=False)
        l = np.asarray(lambd, x.dtype)
        return np.where(x > l, x - l, np.where(x < -l, x + l, 0)).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * self.mask


class PReLU(Function):
    """y = x (x > 0), w x (x <= 0), ``w`` already shaped to broadcast over the channels."""

    def forward(self, x, w):
        self.x, self.w, self.mask = x, w, x > 0
        return np.where(self.mask, x, w * x)

    def backward(self, g):
        gx = np.where(self.mask, g, g * self.w) if self.needs_grad[0] else None
        gw = np.where(self.mask, 0, g * self.x) if self.needs_grad[1] else None
        return gx, gw


class RReLU(Function):
    """Training-mode RReLU: y = x (x > 0), a x (x <= 0) with a ~ U(lower, upper) per element."""

    def forward(self, x, lower=0.125, upper=1 / 3, generator=None):
        a = backend.rng(generator).uniform(lower, upper, x.shape).astype(x.dtype, copy=False)
        self.noise = np.where(x <= 0, a, np.ones((), x.dtype))
        return x * self.noise

    def backward(self, g):
        return g * self.noise


def threshold(input, threshold, value, inplace=False):
    """y = x if x > threshold else value.   d/dx = [x > threshold]."""
    fn = lambda x: Threshold.apply(to_tensor(x), threshold=threshold, value=value)
    return _maybe_inplace("threshold", input, inplace, fn)


def threshold_(input, threshold, value):
    """In-place :func:`threshold`."""
    return _inplace.run("threshold_", input, lambda x: Threshold.apply(
        x, threshold=threshold, value=value), True)


def _check_bounds(min_val, max_val):
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, received "
                         f"min_val={min_val}, max_val={max_val}")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """y = min(max(x, min_val), max_val).   d/dx = [min_val < x < max_val]."""
    _check_bounds(min_val, max_val)
    fn = lambda x: Hardtanh.apply(to_tensor(x), lo=min_val, hi=max_val)
    return _maybe_inplace("hardtanh", input, inplace, fn)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place :func:`hardtanh`."""
    _check_bounds(min_val, max_val)
    return _inplace.run("hardtanh_", input, lambda x: hardtanh(x, min_val, max_val), True)


def relu6(input, inplace=False):
    """ReLU6(x) = min(max(x, 0), 6).   d/dx = [0 < x < 6]."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """y = relu6(x + 3) / 6.   d/dx = 1/6 where -3 < x < 3, else 0."""
    fn = lambda x: Hardsigmoid.apply(_floating("hardsigmoid", x))
    return _maybe_inplace("hardsigmoid", input, inplace, fn)


def hardswish(input, inplace=False):
    """y = x relu6(x + 3) / 6.   d/dx = 0 (x <= -3), x/3 + 1/2 (-3 < x < 3), 1 (x >= 3)."""
    fn = lambda x: Hardswish.apply(_floating("hardswish", x))
    return _maybe_inplace("hardswish", input, inplace, fn)


def hardshrink(input, lambd=0.5):
    """y = x where |x| > lambd, else 0.   d/dx = [|x| > lambd]."""
    return Shrink.apply(_floating("hardshrink", input), lambd=lambd, soft=False)


def softshrink(input, lambd=0.5):
    """y = x - lambd (x > lambd), x + lambd (x < -lambd), 0 otherwise.   d/dx = [|x| > lambd]."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be >= 0, received {lambd}")
    return Shrink.apply(_floating("softshrink", input), lambd=lambd, soft=True)


def prelu(input, weight):
    """PReLU(x) = x (x > 0), w_c x (x <= 0), one learned slope per channel (dim 1) or one
    shared slope.

    Args:
        input: (N, C, *) or any shape when ``weight`` has one element.
        weight: (C,) or (1,) (or 0-d); C is ``input.shape[1]`` (1 for inputs below 2-d).
    d/dx = 1 or w;  d/dw_c = sum of x over the entries of channel c where x <= 0.
    """
    x = _floating("prelu", input)
    w = to_tensor(weight)
    if w.ndim > 1:
        raise RuntimeError(f"prelu: expected `weight` to be a scalar or 1-D tensor, received "
                           f"shape {tuple(w.shape)}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.array.size not in (1, channels):
        raise RuntimeError(f"prelu: weight has {w.array.size} parameters but the input has "
                           f"{channels} channels (dim 1 of shape {tuple(x.shape)}); expected "
                           f"1 or {channels}")
    x, w = operands("prelu", x, w)
    if w.array.size == 1:
        w = w.reshape(())
    else:
        w = w.reshape((channels,) + (1,) * (x.ndim - 2))
    return PReLU.apply(x, w)


def _check_rrelu(lower, upper):
    if lower > upper:
        raise RuntimeError(f"rrelu: the lower bound must be less than or equal to the upper "
                           f"bound, received lower={lower}, upper={upper}")


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False, *, generator=None):
    """Randomized leaky ReLU: x (x >= 0), a x (x < 0).

    In training a ~ U(lower, upper) is drawn per element (d/dx = a there); in eval a is
    the fixed (lower + upper) / 2, i.e. ``leaky_relu``.
    """
    _check_rrelu(lower, upper)
    if training:
        fn = lambda x: RReLU.apply(_floating("rrelu", x), lower=lower, upper=upper,
                                   generator=generator)
    else:
        fn = lambda x: leaky_relu(_floating("rrelu", x), (lower + upper) / 2)
    return _maybe_inplace("rrelu", input, inplace, fn)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, *, generator=None):
    """In-place :func:`rrelu`."""
    _check_rrelu(lower, upper)
    return _inplace.run("rrelu_", input, lambda x: rrelu(x, lower, upper, training,
                                                         generator=generator), True)
