"""``Sequential``: a plain stack of layers, each feeding the next.

Config (Keras 3's layout)::

    {"name": "sequential", "trainable": true,
     "layers": [{"module": "keras.layers", "class_name": "InputLayer", ...},
                {"module": "keras.layers", "class_name": "Dense", "config": {...},
                 "build_config": {...}}, ...],
     "build_input_shape": [null, 784]}          # null while the input shape is unknown

The ``InputLayer`` entry appears when the model has one (an ``Input`` first, or a known
input shape), as Keras writes it.
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import registry
from deepgrad.keras.layers.input_layer import InputLayer
from deepgrad.keras.layers.keras_tensor import KerasTensor
from deepgrad.keras.layers.layer import Layer, shape_from_json
from deepgrad.keras.models.model import Model


class Sequential(Model):
    """A linear stack of layers: ``Sequential([Dense(128, activation='relu'), Dense(10)])``.

    The model builds as soon as the input shape is known: from an ``Input``/``InputLayer``
    first layer or a first layer given ``input_shape=``/``input_dim=``; otherwise on the
    first batch it sees. Inputs are converted to the input's dtype (the ``Input``'s, else
    float32), as Keras converts them.
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._input_shape_known = None
        self._input_dtype = np.dtype("float32")
        self.__dict__["_input_layer"] = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (an ``Input`` placeholder sets the input shape and dtype)."""
        if isinstance(layer, KerasTensor):
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer instance, received "
                            f"{type(layer).__name__}: {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("Sequential: an Input can only be the first layer")
            self.__dict__["_input_layer"] = layer          # not a tracked sub-layer
            self._input_shape_known = layer._batch_input_shape
            self._input_dtype = np.dtype(layer.dtype)
            return
        names = [lyr.name for lyr in self._layers]
        if layer.name in names:
            raise ValueError(f'Sequential: all layers must have unique names; "{layer.name}" '
                             f'is already used')
        if not self._layers and self._input_shape_known is None and layer._batch_input_shape:
            self._input_shape_known = layer._batch_input_shape
        self._layers.append(layer)
        if self._input_shape_known is not None:
            self.build(self._input_shape_known)

    def pop(self):
        """Remove and return the last layer."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        return self._layers.pop()

    @property
    def layers(self):
        return list(self._layers)

    _walks_layers_first = True

    @property
    def _config_module(self):
        return "keras" if type(self) is Sequential else None

    def build(self, input_shape=None):
        """Build every layer in turn from the input shape (so ``summary`` works at once)."""
        if input_shape is None and self._input_shape_known is None:
            raise ValueError("Sequential.build: the input shape is unknown; pass input_shape "
                             "or start the model with keras.Input(shape=...)")
        shape = tuple(input_shape if input_shape is not None else self._input_shape_known)
        self._input_shape_known = shape
        self._batch_input_shape = shape
        self._build_shape = shape
        for layer in self._layers:
            layer._maybe_build(shape)
            if layer.input_spec is not None and not isinstance(layer.input_spec, list):
                layer.input_spec.check(layer, shape)
            shape = layer.compute_output_shape(shape)
        self._output_shape = shape
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = _cast_input(inputs, self._input_dtype)
        for layer in self._layers:
            if mask is None and type(x) is Tensor and layer._plain():
                y = layer._call_built(x, training)     # inside this call: the same steps
            else:
                y = layer(x, training=training, mask=mask)
            # e.g. Embedding(mask_zero=True) -> LSTM; the base rule gives None for None
            if mask is not None or type(layer).compute_mask is not _BASE_COMPUTE_MASK:
                mask = layer.compute_mask(x, mask)
            x = y
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_build_config(self):
        return None            # build_input_shape in the config builds it

    def get_config(self):
        shape = self._input_shape_known
        layers = [registry.serialize(layer, "layers") for layer in self._layers]
        if shape is not None:
            first = self._input_layer or InputLayer(batch_shape=shape,
                                                    dtype=self._input_dtype.name,
                                                    name=f"{self.name}_input")
            layers.insert(0, registry.serialize(first, "layers"))
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "build_input_shape": list(shape) if shape else None}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A ``cls`` (Sequential or subclass) with the layers of ``config``, built if it was."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"Invalid Sequential config: expected a dict with a list of "
                             f"'layers', received {config!r:.200}")
        with registry.extended_scope(custom_objects):
            model = cls(name=config.get("name"), trainable=config.get("trainable", True))
            for entry in config["layers"]:
                model.add(registry.deserialize(entry, "layers"))
            shape = config.get("build_input_shape")
            if shape is not None and not model.built:
                model.build(shape_from_json(shape))
        return model


_BASE_COMPUTE_MASK = Layer.compute_mask


def _cast_input(x, dtype):
    """The model's input in its dtype (a NumPy dtype): arrays and tensors of another
    dtype are converted."""
    if type(x) is Tensor:
        return x if x.array.dtype == dtype else ops.cast(x, dtype)
    if isinstance(x, np.ndarray) or np.isscalar(x) or isinstance(x, list):
        arr = np.asarray(x)
        return Tensor._wrap(arr if arr.dtype == dtype else arr.astype(dtype))
    return x
