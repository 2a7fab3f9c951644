"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax (Keras 3 names and defaults).

Each calls the function of :mod:`deepgrad.keras.activations` (itself composed of ops):

    ReLU       max_value if x >= max_value; x if threshold <= x < max_value;
               negative_slope (x - threshold) otherwise
    LeakyReLU  x if x > 0 else negative_slope x           (negative_slope = 0.3)
    PReLU      relu(x) - alpha relu(-x), alpha a weight (one per feature, or shared)
    ELU        x if x > 0 else alpha (e^x - 1)
    Softmax    e^{x_i} / sum_j e^{x_j} over ``axis``; a mask sends the masked entries to
               -1e9 before and to 0 after
"""
import warnings

import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import activations, constraints, initializers, regularizers
from deepgrad.keras.layers.layer import InputSpec, Layer


def _non_negative(layer, **values):
    for name, value in values.items():
        if value is None or value < 0:
            raise ValueError(f"{name} of a {layer} layer cannot be None or a negative value. "
                             f"Received: {name}={value}")


class ReLU(Layer):
    """Rectified linear unit with Keras's optional ceiling, slope and threshold.

    Args:
        max_value (float or None), negative_slope (0.0), threshold (0.0), all >= 0.
    """

    float_inputs = True              # bool/int inputs become the layer's dtype
    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. "
                             f"Received: max_value={max_value}")
        _non_negative("ReLU", negative_slope=negative_slope, threshold=threshold)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(Layer):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (``alpha=`` accepted, deprecated)."""

    float_inputs = True              # bool/int inputs become the layer's dtype
    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.")
        super().__init__(**kwargs)
        _non_negative("LeakyReLU", negative_slope=negative_slope)
        self.negative_slope = negative_slope

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Leaky ReLU with a learned slope: ``relu(x) - alpha * relu(-x)``.

    Args:
        alpha_initializer ('Zeros'), alpha_regularizer, alpha_constraint.
        shared_axes: axes (1-based, batch excluded as in Keras) along which one alpha is
            shared, e.g. (1, 2) for one slope per channel of (batch, H, W, C) images.
    Weights:
        alpha of shape input_shape[1:], with the shared axes set to 1.
    """

    float_inputs = True              # bool/int inputs become the layer's dtype
    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = [int(a) for a in (shared_axes if isinstance(
                shared_axes, (list, tuple)) else [shared_axes])]

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f'Layer "{self.name}": shared_axes {self.shared_axes} must be '
                                 f'in 1..{len(input_shape) - 1} for input shape '
                                 f'{tuple(input_shape)}')
            param_shape[axis - 1] = 1
        if None in param_shape:
            raise ValueError(f'Layer "{self.name}": the non-shared axes of the input shape '
                             f'{tuple(input_shape)} must be known (use shared_axes for the '
                             f'others)')
        self.alpha = self.add_weight(shape=tuple(param_shape), name="alpha",
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if i not in (self.shared_axes or [])}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        return activations.relu(inputs) - self.alpha * activations.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}


class ELU(Layer):
    """``x`` if ``x > 0`` else ``alpha (e^x - 1)``."""

    float_inputs = True              # bool/int inputs become the layer's dtype
    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax over ``axis`` (-1); ``Softmax()(x, mask=m)`` leaves out entries where m is 0.

    Args:
        axis (int or tuple): the normalised axis or axes.
    """

    float_inputs = True              # bool/int inputs become the layer's dtype
    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            keep = np.asarray(mask.array if isinstance(mask, Tensor) else mask)
            keep = keep if keep.dtype == np.bool_ else keep > 0.5
            keep = np.broadcast_to(keep, inputs.shape)
            big_negative = -3e4 if inputs.dtype == np.float16 else -1e9
            inputs = ops.where(keep, inputs, big_negative)
        if isinstance(self.axis, (list, tuple)) and len(self.axis) > 1:
            out = ops.exp(inputs - ops.logsumexp(inputs, tuple(self.axis), keepdim=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, (list, tuple)) else self.axis
            out = activations.softmax(inputs, axis=axis)
        return out if mask is None else ops.where(keep, out, 0.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
