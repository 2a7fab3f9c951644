"""Symbolic tensors for the functional API: ``KerasTensor`` and the ``Node`` that made it.

``x = Input(shape=(784,))`` is a placeholder of shape (None, 784). Calling a layer on
placeholders (:meth:`deepgrad.keras.layers.Layer.__call__`) builds the layer from their
shapes and returns new placeholders that remember the call (a :class:`Node`);
``Model(inputs, outputs)`` later replays those calls on real tensors in topological
order. This module sits below ``layer.py``: both the layers and the models use it.
"""
import numpy as np


class Node:
    """One symbolic call: ``layer(inputs, *args, **kwargs)`` whose tensor arguments are
    KerasTensors; ``outputs`` are the placeholders it returned."""

    __slots__ = ("layer", "inputs", "args", "kwargs", "outputs")

    def __init__(self, layer, inputs, args, kwargs):
        self.layer, self.inputs, self.args, self.kwargs = layer, inputs, args, kwargs
        self.outputs = None


class KerasTensor:
    """A placeholder: a shape (batch axis ``None``), a dtype, and the node that made it.

    Args:
        shape (tuple): the shape, ``None`` for unknown sizes.
        dtype: the dtype name ('float32').
        name (str): the producing layer's name (``"<layer>_<i>"`` for its i-th output).
        node (Node): the call that made it; ``index`` is its position among the outputs.
    """

    def __init__(self, shape, dtype="float32", name=None, node=None, index=0):
        self.shape, self.dtype, self.name = tuple(shape), np.dtype(dtype).name, name
        self.node, self.index = node, index

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def flatten(x):
    """The leaves of nested lists, tuples and dicts, in order."""
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in flatten(item)]
    if isinstance(x, dict):
        return [t for item in x.values() for t in flatten(item)]
    return [x]


def map_structure(fn, x):
    """``fn`` applied to every leaf, keeping lists (tuples become lists) and dicts."""
    if isinstance(x, (list, tuple)):
        return [map_structure(fn, t) for t in x]
    if isinstance(x, dict):
        return {k: map_structure(fn, v) for k, v in x.items()}
    return fn(x)


def is_symbolic(x):
    """Whether any leaf of ``x`` is a KerasTensor."""
    return any(isinstance(t, KerasTensor) for t in flatten(x))
