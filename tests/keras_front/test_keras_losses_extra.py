"""Keras 3's Dice, Tversky, Circle, CTC and CategoricalGeneralizedCrossEntropy: values vs
Keras 3 (when installed) and NumPy formulas, gradients, registry names, configs, errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import losses as L

RNG = np.random.default_rng(31)
T = RNG.integers(0, 2, (3, 4, 5)).astype("float32")
P = RNG.uniform(0.05, 0.95, (3, 4, 5)).astype("float32")
Y = RNG.integers(0, 4, (6,))
PR = RNG.dirichlet(np.ones(4), 6).astype("float32")
E = RNG.standard_normal((8, 5)).astype("float32")
E /= np.linalg.norm(E, axis=1, keepdims=True)
LAB = np.array([0, 1, 0, 1, 2, 2, 0, 1])
CTC_Y = np.array([[1, 2, 0], [3, 3, 1]])
CTC_X = RNG.standard_normal((2, 6, 5)).astype("float32")

CASES = [("Dice", {}, T, P), ("Dice", dict(axis=(1, 2)), T, P),
         ("Tversky", dict(alpha=0.3, beta=0.7), T, P), ("Tversky", dict(axis=(1, 2)), T, P),
         ("CategoricalGeneralizedCrossEntropy", dict(q=0.7), Y, PR),
         ("Circle", {}, LAB, E), ("Circle", dict(gamma=10.0, margin=0.2), LAB, E),
         ("CTC", {}, CTC_Y, CTC_X)]


@pytest.mark.parametrize("name,kwargs,y,p", CASES)
def test_against_keras(name, kwargs, y, p):
    keras = pytest.importorskip("keras")
    ours = getattr(L, name)(**kwargs)
    theirs = getattr(keras.losses, name)(**kwargs)
    np.testing.assert_allclose(ours(y, p).numpy(), np.asarray(theirs(y, p).detach()),
                               rtol=1e-5)
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


def test_numpy_references():
    t, p = T.astype(np.float64), P.astype(np.float64)
    eps = 1e-7
    np.testing.assert_allclose(L.dice(t, p).numpy(),
                               1 - 2 * (t * p).sum() / (t.sum() + p.sum() + eps), rtol=1e-12)
    tp, fp, fn = (t * p).sum((1, 2)), ((1 - p) * t).sum((1, 2)), (p * (1 - t)).sum((1, 2))
    np.testing.assert_allclose(L.tversky(t, p, 0.3, 0.7, axis=(1, 2)).numpy(),
                               1 - tp / (tp + 0.3 * fp + 0.7 * fn + eps), rtol=1e-12)
    pt = PR.astype(np.float64)[np.arange(6), Y]
    np.testing.assert_allclose(L.categorical_generalized_cross_entropy(
        Y, PR.astype(np.float64), 0.4).numpy(), (1 - pt ** 0.4) / 0.4, rtol=1e-12)
    # circle, sample 0 by the formula
    e = E.astype(np.float64)
    d = np.maximum(1 - e @ e.T, 0)
    pos = (LAB[:, None] == LAB[None]) & ~np.eye(8, dtype=bool)
    i, g, m = 0, 80, 0.4
    ap, an = np.maximum(m + d[i], 0), np.maximum(1 + m - d[i], 0)
    lp = np.log(np.sum(np.exp(-g * ap * (m - d[i]))[pos[i]]))
    ln = np.log(np.sum(np.exp(g * an * (1 - m - d[i]))[~(LAB[i] == LAB)]))
    np.testing.assert_allclose(L.circle(LAB, e).numpy()[0], np.logaddexp(0, lp + ln),
                               rtol=1e-10)
    # CTC of one frame per label and no blanks: the log-likelihood of the one path
    logits = RNG.standard_normal((1, 2, 3))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    np.testing.assert_allclose(L.ctc(np.array([[1, 2]]), logits).numpy(),
                               [-(logp[0, 0, 1] + logp[0, 1, 2])], rtol=1e-10)


def test_gradients_registry_and_errors():
    t = T[:1, :2, :3].astype(np.float64)
    p = dg.tensor(P[:1, :2, :3], dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda v: L.Dice()(t, v), (p,))
    assert dg.gradcheck(lambda v: L.Tversky(0.2, 0.8)(t, v), (p,))
    x = dg.tensor(CTC_X, dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda v: L.CTC()(CTC_Y, v), (x,))
    for name in ("dice", "tversky", "circle", "ctc", "categorical_generalized_cross_entropy"):
        assert L.get(name) is getattr(L, name)
    assert isinstance(L.get("Dice"), L.Dice)
    with pytest.raises(ValueError, match="q must be in the interval"):
        L.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="batch_size, max_length\\)`.*\\(2, 3, 1\\)"):
        L.ctc(CTC_Y[..., None], CTC_X)
