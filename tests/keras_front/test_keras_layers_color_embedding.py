"""AutoContrast, Solarization, RandomInvert, RandomGrayscale, RandomPosterization,
ReversibleEmbedding and Pipeline: Keras 3 (deterministic settings, same weights), NumPy
properties, training switch, configs, errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import layers as L

RNG = np.random.default_rng(41)
X = RNG.uniform(0, 255, (3, 5, 6, 3)).astype("float32")
X[0, ..., 1] = 7.0                                  # a constant channel
IDS = RNG.integers(0, 10, (2, 4))
H = RNG.standard_normal((2, 4, 6)).astype("float32")

DETERMINISTIC = [("AutoContrast", {}, X), ("AutoContrast", dict(value_range=(0, 1)), X / 255),
                 ("Solarization", {}, X), ("RandomGrayscale", dict(factor=1.0), X),
                 ("RandomInvert", dict(factor=1.0), X),
                 ("RandomPosterization", dict(factor=(3, 3)), X),
                 ("RandomPosterization", dict(factor=(4, 4), value_range=(0, 1)), X / 255)]


@pytest.mark.parametrize("name,kwargs,x", DETERMINISTIC)
def test_against_keras(name, kwargs, x):
    keras = pytest.importorskip("keras")
    if name == "RandomInvert":          # Keras draws p ~ U(0, 1): use (1, 1) for ours
        ours = L.RandomInvert(factor=(1.0, 1.0))
        np.testing.assert_allclose(ours(x).numpy(), 255 - x)
        return
    ours = getattr(L, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x).cpu()), atol=1e-4)


def test_numpy_properties_and_training_switch():
    y = L.AutoContrast()(X).numpy()
    lo, hi = X.min((1, 2), keepdims=True), X.max((1, 2), keepdims=True)
    ref = np.where(hi > lo, (X - lo) * 255 / np.where(hi > lo, hi - lo, 1), X)
    np.testing.assert_allclose(y, ref, atol=1e-3)
    np.testing.assert_array_equal(y[0, ..., 1], 7.0)
    grey = L.RandomGrayscale(1.0)(X).numpy()
    ref = (X * [0.2989, 0.587, 0.114]).sum(-1, keepdims=True)
    np.testing.assert_allclose(grey, np.broadcast_to(ref, X.shape), rtol=1e-5)
    post = L.RandomPosterization((2, 2))(X).numpy()
    np.testing.assert_array_equal(post, (X.astype(np.uint8) >> 6) << 6)
    sol = L.Solarization(threshold_factor=(1.0, 1.0), seed=1)
    out = sol(X).numpy()                         # threshold U(1, 255): per-image cut
    assert np.all((out == X) | np.isclose(out, 255 - X))
    for layer in (L.Solarization(), L.RandomInvert(), L.RandomGrayscale(),
                  L.RandomPosterization(4)):
        np.testing.assert_array_equal(layer(X, training=False).numpy(), X)
    np.testing.assert_array_equal(L.AutoContrast()(X, training=False).numpy(), y)
    seen = {np.array_equal(L.RandomInvert(0.5, seed=s)(X[:1]).numpy(), X[:1])
            for s in range(12)}
    assert seen == {True, False}
    for layer in (L.Solarization(0.1, 0.2), L.RandomInvert(0.3), L.RandomGrayscale(0.2),
                  L.RandomPosterization(5)):
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="factor.*\\[1, 8\\].*9"):
        L.RandomPosterization(9)
    with pytest.raises(ValueError, match="RGB images"):
        L.RandomGrayscale(1.0)(X[..., :2])


@pytest.mark.parametrize("kwargs", [{}, dict(tie_weights=False, logit_soft_cap=2.0)])
def test_reversible_embedding(kwargs):
    layer = L.ReversibleEmbedding(10, 6, **kwargs)
    layer(IDS)
    e = layer.embeddings.numpy()
    np.testing.assert_array_equal(layer(IDS).numpy(), e[IDS])
    kernel = e.T if not kwargs else layer.reverse_embeddings.numpy()
    logits = H @ kernel
    if kwargs:
        logits = np.tanh(logits / 2.0) * 2.0
    np.testing.assert_allclose(layer(H, reverse=True).numpy(), logits, rtol=1e-5, atol=1e-6)
    h = dg.tensor(H[:1, :2].astype(np.float64), requires_grad=True)
    layer64 = L.ReversibleEmbedding(10, 6, dtype="float64", **kwargs)
    layer64(IDS)
    assert dg.gradcheck(lambda v: layer64(v, reverse=True), (h,))
    keras = pytest.importorskip("keras")
    theirs = keras.layers.ReversibleEmbedding(10, 6, **kwargs)
    theirs(IDS)
    layer.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(layer(H, reverse=True).numpy(),
                               np.asarray(theirs(H, reverse=True).detach().cpu()), atol=1e-6)


def test_pipeline():
    p = L.Pipeline([L.RandomInvert(factor=(1.0, 1.0)), L.Rescaling(1 / 255)])
    np.testing.assert_allclose(p(X).numpy(), (255 - X) / 255, atol=1e-6)
    np.testing.assert_allclose(p(X, training=False).numpy(), X / 255, atol=1e-6)
    clone = L.Pipeline.from_config(p.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["RandomInvert", "Rescaling"]
    assert p.compute_output_shape((None, 5, 6, 3)) == (None, 5, 6, 3)
