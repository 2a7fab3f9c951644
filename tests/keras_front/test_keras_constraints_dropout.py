"""Arguments Keras code relies on that deepgrad once accepted and dropped, now
implemented: weight constraints (applied after every optimizer update), Dropout's
noise_shape and seed (and a recurrent layer's seed), compile(weighted_metrics=)."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras
from deepgrad.keras import constraints as C
from deepgrad.keras import layers

RNG = np.random.default_rng(0)
W = RNG.standard_normal((5, 3)).astype("float32")
X = RNG.standard_normal((32, 5)).astype("float32")
Y = RNG.standard_normal((32, 3)).astype("float32")


@pytest.fixture(scope="module")
def keras3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


# ---------------------------------------------------------------------- constraints
def _norms(w, axis=0):
    return np.sqrt((w.astype(np.float64) ** 2).sum(axis=axis, keepdims=True))


def test_constraint_formulas():
    n = _norms(W)
    np.testing.assert_allclose(C.MaxNorm(1.0)(W), W * np.clip(n, 0, 1.0) / (1e-7 + n),
                               rtol=1e-6)
    np.testing.assert_allclose(C.UnitNorm()(W), W / (1e-7 + n), rtol=1e-6)
    np.testing.assert_array_equal(C.NonNeg()(W), np.maximum(W, 0))
    mm = C.MinMaxNorm(0.5, 1.5, rate=0.5)(W)
    desired = 0.5 * np.clip(n, 0.5, 1.5) + 0.5 * n
    np.testing.assert_allclose(mm, W * desired / (1e-7 + n), rtol=1e-6)
    assert _norms(C.MaxNorm(2.0, axis=1)(W * 10), axis=1).max() <= 2.0 + 1e-5
    t = C.UnitNorm()(dg.tensor(W))
    assert isinstance(t, dg.Tensor) and t.dtype == np.float32
    assert C.MaxNorm()(W.astype("float64")).dtype == np.float64


def test_constraint_registry_and_configs():
    for c in (C.MaxNorm(3, axis=[0, 1]), C.MinMaxNorm(0.1, 2.0, 0.5), C.UnitNorm(1),
              C.NonNeg()):
        again = C.deserialize(C.serialize(c))
        assert type(again) is type(c) and again.get_config() == c.get_config()
    assert isinstance(C.get("max_norm"), C.MaxNorm) and isinstance(C.get("NonNeg"), C.NonNeg)
    assert C.max_norm is C.MaxNorm
    with pytest.raises(ValueError, match="Unknown constraint"):
        C.get("maxnorm")


def test_constraints_match_keras_3(keras3):
    for ours, theirs in [(C.MaxNorm(1.2), keras3.constraints.MaxNorm(1.2)),
                         (C.MinMaxNorm(0.3, 0.9, 0.7), keras3.constraints.MinMaxNorm(0.3, 0.9, 0.7)),
                         (C.UnitNorm(axis=1), keras3.constraints.UnitNorm(axis=1)),
                         (C.NonNeg(), keras3.constraints.NonNeg())]:
        ref = keras3.ops.convert_to_numpy(theirs(keras3.ops.convert_to_tensor(W)))
        np.testing.assert_allclose(ours(W), ref, rtol=1e-6, atol=1e-7)


def test_fit_applies_constraints_after_each_update():
    keras.utils.set_random_seed(0)
    seen = []
    model = keras.Sequential([keras.Input((5,)),
                              layers.Dense(3, kernel_constraint=C.MaxNorm(0.3),
                                           bias_constraint="non_neg")])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(
        [w.copy() for w in model.get_weights()]))
    model.fit(X, Y * 10, batch_size=8, epochs=2, verbose=0, callbacks=[cb])
    for kernel, bias in seen:
        assert _norms(kernel).max() <= 0.3 + 1e-6 and bias.min() >= 0.0
    assert np.isclose(_norms(seen[-1][0]).max(), 0.3, rtol=1e-4)       # the bound is reached


def test_custom_loops_apply_constraints_too():
    dense = layers.Dense(3, kernel_constraint=C.UnitNorm())
    dense(X)
    opt = keras.optimizers.Adam(0.1)
    loss = (dense(X) ** 2).mean()
    loss.backward()
    opt.apply([v.grad for v in dense.trainable_weights], dense.trainable_weights)
    np.testing.assert_allclose(_norms(dense.kernel.numpy()), 1.0, rtol=1e-5)
    conv = layers.Conv2D(2, 3, kernel_constraint=C.MaxNorm(0.1, axis=[0, 1, 2]))
    assert conv.get_config()["kernel_constraint"]["class_name"] == "MaxNorm"


@pytest.mark.parametrize("make", [
    lambda k, c: k.layers.Dense(3, kernel_constraint=c.MaxNorm(0.4), bias_constraint=c.NonNeg()),
    lambda k, c: k.layers.Dense(3, kernel_constraint=c.UnitNorm())])
def test_constrained_training_matches_keras_3(keras3, make):
    k3 = keras3
    k3.utils.set_random_seed(0)
    theirs = k3.Sequential([k3.Input((5,)), make(k3, k3.constraints)])
    ours = keras.Sequential([keras.Input((5,)), make(keras, C)])
    ours.set_weights(theirs.get_weights())
    theirs.compile(k3.optimizers.SGD(0.2), "mse")
    ours.compile(keras.optimizers.SGD(0.2), "mse")
    kw = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    h3, h = theirs.fit(X, Y * 5, **kw).history, ours.fit(X, Y * 5, **kw).history
    np.testing.assert_allclose(h["loss"], h3["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- Dropout
def test_dropout_noise_shape_shares_the_mask():
    x = np.ones((4, 6, 5), "float32")
    y = layers.Dropout(0.5, noise_shape=(None, 1, 5), seed=3)(x, training=True).numpy()
    for b in range(4):
        assert (y[b] == y[b, :1]).all()                    # one mask for every time step
    assert set(np.unique(y)) <= {0.0, 2.0}
    np.testing.assert_array_equal(layers.Dropout(0.5)(x).numpy(), x)   # inference: identity
    with pytest.raises(ValueError, match="one entry per input axis"):
        layers.Dropout(0.5, noise_shape=(None, 5))(x, training=True)
    with pytest.raises(ValueError, match="noise_shape must be a tuple"):
        layers.Dropout(0.5, noise_shape=5)


def test_dropout_seed_repeats_its_masks_and_rate_holds():
    x = np.ones((200, 50), "float32")
    a, b = layers.Dropout(0.3, seed=11), layers.Dropout(0.3, seed=11)
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())
    assert not np.array_equal(first, a(x, training=True).numpy())      # the stream advances
    assert abs((first == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(first[first != 0], 1 / 0.7, rtol=1e-6)
    config = layers.Dropout(0.3, noise_shape=(None, 1), seed=5).get_config()
    assert config["noise_shape"] == [None, 1] and config["seed"] == 5
    again = layers.Dropout.from_config(config)
    assert again.noise_shape == (None, 1) and again.seed == 5


def test_dropout_gradient_is_the_mask():
    x = dg.tensor(np.ones((3, 4)), requires_grad=True)
    layer = layers.Dropout(0.5, noise_shape=(3, 1), seed=0, dtype="float64")
    y = layer(x, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_recurrent_dropout_seed_repeats():
    x = RNG.standard_normal((4, 5, 3)).astype("float32")
    outs = []
    for _ in range(2):
        keras.utils.set_random_seed(0)
        layer = layers.LSTM(4, dropout=0.5, seed=9)
        outs.append(layer(x, training=True).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])


# ---------------------------------------------------------------------- weighted_metrics
def test_weighted_metrics_use_sample_weight_and_metrics_do_not():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(3)])
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae", "mse"])
    sw = RNG.random(32).astype("float32")
    logs = model.evaluate(X, Y, sample_weight=sw, batch_size=32, verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "mae", "mse", "weighted_mae"]
    err = np.abs(model.predict(X, verbose=0) - Y).mean(axis=1)
    sq = ((model.predict(X, verbose=0) - Y) ** 2).mean(axis=1)
    np.testing.assert_allclose(logs["mae"], err.mean(), rtol=1e-5)
    np.testing.assert_allclose(logs["weighted_mae"], (err * sw).sum() / sw.sum(), rtol=1e-5)
    np.testing.assert_allclose(logs["mse"], (sq * sw).sum() / sw.sum(), rtol=1e-5)


def test_weighted_metrics_match_keras_3(keras3):
    k3 = keras3
    k3.utils.set_random_seed(0)
    theirs = k3.Sequential([k3.Input((5,)), k3.layers.Dense(3)])
    ours = keras.Sequential([keras.Input((5,)), layers.Dense(3)])
    ours.set_weights(theirs.get_weights())
    kwargs = dict(loss="mse", metrics=["mae"], weighted_metrics=["mae", "mse"])
    theirs.compile(k3.optimizers.SGD(0.05), **kwargs)
    ours.compile(keras.optimizers.SGD(0.05), **kwargs)
    sw = RNG.random(32).astype("float32")
    fit = dict(sample_weight=sw, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h3, h = theirs.fit(X, Y, **fit).history, ours.fit(X, Y, **fit).history
    assert list(h) == list(h3)
    for key in h:
        np.testing.assert_allclose(h[key], h3[key], rtol=2e-5, err_msg=key)
