"""Keras BatchNormalization and LayerNormalization: outputs and moving statistics vs NumPy
(Keras's rules) and Keras 3 when installed, gradients, weights, configs and errors."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import Sequential
from deepgrad.keras import layers as L

RNG = np.random.default_rng(3)


def test_batchnorm_training_output_and_keras_moving_update():
    x = RNG.standard_normal((4, 3, 5, 2)) * 3 + 1
    bn = L.BatchNormalization(momentum=0.9, dtype="float64")
    y = bn(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))           # biased variance
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10, atol=1e-12)
    # Keras: moving = moving * momentum + batch * (1 - momentum), with the biased variance
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-12)


def test_batchnorm_batch_of_one_vector():
    # Keras: mean = x, variance = 0, so y = beta (a last batch of size 1 must not crash)
    bn = L.BatchNormalization(momentum=0.5, dtype="float64", beta_initializer="glorot_uniform")
    x = dg.tensor(RNG.standard_normal((1, 3)), requires_grad=True)
    y = bn(x, training=True)
    np.testing.assert_allclose(y.numpy(), bn.beta.numpy()[None])
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.numpy()[0])
    np.testing.assert_allclose(bn.moving_variance.numpy(), [0.5] * 3)
    y.sum().backward()
    np.testing.assert_allclose(bn.beta.grad.numpy(), [1.0] * 3)
    assert x.grad is None or not x.grad.numpy().any()


def test_batchnorm_inference_uses_moving_statistics():
    x = RNG.standard_normal((6, 4))
    bn = L.BatchNormalization(epsilon=1e-2, dtype="float64")
    bn.build((None, 4))
    gamma, beta, mm, mv = (RNG.uniform(0.5, 2, 4) for _ in range(4))
    bn.set_weights([gamma, beta, mm, mv])
    expected = gamma * (x - mm) / np.sqrt(mv + 1e-2) + beta
    for training in (None, False):
        np.testing.assert_allclose(bn(x, training=training).numpy(), expected, rtol=1e-12)
    bn.trainable = False                         # a frozen BN runs in inference mode (Keras 3)
    np.testing.assert_allclose(bn(x, training=True).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mm)


def test_batchnorm_weights_axis_and_flags():
    bn = L.BatchNormalization()
    bn.build((None, 5, 3))
    assert [v.name for v in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert bn.count_params() == 12
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    bare = L.BatchNormalization(center=False, scale=False)
    bare.build((None, 3))
    assert [v.name for v in bare.weights] == ["moving_mean", "moving_variance"]
    x = RNG.standard_normal((3, 4, 5))
    axis1 = L.BatchNormalization(axis=1, dtype="float64")
    y = axis1(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10, atol=1e-12)
    assert axis1.gamma.shape == (4,)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradcheck(training):
    bn = L.BatchNormalization(axis=-1, dtype="float64", gamma_initializer="glorot_uniform",
                              beta_initializer="glorot_uniform")
    x = dg.tensor(RNG.standard_normal((3, 2, 2, 3)), requires_grad=True)
    bn(x)
    assert dg.gradcheck(lambda x, *w: bn(x, training=training), (x, *bn.trainable_weights))


def test_layernorm_matches_numpy_and_gradcheck():
    x = RNG.standard_normal((2, 3, 4))
    ln = L.LayerNormalization(dtype="float64", gamma_initializer="glorot_uniform")
    y = ln(x).numpy()
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    ref = (x - mean) / np.sqrt(var + 1e-3) * ln.gamma.numpy() + ln.beta.numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)
    multi = L.LayerNormalization(axis=[1, -1], dtype="float64", center=False)
    y = multi(x).numpy()
    assert [w.shape for w in multi.weights] == [(3, 4)]
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10, atol=1e-12)
    middle = L.LayerNormalization(axis=1, dtype="float64")
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(middle(x).numpy(), (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10,
                               atol=1e-12)
    xt = dg.tensor(x, requires_grad=True)
    for layer in (ln, multi, middle):
        assert dg.gradcheck(lambda x, *w: layer(x), (xt, *layer.trainable_weights))


def test_shapes_sequential_and_config():
    model = Sequential([L.Dense(6, input_shape=(4,)), L.BatchNormalization(),
                        L.LayerNormalization()])
    assert model.built and model.count_params() == 4 * 6 + 6 + 4 * 6 + 2 * 6
    assert L.BatchNormalization().compute_output_shape((None, None, 3)) == (None, None, 3)
    y = model(np.ones((2, 4), "float32"), training=True)
    assert y.shape == (2, 6)
    for layer in (L.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False,
                                       gamma_regularizer="l2"),
                  L.LayerNormalization(axis=[1, 2], epsilon=1e-6, scale=False)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


def test_normalization_errors():
    bn = L.BatchNormalization(name="bn")
    bn(np.zeros((2, 3), "float32"), training=True)
    with pytest.raises(ValueError, match=r'"bn".*axis 1.*value 3.*\(2, 4\)'):
        bn(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r'"bn".*expected ndim=2, found ndim=3'):
        bn(np.zeros((2, 4, 3), "float32"))
    with pytest.raises(ValueError, match=r'"ln".*axis 3 is out of bounds'):
        L.LayerNormalization(axis=3, name="ln")(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match=r'"bn2".*must be known'):
        L.BatchNormalization(name="bn2").build((None, None))


def test_normalization_matches_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = (RNG.standard_normal((4, 3, 5, 2)) * 2 + 1).astype("float32")
    theirs, ours = keras.layers.BatchNormalization(momentum=0.5), L.BatchNormalization(momentum=0.5)
    for _ in range(2):
        expected = keras.ops.convert_to_numpy(theirs(x, training=True))
        np.testing.assert_allclose(ours(x, training=True).numpy(), expected, rtol=1e-4, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    expected = keras.ops.convert_to_numpy(theirs(x, training=False))
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-4, atol=1e-5)
    theirs, ours = keras.layers.LayerNormalization(axis=[1, 3]), L.LayerNormalization(axis=[1, 3])
    expected = keras.ops.convert_to_numpy(theirs(x))
    ours.build(x.shape)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-4, atol=1e-5)
