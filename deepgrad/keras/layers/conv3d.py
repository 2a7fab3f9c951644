"""3-D convolution and pooling: Conv3D, Conv3DTranspose, MaxPooling3D, AveragePooling3D and
their global forms, over (batch, D, H, W, C) volumes (or channels_first).

They reuse the 1-D/2-D layers' arguments, checks, output-length rule and channels_last
paths (:mod:`deepgrad.keras.layers.conv`, :mod:`deepgrad.keras.layers.pooling`): in
channels_last (Keras's default) the engine's 3-D ops take the (N, D, H, W, C) volume and
Keras's kernel (kd, kh, kw, in, filters) as they are (``ops.conv3d(..., channels_last=True)``,
:func:`~deepgrad.ops.conv_transpose_last.conv_transpose3d_last`, ``ops.max_pool3d`` and
``ops.avg_pool3d(..., channels_last=True)``): no permutes. Forward and backward against
the permuting path they replace (float32, one process, interleaved): Conv3D 32 -> 32
channels on (4, 8, 8, 8) 2.0x, 8 -> 16 on (8, 16, 16, 16) 1.4x, one input channel 0.95-1.26x,
three input channels and 16 filters 0.84-0.95x (the tall (N P, 81) im2col GEMMs);
Conv3DTranspose 1.3-2.2x; MaxPooling3D 1.2-1.8x; AveragePooling3D 1.1-1.2x. channels_first, and a Conv3D
with groups > 1, call :func:`deepgrad.ops.conv3d`, :func:`deepgrad.ops.conv_transpose3d`,
:func:`deepgrad.ops.max_pool3d`, :func:`deepgrad.ops.avg_pool3d` on an NCDHW view.
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.layers.conv import (
    _Conv, _ConvTranspose, axis_pads, from_nchw, pad_hw, spatial_dims, to_nchw, with_spatial)
from deepgrad.keras.layers.pooling import _GlobalPooling, _Pooling


def _kernel_oidhw(kernel):
    """Keras kernel (kd, kh, kw, in, out) -> the op's (out, in, kd, kh, kw)."""
    return ops.permute(kernel, (4, 3, 0, 1, 2))


class Conv3D(_Conv):
    """3-D convolution: y = activation(conv(x, K) + b).

    Args: as Conv2D, with triples for kernel_size, strides, dilation_rate.
    Weights:
        kernel (kd, kh, kw, in/groups, filters), bias (filters,).
    Shape:
        (batch, D, H, W, in) -> (batch, D', H', W', filters).
    """

    rank = 3

    def _call_channels_first(self, inputs):
        x = to_nchw(inputs, self.data_format, 3)
        pads = [axis_pads(n, k, s, self.padding, d) for n, k, s, d in
                zip(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)]
        y = ops.conv3d(pad_hw(x, pads), _kernel_oidhw(self.kernel), self.bias, self.strides,
                       0, self.dilation_rate, self.groups)
        return from_nchw(y, self.data_format, 3)


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution (the gradient of Conv3D with respect to its input).

    Weights:
        kernel (kd, kh, kw, filters, in), bias (filters,).
    """

    rank = 3

    def _crops(self):
        return super()._crops()[-3:]

    def _call_channels_first(self, inputs):
        x = to_nchw(inputs, self.data_format, 3)
        y = ops.conv_transpose3d(x, _kernel_oidhw(self.kernel), None, self.strides, 0, 0, 1,
                                 self.dilation_rate)
        y = pad_hw(y, [(-b, -a) for b, a in self._crops()])
        if self.bias is not None:
            y = y + ops.reshape(self.bias, (1, self.filters, 1, 1, 1))
        return from_nchw(y, self.data_format, 3)

    def compute_output_shape(self, input_shape):
        out = []
        for n, k, s, d, (b, a) in zip(spatial_dims(input_shape, self.data_format),
                                      self.kernel_size, self.strides, self.dilation_rate,
                                      self._crops()):
            out.append(None if n is None else (n - 1) * s + d * (k - 1) + 1 - b - a)
        return with_spatial(input_shape, out, self.filters, self.data_format)


class _Pooling3D(_Pooling):
    rank = 3

    def _channels_first(self, inputs):
        x = to_nchw(inputs, self.data_format, 3)
        k, s = self.pool_size, self.strides
        pads = [axis_pads(n, kk, ss, self.padding) for n, kk, ss in zip(x.shape[2:], k, s)]
        if self.mode == "max":
            y = ops.max_pool3d(pad_hw(x, pads, value=-np.inf), k, s)
        else:
            y = ops.avg_pool3d(pad_hw(x, pads), k, s)
            if any(b or a for b, a in pads):          # 'same' padding is not counted
                ones = Tensor(np.ones((1, 1) + tuple(x.shape[2:]), x.dtype))
                y = y / ops.avg_pool3d(pad_hw(ones, pads), k, s)
        return from_nchw(y, self.data_format, 3)


class MaxPooling3D(_Pooling3D):
    """Max over pool_size windows of a volume: (batch, D, H, W, C) -> (batch, D', H', W', C)."""

    mode = "max"


class AveragePooling3D(_Pooling3D):
    """Mean over pool_size windows of a volume ('same' padding is not counted).
    ``pool_size`` has no default, as in Keras 3."""

    mode = "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over D, H, W: (batch, D, H, W, C) -> (batch, C)."""

    rank, mode = 3, "max"


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over D, H, W: (batch, D, H, W, C) -> (batch, C)."""

    rank, mode = 3, "average"


Convolution3D, Convolution3DTranspose = Conv3D, Conv3DTranspose
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalMaxPool3D, GlobalAvgPool3D = GlobalMaxPooling3D, GlobalAveragePooling3D
