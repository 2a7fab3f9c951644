"""``keras.utils.plot_model`` and ``model_to_dot``: a picture of a model's layer graph.

As Keras does, ``plot_model`` draws through pydot and the graphviz ``dot`` program when
both are installed (``model_to_dot`` builds the ``pydot.Dot``, with Keras's HTML-table
boxes). When they are not, deepgrad draws the same graph with matplotlib
(:func:`deepgrad.plot.model_graph`: boxes in layers, arrows between them, nested models
in dashed frames). With neither, an ImportError names both ways. The graph itself, the
same for both renderers, is :func:`~deepgrad.keras.utils.model_graph.layer_graph`.
"""
import importlib
import os
import sys

from deepgrad.keras.utils.model_graph import layer_graph
from deepgrad.plot.graph import model_graph


def _pydot():
    """pydot, or one of its older forks as Keras accepts them, or None."""
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def check_pydot():
    """True when pydot (or pydot_ng / pydotplus) can be imported."""
    return _pydot() is not None


def check_graphviz():
    """True when pydot is installed and can run graphviz (renders an empty graph)."""
    pydot = _pydot()
    if pydot is None:
        return False
    errors = (OSError,) + tuple(e for e in (getattr(pydot, "PydotException", None),) if e)
    try:
        pydot.Dot.create(pydot.Dot())
        return True
    except errors:
        return False


def _label(box):
    """Keras's HTML-table label: a black title row, then the activation, then a row of
    shape / dtype / trainable cells."""
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    cells = [c for c in (box.input_shape and ("Input shape", box.input_shape),
                         box.output_shape and ("Output shape", box.output_shape),
                         box.dtype and ("Output dtype", box.dtype)) if c]
    colspan = max(1, len(cells) + (box.trainable is not None))
    title = (f"<b>{_html(box.name)}</b> ({box.class_name})" if box.show_name
             else f"<b>{box.class_name}</b>")
    table += (f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" '
              f'color="white">{title}</font></td></tr>')
    if box.activation is not None:
        table += (f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
                  f'Activation: <b>{_html(box.activation)}</b></font></td></tr>')
    row = "".join(f'<td bgcolor="white"><font point-size="14">{k}: <b>{_html(v)}</b>'
                  f'</font></td>' for k, v in cells)
    if box.trainable is not None:
        color, text = (("forestgreen", "Trainable") if box.trainable
                       else ("firebrick", "Non-trainable"))
        row += (f'<td bgcolor="{color}"><font point-size="14" color="white"><b>{text}</b>'
                f'</font></td>')
    if row:
        table += f"<tr>{row}</tr>"
    return table + "</table>>"


def _html(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """A ``pydot.Dot`` of the model's layer graph (Keras 3's ``model_to_dot``).

    Args:
        model: a built Keras model.
        show_shapes, show_dtype, show_layer_names, show_layer_activations,
            show_trainable (bool): what each box shows (as :func:`plot_model`).
        rankdir (str): graphviz's direction, ``"TB"`` (top to bottom) or ``"LR"``.
        expand_nested (bool): draw nested models as dashed clusters of their layers.
        dpi (int): the image resolution graphviz uses.
        subgraph (bool): return a ``pydot.Cluster`` (used for nested models).
        splines (str): graphviz's edge routing (``"ortho"``, ``"curved"``, ``"line"``...).
    Returns:
        pydot.Dot (or pydot.Cluster with ``subgraph=True``).
    Raises:
        ImportError: pydot is not installed.
        ValueError: the model is not built, or an unknown keyword argument.
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    pydot = _pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot "
                          "to work.")
    graph = layer_graph(model, show_shapes, show_dtype, show_layer_names, expand_nested,
                        show_layer_activations, show_trainable)
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    clusters = {}
    for name in graph.clusters:
        clusters[name] = pydot.Cluster(style="dashed", graph_name=name)
        clusters[name].set("label", name)
        clusters[name].set("labeljust", "l")
        dot.add_subgraph(clusters[name])
    for box in graph.boxes:
        node = pydot.Node(box.key, label=_label(box))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        (clusters[box.cluster] if box.cluster is not None else dot).add_node(node)
    for src, dst in graph.edges:
        edge = pydot.Edge(src, dst)
        edge.set("penwidth", "2")
        dot.add_edge(edge)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho",
               **kwargs):
    """Draw the model's layer graph to ``to_file`` (Keras 3's ``plot_model``, same
    arguments and defaults).

    Through pydot and graphviz when both are installed (as Keras); otherwise through
    matplotlib (:func:`deepgrad.plot.model_graph`, where ``splines`` has no effect: edges
    are straight, or curved when they skip a rank).

    Args:
        model: a built Keras model (Sequential, functional or subclassed).
        to_file (str): the image file; its extension is the format (``.png`` if none).
        show_shapes (bool): the input and output shapes of each layer.
        show_dtype (bool): each layer's output dtype.
        show_layer_names (bool): "name (Class)" instead of "Class" in each box.
        rankdir (str): ``"TB"`` (top to bottom), ``"LR"`` (left to right), ``"BT"``, ``"RL"``.
        expand_nested (bool): nested models as dashed frames of their layers.
        dpi (int): the image resolution.
        show_layer_activations (bool): the activation of layers that have one.
        show_trainable (bool): whether each layer with weights is trainable.
        splines (str): graphviz's edge routing.
    Returns:
        An ``IPython.display.Image`` of the file when running under IPython (a notebook
        shows it) and the file is not a PDF, else None (Keras returns the Image whenever
        IPython is installed).
    Raises:
        ImportError: neither pydot + graphviz nor matplotlib is installed.
        ValueError: the model is not built, or an unknown keyword argument.
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names, rankdir=rankdir,
                   expand_nested=expand_nested, show_layer_activations=show_layer_activations,
                   show_trainable=show_trainable)
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be 'TB', 'LR', 'BT' or 'RL', received {rankdir!r}")
    layer_graph(model)                                   # built? a Keras model?
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    if check_graphviz():
        model_to_dot(model, dpi=dpi, splines=splines, **options).write(to_file,
                                                                        format=extension)
    else:
        try:
            importlib.import_module("matplotlib")
        except ImportError:
            raise ImportError(
                "plot_model needs pydot and graphviz (as Keras: pip install pydot, and "
                "graphviz from https://graphviz.gitlab.io/download/) or matplotlib "
                "(deepgrad's drawing: pip install matplotlib)") from None
        model_graph(model, dpi=dpi, save_to=to_file, **options)
    # as Keras: an image object for a notebook, when IPython is in use; the format is
    # passed (a file name without an extension is a PNG here, which IPython cannot guess),
    # and only formats IPython can embed are returned
    if extension.lower() in ("png", "jpg", "jpeg", "gif") and "IPython" in sys.modules:
        from IPython import display
        return display.Image(filename=to_file, format=extension.lower())
    return None
