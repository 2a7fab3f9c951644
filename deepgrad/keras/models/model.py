"""``Model``: layers grouped into one trainable object (Keras 3's ``keras.Model``).

Three ways to make one, as in Keras:

* functional: ``Model(inputs, outputs)`` from placeholders (``Input``) and layer calls;
* subclassing: a ``Model`` subclass that creates layers in ``__init__`` and writes ``call``;
* ``Sequential`` (``models/sequential.py``), a plain stack of layers.

Training (``compile``, ``fit``, ``evaluate``, ``predict``) comes from :class:`Trainer`.
"""
from deepgrad.keras.layers.input_layer import InputLayer, KerasTensor
from deepgrad.keras.layers.layer import Layer, _flatten
from deepgrad.keras.models.trainer import Trainer
from deepgrad.keras.saving.model_mixin import ModelSavingMixin


def _map(fn, x):
    if isinstance(x, (list, tuple)):
        return [_map(fn, t) for t in x]
    if isinstance(x, dict):
        return {k: _map(fn, v) for k, v in x.items()}
    return fn(x)


def _symbolic(x):
    return [t for t in _flatten(x) if isinstance(t, KerasTensor)]


def _graph_nodes(outputs):
    """The nodes that produce ``outputs``, each after the nodes it depends on (a loop)."""
    order, seen = [], set()
    stack = [(t.node, False) for t in reversed(_flatten(outputs))]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for t in reversed(_symbolic(node.inputs) + _symbolic(node.kwargs)):
            if id(t.node) not in seen:
                stack.append((t.node, False))
    return order


class Model(Trainer, ModelSavingMixin, Layer):
    """A trainable graph of layers. See the module docstring for the three styles."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._functional = inputs is not None
        if self._functional:
            if outputs is None:
                raise ValueError("Model: outputs= is required with inputs=")
            self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        for t in _flatten(inputs) + _flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model: inputs and outputs must be symbolic tensors made "
                                f"with keras.Input and layer calls, received {type(t).__name__}")
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs, self.outputs = _flatten(inputs), _flatten(outputs)
        self._nodes = _graph_nodes(outputs)
        missing = [n.layer.name for n in self._nodes
                   if isinstance(n.layer, InputLayer) and n.outputs[0] not in self.inputs]
        if missing:
            raise ValueError(f"Model: the outputs depend on input(s) {missing} that are not "
                             f"listed in inputs=")
        layers = []
        for node in self._nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        self._layers = [layer for layer in layers]
        self.built = True
        self._batch_input_shape = self.inputs[0].shape if len(self.inputs) == 1 else None

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
        values = {}
        flat_in = _flatten(inputs) if not isinstance(inputs, dict) else [
            inputs[t.name] if t.name in inputs else _missing(t, inputs) for t in self.inputs]
        if len(flat_in) != len(self.inputs):
            raise ValueError(f'Model "{self.name}" expects {len(self.inputs)} input(s), but it '
                             f'received {len(flat_in)} input tensors')
        for t, v in zip(self.inputs, flat_in):
            values[id(t)] = v
        masks = {}
        resolve = lambda t: values[id(t)] if isinstance(t, KerasTensor) else t  # noqa: E731
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = _map(resolve, node.inputs)
            kwargs = {k: _map(resolve, v) for k, v in node.kwargs.items()}
            kwargs["training"] = training
            if "mask" not in kwargs and isinstance(node.inputs, KerasTensor):
                kwargs["mask"] = masks.get(id(node.inputs))
            out = node.layer(args, *node.args, **kwargs)
            if isinstance(node.inputs, KerasTensor) and len(node.outputs) == 1:
                masks[id(node.outputs[0])] = node.layer.compute_mask(args, kwargs.get("mask"))
            for t, o in zip(node.outputs, out if len(node.outputs) > 1 else [out]):
                values[id(t)] = o
        return _map(lambda t: values[id(t)], self._outputs_struct)

    def compute_output_shape(self, input_shape):
        if self._functional:
            return _map(lambda t: t.shape, self._outputs_struct)
        return Layer.compute_output_shape(self, input_shape)

    def build(self, input_shape):
        if not self._functional and not self.built:
            Layer.compute_output_shape(self, input_shape)   # runs call once to build sublayers
        self.built = True

    def get_config(self):
        from deepgrad.keras.models.config import functional_config
        if self._functional:
            return functional_config(self)
        return {"name": self.name, "trainable": self.trainable}

    def summary(self, line_length=None, print_fn=None, **kwargs):
        from deepgrad.keras.models.summary import summary
        summary(self, print_fn=print_fn)


def _missing(t, inputs):
    raise ValueError(f"Model: input {t.name!r} is missing from the dict of inputs "
                     f"(keys: {sorted(inputs)})")
