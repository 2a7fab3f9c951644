"""Model configs (JSON-friendly dicts) and the models rebuilt from them.

Sequential (Keras 3's layout)::

    {"name": "sequential", "trainable": true,
     "layers": [{"class_name": "Dense", "config": {...}, "build_config": {...}}, ...],
     "build_input_shape": [null, 784]}          # null while the input shape is unknown

Functional: every layer once, in ``model.layers`` order, with the calls made of it
inside this model (``inbound_nodes``, in call order). A tensor argument is written as
``{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history":
[layer_name, node_index, tensor_index]}}``: output ``tensor_index`` of call number
``node_index`` of layer ``layer_name`` (an ``InputLayer`` has one node, its input, and
no inbound nodes). ``input_layers`` / ``output_layers`` are the model's inputs and
outputs in their structure (one reference, a list, or a dict), each a
``[layer_name, node_index, tensor_index]`` reference::

    {"name": "model", "trainable": true,
     "layers": [{"class_name": "InputLayer", "config": {...}, "name": "a", "inbound_nodes": []},
                {"class_name": "Dense", "config": {...}, "name": "dense", "inbound_nodes":
                    [{"args": [<keras tensor a, 0, 0>], "kwargs": {}}]}],
     "input_layers": [["a", 0, 0]], "output_layers": ["dense", 0, 0]}

Rebuilding replays the calls on fresh ``Input`` placeholders in dependency order, so
the rebuilt model has the same layers, the same weights in the same order, and the same
outputs for the same inputs once the weights are copied.
"""
from deepgrad.keras.layers.input_layer import InputLayer, KerasTensor

_TENSOR = "__keras_tensor__"


def _serialization():
    from deepgrad.keras.saving import serialization
    return serialization


# ---------------------------------------------------------------------- Sequential
def sequential_config(model):
    """The config of a ``Sequential`` model (see the module docstring)."""
    ser = _serialization()
    shape = model._input_shape_known
    return {"name": model.name, "trainable": model.trainable,
            "layers": [ser.serialize_layer(layer) for layer in model.layers],
            "build_input_shape": list(shape) if shape else None}


def sequential_from_config(cls, config):
    """A ``cls`` (Sequential or subclass) with the layers of ``config``, built if it was."""
    ser = _serialization()
    _require(config, ("layers",), "Sequential")
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    for entry in config["layers"]:
        model.add(ser.deserialize_layer(entry))
    shape = config.get("build_input_shape")
    if shape is not None and not model.built:
        model.build(ser.shape_from_json(shape))
    return model


# ---------------------------------------------------------------------- functional
def _node_keys(model):
    """``id(node) -> (layer name, index of the node among that layer's calls here)``."""
    keys, counts = {}, {}
    for node in model._nodes:
        name = node.layer.name
        keys[id(node)] = (name, counts.get(name, 0))
        counts[name] = counts.get(name, 0) + 1
    return keys


def _encode(value, keys):
    """Replace KerasTensors in a call argument by references; tuples become lists."""
    if isinstance(value, KerasTensor):
        name, node_index = keys[id(value.node)]
        return {"class_name": _TENSOR, "config": {"shape": list(value.shape),
                                                  "dtype": value.dtype,
                                                  "keras_history": [name, node_index,
                                                                    value.index]}}
    if isinstance(value, (list, tuple)):
        return [_encode(v, keys) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v, keys) for k, v in value.items()}
    return value


def _ref(tensor, keys):
    name, node_index = keys[id(tensor.node)]
    return [name, node_index, tensor.index]


def _encode_refs(struct, keys):
    if isinstance(struct, KerasTensor):
        return _ref(struct, keys)
    if isinstance(struct, dict):
        return {k: _encode_refs(v, keys) for k, v in struct.items()}
    return [_encode_refs(v, keys) for v in struct]


def functional_config(model):
    """The config of a functional model (see the module docstring)."""
    ser = _serialization()
    keys = _node_keys(model)
    calls = {}
    for node in model._nodes:
        if not isinstance(node.layer, InputLayer):
            calls.setdefault(node.layer.name, []).append(
                {"args": _encode([node.inputs, *node.args], keys),
                 "kwargs": _encode(dict(node.kwargs), keys)})
    layers = []
    for layer in model.layers:
        entry = ser.serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = calls.get(layer.name, [])
        layers.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": _encode_refs(model._inputs_struct, keys),
            "output_layers": _encode_refs(model._outputs_struct, keys)}


def _is_ref(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and isinstance(value[1], int) and isinstance(value[2], int))


class _Graph:
    """The tensors made so far while replaying a functional config."""

    def __init__(self):
        self.outputs = {}        # (layer name, node index) -> [KerasTensor, ...]

    def tensor(self, name, node_index, tensor_index):
        outs = self.outputs.get((name, node_index))
        if outs is None:
            return None
        if not 0 <= tensor_index < len(outs):
            raise ValueError(f"Invalid functional config: layer {name!r} call {node_index} "
                             f"has {len(outs)} output(s), tensor {tensor_index} was requested")
        return outs[tensor_index]

    def ready(self, value):
        """Whether every tensor referenced in ``value`` exists yet."""
        if isinstance(value, dict) and value.get("class_name") == _TENSOR:
            name, node_index, _ = _history(value)
            return (name, node_index) in self.outputs
        if isinstance(value, list):
            return all(self.ready(v) for v in value)
        if isinstance(value, dict):
            return all(self.ready(v) for v in value.values())
        return True

    def decode(self, value):
        if isinstance(value, dict) and value.get("class_name") == _TENSOR:
            return self.tensor(*_history(value))
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if isinstance(value, dict):
            return {k: self.decode(v) for k, v in value.items()}
        return value

    def decode_refs(self, struct, what):
        if _is_ref(struct):
            t = self.tensor(*struct)
            if t is None:
                raise ValueError(f"Invalid functional config: {what} refers to "
                                 f"{struct}, which no layer produces")
            return t
        if isinstance(struct, dict):
            return {k: self.decode_refs(v, what) for k, v in struct.items()}
        if isinstance(struct, list):
            return [self.decode_refs(v, what) for v in struct]
        raise ValueError(f"Invalid functional config: {what} entry {struct!r} is not a "
                         f"[layer_name, node_index, tensor_index] reference")


def _history(value):
    history = (value.get("config") or {}).get("keras_history")
    if not _is_ref(history):
        raise ValueError(f"Invalid functional config: keras tensor {value!r:.200} has no valid "
                         f"keras_history [layer_name, node_index, tensor_index]")
    return history


def _require(config, keys, what):
    if not isinstance(config, dict):
        raise ValueError(f"Invalid {what} config: expected a dict, received "
                         f"{type(config).__name__}")
    missing = [k for k in keys if k not in config]
    if missing:
        raise ValueError(f"Invalid {what} config: missing key(s) {missing}")


def functional_from_config(cls, config):
    """Rebuild a functional model: create the layers, then replay their calls in order."""
    ser = _serialization()
    _require(config, ("layers", "input_layers", "output_layers"), "functional model")
    layers, pending = {}, []
    for entry in config["layers"]:
        layer = ser.deserialize_layer(entry)
        name = entry.get("name", layer.name)
        if name in layers:
            raise ValueError(f"Invalid functional config: two layers are named {name!r}")
        layers[name] = layer
        nodes = entry.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise ValueError(f"Invalid functional config: inbound_nodes of layer {name!r} "
                             f"must be a list")
        pending.append([name, layer, list(nodes)])
    graph = _Graph()
    for name, layer, nodes in pending:
        if isinstance(layer, InputLayer):
            graph.outputs[(name, 0)] = [layer.output]
    _replay(graph, [p for p in pending if not isinstance(p[1], InputLayer)])
    inputs = graph.decode_refs(config["input_layers"], "input_layers")
    outputs = graph.decode_refs(config["output_layers"], "output_layers")
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
               trainable=config.get("trainable", True))


def _replay(graph, pending):
    """Call each layer on its inbound nodes as soon as their inputs exist (a work list)."""
    counts = {}
    while any(nodes for _, _, nodes in pending):
        progress = False
        for item in pending:
            name, layer, nodes = item
            while nodes and graph.ready(nodes[0]):
                node = nodes.pop(0)
                if not isinstance(node, dict) or not isinstance(node.get("args", []), list):
                    raise ValueError(f"Invalid functional config: an inbound node of layer "
                                     f"{name!r} is not {{'args': [...], 'kwargs': {{...}}}}")
                args = graph.decode(node.get("args") or [])
                kwargs = graph.decode(node.get("kwargs") or {})
                if not args:
                    raise ValueError(f"Invalid functional config: layer {name!r} is called "
                                     f"without inputs")
                out = layer(args[0], *args[1:], **kwargs)
                index = counts.get(name, 0)
                counts[name] = index + 1
                graph.outputs[(name, index)] = out if isinstance(out, list) else [out]
                progress = True
        if not progress:
            stuck = [name for name, _, nodes in pending if nodes]
            raise ValueError(f"Invalid functional config: the calls of layer(s) {stuck} "
                             f"depend on tensors that no layer produces (or on each other)")
