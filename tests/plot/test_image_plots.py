"""deepgrad.plot.image_grid, filters and activations on both fronts: the images drawn
are the data (in every layout accepted), and bad shapes and types are refused before
anything is written."""
import numpy as np
import pytest

import deepgrad
import deepgrad.nn as nn
from deepgrad import plot

pytest.importorskip("matplotlib")


def images_of(fig):
    """The arrays drawn, one per axis that holds an image."""
    return [np.asarray(ax.images[0].get_array()) for ax in fig.axes if ax.images]


def digits(n=6, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28)).astype("float32")


@pytest.mark.parametrize("layout", ["NHW", "NCHW", "NHWC"])
def test_image_grid_draws_every_layout_the_same(layout):
    x = digits()
    given = {"NHW": x, "NCHW": x[:, None], "NHWC": x[..., None]}[layout]
    fig = plot.image_grid(deepgrad.tensor(given) if layout == "NCHW" else given)
    drawn = images_of(fig)
    assert len(fig.axes) == len(drawn) == 6
    for image, expected in zip(drawn, x):
        np.testing.assert_array_equal(image, expected)


def test_image_grid_rgb_integer_pixels_and_one_image():
    rgb = np.random.default_rng(1).integers(0, 256, (3, 3, 5, 6)).astype(np.uint8)   # NCHW
    drawn = images_of(plot.image_grid(rgb))
    assert len(drawn) == 3 and drawn[0].shape == (5, 6, 3)
    np.testing.assert_allclose(drawn[2], rgb[2].transpose(1, 2, 0) / 255.0, rtol=1e-6)
    single = images_of(plot.image_grid(np.arange(12.0).reshape(3, 4)))   # (H, W), rescaled
    np.testing.assert_allclose(single[0], np.arange(12.0).reshape(3, 4) / 11.0, rtol=1e-6)


def test_image_grid_titles_and_misclassified_frames(tmp_path, is_png):
    x, y = digits(), np.array([0, 1, 2, 3, 4, 5])
    scores = np.eye(10)[[0, 7, 2, 3, 9, 5]]                 # predict() rows: 1 and 4 wrong
    fig = plot.image_grid(x, y, scores, save_to=tmp_path / "g.png")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["0", "7 (true 1)", "2", "3", "9 (true 4)", "5"]
    red = [ax.title.get_color() == "red" and ax.spines["top"].get_edgecolor()[:3] == (1, 0, 0)
           for ax in fig.axes]
    assert red == [False, True, False, False, True, False]
    assert is_png(tmp_path / "g.png")
    only = plot.image_grid(x, y, scores, class_names=list("abcdefghij"), misclassified_only=True)
    assert [ax.get_title() for ax in only.axes] == ["h (true b)", "j (true e)"]
    np.testing.assert_array_equal(images_of(only)[1], x[4])
    assert len(plot.image_grid(x, y, max_images=4).axes) == 4
    assert [ax.get_title() for ax in plot.image_grid(x[:2], y[:2]).axes] == ["0", "1"]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(images=np.zeros((2, 5, 6, 7))), ValueError, "1, 3 or 4 channels"),
    (dict(images=np.zeros((2, 2, 5, 6, 7))), ValueError, r"\(N, C, H, W\)"),
    (dict(images=np.zeros((2, 8, 8)), labels=[1, 2, 3]), ValueError, "2 images but 3 labels"),
    (dict(images=np.zeros((2, 8, 8)), labels=[1, 2], misclassified_only=True), ValueError,
     "needs both"),
    (dict(images=np.zeros((2, 8, 8)), max_images=0), ValueError, "max_images"),
    (dict(images=np.zeros((2, 8, 8)), data_format="NCHW"), ValueError, "data_format"),
    (dict(images=np.zeros((2, 1, 8, 8)), data_format="channels_last"), ValueError,
     "8 channels"),
    (dict(images=[["a"]]), TypeError, "numeric"),
])
def test_image_grid_refuses_bad_input_before_writing(tmp_path, kwargs, error, match):
    target = tmp_path / "g.png"
    with pytest.raises(error, match=match):
        plot.image_grid(save_to=target, **kwargs)
    assert not target.exists()


# ---------------------------------------------------------------------- filters
def keras_conv(filters, channels, kernel=3):
    import deepgrad.keras as keras
    layer = keras.layers.Conv2D(filters, kernel)
    layer.build((None, 8, 8, channels))
    return layer


def test_filters_of_an_nn_conv2d_are_its_weight_slices(tmp_path, is_png):
    conv = nn.Conv2d(1, 6, 3)
    fig = plot.filters(conv, save_to=tmp_path / "f.png")
    drawn = images_of(fig)
    assert len(drawn) == 6 and len(fig.axes) == 7         # six panels and a colour bar
    w = conv.weight.detach().numpy()
    for o, image in enumerate(drawn):
        np.testing.assert_allclose(image, w[o, 0])
    bound = np.abs(w).max()
    assert fig.axes[0].images[0].get_clim() == pytest.approx((-bound, bound))
    assert is_png(tmp_path / "f.png")


def test_filters_of_a_keras_conv2d_match_the_same_kernel_in_torch_layout():
    layer = keras_conv(5, 1)
    kernel = layer.kernel.numpy()                          # (kh, kw, in, out)
    from_layer = images_of(plot.filters(layer))
    from_array = images_of(plot.filters(kernel.transpose(3, 2, 0, 1)))   # (out, in, kh, kw)
    from_hwio = images_of(plot.filters(kernel, layout="hwio"))
    assert len(from_layer) == 5
    for a, b, c, o in zip(from_layer, from_array, from_hwio, range(5)):
        np.testing.assert_allclose(a, kernel[:, :, 0, o])
        np.testing.assert_allclose(a, b)
        np.testing.assert_allclose(a, c)


def test_filters_rgb_kernels_and_a_chosen_input_channel():
    conv = nn.Conv2d(3, 4, 3)
    w = conv.weight.detach().numpy()
    drawn = images_of(plot.filters(conv))
    assert len(drawn) == 4 and drawn[0].shape == (3, 3, 3)
    k = w[2].transpose(1, 2, 0)
    np.testing.assert_allclose(drawn[2], (k - k.min()) / (k.max() - k.min()), rtol=1e-5)
    second = images_of(plot.filters(conv, in_channel=1, max_filters=2))
    assert len(second) == 2
    np.testing.assert_allclose(second[1], w[1, 1])


@pytest.mark.parametrize("make, kwargs, error, match", [
    (lambda: nn.Conv2d(4, 2, 3), {}, ValueError, "4 input channels; pass in_channel"),
    (lambda: nn.Conv2d(4, 2, 3), {"in_channel": 4}, ValueError, r"in \[0, 4\)"),
    (lambda: nn.Conv2d(1, 2, 3), {"layout": "hwio"}, ValueError, "layout= is for raw"),
    (lambda: np.zeros((2, 3, 3)), {}, ValueError, r"\(out, in, kh, kw\).*\(2, 3, 3\)"),
    (lambda: np.zeros((2, 1, 3, 3)), {"layout": "nchw"}, ValueError, "'oihw'"),
    (lambda: nn.ConvTranspose2d(1, 2, 3), {}, TypeError, "ConvTranspose2d"),
    (lambda: nn.Conv1d(1, 2, 3), {}, ValueError, r"received shape \(2, 1, 3\)"),
    (lambda: nn.Linear(2, 3), {}, TypeError, "expected an nn.Conv2d.*received Linear"),
])
def test_filters_refuse_bad_input_before_writing(tmp_path, make, kwargs, error, match):
    target = tmp_path / "f.png"
    with pytest.raises(error, match=match):
        plot.filters(make(), save_to=target, **kwargs)
    assert not target.exists()


def test_filters_of_an_unbuilt_keras_layer():
    import deepgrad.keras as keras
    with pytest.raises(ValueError, match="not built"):
        plot.filters(keras.layers.Conv2D(2, 3))


# ---------------------------------------------------------------------- activations
def test_activations_of_an_nn_model_through_a_forward_hook(tmp_path, is_png):
    deepgrad.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3)
    model = nn.Sequential(conv, nn.ReLU(), nn.Dropout(0.5), nn.Flatten(), nn.Linear(144, 2))
    x = np.random.default_rng(0).random((1, 8, 8)).astype("float32")   # one (C, H, W)
    with deepgrad.no_grad():
        expected = conv(deepgrad.tensor(x[None])).numpy()[0]
    fig = plot.activations(model, conv, x, save_to=tmp_path / "a.png")
    drawn = images_of(fig)
    assert len(drawn) == 4 and model.training                # train mode is restored
    for c in range(4):
        np.testing.assert_allclose(drawn[c], expected[c], rtol=1e-6)
    assert is_png(tmp_path / "a.png")
    by_name = images_of(plot.activations(model, "1", deepgrad.tensor(x[None])))   # the ReLU
    np.testing.assert_allclose(by_name[2], np.maximum(expected[2], 0), rtol=1e-6)
    assert not conv._forward_hooks                             # the hook is removed


def test_activations_of_keras_sequential_and_functional_models():
    import deepgrad.keras as keras
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(1).random((8, 8, 1)).astype("float32")
    seq = keras.Sequential([keras.layers.Conv2D(3, 3, activation="relu", input_shape=(8, 8, 1)),
                            keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                            keras.layers.Dense(2)])
    conv = seq.layers[0]
    expected = conv(x[None]).numpy()[0]                        # (6, 6, 3)
    drawn = images_of(plot.activations(seq, conv, x))
    assert len(drawn) == 3
    for c in range(3):
        np.testing.assert_allclose(drawn[c], expected[:, :, c], rtol=1e-6)
    pooled = images_of(plot.activations(seq, seq.layers[1].name, x[None]))
    assert pooled[0].shape == (3, 3)
    inp = keras.Input((8, 8, 1))
    conv2 = keras.layers.Conv2D(2, 3, name="c2")
    out = keras.layers.Dense(1)(keras.layers.Flatten()(conv2(inp)))
    func = keras.Model(inp, out)
    drawn = images_of(plot.activations(func, "c2", x))
    np.testing.assert_allclose(drawn[1], conv2(x[None]).numpy()[0, :, :, 1], rtol=1e-6)


def test_activations_refuse_bad_input_before_writing(tmp_path):
    import deepgrad.keras as keras
    target = tmp_path / "a.png"
    conv = nn.Conv2d(1, 2, 3)
    model = nn.Sequential(conv, nn.Flatten(), nn.Linear(72, 2))
    cases = [
        (lambda: plot.activations(model, conv, np.zeros((2, 1, 8, 8))), ValueError,
         "one input; received a batch of 2"),
        (lambda: plot.activations(model, nn.Conv2d(1, 2, 3), np.zeros((1, 8, 8))), ValueError,
         "not a submodule"),
        (lambda: plot.activations(model, model[2], np.zeros((1, 8, 8))), ValueError,
         r"output has shape \(1, 2\)"),
        (lambda: plot.activations(object(), conv, np.zeros((1, 8, 8))), TypeError,
         "nn.Module or a Keras model"),
    ]
    seq = keras.Sequential([keras.layers.Conv2D(2, 3, input_shape=(8, 8, 1))])
    cases += [
        (lambda: plot.activations(seq, seq.layers[0], np.zeros((8, 8))), ValueError,
         r"one input of shape \(8, 8, 1\)"),
        (lambda: plot.activations(seq, keras.layers.Dense(2), np.zeros((8, 8, 1))), ValueError,
         "not one of the model's layers"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
        assert not target.exists()
