"""Keras 3's newer activations (glu, hard/soft shrink, hard_tanh, sparse_plus,
sparse_sigmoid, sparsemax, squareplus, threshold): values vs Keras 3 and NumPy, gradients,
registry names."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import activations as A

X = np.linspace(-2.05, 1.95, 24).reshape(4, 6)       # away from the kinks at 0, +-0.5, +-1

REFS = {
    "glu": (dict(), lambda x: x[:, :3] / (1 + np.exp(-x[:, 3:]))),
    "hard_shrink": (dict(threshold=0.5), lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    "hard_tanh": (dict(), lambda x: np.clip(x, -1, 1)),
    "soft_shrink": (dict(threshold=0.3),
                    lambda x: np.where(x > 0.3, x - 0.3, np.where(x < -0.3, x + 0.3, 0))),
    "sparse_plus": (dict(), lambda x: np.where(x <= -1, 0, np.where(x >= 1, x,
                                                                    (x + 1) ** 2 / 4))),
    "sparse_sigmoid": (dict(), lambda x: np.clip((x + 1) / 2, 0, 1)),
    "squareplus": (dict(b=3), lambda x: (x + np.sqrt(x ** 2 + 3)) / 2),
    "threshold": (dict(threshold=0.1, default_value=-3.0), lambda x: np.where(x > 0.1, x, -3)),
}


def _sparsemax_ref(z):
    out = np.zeros_like(z)
    for i, row in enumerate(z):
        s = np.sort(row)[::-1]
        k = np.arange(1, len(row) + 1)
        support = 1 + k * s > np.cumsum(s)
        kz = k[support][-1]
        tau = (np.cumsum(s)[kz - 1] - 1) / kz
        out[i] = np.maximum(row - tau, 0)
    return out


@pytest.mark.parametrize("name", sorted(REFS))
def test_values_and_gradients(name):
    kwargs, ref = REFS[name]
    fn = getattr(A, name)
    np.testing.assert_allclose(fn(dg.tensor(X), **kwargs).numpy(), ref(X), atol=1e-12)
    assert A.get(name) is fn
    x = dg.tensor(X, requires_grad=True)
    assert dg.gradcheck(lambda v: fn(v, **kwargs), (x,))


def test_sparsemax():
    y = A.sparsemax(dg.tensor(X)).numpy()
    np.testing.assert_allclose(y, _sparsemax_ref(X), atol=1e-12)
    np.testing.assert_allclose(y.sum(-1), 1.0)


@pytest.mark.parametrize("name", sorted(REFS))
def test_against_keras(name):
    keras = pytest.importorskip("keras")
    torch = pytest.importorskip("torch")
    kwargs, _ = REFS[name]
    x = X.astype(np.float32)
    theirs = getattr(keras.activations, name)(torch.tensor(x), **kwargs)
    np.testing.assert_allclose(getattr(A, name)(x, **kwargs).numpy(),
                               np.asarray(theirs.detach()), atol=1e-6)
