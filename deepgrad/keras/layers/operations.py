"""Keras ops that appear as nodes of a functional model's graph in Keras's own configs.

Keras 3 records the mask an ``Embedding(mask_zero=True)`` makes as an operation node,
``NotEqual(inputs, 0)``, and hands its output to the next layers as their ``mask``
argument. deepgrad propagates masks from layer to layer itself, but a ``.keras`` file
written by Keras names these nodes, so they exist here to be rebuilt (found by name in
the registry, ``"module": "keras.src.ops.numpy"``) and written back.
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.layers.layer import Layer


class NotEqual(Layer):
    """``x1 != x2`` elementwise, as a boolean tensor (``keras.ops.not_equal`` as a node).

    Shape:
        the broadcast of the two inputs' shapes.
    """

    _config_module = "keras.src.ops.numpy"

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, dtype="bool", **kwargs)

    def call(self, x1, x2=None):
        if x2 is None:
            raise ValueError(f'NotEqual "{self.name}" needs two operands')
        other = x2 if isinstance(x2, Tensor) else Tensor._wrap(np.asarray(x2))
        return ops.ne(x1, other)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {"name": self.name}
