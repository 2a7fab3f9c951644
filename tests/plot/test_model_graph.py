"""keras.utils.plot_model / model_to_dot and deepgrad.plot.model_graph: the boxes and
arrows drawn are the model's layers and the tensors between them (Sequential, a
branching functional model, a nested model); pydot + graphviz when installed, matplotlib
otherwise, a clear ImportError with neither."""
import sys

import pytest

import deepgrad.keras as keras
from deepgrad import plot
from deepgrad.keras.utils import model_visualization as mv
from deepgrad.keras.utils.model_graph import layer_graph

pytest.importorskip("matplotlib")
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402


def sequential():
    return keras.Sequential([
        keras.layers.Conv2D(4, 3, activation="relu", input_shape=(28, 28, 1), name="conv"),
        keras.layers.MaxPooling2D(2, name="pool"), keras.layers.Flatten(name="flat"),
        keras.layers.Dense(10, activation="softmax", name="out")], name="seq")


def branching():
    """inp -> a, b -> cat -> out, and inp -> proj -> skip(out, proj): branches, a merge, a
    skip connection."""
    inp = keras.Input((8,), name="inp")
    a = keras.layers.Dense(4, name="a")(inp)
    b = keras.layers.Dense(4, name="b")(inp)
    cat = keras.layers.Concatenate(name="cat")([a, b])
    out = keras.layers.Dense(2, name="out")(cat)
    proj = keras.layers.Dense(2, name="proj")(inp)
    return keras.Model(inp, keras.layers.Add(name="skip")([out, proj]), name="branchy")


def boxes(fig):
    """``{layer name: title-bar Rectangle}``."""
    return {p.get_gid(): p for p in fig.axes[0].patches
            if isinstance(p, Rectangle) and p.get_gid() and not p.get_gid().startswith("cluster")}


def arrows(fig):
    return {p.get_gid() for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)}


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_sequential_graph_is_the_chain_of_layers_with_shapes(tmp_path, is_png):
    fig = plot.model_graph(sequential(), show_layer_activations=True, show_trainable=True,
                           save_to=tmp_path / "seq.png")
    assert list(boxes(fig)) == ["conv", "pool", "flat", "out"]     # no input box, as Keras
    assert arrows(fig) == {"conv->pool", "pool->flat", "flat->out"}
    t = texts(fig)
    for line in ("conv (Conv2D)", "Activation: relu", "Input shape: (None, 28, 28, 1)",
                 "Output shape: (None, 26, 26, 4)", "Output shape: (None, 676)",
                 "Output shape: (None, 10)", "Trainable", "Activation: softmax"):
        assert line in t
    assert t.count("Trainable") == 2                     # only the layers with weights
    y = {name: r.get_y() for name, r in boxes(fig).items()}
    assert y["conv"] > y["pool"] > y["flat"] > y["out"]  # top to bottom
    assert is_png(tmp_path / "seq.png")


def test_branching_functional_graph_has_every_branch_and_merge():
    fig = plot.model_graph(branching(), rankdir="LR")
    assert set(boxes(fig)) == {"inp", "a", "b", "cat", "out", "proj", "skip"}
    assert arrows(fig) == {"inp->a", "inp->b", "inp->proj", "a->cat", "b->cat", "cat->out",
                           "out->skip", "proj->skip"}
    t = texts(fig)
    assert "inp (InputLayer)" in t and "Input shape: [(None, 4), (None, 4)]" in t
    x = {name: r.get_x() for name, r in boxes(fig).items()}
    assert x["inp"] < x["a"] < x["cat"] < x["out"] < x["skip"]    # left to right, by rank
    assert x["a"] == x["b"] == x["proj"]                           # one rank, side by side


def test_layer_graph_edges_and_options():
    graph = layer_graph(branching(), show_dtype=True)
    name = {b.key: b.name for b in graph.boxes}
    assert [(name[s], name[d]) for s, d in graph.edges] == [
        ("inp", "a"), ("inp", "b"), ("a", "cat"), ("b", "cat"), ("cat", "out"),
        ("inp", "proj"), ("out", "skip"), ("proj", "skip")]
    box = graph.boxes[1]
    assert box.title == "Dense" and box.lines() == ["Output dtype: float32"]


def test_nested_model_is_one_box_or_a_cluster_of_its_layers():
    inner = keras.Sequential([keras.layers.Dense(3, name="s1"), keras.layers.Dense(2, name="s2")],
                             name="inner")
    inp = keras.Input((4,), name="x")
    model = keras.Model(inp, keras.layers.Dense(1, name="head")(inner(inp)))
    folded = plot.model_graph(model)
    assert set(boxes(folded)) == {"x", "inner", "head"}
    assert arrows(folded) == {"x->inner", "inner->head"}
    opened = plot.model_graph(model, expand_nested=True)
    assert set(boxes(opened)) == {"x", "s1", "s2", "head"}
    assert arrows(opened) == {"x->s1", "s1->s2", "s2->head"}
    assert any(p.get_gid() == "cluster:inner" for p in opened.axes[0].patches)


def test_plot_model_draws_with_matplotlib_without_graphviz(tmp_path, monkeypatch, is_png):
    monkeypatch.setattr(mv, "check_graphviz", lambda: False)
    target = tmp_path / "model"                                   # no extension: a PNG
    keras.utils.plot_model(branching(), to_file=str(target), show_shapes=True)
    assert is_png(target)
    keras.utils.plot_model(sequential(), to_file=tmp_path / "m.svg", rankdir="BT")
    assert (tmp_path / "m.svg").read_text().lstrip().startswith("<?xml")


def test_plot_model_returns_an_image_in_ipython(tmp_path, monkeypatch, is_png):
    """In a notebook (IPython loaded) the picture comes back for display, as in Keras; a
    file name without an extension (a PNG) and an SVG do not break it."""
    display = pytest.importorskip("IPython.display")
    monkeypatch.setattr(mv, "check_graphviz", lambda: False)
    image = keras.utils.plot_model(sequential(), to_file=str(tmp_path / "model"))
    assert isinstance(image, display.Image) and image.format == "png"
    assert is_png(tmp_path / "model")
    assert keras.utils.plot_model(sequential(), to_file=str(tmp_path / "m.svg")) is None


def test_plot_model_errors_before_writing(tmp_path, monkeypatch):
    target = tmp_path / "m.png"
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.plot_model(unbuilt, to_file=target)
    with pytest.raises(TypeError, match="deepgrad.keras Model"):
        keras.utils.plot_model(object(), to_file=target)
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        keras.utils.plot_model(sequential(), to_file=target, colour=True)
    with pytest.raises(ValueError, match="rankdir"):
        keras.utils.plot_model(sequential(), to_file=target, rankdir="XY")
    monkeypatch.setattr(mv, "check_graphviz", lambda: False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)           # matplotlib missing too
    with pytest.raises(ImportError, match="pydot and graphviz.*or matplotlib"):
        keras.utils.plot_model(sequential(), to_file=target)
    assert not target.exists()


def test_model_to_dot_needs_pydot(monkeypatch):
    monkeypatch.setattr(mv, "_pydot", lambda: None)
    with pytest.raises(ImportError, match="pip install pydot"):
        keras.utils.model_to_dot(sequential())


def test_pydot_and_graphviz_path(tmp_path, is_png):
    if not mv.check_graphviz():
        pytest.skip("pydot and graphviz's dot program are not both installed")
    model = branching()
    dot = keras.utils.model_to_dot(model, show_shapes=True)
    graph = layer_graph(model)
    nodes = [n for n in dot.get_nodes() if n.get_name() not in ("node", "edge", "graph")]
    assert sorted(n.get_name() for n in nodes) == sorted(b.key for b in graph.boxes)
    assert {(e.get_source(), e.get_destination()) for e in dot.get_edges()} == set(graph.edges)
    label = next(n for n in nodes if n.get_name() == graph.boxes[3].key).get("label")
    assert "<b>cat</b> (Concatenate)" in label and "[(None, 4), (None, 4)]" in label
    keras.utils.plot_model(model, to_file=str(tmp_path / "dot.png"), show_shapes=True)
    assert is_png(tmp_path / "dot.png")
