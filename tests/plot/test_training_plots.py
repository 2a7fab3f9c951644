"""deepgrad.plot.history and confusion_matrix: what is drawn is the data given, and bad
input is refused before anything is written."""
import numpy as np
import pytest

from deepgrad import plot

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

LOGS = {"loss": [0.9, 0.5, 0.4], "accuracy": [0.6, 0.8, 0.85],
        "val_loss": [1.0, 0.7, 0.65], "val_accuracy": [0.55, 0.7, 0.75]}


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.lines}


def test_history_one_panel_per_metric_with_train_and_validation_lines(tmp_path, is_png):
    fig = plot.history(LOGS, save_to=tmp_path / "sub" / "h.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, name in zip(fig.axes, ["loss", "accuracy"]):
        lines = lines_by_label(ax)
        assert set(lines) == {name, f"val_{name}"}
        for key, line in lines.items():
            np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
            np.testing.assert_allclose(line.get_ydata(), LOGS[key])
    assert is_png(tmp_path / "sub" / "h.png")


def test_history_takes_what_fit_returns():
    import deepgrad.keras as keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    h = model.fit(x, x[:, :2], epochs=3, validation_split=0.25, verbose=0)
    fig = plot.history(h)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    for ax in fig.axes:
        for key, line in lines_by_label(ax).items():
            np.testing.assert_allclose(line.get_ydata(), h.history[key])
    assert len(plot.history(h.history).axes) == 2


def test_history_metric_selection_and_a_plain_dict_of_lists():
    fig = plot.history({"loss": [3, 2], "test_accuracy": [0.1, 0.5]}, metrics=["test_accuracy"])
    assert len(fig.axes) == 1
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [0.1, 0.5])
    assert len(fig.axes[0].lines) == 1


@pytest.mark.parametrize("bad, error, match", [
    ([1, 2, 3], TypeError, "History"),
    ({}, ValueError, "empty"),
    ({"loss": "abc"}, TypeError, "list of per-epoch"),
    ({"loss": [1.0, "x"]}, TypeError, "numbers"),
    ({"loss": []}, ValueError, "empty"),
    ({"loss": [1.0, 0.5], "val_loss": [1.0]}, ValueError, "2 values and 'val_loss' has 1"),
])
def test_history_refuses_bad_input_before_writing(tmp_path, bad, error, match):
    target = tmp_path / "h.png"
    with pytest.raises(error, match=match):
        plot.history(bad, save_to=target)
    assert not target.exists()


def test_history_unknown_metric_and_bad_path():
    with pytest.raises(ValueError, match=r"\['acc'\] not in the history"):
        plot.history(LOGS, metrics=["acc"])
    with pytest.raises(TypeError, match="save_to"):
        plot.history(LOGS, save_to=3)


def labels(seed=0, n=120, k=4):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    p = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, n))
    return y, p


def test_confusion_matrix_image_is_the_counts(tmp_path, is_png):
    y, p = labels()
    expected = np.zeros((4, 4), int)
    np.add.at(expected, (y, p), 1)
    fig = plot.confusion_matrix(y, p, save_to=tmp_path / "cm.png")
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    cells = [t.get_text() for t in ax.texts]
    assert len(cells) == 16 and cells[5] == str(expected[1, 1])
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    assert len(fig.axes) == 2                     # the matrix and its colour bar
    assert is_png(tmp_path / "cm.png")


def test_confusion_matrix_normalised_scores_one_hot_and_names():
    y, p = labels(1)
    scores = np.eye(4)[p] * 0.9 + 0.025            # rows whose argmax is p
    fig = plot.confusion_matrix(np.eye(4)[y], scores, class_names=list("abcd"),
                                normalize="true")
    m = np.asarray(fig.axes[0].images[0].get_array())
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    counts = np.zeros((4, 4))
    np.add.at(counts, (y, p), 1)
    np.testing.assert_allclose(m, counts / counts.sum(axis=1, keepdims=True))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list("abcd")


def test_confusion_matrix_class_names_draw_absent_classes():
    fig = plot.confusion_matrix([0, 1, 1], [0, 1, 0], class_names=["a", "b", "c"])
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(),
                                  [[1, 0, 0], [1, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("kwargs, match", [
    (dict(y_true=[0, 1, 2], y_pred=[0, 1]), "3 samples and y_pred has 2"),
    (dict(y_true=[0, 1, 5], y_pred=[0, 1, 1], class_names=["a", "b"]), r"labels \[5\]"),
    (dict(y_true=[0, 1], y_pred=[0, 1], normalize="rows"), "normalize"),
    (dict(y_true=np.zeros((2, 2, 2)), y_pred=[0, 1]), r"shape \(N,\)"),
])
def test_confusion_matrix_refuses_bad_input_before_writing(tmp_path, kwargs, match):
    target = tmp_path / "cm.png"
    with pytest.raises(ValueError, match=match):
        plot.confusion_matrix(save_to=target, **kwargs)
    assert not target.exists()
