"""The compiled ReLU forward and backward equal the NumPy path's ``np.maximum(x, 0)`` and
``g * (y > 0)`` bit for bit: signed zeros, NaN (and its sign), infinities, subnormals,
float32 and float64, at 1 and 2 threads, inputs stored channels-last."""
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
@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 5, 4), (2, 4096), (64, 32, 9, 9)])
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


@pytest.mark.parametrize("name", ["relu_backward", "sigmoid_backward"])
def test_backward_kernels_into_g_equal_the_kernels_into_a_new_array(name):
    """In place (gx is g, the engine's free g) the kernels take their one-array loop: the
    same bits as into a new array, for every pairing of specials, both dtypes, and lengths
    that leave a remainder after the vector lanes."""
    from deepgrad.kernels import activation
    k = getattr(activation, name)
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        s = np.array(SPECIAL, dtype)
        for n in (1, 7, 100, 1027):
            y = np.concatenate([np.repeat(s, s.size), rng.standard_normal(n).astype(dtype)])
            if name == "sigmoid_backward":
                y[s.size * s.size:] = rng.random(n)
            g = np.concatenate([np.tile(s, s.size), rng.standard_normal(n).astype(dtype)])
            want = np.empty_like(g)
            with np.errstate(invalid="ignore"):
                k(g, y, want)
                into = g.copy()
                k(into, y, into)
            np.testing.assert_array_equal(bits(into), bits(want))


@pytest.mark.parametrize("name", ["bias_relu_forward", "bias_sigmoid_forward"])
def test_bias_activation_kernels_equal_the_add_then_the_flat_kernel(name):
    """act(p + b) in one pass (Keras's Dense with a fused activation): the bits of NumPy's
    p + b and then the activation's flat kernel, for every pairing of specials in p and
    b, row lengths that leave a remainder after the vector lanes, and both dtypes (the
    sigmoid's kernel is float32's)."""
    from deepgrad.kernels import activation
    k, flat = getattr(activation, name), getattr(activation, name[len("bias_"):])
    rng = np.random.default_rng(2)
    s = np.array(SPECIAL + [3e38, -3e38, 88.0, -88.0, -103.0, -150.0])
    for dtype in ((np.float32,) if "sigmoid" in name else (np.float32, np.float64)):
        for n in (1, 7, 16, 33, 784):
            rows = s.size + 5
            b = np.resize(s, n).astype(dtype)
            p = rng.standard_normal((rows, n)).astype(dtype) * 30
            p[:s.size] = s[:, None]                       # each special against each b
            y = np.full_like(p, 7.0)
            with np.errstate(invalid="ignore", over="ignore"):
                k(p, b, y)
                q = p + b
            want = np.empty_like(q)
            flat(q.reshape(-1), want.reshape(-1))
            np.testing.assert_array_equal(bits(y), bits(want))


def test_bias_add_kernel_equals_numpy_add_in_place():
    """p += b by the compiled loop: NumPy's bits for every pairing of specials, row
    lengths with vector remainders, both dtypes; only p is written."""
    from deepgrad.kernels.activation import bias_add
    rng = np.random.default_rng(4)
    s = np.array(SPECIAL + [3e38, -3e38])
    for dtype in (np.float32, np.float64):
        for n in (1, 7, 16, 33, 784):
            b = np.resize(s, n).astype(dtype)
            p = rng.standard_normal((s.size + 5, n)).astype(dtype)
            p[:s.size] = s[:, None]
            b0 = b.copy()
            with np.errstate(invalid="ignore", over="ignore"):
                want = p + b
                bias_add(p, b)
            np.testing.assert_array_equal(bits(p), bits(want))
            np.testing.assert_array_equal(bits(b), bits(b0))


def test_forward_kernel_matches_np_maximum_on_specials():
    from deepgrad.kernels.activation import relu_forward
    for dtype in (np.float32, np.float64):
        x = np.array(SPECIAL + [np.finfo(dtype).max, -np.finfo(dtype).max], dtype)
        x = np.concatenate([x, -x, np.frombuffer(                # NaNs with payloads, both signs
            np.array([0x7FC00001, 0xFFC00002, 0x7F800003], np.uint32).tobytes(), np.float32
        ).astype(dtype)])
        y = np.full_like(x, 7.0)
        relu_forward(x, y)
        np.testing.assert_array_equal(bits(y), bits(np.maximum(x, 0)))
        relu_forward(x, x)                                        # in place
        np.testing.assert_array_equal(bits(x), bits(y))


def test_forward_on_an_input_stored_channels_last():
    x = np.random.default_rng(3).standard_normal((8, 6, 10, 12)).astype(np.float32)
    stored = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for flag in (False, True):
        with kernels.use(flag):
            y = dg.relu(dg.tensor(stored)).numpy()
        assert y.transpose(0, 2, 3, 1).flags.c_contiguous         # keeps the layout
        np.testing.assert_array_equal(bits(np.ascontiguousarray(y)), bits(np.maximum(x, 0)))


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
            runs.append(relu_grads(x, g)[1])
    np.testing.assert_array_equal(bits(runs[0][0]), bits(runs[1][0]))     # forward
    np.testing.assert_array_equal(bits(runs[0][1]), bits(runs[1][1]))     # backward


@pytest.mark.parametrize("compiled", [False, True])
def test_backward_with_g_and_y_in_different_layouts(compiled):
    from deepgrad.ops.activation import relu_backward
    rng = np.random.default_rng(6)
    y = np.maximum(rng.standard_normal((8, 6, 5, 7)), 0).astype(np.float32)
    g = rng.standard_normal(y.shape).astype(np.float32)
    g.reshape(-1)[:6] = [np.nan, -1.0, np.inf, -0.0, -np.inf, 2.0]
    y.reshape(-1)[:6] = [0.0, 0.0, 1.0, 0.0, 0.0, np.nan]
    stored = np.ascontiguousarray(y.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    g_stored = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    with np.errstate(invalid="ignore"):
        want = g * (y > 0)
    with kernels.use(compiled):
        for gg, yy in ((g, stored), (g_stored, y), (g.T.copy().T, y)):
            before = gg.copy()
            gx = relu_backward(gg, yy, False)
            np.testing.assert_array_equal(bits(np.ascontiguousarray(gx)), bits(want))
            np.testing.assert_array_equal(bits(gg), bits(before))      # g left as it was
