"""Convolution layers (NCHW, PyTorch's arguments, weights and default init)."""
import math

import numpy as np

from deepgrad import backend
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops import conv as conv_ops


def _tuple(v, n):
    if isinstance(v, str):
        return v
    return (int(v),) * n if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)


class _ConvNd(Module):
    """Shared constructor: weight (out, in/groups, *k) or, transposed, (in, out/groups, *k)."""

    n = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", output_padding=0,
                 device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, received "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, self.n)
        self.stride, self.padding = _tuple(stride, self.n), _tuple(padding, self.n)
        self.dilation, self.output_padding = _tuple(dilation, self.n), _tuple(output_padding, self.n)
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype))
        if bias:
            self.bias = Parameter(np.empty((out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, x):
        name = type(self).__name__
        if x.ndim != self.n + 2:
            raise ValueError(f"{name}: expected a {self.n + 2}-D input (N, C, "
                             f"{'H, W' if self.n == 2 else 'L'}), received shape {tuple(x.shape)}")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"{name}: expected input with {self.in_channels} channels (dim 1), "
                             f"received shape {tuple(x.shape)} with {x.shape[1]} channels")

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding not in ((0,) * self.n, "valid"):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.n:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution: (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    def forward(self, x):
        self._check_input(x)
        return conv_ops.conv2d(x, self.weight, self.bias, self.stride, self.padding,
                               self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution: (N, C_in, L) -> (N, C_out, L_out)."""

    n = 1

    def forward(self, x):
        self._check_input(x)
        return conv_ops.conv1d(x, self.weight, self.bias, self.stride, self.padding,
                               self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution; weight (C_in, C_out/groups, kh, kw)."""

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def forward(self, x):
        self._check_input(x)
        return conv_ops.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                         self.output_padding, self.groups, self.dilation)


class ConvTranspose1d(ConvTranspose2d):
    """Transposed 1-D convolution; weight (C_in, C_out/groups, k)."""

    n = 1

    def forward(self, x):
        self._check_input(x)
        return conv_ops.conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding,
                                         self.output_padding, self.groups, self.dilation)
