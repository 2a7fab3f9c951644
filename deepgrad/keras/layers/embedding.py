"""``Embedding``: integer indices -> rows of a trainable table (Keras 3's layer).

    y[..., :] = E[idx[...]]          E: (input_dim, output_dim), weight name 'embeddings'

The lookup and its scatter-add backward are :func:`deepgrad.ops.embedding`.
"""
import warnings

import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import constraints, initializers, regularizers
from deepgrad.keras.layers.core import _refuse_quantization
from deepgrad.keras.layers.layer import Layer


class Embedding(Layer):
    """Turns indices into dense vectors.

    Args:
        input_dim (int): vocabulary size (largest index + 1).
        output_dim (int): size of each vector.
        embeddings_initializer: default 'uniform' (Keras: RandomUniform(-0.05, 0.05)).
        embeddings_regularizer, embeddings_constraint.
        mask_zero (bool): index 0 is padding; :meth:`compute_mask` then gives
            ``inputs != 0`` for the layers downstream (input_dim must leave room for it).
        input_length: accepted and ignored (Keras 2 argument, deprecated in Keras 3).
    Weights:
        embeddings (input_dim, output_dim); created at construction (sizes are known).
    Shape:
        (batch, *) integers -> (batch, *, output_dim). Float inputs are cast to int, as Keras.
    Example:
        >>> Embedding(1000, 64).count_params()
        64000
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        _refuse_quantization("Embedding", lora_rank, quantization_config)
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}="
                                 f"{value!r} (of type {type(value).__name__}).")
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.")
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.build()
        if weights is not None:
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self._trainable_variables:
            return
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), name="embeddings",
            initializer=self.embeddings_initializer, regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        idx = inputs.array if isinstance(inputs, Tensor) else np.asarray(inputs)
        if idx.dtype.kind not in "iu":
            idx = idx.astype(np.int64)
        return ops.embedding(idx, self.embeddings)

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` (a bool tensor of the inputs' shape) when mask_zero, else None."""
        if not self.mask_zero:
            return None
        return Tensor(np.asarray(inputs.array if isinstance(inputs, Tensor) else inputs) != 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero, "quantization_config": None}
