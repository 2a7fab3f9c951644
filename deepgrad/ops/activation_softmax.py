"""Softmax and its family: softmax, log-softmax, softmin, Gumbel-softmax.

softmax is the seeds' output activation for classes (seed 000, section 3). Unlike the
elementwise activations (``activation``), each output depends on every input along ``dim``:

    softmax(x)_i     = e^{x_i - m} / sum_j e^{x_j - m},  m = max_j x_j   J = diag(s) - s s^T
    log_softmax(x)_i = x_i - m - ln sum_j e^{x_j - m}                    J = I - 1 s^T
    softmin(x)       = softmax(-x)

The shift by the maximum changes nothing in exact arithmetic and keeps e^{...} <= 1, so
nothing overflows. PyTorch's names and arguments (``dim``, ``_stacklevel``, ``dtype``, its
deprecated implicit ``dim``); ``axis`` is NumPy's and Keras's name for ``dim``.
"""
import warnings

import numpy as np

from deepgrad import backend
from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import normalize_axis
from deepgrad.ops.activation import _floating
from deepgrad.ops.elementwise import cast


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


def _softmax_dim(name, ndim, stacklevel):
    """PyTorch's implicit dim for softmax-like calls without ``dim`` (deprecated there too)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(name, input, dim, axis, stacklevel, dtype):
    x = to_tensor(input)
    if dtype is not None:
        x = cast(x, dtype)
    if dim is None:
        dim = axis if axis is not None else _softmax_dim(name, x.ndim, stacklevel + 1)
    return x, normalize_axis(dim, x.ndim)


def softmax(input, dim=None, _stacklevel=3, dtype=None, *, axis=None):
    """softmax(x)_i = e^{x_i - m} / sum_j e^{x_j - m}, m = max_j x_j (shift for stability).

    Backward: J^T g = s * (g - sum_j g_j s_j). ``dtype`` casts the input first; without
    ``dim`` the axis is PyTorch's deprecated implicit choice (0 for 0-, 1- and 3-d inputs,
    else 1), with its warning. ``axis`` is NumPy's/Keras's name for ``dim``.
    """
    x, d = _softmax_input("softmax", input, dim, axis, _stacklevel, dtype)
    return Softmax.apply(x, axis=d)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None, *, axis=None):
    """log_softmax(x)_i = x_i - m - ln sum_j e^{x_j - m}.

    Backward: g - softmax(x) * sum_j g_j. ``dim``/``dtype``/``axis`` as :func:`softmax`.
    """
    x, d = _softmax_input("log_softmax", input, dim, axis, _stacklevel, dtype)
    return LogSoftmax.apply(x, axis=d)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmin(x) = softmax(-x) along ``dim``.   Backward: that of softmax, negated."""
    x, d = _softmax_input("softmin", input, dim, None, _stacklevel, dtype)
    return Softmax.apply(-x, axis=d)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax distribution: y = softmax((logits + G) / tau, dim),
    G_i = -log E_i, E_i ~ Exponential(1).

    ``hard=True`` returns the one-hot of argmax y in the forward pass and the gradient of
    the soft sample y in the backward pass (straight-through: y_hard - stop_grad(y) + y).
    ``eps`` has no effect (deprecated in PyTorch, which warns likewise).
    """
    if eps != 1e-10:
        warnings.warn("gumbel_softmax: `eps` parameter is deprecated and has no effect.",
                      UserWarning, stacklevel=2)
    x = _floating("gumbel_softmax", logits)
    if tau <= 0:
        raise ValueError(f"gumbel_softmax: tau must be positive, received {tau}")
    d = normalize_axis(dim, x.ndim)
    e = backend.rng().standard_exponential(x.shape).astype(x.dtype, copy=False)
    gumbels = _fn._Tensor._wrap(-np.log(e))
    y_soft = softmax((x + gumbels) / tau, d)
    if not hard:
        return y_soft
    index = np.expand_dims(np.argmax(y_soft.array, axis=d), d) if x.ndim else None
    y_hard = np.zeros_like(y_soft.array)
    if x.ndim:
        np.put_along_axis(y_hard, index, 1, axis=d)
    else:
        y_hard[...] = 1
    return _fn._Tensor._wrap(y_hard) - y_soft.detach() + y_soft
