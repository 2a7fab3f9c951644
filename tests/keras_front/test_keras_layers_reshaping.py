"""Keras reshaping layers and Lambda: outputs vs NumPy, gradients, output shapes with None,
configs, Sequential building and input errors."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.keras import Input, Model, Sequential
from deepgrad.keras import layers as L

RNG = np.random.default_rng(2)
X4 = RNG.standard_normal((2, 3, 4, 2))
X3 = RNG.standard_normal((2, 5, 3))

# (layer, input, NumPy reference of the output)
CASES = [
    (L.Reshape((-1, 2)), X4, X4.reshape(2, -1, 2)),
    (L.Reshape((4, 6)), X4, X4.reshape(2, 4, 6)),
    (L.Permute((3, 1, 2)), X4, X4.transpose(0, 3, 1, 2)),
    (L.RepeatVector(3), X3[:, 0], np.repeat(X3[:, None, 0], 3, axis=1)),
    (L.UpSampling1D(3), X3, X3.repeat(3, axis=1)),
    (L.UpSampling2D((2, 3)), X4, X4.repeat(2, axis=1).repeat(3, axis=2)),
    (L.UpSampling2D(2, data_format="channels_first"), X4, X4.repeat(2, axis=2).repeat(2, axis=3)),
    (L.ZeroPadding1D((1, 2)), X3, np.pad(X3, ((0, 0), (1, 2), (0, 0)))),
    (L.ZeroPadding2D(1), X4, np.pad(X4, ((0, 0), (1, 1), (1, 1), (0, 0)))),
    (L.ZeroPadding2D((1, 2)), X4, np.pad(X4, ((0, 0), (1, 1), (2, 2), (0, 0)))),
    (L.ZeroPadding2D(((0, 1), (2, 0))), X4, np.pad(X4, ((0, 0), (0, 1), (2, 0), (0, 0)))),
    (L.Cropping1D((1, 2)), X3, X3[:, 1:3]),
    (L.Cropping2D(((1, 0), (1, 2))), X4, X4[:, 1:, 1:2]),
    (L.Cropping2D(1), X4, X4[:, 1:2, 1:3]),
    (L.Lambda(lambda x: ops.exp(x) * 2.0), X3, np.exp(X3) * 2),
]


@pytest.mark.parametrize("layer,x,ref", CASES, ids=lambda v: getattr(v, "name", None))
def test_reshaping_layers(layer, x, ref):
    layer.dtype = "float64"
    y = layer(x)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)
    assert layer.compute_output_shape(x.shape) == ref.shape
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + ref.shape[1:]
    xt = dg.tensor(x, requires_grad=True)
    assert dg.gradcheck(lambda t: layer(t), (xt,))


def test_bilinear_upsampling_half_pixel():
    x = RNG.standard_normal((1, 2, 3, 1))
    y = L.UpSampling2D(2, interpolation="bilinear", dtype="float64")(x).numpy()[0, :, :, 0]
    # output pixel j samples input position (j + 1/2) / 2 - 1/2, clamped to [0, n - 1]
    def weights(n_in, n_out):
        src = np.clip((np.arange(n_out) + 0.5) / 2 - 0.5, 0, n_in - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        a = np.zeros((n_out, n_in))
        a[np.arange(n_out), lo] += 1 - (src - lo)
        a[np.arange(n_out), hi] += src - lo
        return a
    ref = weights(2, 4) @ x[0, :, :, 0] @ weights(3, 6).T
    np.testing.assert_allclose(y, ref, rtol=1e-12)
    xt = dg.tensor(x, requires_grad=True)
    assert dg.gradcheck(lambda t: L.UpSampling2D(2, interpolation="bilinear",
                                                  dtype="float64")(t), (xt,))


def test_none_dims_in_output_shapes():
    assert L.Reshape((-1, 4)).compute_output_shape((None, None, 4)) == (None, None, 4)
    assert L.Reshape((-1, 4)).compute_output_shape((None, 3, 8)) == (None, 6, 4)
    assert L.UpSampling2D(2).compute_output_shape((None, None, 3, 1)) == (None, None, 6, 1)
    assert L.Cropping2D(1).compute_output_shape((None, 5, None, 1)) == (None, 3, None, 1)
    assert L.Permute((2, 1)).compute_output_shape((None, None, 4)) == (None, 4, None)


def test_sequential_and_functional():
    model = Sequential([L.Reshape((4, 4, 1), input_shape=(16,)), L.ZeroPadding2D(1),
                        L.UpSampling2D(2), L.Cropping2D(((1, 1), (2, 2))), L.Permute((3, 1, 2)),
                        L.Reshape((-1,)), L.RepeatVector(2)])
    assert model.built
    assert model.compute_output_shape((None, 16)) == (None, 2, 80)
    assert model(np.zeros((3, 16), "float32")).shape == (3, 2, 80)
    inputs = Input((6,))
    outputs = L.Lambda(lambda x: x * 3.0)(L.Reshape((2, 3))(inputs))
    assert outputs.shape == (None, 2, 3)
    y = Model(inputs, outputs)(np.ones((2, 6), "float32"))
    np.testing.assert_allclose(y.numpy(), 3 * np.ones((2, 2, 3)))


@pytest.mark.parametrize("layer", [
    L.Reshape((-1, 3)), L.Permute((2, 1)), L.RepeatVector(4), L.UpSampling1D(2),
    L.UpSampling2D((2, 3), interpolation="bilinear"), L.ZeroPadding1D(2),
    L.ZeroPadding2D(((1, 2), (3, 4)), data_format="channels_first"), L.Cropping1D(1),
    L.Cropping2D(((1, 2), (0, 1)))])
def test_get_config_round_trip(layer):
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_lambda_output_shape_arguments_and_config():
    double = L.Lambda(lambda x, k: x * k, arguments={"k": 2.0}, output_shape=(5, 3))
    np.testing.assert_allclose(double(X3).numpy(), 2 * X3.astype("float32"), rtol=1e-6)
    assert double.compute_output_shape((None, 5, 3)) == (None, 5, 3)
    summed = L.Lambda(lambda x: ops.sum(x, 1), output_shape=lambda s: (s[0], s[2]))
    assert summed.compute_output_shape((None, 5, 3)) == (None, 3)
    inferred = L.Lambda(lambda x: ops.sum(x, 1))
    assert inferred.compute_output_shape((None, 5, 3)) == (None, 3)
    config = double.get_config()
    assert config["serializable"] is False and config["function"]["name"] == "<lambda>"
    with pytest.raises(ValueError, match="not serialized"):
        L.Lambda.from_config(config)
    with pytest.raises(TypeError, match="callable"):
        L.Lambda(3)


def test_reshaping_errors():
    with pytest.raises(ValueError, match=r'"rs".*size.*\(3, 4\).*\(5,\)'):
        L.Reshape((5,), name="rs")(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="at most one -1"):
        L.Reshape((-1, -1))
    with pytest.raises(ValueError, match=r'"perm".*expected ndim=4, found ndim=3'):
        L.Permute((3, 2, 1), name="perm")(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="start from 1"):
        L.Permute((0, 1))
    with pytest.raises(ValueError, match=r'"rv".*expected ndim=2, found ndim=3'):
        L.RepeatVector(2, name="rv")(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r'"crop".*too large.*\(2, 3, 4, 1\)'):
        L.Cropping2D(((2, 1), (0, 0)), name="crop")(np.zeros((2, 3, 4, 1), "float32"))
    with pytest.raises(ValueError, match="interpolation"):
        L.UpSampling2D(interpolation="bicubic")


def test_upsampling_bilinear_matches_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = X4.astype("float32")
    expected = keras.ops.convert_to_numpy(
        keras.layers.UpSampling2D((2, 3), interpolation="bilinear")(x))
    got = L.UpSampling2D((2, 3), interpolation="bilinear")(x).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
