"""Activation modules: each stores its options and calls its function in :mod:`deepgrad.ops`
(``activation`` for the smooth ones, ``activation_piecewise`` for the piecewise-linear ones).

``inplace=True`` follows :mod:`deepgrad.ops._inplace`: the input is overwritten unless it is
being recorded for backward, in which case the module returns the recorded out-of-place
result (PyTorch's values and gradients) and refuses a leaf that requires grad.
"""
import warnings

import numpy as np

from deepgrad import backend
from deepgrad.autograd.function import to_tensor
from deepgrad.device import check_device
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops import activation as _act, activation_piecewise as _pw
from deepgrad.ops import activation_softmax as _sm


def _inplace_str(inplace):
    return ", inplace=True" if inplace else ""


class _InplaceActivation(Module):
    """An activation whose only option is ``inplace``; subclasses set ``_fn``."""

    _fn = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceActivation):
    """max(0, x)."""
    _fn = staticmethod(_act.relu)


class SELU(_InplaceActivation):
    """scale (max(0, x) + min(0, alpha (e^x - 1))), alpha = 1.6733, scale = 1.0507."""
    _fn = staticmethod(_act.selu)


class SiLU(_InplaceActivation):
    """x sigmoid(x)."""
    _fn = staticmethod(_act.silu)


class Mish(_InplaceActivation):
    """x tanh(softplus(x))."""
    _fn = staticmethod(_act.mish)


class Hardsigmoid(_InplaceActivation):
    """relu6(x + 3) / 6."""
    _fn = staticmethod(_pw.hardsigmoid)


class Hardswish(_InplaceActivation):
    """x relu6(x + 3) / 6."""
    _fn = staticmethod(_pw.hardswish)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return _act.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_str(self.inplace)}"


class ELU(Module):
    """x if x > 0 else alpha (e^x - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return _act.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class CELU(Module):
    """max(0, x) + min(0, alpha (e^{x/alpha} - 1))."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        if alpha == 0:
            raise ValueError("CELU: alpha cannot be 0 (the formula divides by it)")
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return _act.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class GELU(Module):
    """x Phi(x) (``approximate='tanh'`` for the tanh formula)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', received "
                             f"{approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return _act.gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """1 / (1 + e^-x)."""

    def forward(self, input):
        return _act.sigmoid(input)


class Tanh(Module):
    """tanh(x)."""

    def forward(self, input):
        return _act.tanh(input)


class LogSigmoid(Module):
    """log sigmoid(x) = -softplus(-x)."""

    def forward(self, input):
        return _act.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):
        return _act.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, input):
        return _act.tanhshrink(input)


class Softplus(Module):
    """ln(1 + e^{beta x}) / beta."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return _act.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class GLU(Module):
    """a * sigmoid(b), a and b the halves of the input along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return _act.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Threshold(Module):
    """x if x > threshold else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return _pw.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class Hardtanh(Module):
    """min(max(x, min_val), max_val). ``min_value``/``max_value`` are PyTorch's deprecated
    spellings (they warn)."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        if max_val <= min_val:
            raise ValueError(f"{type(self).__name__}: max_val ({max_val}) must be greater than "
                             f"min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return _pw.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return _pw.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Module):
    """x - lambd sign(x) where |x| > lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        if lambd < 0:
            raise ValueError(f"Softshrink: lambd must be >= 0, received {lambd}")
        self.lambd = lambd

    def forward(self, input):
        return _pw.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class PReLU(Module):
    """x if x > 0 else a_c x, with learned slopes: one shared (``num_parameters=1``) or one
    per channel (dim 1 of the input). Parameter ``weight`` (num_parameters,), filled with
    ``init`` (0.25), as PyTorch."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        if not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, received "
                             f"{num_parameters!r}")
        check_device(device, "PReLU")
        self.num_parameters, self.init = int(num_parameters), init
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.num_parameters,), dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return _pw.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """x if x >= 0 else a x: a ~ U(lower, upper) per element in training, (lower + upper)/2
    in eval."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        if lower > upper:
            raise ValueError(f"RReLU: lower ({lower}) must be less than or equal to upper "
                             f"({upper})")
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return _pw.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace_str(self.inplace)}"


class _DimSoftmax(Module):
    """A softmax-like module along ``dim`` (None: PyTorch's implicit dim, with its warning)."""

    _fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self)._fn(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_DimSoftmax):
    """softmax along ``dim``."""
    _fn = staticmethod(_sm.softmax)


class LogSoftmax(_DimSoftmax):
    """log softmax along ``dim``."""
    _fn = staticmethod(_sm.log_softmax)


class Softmin(_DimSoftmax):
    """softmax(-x) along ``dim``."""
    _fn = staticmethod(_sm.softmin)


class Softmax2d(Module):
    """softmax over the channels (dim -3) of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        x = to_tensor(input)
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {x.ndim}D instead")
        return _sm.softmax(x, -3)
