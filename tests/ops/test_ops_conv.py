"""Convolutions: forward against the definition (NumPy loops), float64 gradcheck, PyTorch."""
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


def conv2d_ref(x, w, b=None, stride=(1, 1), pad=(0, 0), dil=(1, 1), groups=1):
    """y[n,o,i,j] = b[o] + sum_{c,p,q} w[o,c,p,q] x[n, g*Cg + c, s i + d p, s j + d q]."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    Ho = (xp.shape[2] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (xp.shape[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((N, O, Ho, Wo))
    Og = O // groups
    for o in range(O):
        g = o // Og
        for i in range(Ho):
            for j in range(Wo):
                patch = xp[:, g * Cg:(g + 1) * Cg,
                           i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                y[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3))
    return y if b is None else y + b[None, :, None, None]


CONV_CASES = [
    # (x shape, w shape, stride, padding, dilation, groups)
    ((2, 3, 5, 6), (4, 3, 3, 3), 1, 0, 1, 1),
    ((1, 2, 7, 5), (3, 2, 2, 3), (2, 1), (1, 2), 1, 1),
    ((2, 4, 6, 6), (6, 2, 3, 3), 2, 1, 1, 2),
    ((1, 1, 7, 7), (2, 1, 3, 3), 1, 2, 2, 1),
    ((3, 2, 4, 4), (2, 2, 1, 1), 1, 0, 1, 1),
    ((1, 4, 5, 5), (4, 1, 3, 3), 1, 1, 1, 4),        # depthwise
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CONV_CASES)
def test_conv2d(xs, ws, stride, padding, dilation, groups):
    s, p, d = (v if isinstance(v, tuple) else (v, v) for v in (stride, padding, dilation))
    check_op(lambda x, w, b: ops.conv2d(x, w, b, stride, padding, dilation, groups),
             lambda x, w, b: conv2d_ref(x, w, b, s, p, d, groups),
             [(xs, ws, (ws[0],))], rtol32=1e-4, atol32=1e-5,
             torch_fn=F and (lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups)))


def test_conv2d_same_padding_and_no_bias():
    for k in (3, 4):     # even kernels pad asymmetrically, as PyTorch
        check_op(lambda x, w: ops.conv2d(x, w, padding="same"), None, [((1, 2, 5, 6), (3, 2, k, k))],
                 torch_fn=F and (lambda x, w: F.conv2d(x, w, padding="same")))
        assert ops.conv2d(dg.randn(1, 2, 5, 6), dg.randn(3, 2, k, k), padding="same").shape == (1, 3, 5, 6)


@pytest.mark.parametrize("xs,ws,stride,padding,out_pad,groups,dilation", [
    ((2, 3, 4, 5), (3, 2, 3, 3), 2, 1, 1, 1, 1),
    ((1, 4, 3, 3), (4, 1, 2, 2), 1, 0, 0, 2, 2),
    ((1, 2, 3, 4), (2, 3, 3, 2), (2, 3), (1, 0), (1, 2), 1, 1),
])
def test_conv_transpose2d(xs, ws, stride, padding, out_pad, groups, dilation):
    check_op(lambda x, w, b: ops.conv_transpose2d(x, w, b, stride, padding, out_pad, groups, dilation),
             None, [(xs, ws, (ws[1] * groups,))],
             torch_fn=F and (lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, out_pad,
                                                                groups, dilation)))


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for every x, y."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3))
    y = rng.standard_normal((2, 4, 3, 3))
    lhs = (ops.conv2d(dg.tensor(x), dg.tensor(w), stride=2).numpy() * y).sum()
    rhs = (x * ops.conv_transpose2d(dg.tensor(y), dg.tensor(w), stride=2).numpy()).sum()
    assert np.isclose(lhs, rhs, rtol=1e-12)


def test_conv1d_and_transpose1d():
    check_op(lambda x, w, b: ops.conv1d(x, w, b, 2, 1, 2), None, [((2, 3, 9), (4, 3, 3), (4,))],
             torch_fn=F and (lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2)))
    check_op(lambda x, w, b: ops.conv_transpose1d(x, w, b, 2, 1, 1), None,
             [((2, 3, 5), (3, 2, 3), (2,))],
             torch_fn=F and (lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1)))
    check_op(lambda x, w: ops.conv1d(x, w, padding="same"), None, [((1, 2, 6), (2, 2, 4))],
             torch_fn=F and (lambda x, w: F.conv1d(x, w, padding="same")))


def test_conv_float32_stays_float32():
    y = ops.conv2d(dg.randn(2, 3, 6, 6, requires_grad=True), dg.randn(4, 3, 3, 3, requires_grad=True))
    assert y.dtype == np.float32


def test_conv_bad_input():
    x, w = dg.randn(2, 3, 5, 5), dg.randn(4, 3, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d: input has 2 channels but the weight of shape \(4, 3, 3, 3\)"):
        ops.conv2d(dg.randn(2, 2, 5, 5), w)
    with pytest.raises(ValueError, match=r"conv2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input \(N, C, H, W\), received shape \(5, 5\)"):
        ops.conv2d(dg.randn(5, 5), w)
    with pytest.raises(ValueError, match=r"kernel size \(7, 7\).*larger than the padded input size \(5, 5\)"):
        ops.conv2d(x, dg.randn(4, 3, 7, 7))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        ops.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="bias must have shape"):
        ops.conv2d(x, w, dg.randn(3))
    with pytest.raises(ValueError, match="padding must be an int"):
        ops.conv2d(x, w, padding="full")
