"""The convolution algorithms behind conv2d: Winograd F(2x2, 3x3) (deepgrad.ops.conv_winograd)
against the plain im2col path and the definition, float64 gradcheck, both layouts, the choice
of algorithm, and the same bits at one and two threads."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import parallel
from deepgrad.autograd.gradcheck import gradcheck
from deepgrad.ops import conv_winograd
from threads import set_threads as _set_threads


@pytest.fixture
def any_channels(monkeypatch):
    """Winograd for every 3x3 stride-1 convolution, however few its channels."""
    monkeypatch.setattr(conv_winograd, "MIN_CHANNELS", 1)


def conv_ref(x, w, b, pad):
    """y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] x[n, c, i + p, j + q] (NCHW)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[1]), (pad[2], pad[3])))
    Ho, Wo = xp.shape[2] - 2, xp.shape[3] - 2
    y = np.zeros((x.shape[0], w.shape[0], Ho, Wo))
    for p in range(3):
        for q in range(3):
            y += np.einsum("nchw,oc->nohw", xp[:, :, p:p + Ho, q:q + Wo], w[:, :, p, q])
    return y + b.reshape(1, -1, 1, 1)


def _run(x, w, b, padding, channels_last=False, want=(True, True, True), g=None):
    """Forward and backward (of dL/dy = g, default random) through F.conv2d; returns
    (y, Winograd used?, dx, dw, db)."""
    ts = [dg.tensor(a, requires_grad=r) for a, r in zip((x, w, b), want)]
    y = F.conv2d(*ts, padding=padding, channels_last=channels_last)
    if g is None:
        g = np.random.default_rng(1).standard_normal(y.shape).astype(y.array.dtype)
    winograd = hasattr(y.grad_fn, "wino")        # before backward releases the node
    y.backward(dg.tensor(g))
    return (y.array, winograd) + tuple(t.grad.array if r else None for t, r in zip(ts, want))


# shapes: odd and even outputs, batches that are not a multiple of BLOCK, padding
SHAPES = [((3, 4, 7, 8), 5, 0), ((9, 2, 6, 6), 3, 1), ((2, 3, 9, 5), 4, "same"),
          ((1, 1, 4, 4), 2, 0), ((11, 5, 4, 10), 6, (0, 2))]


@pytest.mark.parametrize("xshape,O,padding", SHAPES)
def test_winograd_matches_the_definition_and_im2col_in_float64(any_channels, xshape, O,
                                                               padding):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xshape), rng.standard_normal((O, xshape[1], 3, 3)), \
        rng.standard_normal(O)
    wino = _run(x, w, b, padding)
    assert wino[1]
    conv_winograd.MIN_CHANNELS = 10 ** 9                      # the im2col path
    plain = _run(x, w, b, padding)
    assert not plain[1]
    pads = {0: (0,) * 4, 1: (1,) * 4, "same": (1,) * 4, (0, 2): (0, 0, 2, 2)}[padding]
    np.testing.assert_allclose(wino[0], conv_ref(x, w, b, pads), rtol=1e-12, atol=1e-12)
    for a, c in zip(wino[:1] + wino[2:], plain[:1] + plain[2:]):
        assert a.dtype == np.float64 and a.shape == c.shape
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xshape,O,padding", SHAPES[:3])
def test_winograd_channels_last_is_the_nchw_result_transposed(any_channels, xshape, O,
                                                               padding):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal(xshape), rng.standard_normal((O, xshape[1], 3, 3)), \
        rng.standard_normal(O)
    first = _run(x, w, b, padding)
    g = np.random.default_rng(1).standard_normal(first[0].shape)      # _run's dL/dy
    last = _run(x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), b, padding,
                channels_last=True, g=g.transpose(0, 2, 3, 1))
    assert last[1]
    for a, c, perm in zip(last[:1] + last[2:], first[:1] + first[2:],
                          [(0, 2, 3, 1), (0, 2, 3, 1), (2, 3, 1, 0), (0,)]):
        np.testing.assert_allclose(a, c.transpose(perm), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("channels_last", [False, True])
def test_winograd_gradcheck_float64(any_channels, channels_last):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 5, 2) if channels_last else (3, 2, 5, 5))
    w = rng.standard_normal((3, 3, 2, 3) if channels_last else (3, 2, 3, 3))
    args = [dg.tensor(a, requires_grad=True) for a in (x, w, rng.standard_normal(3))]

    def fn(x, w, b):
        y = F.conv2d(x, w, b, padding=(1, 0), channels_last=channels_last)
        assert hasattr(y.grad_fn, "wino")
        return y

    assert gradcheck(fn, args, eps=1e-6, atol=1e-7, rtol=1e-6)


def test_winograd_float32_stays_float32_and_near_im2col(any_channels):
    rng = np.random.default_rng(4)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((6, 16, 15, 15),
                                                                  (32, 16, 3, 3), (32,)))
    wino = _run(x, w, b, 0)
    conv_winograd.MIN_CHANNELS = 10 ** 9
    plain = _run(x, w, b, 0)
    for a, c in zip(wino[:1] + wino[2:], plain[:1] + plain[2:]):
        assert a.dtype == np.float32
        scale = np.abs(c).max()
        np.testing.assert_allclose(a, c, rtol=0, atol=2e-6 * scale)


@pytest.mark.parametrize("want", [(True, False, False), (False, True, True)])
def test_winograd_only_the_gradients_asked_for(any_channels, want):
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((4, 3, 6, 7)), rng.standard_normal((2, 3, 3, 3)), \
        rng.standard_normal(2)
    wino = _run(x, w, b, 1, want=want)
    conv_winograd.MIN_CHANNELS = 10 ** 9
    plain = _run(x, w, b, 1, want=want)
    for a, c in zip(wino[2:], plain[2:]):
        assert (a is None) == (c is None)
        if a is not None:
            np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_the_choice_of_algorithm():
    rng = np.random.default_rng(7)
    x = dg.tensor(rng.standard_normal((2, 16, 6, 6)).astype(np.float32), requires_grad=True)
    w = dg.tensor(rng.standard_normal((16, 16, 3, 3)).astype(np.float32), requires_grad=True)
    assert hasattr(F.conv2d(x, w).grad_fn, "wino")                     # 3x3, stride 1, 16 ch
    assert hasattr(F.conv2d(x, w, padding="same").grad_fn, "wino")
    assert not hasattr(F.conv2d(x, w, stride=2).grad_fn, "wino")       # strided
    assert not hasattr(F.conv2d(x, w, dilation=2).grad_fn, "wino")
    w2 = dg.tensor(rng.standard_normal((16, 8, 3, 3)).astype(np.float32), requires_grad=True)
    assert not hasattr(F.conv2d(x, w2, groups=2).grad_fn, "wino")      # groups
    w3 = dg.tensor(rng.standard_normal((16, 3, 3, 3)).astype(np.float32), requires_grad=True)
    x3 = dg.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    assert not hasattr(F.conv2d(x3, w3).grad_fn, "wino")               # 3 input channels
    w5 = dg.tensor(rng.standard_normal((16, 16, 5, 5)).astype(np.float32), requires_grad=True)
    assert not hasattr(F.conv2d(x, w5).grad_fn, "wino")                # 5x5
    thin = dg.tensor(rng.standard_normal((2, 16, 3, 7)).astype(np.float32), requires_grad=True)
    assert not hasattr(F.conv2d(thin, w).grad_fn, "wino")              # V > cols (1 x 5 out)
    with dg.no_grad():                                                 # forward only: im2col
        y = F.conv2d(x, w)
    np.testing.assert_allclose(y.array, F.conv2d(x, w).array, rtol=1e-5, atol=1e-4)


@pytest.fixture
def two_threads(monkeypatch):
    before = dg.get_num_threads()
    monkeypatch.setattr(parallel, "MIN_WORK", 0)
    monkeypatch.setattr(conv_winograd, "BLOCK", 2)       # several blocks from small batches
    yield
    _set_threads(before)


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("batch", [1, 5])
def test_winograd_same_bits_at_one_and_two_threads(two_threads, any_channels, channels_last,
                                                   batch):
    rng = np.random.default_rng(8)
    shape = (batch, 9, 7, 4) if channels_last else (batch, 4, 9, 7)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((3, 3, 4, 6) if channels_last else (6, 4, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    runs = []
    for threads in (1, 2):
        _set_threads(threads)
        runs.append(_run(x, w, b, 1, channels_last=channels_last))
    assert runs[0][1] and runs[1][1]
    for a, c in zip(runs[0][:1] + runs[0][2:], runs[1][:1] + runs[1][2:]):
        assert a.dtype == c.dtype == np.float32 and np.array_equal(a, c)
