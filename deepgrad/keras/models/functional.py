"""The graph of a functional model: its nodes in order, running them, and its config.

``Model(inputs, outputs)`` keeps the :class:`~deepgrad.keras.layers.keras_tensor.Node`
calls that lead from ``inputs`` to ``outputs``, each after the nodes it depends on
(:func:`graph_nodes`); :func:`run_graph` replays them on real tensors, each input first
converted to its ``Input``'s dtype (Keras casts model inputs the same way).

Config (Keras 3's layout): every layer once, in ``model.layers`` order, with the calls
made of it inside this model (``inbound_nodes``, in call order). A tensor argument is
written as ``{"class_name": "__keras_tensor__", "config": {"shape", "dtype",
"keras_history": [layer_name, node_index, tensor_index]}}``: output ``tensor_index`` of
call number ``node_index`` of layer ``layer_name`` (an ``InputLayer`` has one node, its
input, and no inbound nodes). ``input_layers`` / ``output_layers`` are the model's inputs
and outputs in their structure (one reference, a list, or a dict), each a
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
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import registry
from deepgrad.keras.layers.input_layer import InputLayer
from deepgrad.keras.layers.keras_tensor import KerasTensor, flatten, map_structure

_TENSOR = "__keras_tensor__"


# ====================================================================== the graph
def graph_nodes(outputs):
    """The nodes that produce ``outputs``, each after the nodes it depends on (a loop)."""
    order, seen = [], set()
    stack = [(t.node, False) for t in reversed(flatten(outputs))]
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


def _symbolic(x):
    return [t for t in flatten(x) if isinstance(t, KerasTensor)]


def check_graph(inputs, outputs, nodes):
    """Refuse non-symbolic inputs/outputs and outputs that need an unlisted input."""
    for t in flatten(inputs) + flatten(outputs):
        if not isinstance(t, KerasTensor):
            raise TypeError(f"Model: inputs and outputs must be symbolic tensors made with "
                            f"keras.Input and layer calls, received {type(t).__name__}")
    listed = flatten(inputs)
    missing = [n.layer.name for n in nodes
               if isinstance(n.layer, InputLayer) and n.outputs[0] not in listed]
    if missing:
        raise ValueError(f"Model: the outputs depend on input(s) {missing} that are not "
                         f"listed in inputs=")


def cast_input(value, dtype):
    """``value`` as a Tensor of the ``Input``'s dtype (a NumPy dtype): bool and int become
    floats for a float input, as Keras converts model inputs; a Tensor of that dtype
    passes as is."""
    if isinstance(value, Tensor):
        return value if value.array.dtype == dtype else ops.cast(value, dtype)
    arr = np.asarray(value)
    return Tensor._wrap(arr if arr.dtype == dtype else arr.astype(dtype))


def run_graph(model, inputs, training):
    """``model``'s outputs for ``inputs`` (one tensor, a list, or a dict keyed by input
    name), replaying its nodes in order."""
    if isinstance(inputs, dict) and not isinstance(model._inputs_struct, dict):
        flat_in = [inputs[t.name] if t.name in inputs else _missing(t, inputs)
                   for t in model.inputs]
    elif isinstance(inputs, dict):
        flat_in = [inputs[k] if k in inputs else _missing(t, inputs)
                   for k, t in model._inputs_struct.items()]
    else:
        flat_in = flatten(inputs)
    if len(flat_in) != len(model.inputs):
        raise ValueError(f'Model "{model.name}" expects {len(model.inputs)} input(s), but it '
                         f'received {len(flat_in)} input tensors')
    values = {id(t): cast_input(v, dtype)
              for t, dtype, v in zip(model.inputs, model._input_dtypes, flat_in)}
    masks = {}

    def resolve(t):
        return values[id(t)] if isinstance(t, KerasTensor) else t

    for node in model._nodes:
        if isinstance(node.layer, InputLayer):
            continue
        args = map_structure(resolve, node.inputs)
        kwargs = {k: map_structure(resolve, v) for k, v in node.kwargs.items()}
        kwargs["training"] = training
        if "mask" not in kwargs and isinstance(node.inputs, KerasTensor):
            kwargs["mask"] = masks.get(id(node.inputs))
        out = node.layer(args, *node.args, **kwargs)
        if isinstance(node.inputs, KerasTensor) and len(node.outputs) == 1:
            masks[id(node.outputs[0])] = node.layer.compute_mask(args, kwargs.get("mask"))
        for t, o in zip(node.outputs, out if len(node.outputs) > 1 else [out]):
            values[id(t)] = o
    return map_structure(lambda t: values[id(t)], model._outputs_struct)


def _missing(t, inputs):
    raise ValueError(f"Model: input {t.name!r} is missing from the dict of inputs "
                     f"(keys: {sorted(inputs)})")


# ====================================================================== config
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


def _encode_refs(struct, keys):
    if isinstance(struct, KerasTensor):
        name, node_index = keys[id(struct.node)]
        return [name, node_index, struct.index]
    if isinstance(struct, dict):
        return {k: _encode_refs(v, keys) for k, v in struct.items()}
    return [_encode_refs(v, keys) for v in struct]


def functional_config(model):
    """The config of a functional model (see the module docstring)."""
    keys = _node_keys(model)
    calls = {}
    for node in model._nodes:
        if not isinstance(node.layer, InputLayer):
            calls.setdefault(node.layer.name, []).append(
                {"args": _encode([node.inputs, *node.args], keys),
                 "kwargs": _encode(dict(node.kwargs), keys)})
    layers = []
    for layer in model.layers:
        entry = registry.serialize(layer, "layers")
        entry.pop("build_config", None)          # the replayed calls build every layer
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


def require(config, keys, what):
    """Raise unless ``config`` is a dict holding ``keys``."""
    if not isinstance(config, dict):
        raise ValueError(f"Invalid {what} config: expected a dict, received "
                         f"{type(config).__name__}")
    missing = [k for k in keys if k not in config]
    if missing:
        raise ValueError(f"Invalid {what} config: missing key(s) {missing}")


def functional_graph_from_config(config):
    """``(inputs, outputs)`` placeholders rebuilt from a functional config: the layers are
    created from their entries, then their calls replayed in order."""
    require(config, ("layers", "input_layers", "output_layers"), "functional model")
    layers, pending = {}, []
    for entry in config["layers"]:
        layer = registry.deserialize(entry, "layers")
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
    return (graph.decode_refs(config["input_layers"], "input_layers"),
            graph.decode_refs(config["output_layers"], "output_layers"))


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


__all__ = ["graph_nodes", "run_graph", "functional_config", "functional_graph_from_config"]
