"""The compiled sigmoid (deepgrad/kernels/activation.py): the forward's own float32 exp is
within 2.5 ulp of sigma computed in float64, everywhere from the subnormals to 1, and at
least as accurate as the NumPy path; the backward equals the NumPy path's
``g * s * (1 - s)`` bit for bit (float32 and float64, layouts, 1 and 2 threads)."""
import numpy as np
import pytest

pytest.importorskip("numba")

import deepgrad as dg  # noqa: E402
from deepgrad import kernels  # noqa: E402
from threads import threads  # noqa: E402

activation = pytest.importorskip("deepgrad.kernels.activation")


def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def exact(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x.astype(np.float64)))


def ulps(got, want):
    """|got - want| in units of the float32 spacing at want (subnormal spacing below)."""
    return np.abs(got.astype(np.float64) - want) / np.spacing(
        np.abs(want).astype(np.float32)).astype(np.float64)


def grid():
    """Every float32 pattern would take 4 G calls: a dense sweep of [-110, 110], the
    powers of two both signs down to 2^-149, and random normal values."""
    two = np.float32(2.0) ** -np.arange(0, 150, dtype=np.float32)
    return np.concatenate([np.linspace(-110, 110, 1_000_001, dtype=np.float32), two, -two,
                           np.random.default_rng(0).standard_normal(100_000, np.float32) * 8])


def test_forward_within_2_5_ulp_and_as_accurate_as_numpy():
    x = grid()
    y = np.empty_like(x)
    activation.sigmoid_forward(x, y)
    want = exact(x)
    assert ulps(y, want).max() <= 2.5
    with kernels.use(False):
        numpy_path = dg.sigmoid(dg.tensor(x)).numpy()
    normal = want >= np.finfo(np.float32).tiny       # the NumPy path flushes below
    assert ulps(y, want)[normal].max() <= ulps(numpy_path, want)[normal].max()


def test_forward_specials():
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 17.0, 88.0, -88.5, -100.0,
                  -103.0, -104.5, -1e30, 1e30], np.float32)
    y = np.empty_like(x)
    activation.sigmoid_forward(x, y)
    assert np.isnan(y[:2]).all()
    np.testing.assert_array_equal(y[2:6], [1, 0, 0.5, 0.5])
    np.testing.assert_array_equal(y[[6, 7, 13]], [1, 1, 1])
    assert 0 < y[9] < y[8] < np.finfo(np.float32).tiny < 1    # subnormal, not flushed
    np.testing.assert_array_equal(y[11:13], [0, 0])
    assert ulps(y[8:11], exact(x[8:11])).max() <= 2.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7,), (3, 5, 4), (64, 32, 9, 9)])
def test_backward_equals_numpy_path_bit_for_bit(shape, dtype):
    rng = np.random.default_rng(len(shape))
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    g.reshape(-1)[:4] = [np.nan, np.inf, -0.0, -np.inf]
    grads = []
    for flag in (False, True):
        with kernels.use(flag):
            t = dg.tensor(x, requires_grad=True)
            y = dg.sigmoid(t)
            y.backward(dg.tensor(g))
            s = y.detach().numpy()
            grads.append(t.grad.numpy())
            with np.errstate(invalid="ignore"):
                np.testing.assert_array_equal(bits(grads[-1]), bits(g * s * (1 - s)))
    assert grads[1].dtype == dtype


def test_backward_into_a_free_g_and_across_layouts():
    from deepgrad.ops.activation import sigmoid_backward
    rng = np.random.default_rng(6)
    s = rng.random((8, 6, 5, 7), np.float32)
    g = rng.standard_normal(s.shape).astype(np.float32)
    want = g * s * (1 - s)
    stored = np.ascontiguousarray(s.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    g_stored = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for flag in (False, True):
        with kernels.use(flag):
            for gg, ss in ((g, s), (g_stored, stored), (g, stored)):
                before = gg.copy()
                gx = sigmoid_backward(gg, ss, False)
                np.testing.assert_array_equal(bits(np.ascontiguousarray(gx)), bits(want))
                np.testing.assert_array_equal(bits(gg), bits(before))      # g untouched
            free = g.copy()
            gx = sigmoid_backward(free, s, True)
            assert (gx is free) == flag             # the compiled pass writes into g
            np.testing.assert_array_equal(bits(gx), bits(want))


def test_forward_keeps_a_channels_last_layout():
    x = np.random.default_rng(3).standard_normal((8, 6, 10, 12)).astype(np.float32)
    stored = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    with kernels.use(True):
        y = dg.sigmoid(dg.tensor(stored)).numpy()
        flat = dg.sigmoid(dg.tensor(x)).numpy()
    assert y.transpose(0, 2, 3, 1).flags.c_contiguous
    np.testing.assert_array_equal(bits(np.ascontiguousarray(y)), bits(flat))


@pytest.mark.parametrize("shape", [(64, 32, 30, 30),     # above MIN_ELEMENTWISE
                                   (256, 784)])           # split by its cost only
def test_same_bits_at_one_and_two_threads(shape):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    runs = []
    for n in (1, 2):
        with threads(n), kernels.use(True):
            t = dg.tensor(x, requires_grad=True)
            y = dg.sigmoid(t)
            y.backward(dg.tensor(g))
            runs.append((y.detach().numpy(), t.grad.numpy()))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(bits(a), bits(b))
