"""Keras 3's sparse/smooth activations (deepgrad.ops.activation_sparse): forward vs NumPy,
float64 gradcheck away from the kinks, sparsemax's simplex property."""
import numpy as np
import pytest

from deepgrad import ops
from op_harness import UNARY, away_from, check_op, uniform


def np_sparsemax(x, axis=-1):
    z = np.moveaxis(x, axis, -1)
    out = np.empty_like(z)
    for idx in np.ndindex(z.shape[:-1]):
        v = z[idx]
        s = np.sort(v)[::-1]
        k = np.arange(1, v.size + 1)
        support = 1 + k * s > np.cumsum(s)
        kk = k[support][-1]
        tau = (s[:kk].sum() - 1) / kk
        out[idx] = np.maximum(v - tau, 0)
    return np.moveaxis(out, -1, axis)


def test_sparse_plus():
    check_op(ops.sparse_plus, lambda x: np.where(x <= -1, 0, np.where(x >= 1, x,
                                                                      (x + 1) ** 2 / 4)),
             UNARY, make=away_from([-1.0, 1.0]))


def test_sparse_sigmoid():
    check_op(ops.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1), UNARY,
             make=away_from([-1.0, 1.0]))


@pytest.mark.parametrize("b", [0.5, 4])
def test_squareplus(b):
    check_op(lambda x: ops.squareplus(x, b), lambda x: (x + np.sqrt(x * x + b)) / 2, UNARY,
             make=uniform())
    with pytest.raises(ValueError, match="b must be >= 0"):
        ops.squareplus(np.ones(2), -1)


@pytest.mark.parametrize("axis", [-1, 0])
def test_sparsemax(axis):
    # well-separated values keep the support fixed under the central difference
    def make(rng, shape):
        return rng.permutation(np.prod(shape, dtype=int)).reshape(shape) * 0.37 / max(
            1, np.prod(shape)) * 4
    check_op(lambda x: ops.sparsemax(x, axis), lambda x: np_sparsemax(x, axis),
             [(4,), (2, 3), (3, 4)], make=make)
    out = ops.sparsemax(np.random.default_rng(0).standard_normal((5, 6)), axis).numpy()
    np.testing.assert_allclose(out.sum(axis), 1.0, rtol=1e-12)
    assert (out >= 0).all()
    np.testing.assert_allclose(ops.sparsemax(np.array([1.0, 1.0])).numpy(), [0.5, 0.5])
