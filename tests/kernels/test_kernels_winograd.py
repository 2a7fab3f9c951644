"""The compiled Winograd transforms (deepgrad.kernels.winograd) against the NumPy path of
deepgrad.ops.conv_winograd: y, dL/dx and dL/dW equal bit for bit, dL/db (summed in another
order, from Mg[5]) to the last bits; channels-last (the module's one layout; NCHW convs
pass their NHWC views), float32 and float64, tiles overhanging the
plane, padding on one side only, and the same bits at one and two threads."""
import numpy as np
import pytest

pytest.importorskip("numba")

from deepgrad import kernels  # noqa: E402
from deepgrad.ops import conv_winograd  # noqa: E402
from threads import threads  # noqa: E402

# (N, C, H, W, O, pads (top, bottom, left, right)): odd outputs (tiles that overhang the
# plane), batches not a multiple of BLOCK, one-sided and uneven padding
CASES = [(3, 4, 7, 8, 5, (0, 0, 0, 0)), (9, 2, 6, 6, 3, (1, 1, 1, 1)),
         (11, 5, 4, 10, 6, (0, 0, 2, 2)), (2, 3, 9, 5, 4, (1, 1, 1, 1)),
         (10, 3, 5, 7, 4, (2, 0, 1, 2)), (1, 1, 3, 3, 1, (0, 1, 1, 0)),
         (2, 2, 4, 5, 3, (3, 2, 0, 4))]
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def data(case, dtype, bias=True):
    N, C, H, W, O, pads = case
    rng = np.random.default_rng(N * 7 + C)
    Ho, Wo = H + pads[0] + pads[1] - 2, W + pads[2] + pads[3] - 2
    x, w, g = (rng.standard_normal(s).astype(dtype)
               for s in ((N, C, H, W), (O, C, 3, 3), (N, O, Ho, Wo)))
    x, g = (np.ascontiguousarray(a.transpose(0, 2, 3, 1)) for a in (x, g))
    w = np.ascontiguousarray(w.transpose(2, 3, 1, 0))
    b = rng.standard_normal(O).astype(dtype) if bias else None
    return x, w, b, g, pads


def run(x, w, b, g, pads, flag):
    with kernels.use(flag):
        y, saved = conv_winograd.forward(x, w, b, pads)
        return (y,) + conv_winograd.backward(g, saved, True, True, b is not None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_equal_to_numpy_path(case, dtype):
    x, w, b, g, pads = data(case, dtype)
    (y0, gx0, gw0, gb0), (y1, gx1, gw1, gb1) = (run(x, w, b, g, pads, f)
                                                 for f in (False, True))
    for a, c in ((y1, y0), (gx1, gx0), (gw1, gw0)):
        assert a.dtype == dtype and a.shape == c.shape
        np.testing.assert_array_equal(a, c)
    assert gb1.dtype == dtype
    np.testing.assert_allclose(gb1, gb0, rtol=TOL[dtype], atol=TOL[dtype] * np.abs(g).sum()
                               / len(gb0))


def test_without_bias_and_non_contiguous_inputs_fall_back():
    x, w, _, g, pads = data(CASES[1], np.float32, bias=False)
    ref = run(x, w, None, g, pads, False)
    np.testing.assert_array_equal(run(x, w, None, g, pads, True)[0], ref[0])
    xs = np.asfortranarray(x)                               # NumPy path: same values
    for a, c in zip(run(xs, w, None, g, pads, True), ref):
        np.testing.assert_array_equal(a, c)


def test_same_bits_at_one_and_two_threads():
    x, w, b, g, pads = data((40, 16, 15, 15, 32, (1, 1, 1, 1)), np.float32)
    runs = []
    for n in (1, 2):
        with threads(n):
            runs.append(run(x, w, b, g, pads, True))
    for a, c in zip(*runs):
        np.testing.assert_array_equal(a, c)


def test_conv2d_layer_uses_them_and_matches():
    import deepgrad as dg
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 16, 9, 9)).astype(np.float32)
    conv = dg.nn.Conv2d(16, 16, 3, padding=1)
    res = []
    for flag in (False, True):
        with kernels.use(flag):
            t = dg.tensor(x, requires_grad=True)
            conv.zero_grad()
            y = conv(t)
            assert hasattr(y.grad_fn, "wino")
            (y * y).sum().backward()
            res.append((y.detach().numpy(), t.grad.numpy(), conv.weight.grad.numpy()))
    for a, c in zip(*res):
        np.testing.assert_array_equal(a, c)


def test_mixed_dtypes_take_the_numpy_path():
    x, w, b, g, pads = data(CASES[2], np.float32)
    w64, g64 = w.astype(np.float64), g.astype(np.float64)
    ref, got = (run(x, w64, b, g64, pads, f) for f in (False, True))
    for a, c in zip(got, ref):
        assert a.dtype == c.dtype
        np.testing.assert_array_equal(a, c)
