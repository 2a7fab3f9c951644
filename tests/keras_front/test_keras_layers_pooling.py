"""Keras pooling layers: Keras 'same'/'valid' windows vs a NumPy reference (and Keras 3 for
max pooling when installed), gradients, shapes with None, configs, masks and errors."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import Sequential
from deepgrad.keras import layers as L

RNG = np.random.default_rng(1)


def ref_pool(x, k, s, padding, reduce):
    """NHWC pooling by explicit windows; 'same' windows are clipped to the input, so the
    padding neither wins a max nor counts in a mean (Keras)."""
    N, H, W, C = x.shape
    if padding == "same":
        oh, ow = -(-H // s[0]), -(-W // s[1])
        top = max((oh - 1) * s[0] + k[0] - H, 0) // 2
        left = max((ow - 1) * s[1] + k[1] - W, 0) // 2
    else:
        oh, ow, top, left = (H - k[0]) // s[0] + 1, (W - k[1]) // s[1] + 1, 0, 0
    out = np.zeros((N, oh, ow, C))
    for i in range(oh):
        for j in range(ow):
            r, c = i * s[0] - top, j * s[1] - left
            window = x[:, max(r, 0):r + k[0], max(c, 0):c + k[1]]
            out[:, i, j] = reduce(window, axis=(1, 2))
    return out


CASES = [((2, 2), None, "valid"), ((3, 3), (2, 2), "same"), ((2, 2), None, "same"),
         ((3, 2), (1, 2), "same"), ((3, 3), (1, 1), "same"), ((2, 3), (1, 2), "valid")]


@pytest.mark.parametrize("pool_size,strides,padding", CASES)
@pytest.mark.parametrize("cls,reduce", [(L.MaxPooling2D, np.max), (L.AveragePooling2D, np.mean)])
def test_pool2d_matches_numpy(cls, reduce, pool_size, strides, padding):
    x = RNG.standard_normal((2, 7, 9, 3))
    layer = cls(pool_size, strides, padding, dtype="float64")
    y = layer(x).numpy()
    ref = ref_pool(x, pool_size, strides or pool_size, padding, reduce)
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    assert layer.compute_output_shape((None, 7, 9, 3)) == (None,) + ref.shape[1:]


@pytest.mark.parametrize("cls,reduce", [(L.MaxPooling1D, np.max), (L.AveragePooling1D, np.mean)])
def test_pool1d_matches_numpy(cls, reduce):
    x = RNG.standard_normal((2, 11, 3))
    for size, strides, padding in ((3, 2, "same"), (2, None, "valid"), (4, 3, "same")):
        layer = cls(size, strides, padding, dtype="float64")
        ref = ref_pool(x[:, None], (1, size), (1, strides or size), padding, reduce)[:, 0]
        np.testing.assert_allclose(layer(x).numpy(), ref, rtol=1e-12, atol=1e-12)
        assert layer.compute_output_shape((None, 11, 3)) == (None,) + ref.shape[1:]


def test_channels_first_pooling():
    x = RNG.standard_normal((2, 3, 7, 5))
    y = L.AveragePooling2D(3, 2, "same", data_format="channels_first", dtype="float64")(x)
    ref = ref_pool(x.transpose(0, 2, 3, 1), (3, 3), (2, 2), "same", np.mean)
    np.testing.assert_allclose(y.numpy(), ref.transpose(0, 3, 1, 2), rtol=1e-12)


@pytest.mark.parametrize("layer,shape", [
    (L.MaxPooling2D(3, 2, "same"), (2, 5, 4, 2)), (L.AveragePooling2D(3, 2, "same"), (2, 5, 4, 2)),
    (L.AveragePooling2D((2, 3), (1, 2), "same"), (1, 4, 5, 2)), (L.MaxPooling1D(2), (2, 6, 2)),
    (L.AveragePooling1D(3, 2, "same"), (2, 6, 2)), (L.GlobalMaxPooling2D(), (2, 3, 4, 2)),
    (L.GlobalAveragePooling2D(keepdims=True), (2, 3, 4, 2)),
    (L.GlobalAveragePooling1D(), (2, 5, 3)),
])
def test_pool_gradcheck(layer, shape):
    layer.dtype = "float64"           # a float32 layer casts float64 input (Keras's autocast)
    x = dg.tensor(RNG.standard_normal(shape), requires_grad=True)   # distinct values: no ties
    assert dg.gradcheck(lambda x: layer(x), (x,))


def test_global_pooling_matches_numpy_and_shapes():
    x = RNG.standard_normal((2, 4, 5, 3))
    assert np.allclose(L.GlobalAveragePooling2D(dtype="float64")(x).numpy(), x.mean(axis=(1, 2)))
    assert np.allclose(L.GlobalMaxPooling2D(dtype="float64")(x).numpy(), x.max(axis=(1, 2)))
    y = L.GlobalMaxPooling2D(keepdims=True, dtype="float64")(x)
    assert y.shape == (2, 1, 1, 3)
    s = RNG.standard_normal((2, 6, 3))
    assert np.allclose(L.GlobalMaxPooling1D(dtype="float64")(s).numpy(), s.max(axis=1))
    first = L.GlobalAveragePooling1D(data_format="channels_first", dtype="float64")
    assert np.allclose(first(s).numpy(), s.mean(axis=2))
    assert L.GlobalAveragePooling2D().compute_output_shape((None, None, None, 8)) == (None, 8)
    assert L.GlobalMaxPooling2D(keepdims=True).compute_output_shape((None, 4, 4, 8)) == \
        (None, 1, 1, 8)
    assert L.GlobalAveragePooling1D(data_format="channels_first").compute_output_shape(
        (None, 8, None)) == (None, 8)


def test_global_average_pooling1d_mask():
    x = RNG.standard_normal((2, 4, 3))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    y = L.GlobalAveragePooling1D(dtype="float64")(x, mask=mask).numpy()
    np.testing.assert_allclose(y, [x[0, :2].mean(0), x[1].mean(0)], rtol=1e-12)
    emb = L.Embedding(10, 3, mask_zero=True)
    ids = np.array([[4, 2, 0, 0]])
    pooled = L.GlobalAveragePooling1D()(emb(ids), mask=emb.compute_mask(ids)).numpy()
    np.testing.assert_allclose(pooled[0], emb.embeddings.numpy()[[4, 2]].mean(0), rtol=1e-6)


def test_none_dims_sequential_and_config():
    assert L.MaxPooling2D(2, padding="same").compute_output_shape((None, None, 7, 4)) == \
        (None, None, 4, 4)
    model = Sequential([L.MaxPooling2D(3, 2, "same", input_shape=(9, 8, 4)),
                        L.AveragePooling2D(2), L.GlobalMaxPooling2D()])
    assert model.built
    assert [layer.compute_output_shape(s) for layer, s in zip(
        model.layers, [(None, 9, 8, 4), (None, 5, 4, 4), (None, 2, 2, 4)])] == \
        [(None, 5, 4, 4), (None, 2, 2, 4), (None, 4)]
    assert model(np.zeros((3, 9, 8, 4), "float32")).shape == (3, 4)
    for layer in (L.MaxPooling2D((3, 2), (1, 2), "same", data_format="channels_first"),
                  L.AveragePooling1D(4), L.GlobalAveragePooling2D(keepdims=True)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert L.MaxPooling2D(3).get_config()["strides"] == (3, 3)


def test_pooling_errors():
    with pytest.raises(ValueError, match=r'"pool".*expected ndim=4, found ndim=3.*\(2, 8, 8\)'):
        L.MaxPooling2D(name="pool")(np.zeros((2, 8, 8), "float32"))
    with pytest.raises(ValueError, match=r'"tiny".*zero or negative.*\(None, 2, 2, 1\)'):
        Sequential([L.AveragePooling2D(3, name="tiny", input_shape=(2, 2, 1))])
    with pytest.raises(ValueError, match="padding"):
        L.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match=r'"gp".*expected ndim=3'):
        L.GlobalAveragePooling1D(name="gp")(np.zeros((2, 3, 4, 5), "float32"))


@pytest.mark.parametrize("name,args", [
    ("MaxPooling2D", ((3, 2), (1, 2), "same")), ("MaxPooling2D", (3, 2, "same")),
    ("MaxPooling1D", (3, 2, "same")), ("AveragePooling2D", (3, 2, "same")),
    ("AveragePooling2D", (2, None, "valid")), ("GlobalAveragePooling2D", ()),
])
def test_pooling_matches_keras(name, args):
    # (Keras 3.15's torch backend gets AveragePooling2D((3, 2), (1, 2), 'same') wrong --
    # it divides by the padded window -- so that case is checked against NumPy above.)
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    shape = (2, 11, 3) if name.endswith("1D") else (2, 7, 9, 3)
    x = RNG.standard_normal(shape).astype("float32")
    expected = keras.ops.convert_to_numpy(getattr(keras.layers, name)(*args)(x))
    np.testing.assert_allclose(getattr(L, name)(*args)(x).numpy(), expected, rtol=1e-5, atol=1e-6)
