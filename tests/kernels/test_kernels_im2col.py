"""The compiled 2-D im2col and col2im (and the 3-D channels-last pair) equal the NumPy path
bit for bit: the convolution's outputs and all its gradients, in both layouts, float32 and
float64, with stride, padding, dilation and groups, at 1 and 2 threads; other cases keep
the NumPy path."""
import numpy as np
import pytest

pytest.importorskip("numba")

import deepgrad as dg  # noqa: E402
from deepgrad import kernels  # noqa: E402
from deepgrad.ops import im2col as ops_im2col  # noqa: E402
from threads import threads  # noqa: E402

# (N, C, H, W), O, kernel, stride, padding, dilation, groups (channels < Winograd's 16)
CASES = [
    ((2, 3, 9, 9), 4, (3, 3), 1, 0, 1, 1),
    ((3, 2, 10, 11), 5, (3, 2), (2, 1), 1, 1, 1),
    ((2, 4, 12, 9), 6, (3, 3), 1, (2, 1), (2, 3), 2),
    ((1, 1, 8, 8), 3, (2, 2), 2, 0, 1, 1),
    ((2, 3, 11, 10), 2, (5, 3), (3, 2), (0, 2), (1, 2), 1),
    ((4, 1, 7, 7), 8, (1, 1), 1, 0, 1, 1),
    ((2, 6, 6, 7), 6, (3, 3), 1, 1, 1, 6),
]


def conv_results(x, w, b, params, last):
    """(y, dL/dx, dL/dW, dL/db) of conv2d with kernels off, then on."""
    res = []
    g = None
    for flag in (False, True):
        with kernels.use(flag):
            xt, wt, bt = (dg.tensor(a, requires_grad=True) for a in (x, w, b))
            y = dg.conv2d(xt, wt, bt, channels_last=last, **params)
            if g is None:
                g = np.random.default_rng(9).standard_normal(y.shape).astype(x.dtype)
            y.backward(dg.tensor(g))
            res.append([y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()])
    return res


def make(shape, O, kernel, groups, last, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((O, shape[1] // groups) + kernel).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    if last:
        x, w = np.ascontiguousarray(x.transpose(0, 2, 3, 1)), np.ascontiguousarray(
            w.transpose(2, 3, 1, 0))
    return x, w, b


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("case", CASES)
def test_conv_equal_to_numpy_path(case, last, dtype, monkeypatch):
    shape, O, kernel, stride, padding, dilation, groups = case
    if last and groups != 1:
        pytest.skip("channels_last has groups=1 only")
    x, w, b = make(shape, O, kernel, groups, last, dtype)
    params = dict(stride=stride, padding=padding, dilation=dilation)
    if not last:
        params["groups"] = groups
    asked, get = [], kernels.get
    monkeypatch.setattr(kernels, "get", lambda m, n: asked.append(n) or get(m, n))
    off, on = conv_results(x, w, b, params, last)
    layout = "nhwc" if last else "nchw"
    if kernel != (1, 1):                 # 1 x 1: cols is a view of x, no copy, no col2im
        one = last and shape[1] == 1     # one channel last is NCHW's storage: its im2col
        assert f"im2col_{'nchw' if one else layout}" in asked    # the kernels ran (when on)
        assert f"col2im_{layout}" in asked or (last and shape[1] == 1)
    for a, c in zip(off, on):
        assert c.dtype == dtype
        np.testing.assert_array_equal(c, a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("last", [False, True])
def test_col2im_equal_to_numpy_path(last, dtype):
    """col2im alone, windows that overlap (stride < kernel) and a plane the windows do not
    cover to its end (floor mode): the same sums in the same order."""
    rng = np.random.default_rng(3)
    kernel, stride, dilation, in_size, C = (3, 4), (1, 2), (2, 1), (13, 14), 3
    out = tuple((n - d * (k - 1) - 1) // s + 1
                for n, k, s, d in zip(in_size, kernel, stride, dilation))
    shape = (2,) + out + kernel + (C,) if last else (2, C) + kernel + out
    g = rng.standard_normal(shape).astype(dtype)
    g.reshape(-1)[::17] = -0.0
    fn = ops_im2col.col2im_last if last else ops_im2col.col2im
    res = []
    for flag in (False, True):
        with kernels.use(flag):
            res.append(fn(g, in_size, kernel, stride, dilation))
    np.testing.assert_array_equal(res[1], res[0])
    np.testing.assert_array_equal(np.signbit(res[1]), np.signbit(res[0]))


def test_conv_transpose_uses_col2im_and_matches():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 5, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    res = []
    for flag in (False, True):
        with kernels.use(flag):
            res.append(dg.conv_transpose2d(dg.tensor(x), dg.tensor(w), stride=2, padding=1,
                                           output_padding=1).numpy())
    np.testing.assert_array_equal(res[1], res[0])


def test_other_cases_keep_the_numpy_path():
    x = np.zeros((2, 3, 8, 8), np.float32)
    cols = np.zeros((2, 1, 27, 36), np.float32)
    with kernels.use(True):
        assert ops_im2col.compiled_im2col(x, cols, (3, 3), (1, 1), (1, 1), (6, 6)) is not None
        assert ops_im2col.compiled_im2col(x.astype(np.int64), cols.astype(np.int64), (3, 3),
                                          (1, 1), (1, 1), (6, 6)) is None
        assert ops_im2col.compiled_im2col(x[..., ::2], cols, (3, 3), (1, 1), (1, 1),
                                          (6, 6)) is None
        assert ops_im2col.compiled_im2col(x[0], cols[0], (3,), (1,), (1,), (6,)) is None
    with kernels.use(False):
        assert ops_im2col.compiled_im2col(x, cols, (3, 3), (1, 1), (1, 1), (6, 6)) is None


@pytest.mark.parametrize("n", [1, 3])
def test_conv1d_conv3d_keep_working(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((2, 3) + (6,) * n)
    w = rng.standard_normal((4, 3) + (3,) * n)
    fn = dg.conv1d if n == 1 else dg.conv3d
    res = []
    for flag in (False, True):
        with kernels.use(flag):
            xt, wt = dg.tensor(x, requires_grad=True), dg.tensor(w, requires_grad=True)
            y = fn(xt, wt, padding=1)
            y.sum().backward()
            res.append((y.numpy(), xt.grad.numpy(), wt.grad.numpy()))
    for a, c in zip(*res):
        np.testing.assert_array_equal(c, a)


@pytest.mark.parametrize("last", [False, True])
def test_same_bits_at_one_and_two_threads(last):
    x, w, b = make((32, 3, 34, 34), 8, (3, 3), 1, last, np.float32, seed=6)   # > MIN_WORK
    runs = []
    for n in (1, 2):
        with threads(n):
            runs.append(conv_results(x, w, b, dict(padding=1), last)[1])
    for a, c in zip(*runs):
        np.testing.assert_array_equal(c, a)


# (N, D, H, W, C), O, kernel, stride, padding, dilation (channels-last volumes)
CASES_3D = [
    ((2, 5, 6, 5, 3), 4, (3, 3, 3), 1, 0, 1),
    ((1, 7, 6, 8, 2), 3, (2, 3, 2), (2, 1, 3), (1, 1, 0), 1),
    ((2, 7, 8, 7, 4), 2, (3, 2, 3), 1, (2, 0, 1), (2, 3, 1)),
    ((3, 6, 5, 7, 1), 2, (2, 3, 2), 1, (1, 0, 1), 1),      # one channel: NCDHW's im2col
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES_3D)
def test_conv3d_channels_last_equal_to_numpy_path(case, dtype, monkeypatch):
    """im2col_ndhwc / col2im_ndhwc through conv3d(channels_last=True), at 1 and 2 threads."""
    shape, O, kernel, stride, padding, dilation = case
    rng = np.random.default_rng(sum(shape))
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (shape, kernel + (shape[-1], O),
                                                              (O,)))
    asked, get = [], kernels.get
    monkeypatch.setattr(kernels, "get", lambda m, n: asked.append(n) or get(m, n))
    for n in (1, 2):
        res, g = [], None
        with threads(n):
            for flag in (False, True):
                with kernels.use(flag):
                    xt, wt, bt = (dg.tensor(a, requires_grad=True) for a in (x, w, b))
                    y = dg.conv3d(xt, wt, bt, stride, padding, dilation, channels_last=True)
                    g = rng.standard_normal(y.shape).astype(dtype) if g is None else g
                    y.backward(dg.tensor(g))
                    res.append([t.numpy() for t in (y.detach(), xt.grad, wt.grad, bt.grad)])
        for a, c in zip(*res):
            assert c.dtype == dtype
            np.testing.assert_array_equal(c, a)
    assert {"im2col_ndhwc" if shape[-1] > 1 else "col2im_ndhwc", "col2im_ndhwc"} <= set(asked)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_col2im_last_3d_and_transposed_conv_equal_to_numpy_path(dtype):
    """col2im_last over a volume alone (overlapping windows, an uncovered end, signed
    zeros) and conv_transpose3d_last (col2im forward, im2col backward)."""
    from deepgrad.ops.conv_transpose_last import conv_transpose3d_last
    rng = np.random.default_rng(5)
    kernel, stride, dilation, in_size, C = (2, 3, 2), (1, 2, 1), (2, 1, 1), (7, 9, 6), 3
    out = tuple((n - d * (k - 1) - 1) // s + 1
                for n, k, s, d in zip(in_size, kernel, stride, dilation))
    gc = rng.standard_normal((2,) + out + kernel + (C,)).astype(dtype)
    gc.reshape(-1)[::13] = -0.0
    x, k = (rng.standard_normal(s).astype(dtype) for s in ((2, 3, 4, 3, 5), (3, 2, 2, 4, 5)))
    res = []
    for flag in (False, True):
        with kernels.use(flag):
            cols = ops_im2col.col2im_last(gc, in_size, kernel, stride, dilation)
            xt, kt = dg.tensor(x, requires_grad=True), dg.tensor(k, requires_grad=True)
            y = conv_transpose3d_last(xt, kt, (2, 1, 2), (1, 2, 1))
            y.backward(dg.tensor(np.cos(np.arange(y.numel())).reshape(y.shape).astype(dtype)))
            res.append([cols, np.signbit(cols), y.numpy(), xt.grad.numpy(), kt.grad.numpy()])
    for a, c in zip(*res):
        np.testing.assert_array_equal(c, a)
