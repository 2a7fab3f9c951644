"""keras.random's gamma/beta/binomial (moments against the distributions' formulas),
seeding, bad arguments; keras.random and keras.constraints name coverage vs Keras 3."""
import os

import numpy as np
import pytest

from deepgrad.keras import constraints
from deepgrad.keras import random as krandom


def test_gamma_beta_binomial_moments():
    g = krandom.gamma((40000,), alpha=3.0, seed=0).numpy()
    assert g.dtype == np.float32 and abs(g.mean() - 3.0) < 0.05 and abs(g.var() - 3.0) < 0.15
    b = krandom.beta((40000,), alpha=2.0, beta=5.0, seed=1).numpy()
    assert abs(b.mean() - 2 / 7) < 0.01
    assert abs(b.var() - 2 * 5 / (49 * 8)) < 0.002
    n = krandom.binomial((40000,), counts=10, probabilities=0.3, seed=2).numpy()
    assert n.dtype == np.float32 and set(np.unique(n)) <= set(range(11))
    assert abs(n.mean() - 3.0) < 0.05 and abs(n.var() - 2.1) < 0.1
    np.testing.assert_array_equal(krandom.gamma((5,), 2.0, seed=7).numpy(),
                                  krandom.gamma((5,), 2.0, seed=7).numpy())
    gen = krandom.SeedGenerator(3)
    assert not np.array_equal(krandom.beta((4,), 1.0, 1.0, seed=gen).numpy(),
                              krandom.beta((4,), 1.0, 1.0, seed=gen).numpy())
    assert krandom.gamma((2,), 1.0, dtype="float64").dtype == np.float64


def test_bad_arguments():
    with pytest.raises(ValueError, match="alpha must be > 0"):
        krandom.gamma((2,), 0.0)
    with pytest.raises(ValueError, match="alpha and beta must be > 0"):
        krandom.beta((2,), 1.0, -1.0)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        krandom.binomial((2,), 5, 1.5)
    with pytest.raises(ValueError, match="floating-point"):
        krandom.gamma((2,), 1.0, dtype="int32")


def test_names_cover_keras_3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    for ours, theirs in ((krandom, keras.random), (constraints, keras.constraints)):
        names = [n for n in dir(theirs) if not n.startswith("_")]
        missing = [n for n in names if not hasattr(ours, n)]
        assert not missing, missing
