"""``Input`` and ``InputLayer``: the entry points of a functional model.

``x = Input(shape=(784,))`` is a :class:`~deepgrad.keras.layers.keras_tensor.KerasTensor`
of shape (None, 784) made by an ``InputLayer``, which holds the input's shape and dtype
and passes data through.
"""
from deepgrad.keras.layers.keras_tensor import KerasTensor, Node
from deepgrad.keras.layers.layer import Layer


class InputLayer(Layer):
    """The layer behind ``Input``: it holds the input's shape and dtype.

    Args:
        shape (tuple): the shape of one sample (without the batch axis).
        batch_size (int, optional): a fixed batch size.
        dtype: the input's dtype (float32 by default); a model casts data given for this
            input to it.
        batch_shape (tuple): the full shape, batch axis first (instead of ``shape``).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None,
                 input_shape=None, batch_input_shape=None, sparse=None, ragged=None,
                 optional=False, **kwargs):
        for arg, value in (("sparse", sparse), ("ragged", ragged), ("optional", optional)):
            if value:
                raise ValueError(f"Input: {arg}=True is not supported by deepgrad.keras "
                                 f"(inputs are dense arrays, always given)")
        shape = shape if shape is not None else input_shape
        if batch_shape is None:
            batch_shape = batch_input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input: you must pass a shape= argument (the shape of one "
                                 "sample, e.g. shape=(784,))")
            if not isinstance(shape, (tuple, list)):
                raise ValueError(f"Input: shape must be a tuple of ints (the shape of one "
                                 f"sample, e.g. shape=({shape!r},)), received shape={shape!r}")
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
                "sparse": False, "ragged": False, "name": self.name, "optional": False}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, sparse=None,
          ragged=None, optional=False):
    """A symbolic input of shape ``(batch_size,) + shape`` for the functional API."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                      batch_shape=batch_shape, sparse=sparse, ragged=ragged,
                      optional=optional).output
