"""NCHW arrays stored channels-last (deepgrad.ops.layout).

A Winograd ``conv2d`` returns its NCHW output stored channels-last (no copy back); ReLU and
2x2 max pooling keep that storage, and the next convolution reads it as it is. Checked
here: the helpers, that the storage really propagates, that values and gradients are
PyTorch's (kernels on and off, float32 and float64), that they equal the same chain run on
C-contiguous arrays (bit for bit where the algorithm is the same), and the mixed cases (a
C-contiguous gradient into a channels-last ReLU, return_indices, no_grad).
"""
import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import kernels, ops
from deepgrad.ops.layout import contiguous, dense, stored_channels_last, to_channels_last
from threads import threads


def nhwc_stored(shape, rng, dtype=np.float32):
    """A random NCHW array stored channels-last."""
    n, c, h, w = shape
    return rng.standard_normal((n, h, w, c)).astype(dtype).transpose(0, 3, 1, 2)


def is_stored_last(t):
    return t.is_contiguous(memory_format=dg.channels_last) and not t.is_contiguous()


# ----------------------------------------------------------------- helpers
def test_stored_channels_last_finds_the_array_underneath():
    rng = np.random.default_rng(0)
    a = nhwc_stored((2, 3, 4, 5), rng)
    under = stored_channels_last(a)
    assert under.shape == (2, 4, 5, 3) and under.flags.c_contiguous
    assert np.shares_memory(under, a)
    assert stored_channels_last(np.ascontiguousarray(a)) is None       # row-major
    assert stored_channels_last(np.zeros((2, 1, 4, 5))) is None          # both: row-major
    assert stored_channels_last(np.zeros((2, 3, 4))) is None             # not 4-D
    assert stored_channels_last(a[:, :, ::2]) is None                    # strided


def test_to_channels_last_is_a_view_or_one_copy():
    rng = np.random.default_rng(1)
    a = nhwc_stored((3, 2, 4, 4), rng)
    assert np.shares_memory(to_channels_last(a), a)
    c = np.ascontiguousarray(a)
    t = to_channels_last(c)
    assert t.flags.c_contiguous and not np.shares_memory(t, c)
    np.testing.assert_array_equal(t, c.transpose(0, 2, 3, 1))


def test_contiguous_copies_by_chunks_with_the_same_values():
    a = np.random.default_rng(2).standard_normal((40, 6, 7, 9)).transpose(0, 3, 1, 2)
    for n in (1, 2):
        with threads(n):
            c = contiguous(a)
        assert c.flags.c_contiguous
        np.testing.assert_array_equal(c, a)
    b = np.ascontiguousarray(a)
    assert contiguous(b) is b
    s = np.float32(3)[()]
    assert contiguous(np.asarray(s)).shape == ()


def test_dense_pairs_only_arrays_of_one_layout():
    rng = np.random.default_rng(3)
    a, b = nhwc_stored((2, 3, 4, 5), rng), nhwc_stored((2, 3, 4, 5), rng)
    da, db = dense(a, b)
    assert da.shape == db.shape == (2, 4, 5, 3)
    c = np.ascontiguousarray(a)
    assert dense(c, c)[0] is c
    assert dense(a, c) is None                       # one of each layout
    assert dense(a, nhwc_stored((2, 3, 5, 4), rng)) is None
    # NCHW (2, 4, 4, 4) and an NHWC array of the same shape tuple are not paired
    square = np.zeros((2, 4, 4, 4))
    assert dense(square, nhwc_stored((2, 4, 4, 4), rng)) is None


# ----------------------------------------------------------------- the chain
def chain(F, x, w1, b1, w2, b2, v, seen=None):
    """conv (Winograd) -> ReLU -> 2x2 max pool -> conv -> ReLU -> pool -> flatten -> linear."""
    h = F.conv2d(x, w1, b1, padding=1)
    r = F.relu(h)
    p = F.max_pool2d(r, 2)
    h2 = F.conv2d(p, w2, b2)
    p2 = F.max_pool2d(F.relu(h2), 2)
    if seen is not None:
        seen.extend([h, r, p, h2, p2])
    return (p2.flatten(1) @ v).sum()


def chain_data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in
            ((5, 16, 12, 12), (24, 16, 3, 3), (24,), (20, 24, 3, 3), (20,), (20 * 2 * 2, 3))]


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chain_is_stored_channels_last_and_matches_torch(dtype, compiled):
    torch = pytest.importorskip("torch")
    if compiled:
        pytest.importorskip("numba")
    arrays = chain_data(dtype)
    ours = [dg.tensor(a, requires_grad=True) for a in arrays]
    seen = []
    with kernels.use(compiled):
        loss = chain(F, *ours, seen=seen)
        loss.backward()
    for t in seen:
        assert is_stored_last(t), t.stride()
    assert loss.dtype == dtype and all(t.grad.dtype == dtype for t in ours)
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    ref_loss = chain(torch.nn.functional, *ref)
    ref_loss.backward()
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=tol)
    for t, r in zip(ours, ref):
        np.testing.assert_allclose(t.grad.numpy(), r.grad.numpy(), rtol=tol,
                                   atol=tol * np.abs(r.grad.numpy()).max())
        assert t.grad.is_contiguous()            # parameters' gradients stay row-major


def test_winograd_on_a_stored_input_equals_the_contiguous_input_bit_for_bit():
    rng = np.random.default_rng(4)
    x = nhwc_stored((6, 16, 9, 8), rng)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    results = []
    for xa in (x, np.ascontiguousarray(x)):
        xt, wt, bt = (dg.tensor(a, requires_grad=True) for a in (xa, w, b))
        y = F.conv2d(xt, wt, bt, padding=1)
        assert is_stored_last(y)
        y.backward(dg.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape)))
        results.append([y.numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()])
    for a, c in zip(*results):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1), dict(), dict(dilation=2)])
def test_im2col_conv_reads_a_stored_input_as_it_is(kw):
    # a 1x1, a strided and a dilated convolution after a channels-last layer: computed
    # channels-last (ConvLast), output stored so, values and gradients those of the NCHW op
    rng = np.random.default_rng(5)
    x = nhwc_stored((4, 8, 9, 9), rng)
    k = 1 if not kw else 3
    w = rng.standard_normal((6, 8, k, k)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    out = []
    for xa in (x, np.ascontiguousarray(x)):
        xt, wt, bt = (dg.tensor(a, requires_grad=True) for a in (xa, w, b))
        y = F.conv2d(xt, wt, bt, **kw)
        y.backward(dg.tensor(np.cos(np.arange(y.numel(), dtype=np.float32)).reshape(y.shape)))
        out.append((y, xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()))
    (y_s, *g_s), (y_c, *g_c) = out
    assert is_stored_last(y_s) and y_c.is_contiguous()
    np.testing.assert_allclose(y_s.numpy(), y_c.numpy(), rtol=1e-5, atol=1e-5)
    for a, c in zip(g_s, g_c):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-4)


def test_relu_of_a_stored_input_takes_a_contiguous_gradient():
    rng = np.random.default_rng(6)
    x = dg.tensor(nhwc_stored((3, 4, 5, 6), rng), requires_grad=True)
    y = F.relu(x)
    assert is_stored_last(y)
    c = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    (y.contiguous() * dg.tensor(c)).sum().backward()   # a row-major dL/dy
    np.testing.assert_array_equal(x.grad.numpy(), c * (x.numpy() > 0))


def test_max_pool_indices_and_gradients_on_a_stored_input():
    rng = np.random.default_rng(7)
    xs = nhwc_stored((3, 5, 6, 7), rng)
    xs[0, 0, :2, :2] = 0                                 # a tie: the first position wins
    res = []
    for xa in (xs, np.ascontiguousarray(xs)):
        t = dg.tensor(xa, requires_grad=True)
        y, idx = F.max_pool2d(t, 2, return_indices=True)
        y.backward(dg.tensor(np.arange(y.numel(), dtype=np.float32).reshape(y.shape)))
        res.append((y, idx.numpy(), t.grad.numpy()))
    (ys, idx_s, gs), (yc, idx_c, gc) = res
    assert is_stored_last(ys) and yc.is_contiguous()
    np.testing.assert_array_equal(ys.numpy(), yc.numpy())
    np.testing.assert_array_equal(idx_s, idx_c)
    np.testing.assert_array_equal(gs, gc)


def test_without_grad_a_convolution_stays_row_major():
    # Winograd runs only where backward is recorded; an inference forward is im2col, NCHW
    rng = np.random.default_rng(8)
    x = dg.tensor(rng.standard_normal((2, 16, 8, 8)).astype(np.float32))
    w = dg.tensor(rng.standard_normal((16, 16, 3, 3)).astype(np.float32), requires_grad=True)
    with dg.no_grad():
        y = F.conv2d(x, w)
    assert y.is_contiguous()
    assert is_stored_last(F.conv2d(x, w))


# ----------------------------------------------------------------- the mirror: NHWC stored NCHW
def test_keras_layout_ops_keep_a_channels_first_storage_and_match_contiguous():
    # an NHWC array stored channels-first (an NCHW array transposed): ReLU and 2x2 max pool
    # (channels_last) keep that storage, a channels_last convolution (Winograd) reads it
    # with one copy; everything equal bit for bit to the same ops on C-contiguous copies
    rng = np.random.default_rng(10)
    x = rng.standard_normal((4, 16, 12, 12)).astype(np.float32).transpose(0, 2, 3, 1)
    w, b = rng.standard_normal((3, 3, 16, 16)).astype(np.float32), np.zeros(16, np.float32)

    def run(copy):
        ts = [dg.tensor(np.ascontiguousarray(x) if copy else x, requires_grad=True),
              dg.tensor(w, requires_grad=True), dg.tensor(b, requires_grad=True)]
        h = F.relu(ts[0])
        p = F.max_pool2d(h, 2, channels_last=True)
        if not copy:
            for t in (h, p):
                assert t.array.transpose(0, 3, 1, 2).flags.c_contiguous and not t.is_contiguous()
        out = ops.conv2d(p, ts[1], ts[2], channels_last=True)
        (out * dg.tensor(np.sin(np.arange(out.numel(), dtype=np.float32))
                         .reshape(out.shape))).sum().backward()
        return [out.numpy()] + [t.grad.numpy() for t in ts]

    for a, c in zip(run(False), run(True)):
        np.testing.assert_array_equal(a, c)
