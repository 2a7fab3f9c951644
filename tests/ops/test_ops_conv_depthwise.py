"""``ops.depthwise_conv2d``, Keras's depthwise convolution in its own layouts: the NCHW
grouped convolution's values and gradients (float64, 1e-12), a NumPy definition and
gradcheck (the op harness), PyTorch's grouped conv2d, the same bits at one and two
threads, and clear errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import check_op
from threads import threads

# (N, H, W, C), (kh, kw, M), stride, dilation, pads (top, bottom, left, right)
CASES = [
    ((2, 7, 6, 3), (3, 3, 2), (1, 1), (1, 1), (0, 0, 0, 0)),
    ((3, 9, 8, 4), (3, 2, 1), (2, 1), (1, 2), (1, 2, 0, 1)),
    ((1, 5, 5, 2), (1, 1, 3), (2, 2), (1, 1), (0, 0, 0, 0)),
    ((2, 6, 7, 5), (2, 3, 1), (1, 2), (2, 1), (2, 2, 1, 1)),
]


def definition(x, k, b, stride, dilation, pads):
    """The module docstring's sum, written as loops over outputs (float64)."""
    (t, bo, le, r), (s0, s1), (d0, d1) = pads, stride, dilation
    xp = np.pad(x, ((0, 0), (t, bo), (le, r), (0, 0)))
    kh, kw, C, M = k.shape
    Ho = (xp.shape[1] - d0 * (kh - 1) - 1) // s0 + 1
    Wo = (xp.shape[2] - d1 * (kw - 1) - 1) // s1 + 1
    y = np.zeros((x.shape[0], Ho, Wo, C, M))
    for i in range(Ho):
        for j in range(Wo):
            for p in range(kh):
                for q in range(kw):
                    y[:, i, j] += xp[:, s0 * i + d0 * p, s1 * j + d1 * q, :, None] * k[p, q]
    return y.reshape(x.shape[0], Ho, Wo, C * M) + b


@pytest.mark.parametrize("shape, kernel, stride, dilation, pads", CASES)
def test_equals_the_nchw_grouped_convolution(shape, kernel, stride, dilation, pads):
    rng = np.random.default_rng(sum(shape) + sum(kernel))
    N, H, W, C = shape
    kh, kw, M = kernel
    x, k, b = rng.standard_normal(shape), rng.standard_normal((kh, kw, C, M)), \
        rng.standard_normal(C * M)
    X, K, B = (dg.tensor(a, requires_grad=True) for a in (x, k, b))
    y = ops.depthwise_conv2d(X, K, B, stride, pads, dilation)
    np.testing.assert_allclose(y.numpy(), definition(x, k, b, stride, dilation, pads),
                               rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(dg.tensor(g))
    X2 = dg.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=True)
    K2 = dg.tensor(k.transpose(2, 3, 0, 1).reshape(C * M, 1, kh, kw).copy(),
                   requires_grad=True)
    B2 = dg.tensor(b, requires_grad=True)
    xp = ops.pad(X2, (pads[2], pads[3], pads[0], pads[1]))
    y2 = ops.conv2d(xp, K2, B2, stride, 0, dilation, groups=C)
    np.testing.assert_allclose(y.numpy(), y2.numpy().transpose(0, 2, 3, 1), rtol=1e-12,
                               atol=1e-12)
    y2.backward(dg.tensor(g.transpose(0, 3, 1, 2).copy()))
    np.testing.assert_allclose(X.grad.numpy(), X2.grad.numpy().transpose(0, 2, 3, 1),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(K.grad.numpy(),
                               K2.grad.numpy().reshape(C, M, kh, kw).transpose(2, 3, 0, 1),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(B.grad.numpy(), B2.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, kernel, stride, dilation, pads", CASES[:2])
def test_harness_dtypes_and_gradcheck(shape, kernel, stride, dilation, pads):
    kshape = kernel[:2] + (shape[3], kernel[2])
    bshape = (shape[3] * kernel[2],)
    check_op(lambda x, k, b: ops.depthwise_conv2d(x, k, b, stride, pads, dilation),
             lambda x, k, b: definition(x, k, b, stride, dilation, pads),
             [(shape, kshape, bshape)], rtol32=1e-5, atol32=1e-5)


def test_matches_torch_grouped_conv2d():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 10, 9, 6)).astype(np.float32)
    k = rng.standard_normal((3, 3, 6, 2)).astype(np.float32)
    X, K = dg.tensor(x, requires_grad=True), dg.tensor(k, requires_grad=True)
    y = ops.depthwise_conv2d(X, K, None, 2, 1)
    (y * y).sum().backward()
    tx = torch.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=True)
    tk = torch.tensor(k.transpose(2, 3, 0, 1).reshape(12, 1, 3, 3).copy(), requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tk, None, 2, 1, 1, 6)
    (ty * ty).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy().transpose(0, 2, 3, 1),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(X.grad.numpy(), tx.grad.numpy().transpose(0, 2, 3, 1),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(K.grad.numpy(),
                               tk.grad.numpy().reshape(6, 2, 3, 3).transpose(2, 3, 0, 1),
                               rtol=1e-4, atol=1e-3)
    assert y.dtype == np.float32 and X.grad.dtype == np.float32


def test_same_bits_at_one_and_two_threads():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 12, 12, 8)).astype(np.float32)
    k = rng.standard_normal((3, 3, 8, 2)).astype(np.float32)
    runs = []
    for n in (1, 2):
        with threads(n):
            X, K = dg.tensor(x, requires_grad=True), dg.tensor(k, requires_grad=True)
            y = ops.depthwise_conv2d(X, K, None, 1, 1)
            (y * y).sum().backward()
            runs.append((y.numpy(), X.grad.numpy(), K.grad.numpy()))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("x, k, kwargs, match", [
    ((2, 5, 5, 3), (3, 3, 4, 1), {}, r"same C, received shapes \(2, 5, 5, 3\) and \(3, 3, 4, 1\)"),
    ((2, 5, 5), (3, 3, 5, 1), {}, "expected input"),
    ((2, 2, 5, 3), (3, 3, 3, 1), {}, "kernel's height 3"),
    ((2, 5, 5, 3), (3, 3, 3, 2), dict(bias=(3,)), r"bias of shape \(3,\).*expected \(6,\)"),
    ((2, 5, 5, 3), (3, 3, 3, 1), dict(padding=(1, 2, 3)), "padding must be"),
])
def test_bad_arguments_are_clear_errors(x, k, kwargs, match):
    if "bias" in kwargs:
        kwargs = dict(kwargs, bias=dg.zeros(*kwargs["bias"]))
    with pytest.raises(ValueError, match=match):
        ops.depthwise_conv2d(dg.zeros(*x), dg.zeros(*k), **kwargs)
