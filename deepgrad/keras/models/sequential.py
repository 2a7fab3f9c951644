"""``Sequential``: a plain stack of layers, each feeding the next."""
from deepgrad.keras.layers.input_layer import InputLayer, KerasTensor
from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.models.model import Model


class Sequential(Model):
    """A linear stack of layers: ``Sequential([Dense(128, activation='relu'), Dense(10)])``.

    The model builds as soon as the input shape is known: from an ``Input``/``InputLayer``
    first layer or a first layer given ``input_shape=``/``input_dim=``; otherwise on the
    first batch it sees.
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._input_shape_known = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (an ``Input`` placeholder sets the input shape)."""
        if isinstance(layer, KerasTensor):
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer instance, received "
                            f"{type(layer).__name__}: {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("Sequential: an Input can only be the first layer")
            self._input_shape_known = layer._batch_input_shape
            return
        names = [l.name for l in self._layers]
        if layer.name in names:
            raise ValueError(f'Sequential: all layers must have unique names; "{layer.name}" '
                             f'is already used')
        if not self._layers and self._input_shape_known is None and layer._batch_input_shape:
            self._input_shape_known = layer._batch_input_shape
        self._layers.append(layer)
        if self._input_shape_known is not None:
            self.build(self._input_shape_known)

    def pop(self):
        layer = self._layers.pop()
        return layer

    @property
    def layers(self):
        return list(self._layers)

    def build(self, input_shape=None):
        """Build every layer in turn from the input shape (so ``summary`` works at once)."""
        shape = tuple(input_shape if input_shape is not None else self._input_shape_known)
        self._input_shape_known = shape
        self._batch_input_shape = shape
        for layer in self._layers:
            layer._maybe_build(shape)
            if layer.input_spec is not None and not isinstance(layer.input_spec, list):
                layer.input_spec.check(layer, shape)
            shape = layer.compute_output_shape(shape)
        self._output_shape = shape
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._layers:
            y = layer(x, training=training, mask=mask)
            mask = layer.compute_mask(x, mask)       # e.g. Embedding(mask_zero=True) -> LSTM
            x = y
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self):
        from deepgrad.keras.models.config import sequential_config
        return sequential_config(self)
