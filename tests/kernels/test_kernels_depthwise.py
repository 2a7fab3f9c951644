"""The compiled depthwise convolution equals the NumPy path (values and both gradients),
float32 and float64, one and several filters per channel, strides, dilations and
padding."""
import numpy as np
import pytest

pytest.importorskip("numba")

import deepgrad as dg  # noqa: E402
from deepgrad import kernels, ops  # noqa: E402
from threads import threads  # noqa: E402

CASES = [
    ((2, 7, 6, 3), (3, 3, 2), 1, 1, 0),
    ((3, 9, 8, 4), (3, 2, 1), (2, 1), (1, 2), (1, 2, 0, 1)),
    ((2, 6, 7, 5), (2, 3, 3), (1, 2), (2, 1), 1),
    ((4, 8, 8, 16), (3, 3, 1), 1, 1, 1),
]


def run(x, k, b, stride, dilation, padding, flag):
    with kernels.use(flag):
        X, K, B = (dg.tensor(a, requires_grad=True) for a in (x, k, b))
        y = ops.depthwise_conv2d(X, K, B, stride, padding, dilation)
        g = np.linspace(-1, 1, y.numel()).reshape(y.shape).astype(x.dtype)
        y.backward(dg.tensor(g))
        return y.numpy(), X.grad.numpy(), K.grad.numpy(), B.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kernel, stride, dilation, padding", CASES)
def test_equal_to_numpy_path(shape, kernel, stride, dilation, padding, dtype):
    rng = np.random.default_rng(sum(shape) + sum(kernel))
    x = rng.standard_normal(shape).astype(dtype)
    k = rng.standard_normal(kernel[:2] + (shape[3], kernel[2])).astype(dtype)
    b = rng.standard_normal(shape[3] * kernel[2]).astype(dtype)
    numpy_path = run(x, k, b, stride, dilation, padding, False)
    compiled = run(x, k, b, stride, dilation, padding, True)
    for a, c in zip(compiled, numpy_path):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, c)


def test_same_bits_at_one_and_two_threads():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((32, 10, 10, 8)).astype(np.float32)
    k = rng.standard_normal((3, 3, 8, 2)).astype(np.float32)
    b = np.zeros(16, np.float32)
    runs = []
    for n in (1, 2):
        with threads(n):
            runs.append(run(x, k, b, 1, 1, 1, True))
    for a, c in zip(*runs):
        np.testing.assert_array_equal(a, c)
