"""Pooling layers: MaxPooling1D/2D, AveragePooling1D/2D and the global poolings (Keras 3).

The window math lives in :func:`deepgrad.ops.max_pool2d` / :func:`deepgrad.ops.avg_pool2d`
(NCHW or NHWC); a 1-D input is an image of height 1. In channels_last (Keras's default)
the layers convert nothing: ``ops.max_pool2d`` / ``ops.avg_pool2d(..., channels_last=True)``
pool (N, H, W, C) as it is (``ops.max_pool3d`` / ``ops.avg_pool3d`` a volume (N, D, H, W, C),
for the 3-D layers in :mod:`.conv3d`), and channels_first goes to the NCHW ops as it is.

Keras's padding, per axis (n, pool k, stride s):

    'valid'   out = floor((n - k) / s) + 1
    'same'    out = ceil(n / s), padded by total = max((out - 1) s + k - n, 0), total // 2
              before and the rest after. Max pooling pads with -inf (padding never wins);
              average pooling leaves the padding out of the divisor:

                  y = mean over the window of the zero-padded input
                      / (fraction of the window that lies inside the input)

              both means taken by the same avg_pool2d op (the fraction from a constant
              image of ones).

Global pooling is a mean or max over the spatial axes (ops.mean / ops.amax).
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.layers.conv import (
    axis_pads, channel_axis, from_nchw, normalize_data_format, normalize_padding,
    normalize_tuple, output_spatial, pad_hw, to_nchw, with_spatial)
from deepgrad.keras.layers.layer import InputSpec, Layer


class _Pooling(Layer):
    """Shared body of the local poolings; ``rank`` spatial axes, ``mode`` 'max' or 'average'."""

    float_inputs = True              # bool/int inputs become the layer's dtype

    rank = 2
    mode = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = normalize_tuple(pool_size if strides is None else strides, self.rank,
                                       "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        self.input_spec.check(self, input_shape)
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_last":
            return self._channels_last(inputs)
        return self._channels_first(inputs)

    def _channels_first(self, inputs):
        x = to_nchw(inputs, self.data_format, self.rank)
        lead = (1,) * (2 - self.rank)
        k, s = lead + self.pool_size, lead + self.strides
        pads = [axis_pads(n, kk, ss, self.padding) for n, kk, ss in zip(x.shape[2:], k, s)]
        if self.mode == "max":
            pool = ops.max_pool3d if self.rank == 3 else ops.max_pool2d
            y = pool(pad_hw(x, pads, value=-np.inf), k, s)
        else:
            pool = ops.avg_pool3d if self.rank == 3 else ops.avg_pool2d
            y = pool(pad_hw(x, pads), k, s)
            if any(b or a for b, a in pads):
                ones = Tensor(np.ones((1, 1) + tuple(x.shape[2:]), x.dtype))
                y = y / pool(pad_hw(ones, pads), k, s)
        return from_nchw(y, self.data_format, self.rank)

    def _channels_last(self, x):
        """Pooling in Keras's layout, by the engine's channels-last ops (no transposes;
        a 1-D input is a height-1 image, a volume goes to the 3-D ops)."""
        if self.rank == 1:
            x = ops.unsqueeze(x, 1)
        lead = (1,) * (2 - self.rank)
        k, s = lead + self.pool_size, lead + self.strides
        pads = [axis_pads(n, kk, ss, self.padding) for n, kk, ss in zip(x.shape[1:-1], k, s)]
        if self.mode == "max":
            pool = ops.max_pool3d if self.rank == 3 else ops.max_pool2d
            y = pool(pad_hw(x, pads, value=-np.inf, channels_last=True), k, s,
                     channels_last=True)
        else:
            pool = ops.avg_pool3d if self.rank == 3 else ops.avg_pool2d
            y = pool(pad_hw(x, pads, channels_last=True), k, s, channels_last=True)
            if any(b or a for b, a in pads):
                ones = Tensor(np.ones((1,) + tuple(x.shape[1:-1]) + (1,), x.dtype))
                y = y / pool(pad_hw(ones, pads, channels_last=True), k, s, channels_last=True)
        return ops.squeeze(y, 1) if self.rank == 1 else y

    def compute_output_shape(self, input_shape):
        out = output_spatial(self, input_shape, self.pool_size, self.strides)
        channels = input_shape[channel_axis(self.data_format)]
        return with_spatial(input_shape, out, channels, self.data_format)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps: (batch, steps, C) -> (batch, steps', C)."""

    rank, mode = 1, "max"


class MaxPooling2D(_Pooling):
    """Max over pool_size windows of an image: (batch, H, W, C) -> (batch, H', W', C).

    Args:
        pool_size (int or pair): window (default 2).
        strides (int, pair or None): step (default None: pool_size).
        padding: 'valid' (default) or 'same'.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    rank, mode = 2, "max"


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps ('same' padding is not counted)."""

    rank, mode = 1, "average"


class AveragePooling2D(_Pooling):
    """Mean over pool_size windows of an image ('same' padding is not counted)."""

    rank, mode = 2, "average"


class _GlobalPooling(Layer):
    """Mean or max over every spatial axis; ``keepdims`` keeps them with length 1."""

    float_inputs = True              # bool/int inputs become the layer's dtype

    rank = 2
    mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        self.input_spec.check(self, input_shape)
        self.built = True

    def _axes(self):
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.rank))

    def call(self, inputs):
        reduce = ops.amax if self.mode == "max" else ops.mean
        return reduce(inputs, self._axes(), keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        channels = input_shape[channel_axis(self.data_format)]
        if self.keepdims:
            return with_spatial(input_shape, (1,) * self.rank, channels, self.data_format)
        return (input_shape[0], channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    """(batch, steps, C) -> (batch, C): the max over the steps."""

    rank, mode = 1, "max"


class GlobalMaxPooling2D(_GlobalPooling):
    """(batch, H, W, C) -> (batch, C): the max over the image."""

    rank, mode = 2, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """(batch, steps, C) -> (batch, C): the mean over the steps.

    With ``mask`` (batch, steps) (e.g. from ``Embedding(mask_zero=True).compute_mask``),
    the mean over the unmasked steps only: sum_t m_t x_t / sum_t m_t.
    """

    rank, mode = 1, "average"

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        m = np.asarray(mask.array if isinstance(mask, Tensor) else mask).astype(inputs.dtype)
        axis = self._axes()[0]
        m = Tensor(np.expand_dims(m, 2 if axis == 1 else 1))
        return ops.sum(inputs * m, axis, keepdim=self.keepdims) / ops.sum(
            m, axis, keepdim=self.keepdims)


class GlobalAveragePooling2D(_GlobalPooling):
    """(batch, H, W, C) -> (batch, C): the mean over the image."""

    rank, mode = 2, "average"


# Keras's short aliases
MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
