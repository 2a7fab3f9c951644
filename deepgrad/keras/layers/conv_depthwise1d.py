"""DepthwiseConv1D and SeparableConv1D (Keras 3): the 2-D depthwise layers on a height-1
view of (batch, steps, channels) sequences, with Keras's 1-D weight shapes

    DepthwiseConv1D:  kernel (k, in, depth_multiplier), bias (in * depth_multiplier,)
    SeparableConv1D:  depthwise_kernel (k, in, m), pointwise_kernel (1, in m, filters),
                      bias (filters,)

(the 2-D code adds the unit height to the kernels on the fly, differentiably; in
channels_last the sequence is the (batch, 1, steps, channels) image, a view).
"""
from deepgrad import ops
from deepgrad.keras.layers.conv import (
    _kernel_oihw, add_bias, add_weight_with_args, channel_spec, check_input, from_nchw,
    normalize_tuple, to_nchw)
from deepgrad.keras.layers.conv_depthwise import DepthwiseConv2D, SeparableConv2D


def _geometry_1d(kernel_size, strides, dilation_rate):
    return ((1,) + normalize_tuple(kernel_size, 1, "kernel_size"),
            (1,) + normalize_tuple(strides, 1, "strides"),
            (1,) + normalize_tuple(dilation_rate, 1, "dilation_rate"))


class _OneD:
    """Shared: 1-D arguments in, a (1, k) geometry for the 2-D base, 1-D config out."""

    def _input_2d(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], 1) + tuple(input_shape[1:])
        return tuple(input_shape[:2]) + (1,) + tuple(input_shape[2:])

    def _squeeze_shape(self, shape):
        axis = 1 if self.data_format == "channels_last" else 2
        return tuple(shape[:axis]) + tuple(shape[axis + 1:])

    def get_config(self):
        config = super().get_config()
        for key in ("kernel_size", "strides", "dilation_rate"):
            config[key] = tuple(config[key][1:])
        return config


class DepthwiseConv1D(_OneD, DepthwiseConv2D):
    """Each channel of a sequence convolved with its own ``depth_multiplier`` filters."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, **kwargs):
        k, s, d = _geometry_1d(kernel_size, strides, dilation_rate)
        super().__init__(k, s, padding, depth_multiplier, data_format, d, **kwargs)

    def build(self, input_shape):
        channels = check_input(self, input_shape, 1)
        self._out_spatial(self._input_2d(input_shape))
        self.kernel = add_weight_with_args(
            self, "kernel", (self.kernel_size[1], channels, self.depth_multiplier),
            "depthwise")
        self.bias = add_bias(self, channels * self.depth_multiplier)
        self.input_spec = channel_spec(3, self.data_format, channels)
        self.built = True

    @property
    def depthwise_kernel(self):
        return ops.unsqueeze(self.kernel, 0)

    def call(self, inputs):
        if self.data_format == "channels_last":       # (N, 1, L, C): no layout change
            y = self._depthwise_last(ops.unsqueeze(inputs, 1), self.bias)
            return self.activation(ops.squeeze(y, 1))
        y = self._depthwise(to_nchw(inputs, self.data_format, 1), self.bias)
        return self.activation(from_nchw(y, self.data_format, 1))

    def compute_output_shape(self, input_shape):
        return self._squeeze_shape(super().compute_output_shape(self._input_2d(input_shape)))


class SeparableConv1D(_OneD, SeparableConv2D):
    """A depthwise 1-D convolution followed by a pointwise (size-1) one to ``filters``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, **kwargs):
        k, s, d = _geometry_1d(kernel_size, strides, dilation_rate)
        super().__init__(filters, k, s, padding, data_format, d, depth_multiplier, **kwargs)

    def build(self, input_shape):
        channels = check_input(self, input_shape, 1)
        self._out_spatial(self._input_2d(input_shape))
        self.depthwise_kernel_1d = add_weight_with_args(
            self, "depthwise_kernel", (self.kernel_size[1], channels, self.depth_multiplier),
            "depthwise")
        self.pointwise_kernel_1d = add_weight_with_args(
            self, "pointwise_kernel", (1, channels * self.depth_multiplier, self.filters),
            "pointwise")
        self.bias = add_bias(self, self.filters)
        self.input_spec = channel_spec(3, self.data_format, channels)
        self.built = True

    @property
    def depthwise_kernel(self):
        return ops.unsqueeze(self.depthwise_kernel_1d, 0)

    def call(self, inputs):
        pointwise = ops.unsqueeze(self.pointwise_kernel_1d, 0)
        if self.data_format == "channels_last":       # (N, 1, L, C): no layout change
            y = self._depthwise_last(ops.unsqueeze(inputs, 1), None)
            y = ops.conv2d(y, pointwise, self.bias, channels_last=True)
            return self.activation(ops.squeeze(y, 1))
        y = self._depthwise(to_nchw(inputs, self.data_format, 1), None)
        y = ops.conv2d(y, _kernel_oihw(pointwise, 2), self.bias)
        return self.activation(from_nchw(y, self.data_format, 1))

    def compute_output_shape(self, input_shape):
        return self._squeeze_shape(super().compute_output_shape(self._input_2d(input_shape)))


SeparableConvolution1D = SeparableConv1D
