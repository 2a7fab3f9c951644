"""The compiled 2 x 2 max pooling equals the NumPy path bit for bit (values, winners,
gradients), in both layouts, float32 and float64, with ties, NaN and cropped planes."""
import numpy as np
import pytest

pytest.importorskip("numba")

from deepgrad import kernels  # noqa: E402
from deepgrad.ops import pool_tiled  # noqa: E402
from threads import threads  # noqa: E402

SHAPES = [(1, 1, 2, 2), (4, 3, 7, 9), (2, 5, 8, 8), (3, 2, 6, 5), (2, 1, 3, 3)]


def both_paths(x, last):
    shape = x.shape
    out = (shape[1] // 2, shape[2] // 2) if last else (shape[-2] // 2, shape[-1] // 2)
    res = []
    for flag in (False, True):
        with kernels.use(flag):
            y, arg = pool_tiled.forward(x, out, last)
            g = np.arange(1, y.size + 1, dtype=x.dtype).reshape(y.shape)
            res.append((y, arg, pool_tiled.backward(g, arg, shape, last)))
    return res


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_equal_to_numpy_path(shape, last, dtype):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype)
    x[0, ..., :2, :2] = 0                                   # all-zero windows: ties
    x.reshape(-1)[::7] = np.round(x.reshape(-1)[::7])        # more ties
    x.reshape(-1)[5::11] = np.nan                           # NaN windows: the last NaN wins
    x.reshape(-1)[3::13] = -np.inf
    (y0, a0, g0), (y1, a1, g1) = both_paths(x, last)
    assert y1.dtype == dtype and g1.dtype == dtype and a1.dtype == np.uint8
    np.testing.assert_array_equal(y1, y0)                   # NaN positions equal too
    np.testing.assert_array_equal(a1, a0)
    np.testing.assert_array_equal(g1, g0)
    if x.shape[-1] % 2 and not last:
        assert not g1[..., -1].any()                        # the uncovered column is 0


def test_unbatched_and_extra_leading_axes():
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 6, 6)).astype(np.float32)
    (y0, a0, g0), (y1, a1, g1) = both_paths(x, False)
    assert y1.shape == (2, 3, 4, 3, 3)
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_array_equal(g1, g0)


@pytest.mark.parametrize("last", [False, True])
def test_same_bits_at_one_and_two_threads(last):
    x = np.random.default_rng(2).standard_normal((16, 64, 34, 34)).astype(np.float32)
    if last:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    with kernels.use(True):
        runs = []
        for n in (1, 2):
            with threads(n):
                runs.append(both_paths(x, last)[1])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_max_pool_layer_uses_it_and_matches():
    import deepgrad as dg
    x = np.random.default_rng(3).standard_normal((2, 3, 8, 8)).astype(np.float32)
    res = []
    for flag in (False, True):
        with kernels.use(flag):
            t = dg.tensor(x, requires_grad=True)
            y = dg.nn.MaxPool2d(2)(t)
            (y * y).sum().backward()
            res.append((y.detach().numpy(), t.grad.numpy()))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 6, 6, 8), (3, 7, 5, 2)])
def test_strided_gradient_read_in_place(shape, dtype):
    """A channels-last g stored transposed (a Dense layer's input gradient, reshaped by
    Flatten) goes to the kernel as it is; the result equals a contiguous g's, and the
    NumPy path's, bit for bit."""
    rng = np.random.default_rng(len(shape) + shape[-1])
    x = rng.standard_normal(shape).astype(dtype)
    out = (shape[1] // 2, shape[2] // 2)
    _, arg = pool_tiled.forward(x, out, True)
    flat = rng.standard_normal((shape[0], out[0] * out[1] * shape[3])).astype(dtype)
    g = np.ascontiguousarray(flat.T).T.reshape((shape[0],) + out + (shape[3],))
    assert not g.flags.c_contiguous and np.shares_memory(g, g.base)
    results = []
    for flag in (False, True):
        with kernels.use(flag):
            results.append(pool_tiled.backward(g, arg, shape, True))
    expected = pool_tiled.backward(np.ascontiguousarray(g), arg, shape, True)
    np.testing.assert_array_equal(results[1], results[0])
    np.testing.assert_array_equal(results[1], expected)


def _transposed(g):
    """g's values stored as a Dense layer's transposed input gradient (samples fastest)."""
    flat = g.reshape(g.shape[0], -1)
    out = np.ascontiguousarray(flat.T).T.reshape(g.shape)
    assert not out.flags.c_contiguous and np.array_equal(out, g, equal_nan=True)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stored", ["contiguous", "transposed"])
@pytest.mark.parametrize("shape", [(4, 6, 6, 8), (3, 7, 5, 2), (5, 9, 11, 33), (2, 4, 2, 1)])
def test_channels_last_relu_backward(shape, stored, dtype):
    """The channels-last backward after a ReLU (g [y > 0] at each winner; both visiting
    orders of the kernel: g by samples' rows, and g transposed) equals the NumPy path's
    masking then routing bit for bit, with signed zeros, NaN and infinite g, cropped
    planes, at one and two threads."""
    rng = np.random.default_rng(sum(shape) + len(stored))
    x = np.maximum(rng.standard_normal(shape), 0).astype(dtype)     # after a ReLU
    x.reshape(-1)[::5] = 0.0                                         # all-zero windows
    out = (shape[1] // 2, shape[2] // 2)
    y, arg = pool_tiled.forward(x, out, True)
    g = rng.standard_normal(y.shape).astype(dtype)
    k = min(12, g.size)
    g.reshape(-1)[:k] = np.resize(np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, -2.0],
                                           dtype), k)
    if stored == "transposed":
        g = _transposed(g)
    with np.errstate(invalid="ignore"):
        with kernels.use(False):
            expected = pool_tiled.backward(np.ascontiguousarray(g), arg, shape, True,
                                           relu_out=y)
        for n in (1, 2):
            with kernels.use(True), threads(n):
                got = pool_tiled.backward(g, arg, shape, True, relu_out=y)
            bits = np.uint32 if dtype == np.float32 else np.uint64
            np.testing.assert_array_equal(got.view(bits), expected.view(bits))
