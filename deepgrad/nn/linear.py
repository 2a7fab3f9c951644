"""Dense layers: ``Linear`` (y = x W^T + b), ``Bilinear`` (y = x1^T A x2 + b) and ``Identity``."""
import math

import numpy as np

from deepgrad import backend, ops
from deepgrad.device import check_device
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops.bilinear import bilinear


class Identity(Module):
    """Returns its input unchanged."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """Fully connected layer y = x W^T + b (seed 001: y = f(Wx + b), before f).

    Args:
        in_features, out_features (int): sizes of x's last axis and of y's.
        bias (bool): learn b.
        dtype: parameter dtype (float32 default).
    Shape:
        input (*, in_features) -> output (*, out_features).
        weight (out_features, in_features), bias (out_features,) as PyTorch.
    Init (PyTorch's default): W, b ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, received {v!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.bias = Parameter(np.empty((out_features,), dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """Bilinear layer y_k = x1^T A_k x2 + b_k (math in :mod:`deepgrad.ops.bilinear`).

    Args:
        in1_features, in2_features (int): sizes of x1's and x2's last axes (> 0).
        out_features (int): size of y's last axis.
        bias (bool): learn b.
    Shape:
        x1 (*, in1_features), x2 (*, in2_features) -> y (*, out_features);
        weight (out_features, in1_features, in2_features), bias (out_features,).
    Init (PyTorch's): A, b ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features)).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        for name, v in (("in1_features", in1_features), ("in2_features", in2_features),
                        ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"Bilinear: {name} must be a non-negative int, received {v!r}")
        if in1_features == 0:
            raise ValueError(f"Bilinear: in1_features must be > 0, received {in1_features}")
        check_device(device, "Bilinear")
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dtype))
        if bias:
            self.bias = Parameter(np.empty((out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
