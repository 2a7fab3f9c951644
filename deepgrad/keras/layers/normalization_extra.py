"""GroupNormalization, RMSNormalization and SpectralNormalization (Keras 3).

    GroupNormalization:  channels split into ``groups``; each (sample, group) standardised
                         over its channels and spatial positions; then gamma * x + beta
                         per channel (the engine's ``group_norm``)
    RMSNormalization:    y = x / sqrt(mean(x^2, axis) + eps) * scale  (``rms_norm``)
    SpectralNormalization(layer): before each training call the wrapped layer's kernel
                         W (reshaped to (-1, out)) is divided by its largest singular value,
                         estimated by ``power_iterations`` steps of
                         v = l2n(u W^T), u = l2n(v W), sigma = v W u^T (u is kept)
"""
import numpy as np

from deepgrad import ops
from deepgrad.keras import constraints, initializers, regularizers
from deepgrad.keras.layers.core_extra import Wrapper
from deepgrad.keras.layers.layer import Layer


class GroupNormalization(Layer):
    """Group normalization (Wu & He, 2018) over ``axis`` (the channels, -1 by default).

    Args: groups (32), axis (-1), epsilon (1e-3), center, scale, beta/gamma initializers,
    regularizers, constraints.
    """

    float_inputs = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups, self.axis, self.epsilon = groups, axis, epsilon
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension "
                             f"but the layer received an input with shape {input_shape}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number "
                             f"of channels ({dim}).")
        if dim % self.groups:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the "
                             f"number of channels ({dim}).")
        self.gamma = self.add_weight(shape=(dim,), name="gamma",
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(shape=(dim,), name="beta",
                                    initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.built = True

    def call(self, inputs):
        axis = self.axis % inputs.ndim
        x = ops.movedim(inputs, axis, 1) if axis != 1 else inputs
        y = ops.group_norm(x, self.groups, self.gamma, self.beta, eps=self.epsilon)
        return ops.movedim(y, 1, axis) if axis != 1 else y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}


class RMSNormalization(Layer):
    """Root-mean-square normalization over ``axis`` (-1) with a learned ``scale``."""

    float_inputs = True

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, epsilon

    def build(self, input_shape):
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        shape = tuple(input_shape[a] for a in axes)
        self.scale = self.add_weight(shape=shape, name="scale", initializer="ones")
        self.built = True

    def call(self, inputs):
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        axes = sorted(a % inputs.ndim for a in axes)
        if axes == list(range(inputs.ndim - len(axes), inputs.ndim)):
            return ops.rms_norm(inputs, tuple(inputs.shape[a] for a in axes), self.scale,
                                eps=self.epsilon)
        ms = ops.mean(inputs * inputs, tuple(axes), keepdim=True)
        shape = [inputs.shape[a] if a in axes else 1 for a in range(inputs.ndim)]
        return inputs * ops.rsqrt(ms + self.epsilon) * ops.reshape(self.scale, tuple(shape))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


def _l2n(v, eps=1e-12):
    return v / np.sqrt(max(np.sum(v * v), eps))


class SpectralNormalization(Wrapper):
    """Spectral normalization of a wrapped layer's ``kernel`` (Miyato et al., 2018)."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(f"`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' "
                             f"nor 'embeddings'")
        self.kernel = kernel
        self.vector_u = self.add_weight(shape=(1, kernel.shape[-1]), name="vector_u",
                                        initializer=initializers.TruncatedNormal(stddev=0.02),
                                        trainable=False)
        self.built = True

    def normalized_weights(self):
        """The kernel divided by its power-iteration spectral norm, and the new u."""
        w = self.kernel.numpy()
        flat = w.reshape(-1, w.shape[-1]).astype(np.float64)
        u = self.vector_u.numpy().astype(np.float64)
        for _ in range(self.power_iterations):
            v = _l2n(u @ flat.T)
            u = _l2n(v @ flat)
        sigma = float((v @ flat @ u.T).item())
        return (w / sigma).astype(w.dtype), u.astype(w.dtype)

    def call(self, inputs, training=False):
        if training:
            kernel, u = self.normalized_weights()
            self.vector_u.assign(u)
            self.kernel.assign(kernel)
        return self.layer(inputs)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}


