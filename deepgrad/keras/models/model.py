"""``Model``: layers grouped into one trainable object (Keras 3's ``keras.Model``).

Three ways to make one, as in Keras:

* functional: ``Model(inputs, outputs)`` from placeholders (``Input``) and layer calls
  (the graph is in :mod:`deepgrad.keras.models.functional`);
* subclassing: a ``Model`` subclass that creates layers in ``__init__`` and writes ``call``;
* ``Sequential`` (``models/sequential.py``), a plain stack of layers.

Training (``compile``, ``fit``, ``evaluate``, ``predict``) comes from :class:`Trainer`,
saving (``save``, ``save_weights``, ``load_weights``, ``to_json``) from
:class:`~deepgrad.keras.saving.model_mixin.ModelSavingMixin`.
"""
import numpy as np

from deepgrad.keras import registry
from deepgrad.keras.layers.keras_tensor import flatten, map_structure
from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.models import functional, summary
from deepgrad.keras.models.trainer import Trainer
from deepgrad.keras.saving.model_mixin import ModelSavingMixin


class Model(Trainer, ModelSavingMixin, Layer):
    """A trainable graph of layers. See the module docstring for the three styles.

    A functional model's class name in configs is ``"Functional"`` (as Keras writes it);
    ``Model.from_config`` rebuilds it, and calls ``cls(**config)`` for a subclassed model.
    """

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._functional = inputs is not None
        if self._functional:
            if outputs is None:
                raise ValueError("Model: outputs= is required with inputs=")
            self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        nodes = functional.graph_nodes(outputs)
        functional.check_graph(inputs, outputs, nodes)
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs, self.outputs = flatten(inputs), flatten(outputs)
        self._input_dtypes = [np.dtype(t.dtype) for t in self.inputs]
        self._nodes = nodes
        layers = []
        for node in nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        self._layers = layers
        self.built = True
        self._batch_input_shape = self.inputs[0].shape if len(self.inputs) == 1 else None

    @property
    def _config_class_name(self):
        """The class name written in configs: ``"Functional"`` for a plain functional model."""
        return "Functional" if type(self) is Model and self._functional else type(self).__name__

    @property
    def _config_module(self):
        """The ``"module"`` Keras writes for this model class in configs."""
        if type(self) is Model and self._functional:
            return "keras.src.models.functional"
        return None

    @property
    def _walks_layers_first(self):
        """Keras saves a functional model's (and a Sequential's) ``layers`` first."""
        return self._functional

    @property
    def output_names(self):
        """A functional model's output names (its output layers' names, or the keys of a
        dict of outputs): Keras's keys for per-output losses, metrics and logs. None for
        other models."""
        if self._functional:
            if isinstance(self._outputs_struct, dict):
                return list(self._outputs_struct)
            return [t.node.layer.name for t in self.outputs]
        return None

    @property
    def layers(self):
        """The model's layers (for a functional model, its InputLayers come first)."""
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}")

    def call(self, inputs, training=None):
        if not self._functional:
            raise NotImplementedError(f"Model {type(self).__name__}: a subclassed model must "
                                      f"implement call()")
        return functional.run_graph(self, inputs, training)

    def compute_output_shape(self, input_shape):
        if self._functional:
            return map_structure(lambda t: t.shape, self._outputs_struct)
        return Layer.compute_output_shape(self, input_shape)

    def build(self, input_shape):
        if not self._functional and not self.built:
            Layer.compute_output_shape(self, input_shape)   # runs call once to build sublayers
            self._build_shape = input_shape
        self.built = True

    def get_build_config(self):
        if self._functional:
            return None
        return Layer.get_build_config(self)

    def get_config(self):
        if self._functional:
            return functional.functional_config(self)
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from :meth:`get_config`: functional if the config has a graph, else
        ``cls(**config)`` (a subclassed model), as Keras."""
        with registry.extended_scope(custom_objects):
            if isinstance(config, dict) and "input_layers" in config \
                    and "output_layers" in config:
                inputs, outputs = functional.functional_graph_from_config(config)
                return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
                           trainable=config.get("trainable", True))
            return cls(**config)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print Keras's table of layers, output shapes and parameter counts through
        ``print_fn`` (default ``print``).

        Raises:
            NotImplementedError: a layout option other than its default (line_length,
                positions, expand_nested, show_trainable, layer_range).
        """
        given = {k: v for k, v in (("line_length", line_length), ("positions", positions),
                                   ("expand_nested", expand_nested),
                                   ("show_trainable", show_trainable),
                                   ("layer_range", layer_range)) if v not in (None, False)}
        if given:
            raise NotImplementedError(f"summary: the layout options {sorted(given)} are not "
                                      f"supported by deepgrad.keras (only print_fn)")
        summary.summary(self, print_fn=print_fn)


registry.add("layers", Model, "Functional")
