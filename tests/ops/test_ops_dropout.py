"""Inverted dropout: y = x * m / (1 - p), m ~ Bernoulli(1 - p); identity in evaluation."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import UNARY, check_op


def seeded_dropout(p, seed=0):
    """Dropout with the same mask on every call (so gradcheck can difference it)."""
    def fn(x):
        dg.manual_seed(seed)
        return ops.dropout(x, p)
    return fn


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_dtype_and_gradient(p):
    check_op(seeded_dropout(p), None, UNARY)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.25, 0.5])
def test_dropout_zeroes_or_rescales_and_backward_uses_the_same_mask(p, dtype):
    dg.manual_seed(1)
    x = dg.tensor(np.random.default_rng(0).uniform(1, 2, (200, 50)), dtype=dtype,
                  requires_grad=True)
    y = ops.dropout(x, p)
    assert y.dtype == dtype
    kept = y.array != 0
    np.testing.assert_allclose(y.array[kept], x.array[kept] / (1 - p), rtol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 0.02           # 10,000 draws: 4 sigma is ~0.02
    y.sum().backward()
    assert x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad.array, kept / (1 - p), rtol=1e-6)


def test_dropout_is_the_identity_in_evaluation_or_with_p_zero():
    x = dg.randn(3, 4, requires_grad=True)
    assert ops.dropout(x, 0.5, training=False) is x
    assert ops.dropout(x, 0.0) is x


def test_dropout_with_p_one_zeroes_everything():
    x = dg.randn(3, 4, requires_grad=True)
    y = ops.dropout(x, 1.0)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.array, 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, 0)


def test_dropout_seeding_is_reproducible():
    x = dg.ones(10, 10)
    dg.manual_seed(3)
    a = ops.dropout(x, 0.5).array
    dg.manual_seed(3)
    b = ops.dropout(x, 0.5).array
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_a_bad_probability(p):
    with pytest.raises(ValueError, match=rf"between 0 and 1, received p={p}"):
        ops.dropout(dg.ones(3), p)
