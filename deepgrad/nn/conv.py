"""Convolution layers, 1-, 2- and 3-D (PyTorch's arguments, weights and default init).

The math lives in :mod:`deepgrad.ops.conv`; ``padding_mode`` other than 'zeros' pads
with :func:`deepgrad.ops.padding.pad` first and convolves without padding (as PyTorch).
"""
import math

import numpy as np

from deepgrad import backend
from deepgrad.device import check_device
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops import conv as conv_ops
from deepgrad.ops.padding import pad

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(v, n):
    if isinstance(v, str):
        return v
    return conv_ops.ntuple(v, n)


class _ConvNd(Module):
    """Shared constructor: weight (out, in/groups, *k) or, transposed, (in, out/groups, *k).

    A subclass sets ``n`` (spatial axes), ``transposed`` and ``_op`` (the function of
    :mod:`deepgrad.ops.conv` it runs).
    """

    n = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", output_padding=0,
                 device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        check_device(device, name)
        if not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, received {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, received "
                             f"{padding_mode!r}")
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f'{name}: only "zeros" padding mode is supported, received '
                             f'{padding_mode!r}')
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, self.n)
        self.stride, self.dilation = _tuple(stride, self.n), _tuple(dilation, self.n)
        for arg, given in (("kernel_size", kernel_size), ("stride", stride),
                           ("dilation", dilation)):
            value = getattr(self, arg)                   # checked before any weight exists
            if isinstance(value, str):
                raise TypeError(f"{name}: {arg} must be an int or a tuple of {self.n} ints, "
                                f"received {arg}={given!r}")
            if min(value) < 1:
                raise ValueError(f"{name}: {arg} must be positive in every dimension, "
                                 f"received {arg}={given!r}")
        self.output_padding = _tuple(output_padding, self.n)
        self.padding, self.padding_mode = _tuple(padding, self.n), padding_mode
        if isinstance(self.padding, str):
            if self.transposed or self.padding not in ("same", "valid"):
                allowed = "an int or a tuple" + ("" if self.transposed else ", 'same' or 'valid'")
                raise ValueError(f"{name}: padding must be {allowed}, received {padding!r}")
            if self.padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            flat = (conv_ops.same_padding(self.kernel_size, self.dilation)
                    if self.padding == "same" else (0,) * (2 * self.n))
        else:
            flat = tuple(v for p in self.padding for v in (p, p))
        # F.pad's order (last axis first) for the non-zero padding modes
        self._reversed_padding_repeated_twice = tuple(
            v for i in reversed(range(self.n)) for v in flat[2 * i:2 * i + 2])
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
        if x.ndim not in (self.n + 1, self.n + 2):
            raise ValueError(f"{name}: expected a {self.n + 1}-D (unbatched) or {self.n + 2}-D "
                             f"(batched) input {conv_ops.LAYOUTS[self.n]}, received shape "
                             f"{tuple(x.shape)}")
        c = x.shape[x.ndim - self.n - 1]
        if c != self.in_channels:
            raise ValueError(f"{name}: expected input with {self.in_channels} channels (dim "
                             f"{x.ndim - self.n - 1}), received shape {tuple(x.shape)} with "
                             f"{c} channels")

    def forward(self, x):
        self._check_input(x)
        if self.padding_mode != "zeros":
            x = pad(x, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return self._op(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return self._op(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if isinstance(self.padding, str) or self.padding != (0,) * self.n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution: (N, C_in, L) -> (N, C_out, L_out); see :func:`deepgrad.ops.conv1d`.

    Args:
        in_channels, out_channels (int): C_in and C_out, both divisible by ``groups``.
        kernel_size, stride, dilation: int or tuple.
        padding: int, tuple, 'same' or 'valid'.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
        bias (bool): learn a bias.
    Init (PyTorch's): weight ~ kaiming_uniform(a=sqrt(5)), bias ~ U(-1/sqrt(fan_in), +).
    """

    n = 1
    _op = staticmethod(conv_ops.conv1d)


class Conv2d(_ConvNd):
    """2-D convolution: (N, C_in, H, W) -> (N, C_out, H_out, W_out); arguments as Conv1d."""

    _op = staticmethod(conv_ops.conv2d)


class Conv3d(_ConvNd):
    """3-D convolution: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out); arguments as
    Conv1d, weight (C_out, C_in/groups, kd, kh, kw)."""

    n = 3
    _op = staticmethod(conv_ops.conv3d)


class _ConvTransposeNd(_ConvNd):
    """Transposed convolution; weight (C_in, C_out/groups, *k).

    ``forward(input, output_size=None)``: ``output_size`` picks the output_padding that
    gives that size (each length within [min, min + stride - 1], min the size without it).
    """

    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def _output_padding(self, x, output_size):
        if output_size is None:
            return self.output_padding
        n, name = self.n, type(self).__name__
        lead = x.ndim - n
        output_size = tuple(int(s) for s in output_size)
        if len(output_size) == lead + n:
            output_size = output_size[lead:]
        if len(output_size) != n:
            raise ValueError(f"{name}: for {x.ndim}D input, output_size must have {n} or "
                             f"{lead + n} elements, received {output_size}")
        low = tuple((x.shape[lead + d] - 1) * self.stride[d] - 2 * self.padding[d]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n))
        high = tuple(m + s - 1 for m, s in zip(low, self.stride))
        if any(not lo <= s <= hi for s, lo, hi in zip(output_size, low, high)):
            raise ValueError(f"{name}: requested an output size of {output_size}, but valid "
                             f"sizes range from {low} to {high} (for an input of "
                             f"{tuple(x.shape[lead:])})")
        return tuple(s - lo for s, lo in zip(output_size, low))

    def forward(self, x, output_size=None):
        self._check_input(x)
        out_pad = self._output_padding(x, output_size)
        return self._op(x, self.weight, self.bias, self.stride, self.padding, out_pad,
                        self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution: (N, C_in, L) -> (N, C_out, L_out); weight
    (C_in, C_out/groups, k); L_out = (L - 1) s - 2 p + d (k - 1) + output_padding + 1."""

    n = 1
    _op = staticmethod(conv_ops.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution; weight (C_in, C_out/groups, kh, kw)."""

    _op = staticmethod(conv_ops.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution; weight (C_in, C_out/groups, kd, kh, kw)."""

    n = 3
    _op = staticmethod(conv_ops.conv_transpose3d)
