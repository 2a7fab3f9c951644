"""ScheduleFreeAdamW (NumPy reference of the published rule) and Muon (Keras 3 from the same
weights, Newton-Schulz vs the SVD's U V^T), configs, bad arguments."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras as dk
from deepgrad.optim import rules

RNG = np.random.default_rng(71)
X = RNG.standard_normal((64, 4)).astype("float32")
Y = (X @ RNG.standard_normal((4, 1))).astype("float32")


def _model(lib):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(5, activation="tanh"),
                           lib.layers.Dense(1)])


def test_schedule_free_adamw_reference():
    w = dg.tensor(np.array([1.0, 2.0, -0.5]), dtype=dg.float64)
    opt = dk.optimizers.ScheduleFreeAdamW(0.1, warmup_steps=2)
    grads = [RNG.standard_normal(3) for _ in range(4)]
    y, z, v = w.numpy().copy(), w.numpy().copy(), np.zeros(3)
    for t, g in enumerate(grads, 1):
        opt.apply_gradients([(g, w)])
        lr = 0.1 * min(t / 2, 1.0)
        z_old = z.copy()
        v += (1 - 0.999) * (g * g - v)
        z = z - lr * g / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        x = (y - 0.1 * z_old) / 0.9
        x = (1 - 1 / t) * x + z / t
        y = 0.1 * z + 0.9 * x
        np.testing.assert_allclose(w.numpy(), y, rtol=1e-12)
    model = _model(dk)
    model.compile(dk.optimizers.ScheduleFreeAdamW(0.01), "mse")
    loss = model.fit(X, Y, epochs=5, verbose=0).history["loss"]
    assert loss[-1] < loss[0]


def test_first_step_matches_keras():
    keras = pytest.importorskip("keras")
    w = keras.Variable(np.array([1.0, 2.0], "float32"))
    ours = dg.tensor(np.array([1.0, 2.0], "float32"))
    g = np.array([0.5, -1.0], "float32")
    keras.optimizers.ScheduleFreeAdamW(0.1).apply_gradients([(g, w)])
    dk.optimizers.ScheduleFreeAdamW(0.1).apply_gradients([(g, ours)])
    np.testing.assert_allclose(ours.numpy(), np.asarray(w.numpy()), rtol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, dict(nesterov=False, rms_rate=None, ns_steps=3,
                                             adam_lr_ratio=0.5)])
def test_muon_against_keras(kwargs):
    keras = pytest.importorskip("keras")
    theirs, ours = _model(keras), _model(dk)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    theirs.compile(keras.optimizers.Muon(**kwargs), "mse")
    ours.compile(dk.optimizers.Muon(**kwargs), "mse")
    h_t = theirs.fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    h_o = ours.fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_o["loss"], h_t["loss"], rtol=1e-5)
    for a, b in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(b, np.asarray(a), atol=1e-6)


def test_muon_newton_schulz_and_routing():
    g = RNG.standard_normal((6, 4))
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    ortho = rules.newton_schulz5(g, 10)
    s = np.linalg.svd(ortho, compute_uv=False)
    assert np.all((s > 0.5) & (s < 1.5))                   # singular values pushed to ~1
    assert np.sum(ortho * (u @ vt)) / np.linalg.norm(ortho) / np.linalg.norm(u @ vt) > 0.95
    model = _model(dk)
    opt = dk.optimizers.Muon()
    model.compile(opt, "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    kernel, bias = model.layers[0].kernel, model.layers[0].bias
    assert "velocity" not in opt.state[kernel] and "velocity" in opt.state[bias]
    cfg = opt.get_config()
    assert dk.optimizers.Muon.from_config(cfg).get_config()["ns_steps"] == 5
    with pytest.raises(ValueError, match="warmup_steps"):
        dk.optimizers.ScheduleFreeAdamW(warmup_steps=-1)
