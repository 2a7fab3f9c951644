"""A model's layer graph as plain data, what ``plot_model`` draws (through pydot/graphviz
or matplotlib): one :class:`Box` per layer, the edges between them, the nested models.

As in Keras's ``model_to_dot``: a ``Sequential`` is the chain of its layers (no input
box); a functional model has a box per layer, its ``InputLayer`` s included, and an edge
from the layer that made each input tensor of a call to the layer called; a subclassed
model is a single box. A model used as a layer is one box, or with ``expand_nested`` a
cluster holding its own graph: edges into it go to its input (first layer of a
Sequential, matching ``InputLayer`` of a functional model), edges out of it leave from
the layer that made the output used.
"""
from deepgrad.keras.layers.input_layer import InputLayer
from deepgrad.keras.layers.keras_tensor import KerasTensor, flatten
from deepgrad.keras.layers.layer import Layer


class Box:
    """One layer's box: ``key`` (unique in the graph), the layer's ``name`` and class,
    and the optional lines (None when not shown)."""

    __slots__ = ("key", "name", "class_name", "show_name", "activation", "input_shape",
                 "output_shape", "dtype", "trainable", "cluster")

    def __init__(self, key, name, class_name, show_name, cluster):
        self.key, self.name, self.class_name = key, name, class_name
        self.show_name, self.cluster = show_name, cluster
        self.activation = self.input_shape = self.output_shape = self.dtype = None
        self.trainable = None

    @property
    def title(self):
        return f"{self.name} ({self.class_name})" if self.show_name else self.class_name

    def lines(self):
        """The lines under the title, in Keras's order."""
        out = []
        if self.activation is not None:
            out.append(f"Activation: {self.activation}")
        if self.input_shape is not None:
            out.append(f"Input shape: {self.input_shape}")
        if self.output_shape is not None:
            out.append(f"Output shape: {self.output_shape}")
        if self.dtype is not None:
            out.append(f"Output dtype: {self.dtype}")
        if self.trainable is not None:
            out.append("Trainable" if self.trainable else "Non-trainable")
        return out


class LayerGraph:
    """``boxes`` (in drawing order: each after the boxes feeding it), ``edges``
    ``[(source key, destination key)]`` without repeats, and ``clusters``
    ``{model name: [box keys]}`` for the expanded nested models."""

    def __init__(self):
        self.boxes, self.edges, self.clusters = [], [], {}

    def add_edge(self, src, dst):
        if (src, dst) not in self.edges:
            self.edges.append((src, dst))


# The models sit above this module (keras.utils is imported while they load), so they are
# told apart by what they carry, as the .h5 writer does: a model is a Layer with `layers`;
# Sequential and functional models walk their layers first; a functional one is
# `_functional`, with its calls in `_nodes`.
def _is_model(obj):
    return isinstance(obj, Layer) and hasattr(obj, "layers")


def _is_functional(obj):
    return _is_model(obj) and bool(getattr(obj, "_functional", False))


def _is_sequential(obj):
    return (_is_model(obj) and bool(getattr(obj, "_walks_layers_first", False))
            and not _is_functional(obj))


def _is_graph_model(layer):
    return _is_sequential(layer) or _is_functional(layer)


def _format(calls):
    """The shapes of a layer's tensors, one list per call: ``(None, 4)`` for one tensor,
    ``[(None, 4), (None, 4)]`` for several; calls with different shapes (a shared layer)
    are joined by `` | ``; ``?`` when unknown."""
    texts = []
    for shapes in calls:
        text = (str(tuple(shapes[0])) if len(shapes) == 1 else
                str([tuple(s) for s in shapes]) if shapes else "?")
        if text not in texts:
            texts.append(text)
    return " | ".join(texts) if texts else "?"


def _activation_name(layer):
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    return getattr(act, "name", None) or getattr(act, "__name__", None) or str(act)


class _Builder:
    def __init__(self, options, expand_nested):
        self.options, self.expand_nested = options, expand_nested
        self.graph = LayerGraph()

    def expands(self, layer):
        return self.expand_nested and _is_graph_model(layer)

    def box(self, layer, cluster, in_shapes, out_shapes, dtype):
        """Add ``layer``'s box; ``in_shapes``/``out_shapes``: a list of shapes per call."""
        o = self.options
        b = Box(str(id(layer)), layer.name, type(layer).__name__, o["show_layer_names"],
                cluster)
        if o["show_layer_activations"]:
            b.activation = _activation_name(layer)
        if o["show_shapes"]:
            if not isinstance(layer, InputLayer):
                b.input_shape = _format(in_shapes)
            b.output_shape = _format(out_shapes)
        if o["show_dtype"]:
            b.dtype = dtype or "?"
        if o["show_trainable"] and layer.weights:
            b.trainable = bool(layer.trainable)
        self.graph.boxes.append(b)
        if cluster is not None:
            self.graph.clusters.setdefault(cluster, []).append(b.key)

    # Each model gives the boxes an edge enters (per input) and leaves (per output).
    def entry(self, layer, index=0):
        while self.expands(layer):
            layer = (layer.inputs[index].node.layer if _is_functional(layer)
                     else layer.layers[0])
            index = 0
        return str(id(layer))

    def exit(self, layer, index=0):
        while self.expands(layer):
            if _is_functional(layer):
                t = layer.outputs[index]
                layer, index = t.node.layer, t.index
            else:
                layer, index = layer.layers[-1], 0
        return str(id(layer))

    def add(self, model, cluster=None):
        if _is_sequential(model):
            self.add_sequential(model, cluster)
        elif _is_functional(model):
            self.add_functional(model, cluster)
        else:                                         # subclassed: one box, as Keras
            self.box(model, cluster, [[]], [[]], model.compute_dtype)

    def add_sequential(self, model, cluster):
        shape = model._build_shape
        previous = None
        for layer in model.layers:
            out = layer.compute_output_shape(shape) if shape is not None else None
            if self.expands(layer):
                self.add(layer, layer.name)
            else:
                self.box(layer, cluster, [[shape] if shape else []], [[out] if out else []],
                         layer.compute_dtype)
            if previous is not None:
                self.graph.add_edge(self.exit(previous), self.entry(layer))
            previous, shape = layer, out

    def add_functional(self, model, cluster):
        nodes = {}
        for node in model._nodes:
            nodes.setdefault(id(node.layer), (node.layer, []))[1].append(node)
        for layer, calls in nodes.values():
            if self.expands(layer):
                self.add(layer, layer.name)
            else:
                ins = [[t.shape for t in _inputs(n)] for n in calls]
                outs = [[t.shape for t in n.outputs] for n in calls]
                self.box(layer, cluster, ins, outs, calls[0].outputs[0].dtype)
        for node in model._nodes:
            for i, t in enumerate(_inputs(node)):
                self.graph.add_edge(self.exit(t.node.layer, t.index),
                                    self.entry(node.layer, i))


def _inputs(node):
    """The symbolic tensors a call received (positional input first, then keywords)."""
    return [t for t in flatten(node.inputs) + flatten(dict(node.kwargs))
            if isinstance(t, KerasTensor)]


def layer_graph(model, show_shapes=False, show_dtype=False, show_layer_names=False,
                expand_nested=False, show_layer_activations=False, show_trainable=False):
    """The :class:`LayerGraph` of a built Keras model (see the module docstring).

    Raises:
        TypeError: ``model`` is not a deepgrad.keras model.
        ValueError: the model is not built, as Keras.
    """
    if not _is_model(model):
        raise TypeError(f"expected a deepgrad.keras Model (Sequential, functional or "
                        f"subclassed), received {type(model).__name__}")
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by "
                         "calling `build()` or by calling the model on a batch of data.")
    options = {"show_shapes": show_shapes, "show_dtype": show_dtype,
               "show_layer_names": show_layer_names,
               "show_layer_activations": show_layer_activations,
               "show_trainable": show_trainable}
    builder = _Builder(options, expand_nested)
    builder.add(model)
    return builder.graph
