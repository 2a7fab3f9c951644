"""ConvLSTM1D/2D/3D (Shi et al., 2015) with Keras 3's arguments and weights.

An LSTM whose matrix products are convolutions, over (batch, time, *spatial, channels):

    z_t = conv(x_t, K) + conv_same(h_{t-1}, R) + b,     blocks [i, f, c, o] of 4 F channels
    i, f, o = recurrent_activation(z_i, z_f, z_o),      c~ = activation(z_c)
    c_t = f c_{t-1} + i c~,        h_t = o activation(c_t)

``conv`` uses the layer's strides, padding and dilation; the recurrent convolution keeps
the state's size ("same", stride 1). Each step is the engine's ``conv{1,2,3}d`` on a
channels-first view, so gradients come from the conv ops' own backward.

Weights: kernel (*k, in, 4F), recurrent_kernel (*k, F, 4F), bias (4F,) (the forget block
starts at 1 with ``unit_forget_bias``).
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import activations, constraints, initializers, regularizers
from deepgrad.keras.layers.conv import (
    axis_pads, normalize_data_format, normalize_padding, normalize_tuple, output_length)
from deepgrad.keras.layers.layer import Layer

_CONV = {1: ops.conv1d, 2: ops.conv2d, 3: ops.conv3d}


def _pad(x, pads):
    flat = []
    for b, a in reversed(pads):
        flat += [b, a]
    return ops.pad(x, tuple(flat)) if any(flat) else x


class _ConvLSTM(Layer):
    rank = 2
    float_inputs = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        name = type(self).__name__
        if stateful:
            raise NotImplementedError(f"{name}: stateful=True is not supported")
        if dropout or recurrent_dropout:
            raise NotImplementedError(f"{name}: dropout/recurrent_dropout are not supported; "
                                      f"use a Dropout layer before it")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        r = self.rank
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, r, "kernel_size")
        self.strides = normalize_tuple(strides, r, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, r, "dilation_rate")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = use_bias, unit_forget_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout, self.recurrent_dropout, self.seed = dropout, recurrent_dropout, seed
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.stateful = go_backwards, False

    def _channels(self, input_shape):
        return input_shape[-1] if self.data_format == "channels_last" else input_shape[2]

    def _spatial(self, input_shape):
        return tuple(input_shape[2:-1]) if self.data_format == "channels_last" \
            else tuple(input_shape[3:])

    def build(self, input_shape):
        if len(input_shape) != self.rank + 3:
            raise ValueError(f'Layer "{self.name}" expects inputs of rank {self.rank + 3} '
                             f'(batch, time, *spatial, channels); received shape '
                             f'{tuple(input_shape)}')
        c, f4 = self._channels(input_shape), 4 * self.filters
        self.kernel = self.add_weight(shape=self.kernel_size + (c, f4), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, f4), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        init, f = self.bias_initializer, self.filters
        if self.unit_forget_bias:
            def bias_init(shape, dtype=None):           # blocks [i, f, c, o], f = 1
                return np.concatenate([np.asarray(init((f,), dtype=dtype)), np.ones(f, dtype),
                                       np.asarray(init((2 * f,), dtype=dtype))])
        else:
            bias_init = init
        self.bias = self.add_weight(shape=(f4,), name="bias", initializer=bias_init,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.built = True

    def _oi(self, kernel):
        r = self.rank
        return ops.permute(kernel, (r + 1, r) + tuple(range(r)))

    def call(self, inputs, initial_state=None, training=None):
        conv, r = _CONV[self.rank], self.rank
        x = inputs
        if self.data_format == "channels_last":         # (B, T, *S, C) -> (B, T, C, *S)
            x = ops.permute(x, (0, 1, r + 2) + tuple(range(2, r + 2)))
        steps = x.shape[1]
        pads = [axis_pads(n, k, s, self.padding, d) for n, k, s, d in
                zip(x.shape[3:], self.kernel_size, self.strides, self.dilation_rate)]
        rec_pads = [axis_pads(n, k, 1, "same", 1) for n, k in
                    zip(self._out_spatial(x.shape[3:]), self.kernel_size)]
        wx, wh = self._oi(self.kernel), self._oi(self.recurrent_kernel)
        out_shape = (x.shape[0], self.filters) + self._out_spatial(x.shape[3:])
        if initial_state is None:
            zeros = np.zeros(out_shape, x.array.dtype)
            h, c = Tensor(zeros), Tensor(zeros.copy())
        else:
            h, c = (self._to_cf(s) for s in initial_state)
        bias = None if self.bias is None else ops.reshape(self.bias, (1, -1) + (1,) * r)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        for t in order:
            z = conv(_pad(ops.getitem(x, (slice(None), t)), pads), wx, None, self.strides, 0,
                     self.dilation_rate)
            z = z + conv(_pad(h, rec_pads), wh, None, 1, 0, 1)
            if bias is not None:
                z = z + bias
            zi, zf, zc, zo = ops.chunk(z, 4, 1)
            c = self.recurrent_activation(zf) * c + self.recurrent_activation(zi) * \
                self.activation(zc)
            h = self.recurrent_activation(zo) * self.activation(c)
            outputs.append(h)
        out = ops.stack(outputs, 1) if self.return_sequences else h
        out = self._from_cf(out, sequence=self.return_sequences)
        if self.return_state:
            return [out, self._from_cf(h), self._from_cf(c)]
        return out

    def _out_spatial(self, spatial):
        return tuple(output_length(n, k, s, self.padding, d) for n, k, s, d in
                     zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def _to_cf(self, s):
        s = s if isinstance(s, Tensor) else Tensor(np.asarray(s, self.dtype))
        return ops.movedim(s, -1, 1) if self.data_format == "channels_last" else s

    def _from_cf(self, y, sequence=False):
        if self.data_format != "channels_last":
            return y
        return ops.movedim(y, 2 if sequence else 1, -1)

    def compute_output_shape(self, input_shape):
        spatial = self._out_spatial(self._spatial(input_shape))
        one = ((input_shape[0],) + spatial + (self.filters,)
               if self.data_format == "channels_last"
               else (input_shape[0], self.filters) + spatial)
        out = one[:1] + (input_shape[1],) + one[1:] if self.return_sequences else one
        return [out, one, one] if self.return_state else out

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias, "unit_forget_bias": self.unit_forget_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful}


class ConvLSTM1D(_ConvLSTM):
    """ConvLSTM over (batch, time, steps, channels)."""

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """ConvLSTM over (batch, time, rows, cols, channels)."""

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """ConvLSTM over (batch, time, depth, rows, cols, channels)."""

    rank = 3
