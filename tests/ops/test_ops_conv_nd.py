"""3-D convolutions, unbatched input and the shared N-d kernel: forward against a NumPy
loop, float64 gradcheck, PyTorch in float64 (skipped without torch)."""
import itertools

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from lazy_torch import F
from torch_last import check_op


def conv_nd_ref(x, w, b, stride, pad, dil, groups):
    """y[n, o, *i] = b[o] + sum_{c, *p} w[o, c, *p] x_pad[n, g Cg + c, *(s i + d p)]."""
    k = w.ndim - 2
    N, C = x.shape[:2]
    O, Cg = w.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    out = tuple((n - d * (kk - 1) - 1) // s + 1
                for n, kk, s, d in zip(xp.shape[2:], w.shape[2:], stride, dil))
    y = np.zeros((N, O) + out)
    Og = O // groups
    for o in range(O):
        g = o // Og
        for i in itertools.product(*(range(m) for m in out)):
            sl = tuple(slice(ii * s, ii * s + d * (kk - 1) + 1, d)
                       for ii, s, d, kk in zip(i, stride, dil, w.shape[2:]))
            patch = xp[(slice(None), slice(g * Cg, (g + 1) * Cg)) + sl]
            y[(slice(None), o) + i] = (patch * w[o]).sum(axis=tuple(range(1, k + 2)))
    return y if b is None else y + b.reshape((1, O) + (1,) * k)


CONV3D_CASES = [
    # (x shape, w shape, stride, padding, dilation, groups)
    ((2, 2, 4, 5, 4), (3, 2, 2, 3, 2), 1, 0, 1, 1),
    ((1, 4, 5, 4, 5), (4, 2, 3, 2, 3), (2, 1, 2), (1, 0, 1), 1, 2),
    ((1, 1, 5, 5, 5), (2, 1, 2, 2, 2), 1, 1, (2, 1, 2), 1),
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CONV3D_CASES)
def test_conv3d(xs, ws, stride, padding, dilation, groups):
    s, p, d = (v if isinstance(v, tuple) else (v,) * 3 for v in (stride, padding, dilation))
    check_op(lambda x, w, b: ops.conv3d(x, w, b, stride, padding, dilation, groups),
             lambda x, w, b: conv_nd_ref(x, w, b, s, p, d, groups),
             [(xs, ws, (ws[0],))], rtol32=1e-4, atol32=1e-5)


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CONV3D_CASES)
def test_conv3d_matches_torch(xs, ws, stride, padding, dilation, groups):
    check_op(lambda x, w, b: ops.conv3d(x, w, b, stride, padding, dilation, groups), None,
             [(xs, ws, (ws[0],))],
             torch_fn=lambda x, w, b: F.conv3d(x, w, b, stride, padding, dilation, groups))


@pytest.mark.parametrize("k", [2, 3])
def test_conv3d_same_and_valid_padding(k):
    for padding in ("same", "valid"):
        check_op(lambda x, w: ops.conv3d(x, w, padding=padding), None,
                 [((1, 2, 4, 3, 4), (2, 2, k, k, k))],
                 torch_fn=lambda x, w: F.conv3d(x, w, padding=padding))
    assert ops.conv3d(dg.randn(1, 2, 4, 3, 4), dg.randn(2, 2, k, k, k),
                      padding="same").shape == (1, 2, 4, 3, 4)


@pytest.mark.parametrize("xs,ws,stride,padding,out_pad,groups,dilation", [
    ((2, 2, 3, 2, 3), (2, 3, 2, 3, 2), 2, 1, 1, 1, 1),
    ((1, 4, 2, 3, 2), (4, 1, 2, 2, 2), 1, 0, 0, 2, 2),
    ((1, 2, 2, 3, 2), (2, 2, 3, 2, 2), (2, 1, 3), (1, 0, 0), (1, 0, 2), 1, 1),
])
def test_conv_transpose3d(xs, ws, stride, padding, out_pad, groups, dilation):
    check_op(lambda x, w, b: ops.conv_transpose3d(x, w, b, stride, padding, out_pad, groups,
                                                  dilation),
             None, [(xs, ws, (ws[1] * groups,))],
             torch_fn=lambda x, w, b: F.conv_transpose3d(x, w, b, stride, padding, out_pad,
                                                         groups, dilation))


def test_conv_transpose3d_is_the_adjoint_of_conv3d():
    """<conv3d(x, w), y> == <x, conv_transpose3d(y, w)> for every x, y (no torch needed)."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 5, 6, 5)), rng.standard_normal((4, 3, 3, 2, 3))
    y = ops.conv3d(dg.tensor(x), dg.tensor(w), stride=2, padding=1)
    v = rng.standard_normal(y.shape)
    lhs = (y.numpy() * v).sum()
    back = ops.conv_transpose3d(dg.tensor(v), dg.tensor(w), stride=2, padding=1)
    assert back.shape == x.shape
    assert np.isclose(lhs, (x * back.numpy()).sum(), rtol=1e-12)


@pytest.mark.parametrize("op,x,w", [
    ("conv1d", (3, 7), (2, 3, 3)), ("conv2d", (3, 5, 6), (2, 3, 2, 3)),
    ("conv3d", (2, 4, 3, 4), (3, 2, 2, 2, 2)),
    ("conv_transpose1d", (3, 5), (3, 2, 3)), ("conv_transpose2d", (3, 3, 4), (3, 2, 2, 3)),
    ("conv_transpose3d", (2, 2, 3, 2), (2, 3, 2, 2, 2)),
])
def test_unbatched_input_is_one_sample(op, x, w):
    """(C, *S) gives what (1, C, *S) gives, without the batch axis (as PyTorch)."""
    rng = np.random.default_rng(1)
    xa, wa = rng.standard_normal(x), rng.standard_normal(w)
    got = getattr(ops, op)(dg.tensor(xa), dg.tensor(wa))
    want = getattr(ops, op)(dg.tensor(xa[None]), dg.tensor(wa))
    assert got.shape == want.shape[1:]
    np.testing.assert_allclose(got.numpy(), want.numpy()[0], rtol=1e-12)
    check_op(lambda a, b: getattr(ops, op)(a, b), None, [(x, w)])
    torch = pytest.importorskip("torch")
    ref = getattr(torch.nn.functional, op)(torch.tensor(xa), torch.tensor(wa))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-10, atol=1e-12)


def test_conv1d_keeps_its_values_on_the_direct_path():
    """conv1d runs the N-d kernel on one spatial axis: same values as the loop reference."""
    check_op(lambda x, w, b: ops.conv1d(x, w, b, 2, 1, 2, 1),
             lambda x, w, b: conv_nd_ref(x, w, b, (2,), (1,), (2,), 1),
             [((2, 3, 9), (4, 3, 3), (4,))])


def test_conv_nd_empty_batch():
    y = ops.conv3d(dg.zeros(0, 2, 3, 3, 3), dg.randn(4, 2, 2, 2, 2))
    assert y.shape == (0, 4, 2, 2, 2)


def test_conv3d_float32_stays_float32_and_refuses_mixed_dtypes():
    x = dg.randn(1, 2, 3, 3, 3, requires_grad=True)
    w = dg.randn(2, 2, 2, 2, 2, requires_grad=True)
    y = ops.conv3d(x, w)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    with pytest.raises(TypeError, match="never upcasts silently"):
        ops.conv3d(x, w.double())


def test_conv3d_bad_input():
    x, w = dg.randn(1, 2, 4, 4, 4), dg.randn(3, 2, 3, 3, 3)
    with pytest.raises(ValueError, match=r"conv3d: expected a 4-D \(unbatched\) or 5-D "
                                         r"\(batched\) input \(N, C, D, H, W\), received "
                                         r"shape \(2, 4, 4\)"):
        ops.conv3d(dg.randn(2, 4, 4), w)
    with pytest.raises(ValueError, match=r"conv3d: expected a 5-D weight, received shape"):
        ops.conv3d(x, dg.randn(3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"conv3d: input has 2 channels but the weight of "
                                         r"shape \(3, 1, 3, 3, 3\) with groups=1 expects 1"):
        ops.conv3d(x, dg.randn(3, 1, 3, 3, 3))
    with pytest.raises(ValueError, match=r"conv3d: kernel size \(3, 5, 3\) \(dilated\) is "
                                         r"larger than the padded input size \(4, 4, 4\)"):
        ops.conv3d(x, w, dilation=(1, 2, 1))
    with pytest.raises(ValueError, match=r"conv3d stride: expected an int or 3 ints, "
                                         r"received \(1, 2\)"):
        ops.conv3d(x, w, stride=(1, 2))
    with pytest.raises(ValueError, match="groups must be positive"):
        ops.conv3d(x, w, groups=0)
    with pytest.raises(ValueError, match=r"conv_transpose3d: output_padding \(2, 2, 2\) must "
                                         r"be smaller than either stride \(2, 2, 2\)"):
        ops.conv_transpose3d(x, dg.randn(2, 3, 3, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="conv_transpose3d: padding must be an int"):
        ops.conv_transpose3d(x, dg.randn(2, 3, 3, 3, 3), padding="same")
