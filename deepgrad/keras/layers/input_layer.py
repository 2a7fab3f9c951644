"""Symbolic tensors for the functional API: ``Input``, ``InputLayer``, ``KerasTensor``.

``x = Input(shape=(784,))`` is a placeholder of shape (None, 784). Calling a layer on
placeholders builds the layer from their shapes and returns new placeholders that
remember the call (a graph node); ``Model(inputs, outputs)`` later replays those calls
on real tensors in topological order.
"""
import numpy as np

from deepgrad.keras.layers.layer import Layer, _flatten


class Node:
    """One symbolic call: ``layer(*args, **kwargs)`` whose tensor arguments are KerasTensors."""

    __slots__ = ("layer", "inputs", "args", "kwargs", "outputs")

    def __init__(self, layer, inputs, args, kwargs):
        self.layer, self.inputs, self.args, self.kwargs = layer, inputs, args, kwargs
        self.outputs = None


class KerasTensor:
    """A placeholder: a shape (batch axis ``None``), a dtype, and the node that made it."""

    def __init__(self, shape, dtype="float32", name=None, node=None, index=0):
        self.shape, self.dtype, self.name = tuple(shape), np.dtype(dtype).name, name
        self.node, self.index = node, index

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class InputLayer(Layer):
    """The layer behind ``Input``: it holds the input's shape and passes data through."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None,
                 input_shape=None, batch_input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        if batch_shape is None:
            batch_shape = batch_input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input: you must pass a shape= argument (the shape of one "
                                 "sample, e.g. shape=(784,))")
            batch_shape = (batch_size,) + tuple(shape)
        super().__init__(name=name, dtype=dtype, batch_input_shape=batch_shape, **kwargs)
        self.built = True
        node = Node(self, [], (), {})
        self.output = KerasTensor(self._batch_input_shape, self.dtype, self.name, node)
        node.outputs = [self.output]

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {"batch_shape": list(self._batch_input_shape), "dtype": self.dtype,
                "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):
    """A symbolic input of shape ``(batch_size,) + shape`` for the functional API."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                      batch_shape=batch_shape).output


def _structure_shapes(x):
    if isinstance(x, KerasTensor):
        return x.shape
    if isinstance(x, (list, tuple)):
        return [_structure_shapes(t) for t in x]
    if isinstance(x, dict):
        return {k: _structure_shapes(v) for k, v in x.items()}
    return x


def symbolic_call(layer, inputs, args, kwargs):
    """Build ``layer`` from placeholder shapes and return placeholders for its outputs."""
    shapes = _structure_shapes(inputs)
    layer._maybe_build(shapes)
    if layer.input_spec is not None:
        specs = layer.input_spec if isinstance(layer.input_spec, list) else [layer.input_spec]
        flat = shapes if isinstance(shapes, list) else [shapes]
        for i, (spec, shape) in enumerate(zip(specs, flat)):
            spec.check(layer, shape, i)
    out_shape = layer.compute_output_shape(shapes)
    node = Node(layer, inputs, args, {k: v for k, v in kwargs.items() if v is not None})
    dtype = _flatten(inputs)[0].dtype if layer.dtype is None else layer.dtype

    def make(shape, index):
        return KerasTensor(shape, dtype, f"{layer.name}_{index}" if index else layer.name,
                           node, index)
    if isinstance(out_shape, list) and out_shape and isinstance(out_shape[0], (tuple, list)):
        outputs = [make(s, i) for i, s in enumerate(out_shape)]
        node.outputs = outputs
        return outputs
    out = make(out_shape, 0)
    node.outputs = [out]
    return out
