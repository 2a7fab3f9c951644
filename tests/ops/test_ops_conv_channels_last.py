"""Channels-last convolution and max pooling (Keras's layout, Keras's (kh, kw, in, out)
kernel): forward against the definition, float64 gradcheck, the channels-first path
(forward and backward), PyTorch (permuted) and Keras 3's ops where installed."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import check_op

F = None
try:
    import torch
    F = torch.nn.functional
except ImportError:      # the torch comparisons are skipped by the harness
    pass


def conv_nhwc_ref(x, w, b=None, stride=(1, 1), pad=(0, 0), dil=(1, 1)):
    """y[n,i,j,o] = b[o] + sum_{p,q,c} w[p,q,c,o] x[n, s i + d p, s j + d q, c]."""
    kh, kw, _, O = w.shape
    xp = np.pad(x, ((0, 0), (pad[0], pad[0]), (pad[1], pad[1]), (0, 0)))
    Ho = (xp.shape[1] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (xp.shape[2] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((x.shape[0], Ho, Wo, O))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                       j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1], :]
            y[:, i, j, :] = np.einsum("npqc,pqco->no", patch, w)
    return y if b is None else y + b


def pool_nhwc_ref(x, k, s):
    """y[n,i,j,c] = max_{p,q} x[n, s i + p, s j + q, c] (no padding)."""
    Ho, Wo = (x.shape[1] - k[0]) // s[0] + 1, (x.shape[2] - k[1]) // s[1] + 1
    y = np.empty((x.shape[0], Ho, Wo, x.shape[3]))
    for i in range(Ho):
        for j in range(Wo):
            y[:, i, j] = x[:, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]].max(axis=(1, 2))
    return y


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


CASES = [
    # (x shape NHWC, w shape (kh, kw, C, O), stride, padding, dilation)
    ((2, 5, 6, 3), (3, 3, 3, 4), 1, 0, 1),
    ((1, 7, 5, 2), (2, 3, 2, 3), (2, 1), (1, 1), 1),
    ((1, 7, 7, 1), (3, 3, 1, 2), 1, 2, 2),
    ((3, 4, 4, 2), (1, 1, 2, 2), 1, 0, 1),
    # one channel (NCHW's storage: its own im2col layout), several blocks of samples
    ((20, 6, 6, 1), (2, 2, 1, 3), 1, 0, 1),
    ((9, 8, 7, 1), (3, 3, 1, 5), (2, 1), (1, 0), 1),
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation", CASES)
def test_conv2d_channels_last(xs, ws, stride, padding, dilation):
    s, p, d = _pair(stride), _pair(padding), _pair(dilation)
    check_op(lambda x, w, b: ops.conv2d(x, w, b, stride, padding, dilation, channels_last=True),
             lambda x, w, b: conv_nhwc_ref(x, w, b, s, p, d),
             [(xs, ws, (ws[3],))], rtol32=1e-4, atol32=1e-5,
             torch_fn=F and (lambda x, w, b: F.conv2d(
                 x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), b, stride, padding,
                 dilation).permute(0, 2, 3, 1)))


@pytest.mark.parametrize("xs,ws,stride,padding,dilation", CASES)
def test_conv2d_channels_last_equals_channels_first(xs, ws, stride, padding, dilation):
    """Forward and all three gradients equal the NCHW path's, transposed (float64)."""
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[3])
    last = [dg.tensor(a, requires_grad=True) for a in (x, w, b)]
    first = [dg.tensor(a, requires_grad=True) for a in
             (x.transpose(0, 3, 1, 2).copy(), w.transpose(3, 2, 0, 1).copy(), b)]
    y = ops.conv2d(*last, stride, padding, dilation, channels_last=True)
    yf = ops.conv2d(*first, stride, padding, dilation)
    np.testing.assert_allclose(y.numpy(), yf.numpy().transpose(0, 2, 3, 1), rtol=1e-12,
                               atol=1e-12)
    g = rng.standard_normal(y.shape)
    (y * dg.tensor(g)).sum().backward()
    (yf * dg.tensor(g.transpose(0, 3, 1, 2).copy())).sum().backward()
    for a, af, back in zip(last, first, [(0, 2, 3, 1), (2, 3, 1, 0), (0,)]):
        np.testing.assert_allclose(a.grad.numpy(), af.grad.numpy().transpose(back),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("compiled", [False, True])
def test_one_channel_im2col_is_nchw_layout_and_equals_channels_first(compiled):
    """C = 1: x (N, H, W, 1) is stored as (N, 1, H, W), so ConvLast copies NCHW's windows
    (cols (N, kh kw, P), rows of Wo) and multiplies each sample's transposed view; output
    and gradients equal the NCHW path's (float64), with the kernels on and off."""
    from deepgrad import kernels
    if compiled and not kernels.available():
        pytest.skip("numba (the compiled extra) is not installed")
    rng = np.random.default_rng(4)
    x, w, b = (rng.standard_normal((18, 9, 8, 1)), rng.standard_normal((3, 3, 1, 6)),
               rng.standard_normal(6))
    with kernels.use(compiled):
        last = [dg.tensor(a, requires_grad=True) for a in (x, w, b)]
        first = [dg.tensor(a, requires_grad=True) for a in
                 (x.transpose(0, 3, 1, 2).copy(), w.transpose(3, 2, 0, 1).copy(), b)]
        y = ops.conv2d(*last, 1, 1, channels_last=True)
        assert y.grad_fn.cols.shape == (18, 9, 9 * 8)
        yf = ops.conv2d(*first, 1, 1)
        g = rng.standard_normal(y.shape)
        y.backward(dg.tensor(g))
        yf.backward(dg.tensor(g.transpose(0, 3, 1, 2).copy()))
    np.testing.assert_allclose(y.numpy(), yf.numpy().transpose(0, 2, 3, 1), rtol=1e-12,
                               atol=1e-12)
    for a, af, back in zip(last, first, [(0, 2, 3, 1), (2, 3, 1, 0), (0,)]):
        np.testing.assert_allclose(a.grad.numpy(), af.grad.numpy().transpose(back),
                                   rtol=1e-12, atol=1e-12)


def test_conv2d_channels_last_same_padding_and_unbatched():
    x, w = dg.randn(1, 5, 6, 2), dg.randn(3, 3, 2, 4)
    assert ops.conv2d(x, w, padding="same", channels_last=True).shape == (1, 5, 6, 4)
    y1 = ops.conv2d(x[0], w, channels_last=True)
    np.testing.assert_allclose(y1.numpy(), ops.conv2d(x, w, channels_last=True).numpy()[0])
    assert y1.dtype == np.float32


def test_conv1d_channels_last():
    check_op(lambda x, w, b: ops.conv1d(x, w, b, 2, 1, 2, channels_last=True), None,
             [((2, 9, 3), (3, 3, 4), (4,))],
             torch_fn=F and (lambda x, w, b: F.conv1d(
                 x.permute(0, 2, 1), w.permute(2, 1, 0), b, 2, 1, 2).permute(0, 2, 1)))


def test_conv2d_channels_last_against_keras():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(2)
    for padding, strides, dil in (("valid", 1, 1), ("same", 1, 2), ("valid", 2, 1)):
        x = rng.standard_normal((2, 9, 8, 3)).astype(np.float32)
        w = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
        theirs = keras.ops.convert_to_numpy(keras.ops.conv(
            x, w, strides=strides, padding=padding, data_format="channels_last",
            dilation_rate=dil))
        ours = ops.conv2d(dg.tensor(x), dg.tensor(w), None, strides, padding, dil,
                          channels_last=True).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_conv_channels_last_bad_input():
    x, w = dg.randn(2, 5, 5, 3), dg.randn(3, 3, 3, 4)
    with pytest.raises(ValueError, match=r"input has 2 channels .* expects 3"):
        ops.conv2d(dg.randn(2, 5, 5, 2), w, channels_last=True)
    with pytest.raises(ValueError, match=r"groups=3 expects 6 \(and out channels 3"):
        ops.conv2d(x, dg.randn(3, 3, 2, 3), groups=3, channels_last=True)
    with pytest.raises(ValueError, match=r"out channels 4 divisible by groups"):
        ops.conv2d(x, dg.randn(3, 3, 1, 4), groups=3, channels_last=True)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="groups must be a positive integer"):
            ops.conv2d(x, w, groups=bad, channels_last=True)
    with pytest.raises(ValueError, match=r"channels_last expects a 4-D input"):
        ops.conv2d(dg.randn(5, 5), w, channels_last=True)
    with pytest.raises(ValueError, match=r"larger than the padded input size \(5, 5\)"):
        ops.conv2d(x, dg.randn(7, 7, 3, 4), channels_last=True)
    with pytest.raises(ValueError, match="bias must have shape"):
        ops.conv2d(x, w, dg.randn(3), channels_last=True)


# ----------------------------------------------------------------- max pooling
@pytest.mark.parametrize("k,s", [((2, 2), (2, 2)), ((3, 2), (1, 2)), ((2, 3), (2, 1))])
def test_max_pool2d_channels_last(k, s):
    check_op(lambda x: ops.max_pool2d(x, k, s, channels_last=True),
             lambda x: pool_nhwc_ref(x, k, s), [(2, 7, 6, 3)],
             torch_fn=F and (lambda x: F.max_pool2d(x.permute(0, 3, 1, 2), k, s)
                             .permute(0, 2, 3, 1)))


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=1, dilation=(2, 1)),
])
def test_max_pool2d_channels_last_equals_channels_first(kwargs):
    """Values and gradients (ties included: small integers) equal the NCHW path's."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, (2, 7, 9, 4)).astype(np.float64)
    xl, xf = dg.tensor(x, requires_grad=True), dg.tensor(x.transpose(0, 3, 1, 2).copy(),
                                                         requires_grad=True)
    y, yf = ops.max_pool2d(xl, channels_last=True, **kwargs), ops.max_pool2d(xf, **kwargs)
    np.testing.assert_array_equal(y.numpy(), yf.numpy().transpose(0, 2, 3, 1))
    g = rng.standard_normal(y.shape)
    (y * dg.tensor(g)).sum().backward()
    (yf * dg.tensor(g.transpose(0, 3, 1, 2).copy())).sum().backward()
    np.testing.assert_array_equal(xl.grad.numpy(), xf.grad.numpy().transpose(0, 2, 3, 1))


def test_max_pool2d_channels_last_against_keras():
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(4).standard_normal((2, 9, 8, 3)).astype(np.float32)
    theirs = keras.ops.convert_to_numpy(keras.ops.max_pool(x, 3, 2, "valid"))
    ours = ops.max_pool2d(dg.tensor(x), 3, 2, channels_last=True).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_max_pool2d_channels_last_refuses_indices():
    with pytest.raises(ValueError, match="return_indices=True is for the channels-first"):
        ops.max_pool2d(dg.randn(1, 4, 4, 2), 2, return_indices=True, channels_last=True)


GROUPED = [
    # (conv, x shape channels-last, w shape (*k, C/groups, O), stride, padding, dilation,
    #  groups)
    (ops.conv2d, (2, 6, 7, 6), (3, 3, 2, 9), 1, 1, 1, 3),
    (ops.conv2d, (1, 7, 6, 4), (2, 3, 2, 4), (2, 1), 0, (1, 2), 2),
    (ops.conv2d, (2, 8, 8, 32), (3, 3, 16, 32), 1, 1, 1, 2),      # Winograd per group
    (ops.conv1d, (2, 9, 4), (3, 1, 8), 2, 1, 1, 4),                # depthwise-like
    (ops.conv3d, (1, 4, 5, 4, 4), (2, 2, 2, 2, 4), 1, 0, 1, 2),
]


@pytest.mark.parametrize("conv,xs,ws,stride,padding,dilation,groups", GROUPED)
@pytest.mark.parametrize("bias", [False, True])
def test_grouped_channels_last_equals_channels_first(conv, xs, ws, stride, padding,
                                                     dilation, groups, bias):
    """Grouped channels-last convolution (one ConvLast per group, outputs concatenated):
    forward and every gradient equal the NCHW grouped op's, transposed (float64)."""
    rng = np.random.default_rng(6)
    n = len(xs) - 2
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[-1])
    to_first = (0, n + 1) + tuple(range(1, n + 1))
    w_first = (n + 1, n) + tuple(range(n))
    last = [dg.tensor(a, requires_grad=True) for a in (x, w, b)]
    first = [dg.tensor(a, requires_grad=True) for a in
             (x.transpose(to_first).copy(), w.transpose(w_first).copy(), b)]
    y = conv(last[0], last[1], last[2] if bias else None, stride, padding, dilation, groups,
             channels_last=True)
    yf = conv(first[0], first[1], first[2] if bias else None, stride, padding, dilation,
              groups)
    back = (0,) + tuple(range(2, n + 2)) + (1,)
    np.testing.assert_allclose(y.numpy(), yf.numpy().transpose(back), rtol=1e-12,
                               atol=1e-12)
    g = rng.standard_normal(y.shape)
    (y * dg.tensor(g)).sum().backward()
    (yf * dg.tensor(g.transpose(to_first).copy())).sum().backward()
    w_back = tuple(range(2, n + 2)) + (1, 0)
    for a, af, axes in zip(last, first, [back, w_back, (0,)]):
        if a is last[2] and not bias:
            assert a.grad is None
            continue
        np.testing.assert_allclose(a.grad.numpy(), af.grad.numpy().transpose(axes),
                                   rtol=1e-12, atol=1e-12)
    if F is not None and conv is ops.conv2d:               # and PyTorch's grouped conv
        theirs = F.conv2d(torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(w).permute(
            3, 2, 0, 1), torch.tensor(b) if bias else None, stride, padding, dilation, groups)
        np.testing.assert_allclose(y.numpy(), theirs.permute(0, 2, 3, 1).numpy(), rtol=1e-10,
                                   atol=1e-10)
