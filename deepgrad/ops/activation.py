"""Activation functions: the nonlinearities of the seeds, forward and backward side by side.

sigmoid, tanh, ReLU and softmax are the seeds' activations (seed 000, section 3):

    sigmoid(x) = 1 / (1 + e^-x)              d/dx = s (1 - s)
    tanh(x)    = (e^x - e^-x)/(e^x + e^-x)   d/dx = 1 - tanh^2
    relu(x)    = max(0, x)                   d/dx = [x > 0]
    softmax(x)_i = e^{x_i} / sum_j e^{x_j}   J = diag(s) - s s^T
"""
import math

import numpy as np

from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import normalize_axis


class ReLU(Function):
    def forward(self, x):
        out = np.maximum(x, 0)
        self.out = out
        return out

    def backward(self, g):
        return g * (self.out > 0)


class LeakyReLU(Function):
    def forward(self, x, slope=0.01):
        self.mask, self.slope = x > 0, slope
        return np.where(self.mask, x, x * np.asarray(slope, x.dtype))

    def backward(self, g):
        return np.where(self.mask, g, g * np.asarray(self.slope, g.dtype))


class ELU(Function):
    def forward(self, x, alpha=1.0):
        self.mask = x > 0
        self.neg = np.asarray(alpha, x.dtype) * np.expm1(np.minimum(x, 0))
        self.alpha = alpha
        return np.where(self.mask, x, self.neg)

    def backward(self, g):
        # d/dx alpha (e^x - 1) = alpha e^x = neg + alpha
        return np.where(self.mask, g, g * (self.neg + np.asarray(self.alpha, g.dtype)))


def _erf(x):
    """The error function, elementwise, to double precision (math.erf per element)."""
    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=x.dtype)


class GELU(Function):
    def forward(self, x, approximate="none"):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            k = np.asarray(math.sqrt(2 / math.pi), x.dtype)
            self.t = np.tanh(k * (x + np.asarray(0.044715, x.dtype) * x ** 3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + _erf(x / np.asarray(math.sqrt(2), x.dtype)))
        return x * self.cdf

    def backward(self, g):
        x = self.x
        if self.approximate == "tanh":
            k = np.asarray(math.sqrt(2 / math.pi), x.dtype)
            dinner = k * (1 + np.asarray(3 * 0.044715, x.dtype) * x * x)
            return g * (0.5 * (1 + self.t) + 0.5 * x * (1 - self.t * self.t) * dinner)
        pdf = np.exp(-0.5 * x * x) * np.asarray(1 / math.sqrt(2 * math.pi), x.dtype)
        return g * (self.cdf + x * pdf)


def _sigmoid(x):
    """Stable logistic function: 0.5 (1 + tanh(x/2)) never overflows."""
    half = np.asarray(0.5, x.dtype)
    if x.ndim == 0:
        return np.asarray(half * (1 + np.tanh(half * x)))
    out = np.multiply(x, half)          # in place from here: 4 passes, 1 allocation
    np.tanh(out, out=out)
    out += 1
    out *= half
    return out


class Sigmoid(Function):
    def forward(self, x):
        self.out = _sigmoid(x)
        return self.out

    def backward(self, g):
        s = self.out
        return g * s * (1 - s)


class Tanh(Function):
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)


class Softplus(Function):
    def forward(self, x, beta=1.0, threshold=20.0):
        self.x, self.beta, self.threshold = x, beta, threshold
        bx = x * np.asarray(beta, x.dtype)
        soft = (np.logaddexp(bx, np.zeros((), x.dtype))) / np.asarray(beta, x.dtype)
        return np.where(bx > threshold, x, soft)

    def backward(self, g):
        bx = self.x * np.asarray(self.beta, self.x.dtype)
        return np.where(bx > self.threshold, g, g * _sigmoid(bx))


class SiLU(Function):
    def forward(self, x):
        self.x, self.s = x, _sigmoid(x)
        return x * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.x * (1 - s)))


class Softmax(Function):
    def forward(self, x, axis=-1):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        self.out, self.axis = e, axis
        return e

    def backward(self, g):
        s = self.out
        # J^T g = s * (g - <g, s>)
        return s * (g - (g * s).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    def forward(self, x, axis=-1):
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.out, self.axis = out, axis
        return out

    def backward(self, g):
        # d log_softmax_i / dx_j = [i=j] - softmax_j
        return g - np.exp(self.out) * g.sum(axis=self.axis, keepdims=True)


def relu(x):
    """ReLU(x) = max(0, x).   d/dx = 1 where x > 0, else 0."""
    return ReLU.apply(to_tensor(x))


def leaky_relu(x, negative_slope=0.01):
    """x if x > 0 else negative_slope * x.   d/dx = 1 or negative_slope."""
    return LeakyReLU.apply(to_tensor(x), slope=negative_slope)


def elu(x, alpha=1.0):
    """x if x > 0 else alpha (e^x - 1).   d/dx = 1 or alpha e^x."""
    return ELU.apply(to_tensor(x), alpha=alpha)


def gelu(x, approximate="none"):
    """GELU(x) = x Phi(x), Phi the standard normal CDF = (1 + erf(x/sqrt 2)) / 2.

    d/dx = Phi(x) + x phi(x). ``approximate='tanh'``: Phi(x) ~ (1 + tanh(sqrt(2/pi)
    (x + 0.044715 x^3))) / 2, as PyTorch.
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', received {approximate!r}")
    return GELU.apply(to_tensor(x), approximate=approximate)


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + e^-x), computed as (1 + tanh(x/2)) / 2 (no overflow).

    d/dx = s (1 - s), from the saved output s.
    """
    return Sigmoid.apply(to_tensor(x))


def tanh(x):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x).   d/dx = 1 - tanh(x)^2."""
    return Tanh.apply(to_tensor(x))


def softplus(x, beta=1.0, threshold=20.0):
    """softplus(x) = ln(1 + e^{beta x}) / beta, linear where beta x > threshold.

    d/dx = sigmoid(beta x).
    """
    return Softplus.apply(to_tensor(x), beta=beta, threshold=threshold)


def silu(x):
    """SiLU(x) = x sigmoid(x) (swish).   d/dx = s (1 + x (1 - s))."""
    return SiLU.apply(to_tensor(x))


def softmax(x, dim=-1, axis=None):
    """softmax(x)_i = e^{x_i - m} / sum_j e^{x_j - m}, m = max_j x_j (shift for stability).

    Backward: J^T g = s * (g - sum_j g_j s_j).
    """
    x = to_tensor(x)
    return Softmax.apply(x, axis=normalize_axis(dim if axis is None else axis, x.ndim))


def log_softmax(x, dim=-1, axis=None):
    """log_softmax(x)_i = x_i - m - ln sum_j e^{x_j - m}.

    Backward: g - softmax(x) * sum_j g_j.
    """
    x = to_tensor(x)
    return LogSoftmax.apply(x, axis=normalize_axis(dim if axis is None else axis, x.ndim))
