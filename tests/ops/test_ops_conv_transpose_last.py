"""``conv_transpose2d_last``, the transposed convolution in Keras's layouts: the NCHW
``conv_transpose2d``'s values and gradients (float64, 1e-12), a loop definition and
gradcheck (the op harness), kernels on and off, and clear errors (the Keras layers that
run it: tests/keras_front/test_keras_conv_layout.py)."""
import importlib.util

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import kernels, ops
from deepgrad.ops.conv_transpose_last import conv_transpose2d_last
from op_harness import check_op

# (N, H, W, Cin), (kh, kw, Cout), stride, dilation
CASES = [((2, 4, 5, 3), (3, 3, 4), (1, 1), (1, 1)),
         ((3, 3, 4, 2), (2, 3, 5), (2, 3), (1, 2)),
         ((1, 5, 3, 4), (3, 2, 1), (2, 2), (2, 1))]


def definition(x, k, stride, dilation):
    N, H, W, _ = x.shape
    kh, kw, Cout, _ = k.shape
    (s0, s1), (d0, d1) = stride, dilation
    y = np.zeros((N, (H - 1) * s0 + d0 * (kh - 1) + 1, (W - 1) * s1 + d1 * (kw - 1) + 1,
                  Cout))
    for i in range(H):
        for j in range(W):
            for p in range(kh):
                for q in range(kw):
                    y[:, s0 * i + d0 * p, s1 * j + d1 * q] += x[:, i, j] @ k[p, q].T
    return y


@pytest.mark.parametrize("flag", [False, pytest.param(True, marks=pytest.mark.skipif(
    importlib.util.find_spec("numba") is None, reason="the compiled kernels need numba"))])
@pytest.mark.parametrize("shape, kernel, stride, dilation", CASES)
def test_equals_the_nchw_transposed_convolution(shape, kernel, stride, dilation, flag):
    rng = np.random.default_rng(sum(shape) + sum(kernel))
    x = rng.standard_normal(shape)
    k = rng.standard_normal(kernel + (shape[3],))
    with kernels.use(flag):
        X, K = dg.tensor(x, requires_grad=True), dg.tensor(k, requires_grad=True)
        y = conv_transpose2d_last(X, K, stride, dilation)
        np.testing.assert_allclose(y.numpy(), definition(x, k, stride, dilation),
                                   rtol=1e-12, atol=1e-12)
        g = rng.standard_normal(y.shape)
        y.backward(dg.tensor(g))
        X2 = dg.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=True)
        K2 = dg.tensor(k.transpose(3, 2, 0, 1).copy(), requires_grad=True)
        y2 = ops.conv_transpose2d(X2, K2, None, stride, 0, 0, 1, dilation)
        y2.backward(dg.tensor(g.transpose(0, 3, 1, 2).copy()))
    np.testing.assert_allclose(X.grad.numpy(), X2.grad.numpy().transpose(0, 2, 3, 1),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(K.grad.numpy(), K2.grad.numpy().transpose(2, 3, 1, 0),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, kernel, stride, dilation", CASES[:2])
def test_harness_dtypes_and_gradcheck(shape, kernel, stride, dilation):
    check_op(lambda x, k: conv_transpose2d_last(x, k, stride, dilation),
             lambda x, k: definition(x, k, stride, dilation),
             [(shape, kernel + (shape[3],))], rtol32=1e-5, atol32=1e-5)


def test_bad_shapes_are_a_clear_error():
    with pytest.raises(ValueError, match=r"same Cin, received shapes \(2, 4, 4, 3\) and "
                                         r"\(3, 3, 5, 2\)"):
        conv_transpose2d_last(dg.zeros(2, 4, 4, 3), dg.zeros(3, 3, 5, 2))
