"""The compiled ReLU backward equals the NumPy path's ``g * (y > 0)`` bit for bit: signed
zeros, NaN (and its sign), infinities, float32 and float64, at 1 and 2 threads."""
import numpy as np
import pytest

pytest.importorskip("numba")

import deepgrad as dg  # noqa: E402
from deepgrad import kernels  # noqa: E402
from threads import threads  # noqa: E402

SPECIAL = [0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 1.0, -1.0, 1e-40, -1e-40]


def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def relu_grads(x, g):
    """(y, dL/dx) of ReLU on both paths: kernels off, then on."""
    res = []
    for flag in (False, True):
        with kernels.use(flag):
            t = dg.tensor(x, requires_grad=True)
            y = dg.relu(t)
            y.backward(dg.tensor(g))
            res.append((y.detach().numpy(), t.grad.numpy()))
    return res


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 5, 4), (64, 32, 9, 9)])
def test_equal_to_numpy_path_bit_for_bit(shape, dtype):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    if x.size > 1:                      # every pairing of special x with special g
        s = np.array(SPECIAL, dtype)
        n = min(x.size, s.size * s.size)
        x.reshape(-1)[:n] = np.repeat(s, s.size)[:n]
        g.reshape(-1)[:n] = np.tile(s, s.size)[:n]
    with np.errstate(invalid="ignore"):
        (y0, g0), (y1, g1) = relu_grads(x, g)
    assert g1.dtype == dtype
    np.testing.assert_array_equal(bits(y1), bits(y0))
    np.testing.assert_array_equal(bits(g1), bits(g0))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(bits(g1), bits(g * (np.maximum(x, 0) > 0)))


def test_kernel_matches_the_numpy_formula_on_specials():
    from deepgrad.kernels.activation import relu_backward
    for dtype in (np.float32, np.float64):
        s = np.array(SPECIAL, dtype)
        y, g = np.repeat(s, s.size), np.tile(s, s.size)
        gx = np.empty_like(g)
        relu_backward(g, y, gx)
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(bits(gx), bits(g * (y > 0)))


def test_other_inputs_keep_the_numpy_path():
    x = np.arange(-3, 3, dtype=np.float32)
    g = np.ones(6, np.float64)                  # mixed dtypes: NumPy's promotion
    (_, g0), (_, g1) = relu_grads(x, g)
    np.testing.assert_array_equal(g1, g0)
    xt = np.random.default_rng(0).standard_normal((4, 6)).T   # non-contiguous
    (_, g0), (_, g1) = relu_grads(xt, np.ones_like(xt))
    np.testing.assert_array_equal(g1, g0)


def test_same_bits_at_one_and_two_threads():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 32, 30, 30)).astype(np.float32)   # above MIN_ELEMENTWISE
    g = rng.standard_normal(x.shape).astype(np.float32)
    runs = []
    for n in (1, 2):
        with threads(n):
            runs.append(relu_grads(x, g)[1][1])
    np.testing.assert_array_equal(bits(runs[0]), bits(runs[1]))
