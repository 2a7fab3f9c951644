"""Small Keras 3 core layers: Identity, ActivityRegularization, Masking, UnitNormalization,
EinsumDense and the Wrapper base class.

    Masking(v):            y = x * any(x != v, axis=-1); the mask any(x != v, -1) goes on
    UnitNormalization:     y = x / sqrt(max(sum(x^2, axis), 1e-12))
    EinsumDense(eq, ...):  y = activation(einsum(eq, x, K) + b), K's shape read from eq
"""
import re

import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import activations, constraints, initializers, registry, regularizers
from deepgrad.keras.layers.layer import Layer


class Identity(Layer):
    """Returns its input unchanged (a placeholder, e.g. for a skipped block)."""

    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class ActivityRegularization(Layer):
    """Passes its input on and adds ``l1 sum|x| + l2 sum x^2`` (over the batch size) to
    the model's losses."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}


class Masking(Layer):
    """Zeroes time steps whose features all equal ``mask_value`` and marks them masked for
    the layers after (RNNs skip them)."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        x = inputs.array if isinstance(inputs, Tensor) else np.asarray(inputs)
        return Tensor(np.any(x != self.mask_value, axis=-1))

    def call(self, inputs):
        keep = np.any(inputs.array != self.mask_value, axis=-1, keepdims=True)
        return inputs * Tensor(keep.astype(inputs.array.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along ``axis``."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = ops.sum(inputs * inputs, axis, keepdim=True)
        eps = Tensor(np.asarray(1e-12, inputs.array.dtype))
        return inputs * ops.rsqrt(ops.maximum(square_sum, eps))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Wrapper(Layer):
    """Base class of layers that wrap another layer (``self.layer``)."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. "
                             f"Please ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return self.layer(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "layer": registry.serialize(self.layer, "layers")}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = registry.deserialize(config["layer"], "layers")
        return cls(**config)


def _einsum_shapes(equation, input_shape, output_shape, bias_axes):
    """Keras's analysis of ``equation`` (``"ab,bc->ac"`` or with a leading ``...``): the
    kernel shape, the bias shape and the full output shape."""
    match = re.fullmatch(r"([a-zA-Z.]+),([a-zA-Z]+)->([a-zA-Z.]+)", equation.replace(" ", ""))
    if not match:
        raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                         f"[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")
    spec_in, spec_k, spec_out = match.groups()
    ellipsis = spec_in.startswith("...")
    if ellipsis != spec_out.startswith("..."):
        raise ValueError(f"EinsumDense: '...' must lead both the input and the output in "
                         f"{equation!r}")
    spec_in, spec_out = spec_in.lstrip("."), spec_out.lstrip(".")
    if "." in spec_in + spec_out:
        raise ValueError(f"EinsumDense: only a leading '...' is supported; received "
                         f"{equation!r}")
    out_dims = list(output_shape) if isinstance(output_shape, (list, tuple)) else [output_shape]
    in_dims = list(input_shape)[len(input_shape) - len(spec_in):]
    if ellipsis:
        full_out = list(input_shape[:len(input_shape) - len(spec_in)]) + out_dims
        out_lookup = dict(zip(spec_out, out_dims))
    else:
        full_out = [input_shape[0]] + out_dims
        out_lookup = dict(zip(spec_out, full_out))
        if len(full_out) != len(spec_out):
            raise ValueError(f"Input shape and output shape do not match: the equation "
                             f"{equation!r} has {len(spec_out)} output axes; output_shape "
                             f"{output_shape} gives {len(full_out)} with the batch axis")
    in_lookup = dict(zip(spec_in, in_dims))
    kernel = []
    for c in spec_k:
        if c in in_lookup:
            kernel.append(in_lookup[c])
        elif c in out_lookup:
            kernel.append(out_lookup[c])
        else:
            raise ValueError(f"Weight dimension '{c}' did not have a match in either the input "
                             f"spec '{spec_in}' or the output spec '{spec_out}'.")
    bias = None
    if bias_axes:
        for c in bias_axes:
            if c not in spec_out:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the "
                                 f"output spec '{spec_out}'")
        first = min(spec_out.find(c) for c in bias_axes)
        bias = [out_lookup[c] if c in bias_axes else 1 for c in spec_out[first:]]
    return tuple(kernel), None if bias is None else tuple(bias), tuple(full_out)


class EinsumDense(Layer):
    """A dense layer of any tensor contraction: ``y = einsum(equation, x, kernel) + bias``.

    Args:
        equation (str): e.g. ``"ab,bc->ac"`` (Dense), ``"abc,cd->abd"``, ``"...b,bc->...c"``.
        output_shape: the output's shape without the batch axis (or the ``...`` axes).
        bias_axes (str): output letters that get a bias (None: no bias).
        activation, kernel/bias initializers, regularizers, constraints: as Dense.
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        if lora_rank or quantization_config is not None or gptq_unpacked_column_size:
            raise NotImplementedError("EinsumDense: LoRA, GPTQ and quantization are not "
                                      "supported by deepgrad.keras")
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = (tuple(output_shape) if isinstance(output_shape, (list,
                                                                                      tuple))
                                     else (output_shape,))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        kernel, bias, full = _einsum_shapes(self.equation, input_shape,
                                            self.partial_output_shape, self.bias_axes)
        self.full_output_shape = full
        self.kernel = self.add_weight(shape=kernel, name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None if bias is None else self.add_weight(
            shape=bias, name="bias", initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        y = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return _einsum_shapes(self.equation, input_shape, self.partial_output_shape,
                              self.bias_axes)[2]

    def get_config(self):
        return {**super().get_config(), "equation": self.equation,
                "output_shape": list(self.partial_output_shape), "bias_axes": self.bias_axes,
                "activation": activations.serialize(self.activation),
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}
