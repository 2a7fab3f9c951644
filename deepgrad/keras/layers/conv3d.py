"""3-D convolution and pooling: Conv3D, Conv3DTranspose, MaxPooling3D, AveragePooling3D and
their global forms, over (batch, D, H, W, C) volumes (or channels_first).

They are the 1-D/2-D layers (:mod:`deepgrad.keras.layers.conv`,
:mod:`deepgrad.keras.layers.pooling`) with ``rank = 3``: the same arguments, checks,
output-length rule and code, which picks the engine's 3-D ops for volumes. In channels_last
(Keras's default) those take the (N, D, H, W, C) volume and Keras's kernel
(kd, kh, kw, in, filters) as they are (``ops.conv3d(..., channels_last=True)``,
:func:`~deepgrad.ops.conv_transpose_last.conv_transpose3d_last`, ``ops.max_pool3d`` and
``ops.avg_pool3d(..., channels_last=True)``): no permutes. Forward and backward against
the permuting path they replace (float32, one process, interleaved): Conv3D 32 -> 32
channels on (4, 8, 8, 8) 2.0x, 8 -> 16 on (8, 16, 16, 16) 1.4x, one input channel
0.95-1.26x, three input channels and 16 filters 0.84-0.95x (the tall (N P, 81) im2col
GEMMs); Conv3DTranspose 1.3-2.2x; MaxPooling3D 1.2-1.8x; AveragePooling3D 1.1-1.2x.
channels_first, and a Conv3D with groups > 1, call :func:`deepgrad.ops.conv3d`,
:func:`deepgrad.ops.conv_transpose3d`, :func:`deepgrad.ops.max_pool3d`,
:func:`deepgrad.ops.avg_pool3d` on an NCDHW view.
"""
from deepgrad.keras.layers.conv import _Conv, _ConvTranspose
from deepgrad.keras.layers.pooling import _GlobalPooling, _Pooling


class Conv3D(_Conv):
    """3-D convolution: y = activation(conv(x, K) + b).

    Args: as Conv2D, with triples for kernel_size, strides, dilation_rate.
    Weights:
        kernel (kd, kh, kw, in/groups, filters), bias (filters,).
    Shape:
        (batch, D, H, W, in) -> (batch, D', H', W', filters).
    """

    rank = 3


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution (the gradient of Conv3D with respect to its input).

    Weights:
        kernel (kd, kh, kw, filters, in), bias (filters,).
    """

    rank = 3


class _Pooling3D(_Pooling):
    rank = 3


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
