"""ReversibleEmbedding (an Embedding that also maps vectors back to token logits) and
Pipeline (preprocessing layers applied in order), as in Keras 3.

    ReversibleEmbedding(x)                = E[x]
    ReversibleEmbedding(h, reverse=True)  = h E^T    (tie_weights; else h R, R (dim, vocab))
                                            then c tanh(logits / c) with logit_soft_cap c
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import registry
from deepgrad.keras.layers.embedding import Embedding
from deepgrad.keras.layers.layer import Layer


class ReversibleEmbedding(Embedding):
    """An embedding whose transpose (or a separate matrix) gives output logits."""

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights, self.reverse_dtype = tie_weights, reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self.reverse_embeddings = None
        if self.built:                          # Embedding builds at once (sizes known)
            self._build_reverse()

    def _build_reverse(self):
        if not self.tie_weights and self.reverse_embeddings is None:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim), name="reverse_embeddings",
                initializer=self.embeddings_initializer)

    def build(self, input_shape=None):
        super().build(input_shape)
        if "tie_weights" in self.__dict__:
            self._build_reverse()
        self.built = True

    def __call__(self, inputs, *args, reverse=False, **kwargs):
        if not reverse:
            return super().__call__(inputs, *args, **kwargs)
        if not self.built:
            self.build()
        x = inputs if isinstance(inputs, Tensor) else Tensor(np.asarray(inputs, self.dtype))
        kernel = ops.transpose(self.embeddings, 0, 1) if self.tie_weights \
            else self.reverse_embeddings
        if self.reverse_dtype is not None:
            x, kernel = ops.cast(x, np.dtype(self.reverse_dtype)), ops.cast(
                kernel, np.dtype(self.reverse_dtype))
        logits = ops.matmul(x, kernel)
        if self.logit_soft_cap is not None:
            logits = ops.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap}


class Pipeline(Layer):
    """Applies ``layers`` one after the other (a preprocessing pipeline, for example
    augmentation layers in a ``tf.data`` map)."""

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        self.layers = list(layers)

    def __call__(self, inputs, training=True, **kwargs):
        for layer in self.layers:
            inputs = layer(inputs, training=training, **kwargs) \
                if layer._call_takes_training else layer(inputs, **kwargs)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        return {"name": self.name,
                "layers": [registry.serialize(layer, "layers") for layer in self.layers]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layers"] = [registry.deserialize(c, "layers") for c in config["layers"]]
        return cls(**config)
