"""DepthwiseConv2D and SeparableConv2D (Keras 3 names, arguments, defaults, weight names
and layouts; the shared argument handling is :mod:`deepgrad.keras.layers.conv`'s).

channels_last runs :func:`deepgrad.ops.depthwise_conv2d` on the input and Keras's
depthwise kernel (kh, kw, in, depth_multiplier) as they are (output channel
c * depth_multiplier + m), and SeparableConv2D's pointwise step is the channels-last
1x1 convolution: no layout conversion. channels_first runs the NCHW grouped convolution
(groups = in channels) with the kernel permuted to (in * m, 1, kh, kw).
"""
from deepgrad import ops
from deepgrad.keras import constraints, initializers, regularizers
from deepgrad.keras.layers.conv import (
    _kernel_oihw, add_bias, add_weight_with_args, axis_pads, channel_axis, channel_spec,
    check_input, from_nchw, normalize_data_format, normalize_geometry, normalize_padding,
    output_spatial, pad_hw, store_weight_args, to_nchw, weight_args_config, with_spatial)
from deepgrad.keras.layers.layer import Layer


def _depthwise_oihw(depthwise_kernel):
    """Keras (kh, kw, in, m) -> the op's (in m, 1, kh, kw); output channel c m + j."""
    kh, kw, c, m = depthwise_kernel.shape
    return ops.reshape(ops.permute(depthwise_kernel, (2, 3, 0, 1)), (c * m, 1, kh, kw))


class _DepthwiseBase(Layer):
    """A per-channel convolution (groups = in channels), optionally then a 1x1 one."""

    float_inputs = True              # bool/int inputs become the layer's dtype

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.kernel_size, self.strides, self.dilation_rate = normalize_geometry(
            2, kernel_size, strides, dilation_rate)
        self.padding = normalize_padding(padding)
        self.depth_multiplier = int(depth_multiplier)
        self.data_format = normalize_data_format(data_format)
        store_weight_args(self, "depthwise", activation, use_bias, depthwise_initializer,
                          bias_initializer, depthwise_regularizer, bias_regularizer,
                          depthwise_constraint, bias_constraint)

    def _depthwise(self, x_nchw, bias):
        pads = [axis_pads(n, k, s, self.padding, d) for n, k, s, d in
                zip(x_nchw.shape[2:], self.kernel_size, self.strides, self.dilation_rate)]
        return ops.conv2d(pad_hw(x_nchw, pads), _depthwise_oihw(self.depthwise_kernel), bias,
                          self.strides, 0, self.dilation_rate, groups=x_nchw.shape[1])

    def _depthwise_last(self, x, bias):
        """channels_last: the engine's depthwise op on the input and Keras's kernel
        (kh, kw, in, multiplier) as they are (no layout conversion)."""
        pads = [axis_pads(n, k, s, self.padding, d) for n, k, s, d in
                zip(x.shape[1:3], self.kernel_size, self.strides, self.dilation_rate)]
        return ops.depthwise_conv2d(x, self.depthwise_kernel, bias, self.strides,
                                    tuple(v for pair in pads for v in pair),
                                    self.dilation_rate)

    def _out_spatial(self, input_shape):
        return output_spatial(self, input_shape, self.kernel_size, self.strides,
                              self.dilation_rate)

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding,
                "depth_multiplier": self.depth_multiplier, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, **weight_args_config(self, "depthwise")}


class DepthwiseConv2D(_DepthwiseBase):
    """Each input channel convolved with its own ``depth_multiplier`` filters.

    Weights: kernel (kh, kw, in, depth_multiplier), bias (in * depth_multiplier,).
    Shape: (batch, H, W, in) -> (batch, H', W', in * depth_multiplier).
    """

    def build(self, input_shape):
        channels = check_input(self, input_shape, 2)
        self._out_spatial(input_shape)                  # fails early on a too-small input
        self.depthwise_kernel = add_weight_with_args(
            self, "kernel", self.kernel_size + (channels, self.depth_multiplier), "depthwise")
        self.bias = add_bias(self, channels * self.depth_multiplier)
        self.input_spec = channel_spec(4, self.data_format, channels)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_last":
            return self.activation(self._depthwise_last(inputs, self.bias))
        y = self._depthwise(to_nchw(inputs, self.data_format, 2), self.bias)
        return self.activation(from_nchw(y, self.data_format, 2))

    def compute_output_shape(self, input_shape):
        channels = input_shape[channel_axis(self.data_format)]
        return with_spatial(input_shape, self._out_spatial(input_shape),
                            None if channels is None else channels * self.depth_multiplier,
                            self.data_format)


class SeparableConv2D(_DepthwiseBase):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution to ``filters``.

    Weights: depthwise_kernel (kh, kw, in, depth_multiplier), pointwise_kernel
    (1, 1, in * depth_multiplier, filters), bias (filters,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        self.filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = check_input(self, input_shape, 2)
        self._out_spatial(input_shape)                  # fails early on a too-small input
        self.depthwise_kernel = add_weight_with_args(
            self, "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
            "depthwise")
        self.pointwise_kernel = add_weight_with_args(
            self, "pointwise_kernel", (1, 1, channels * self.depth_multiplier, self.filters),
            "pointwise")
        self.bias = add_bias(self, self.filters)
        self.input_spec = channel_spec(4, self.data_format, channels)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_last":       # no layout conversion at all
            y = self._depthwise_last(inputs, None)
            return self.activation(ops.conv2d(y, self.pointwise_kernel, self.bias,
                                              channels_last=True))
        y = self._depthwise(to_nchw(inputs, self.data_format, 2), None)
        y = ops.conv2d(y, _kernel_oihw(self.pointwise_kernel, 2), self.bias)
        return self.activation(from_nchw(y, self.data_format, 2))

    def compute_output_shape(self, input_shape):
        return with_spatial(input_shape, self._out_spatial(input_shape), self.filters,
                            self.data_format)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "pointwise_constraint": constraints.serialize(self.pointwise_constraint)}
