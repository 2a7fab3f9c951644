"""Pooling: forward against NumPy loops, float64 gradcheck, PyTorch parity (incl. ceil_mode)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import check_op

F = None
try:
    import torch
    F = torch.nn.functional
except ImportError:
    pass


def pool_ref(x, k, s, reduce):
    N, C, H, W = x.shape
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    y = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            y[:, :, i, j] = reduce(x[:, :, i * s:i * s + k, j * s:j * s + k], axis=(2, 3))
    return y


def distinct(rng, shape):
    """Distinct values (a permutation), so each window's max is unique and the central
    difference never crosses a tie."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0


@pytest.mark.parametrize("k,s", [(2, 2), (3, 1), (3, 2)])
def test_max_and_avg_pool2d_match_definition(k, s):
    check_op(lambda x: ops.max_pool2d(x, k, s), lambda x: pool_ref(x, k, s, np.max),
             [(2, 3, 7, 8), (1, 1, 4, 4)], make=distinct,
             torch_fn=F and (lambda x: F.max_pool2d(x, k, s)))
    check_op(lambda x: ops.avg_pool2d(x, k, s), lambda x: pool_ref(x, k, s, np.mean),
             [(2, 3, 7, 8), (1, 1, 4, 4)], torch_fn=F and (lambda x: F.avg_pool2d(x, k, s)))


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=2),
])
def test_max_pool2d_options(kwargs):
    check_op(lambda x: ops.max_pool2d(x, **kwargs), None, [(2, 2, 7, 8)], make=distinct,
             torch_fn=F and (lambda x: F.max_pool2d(x, **kwargs)))


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3),
])
def test_avg_pool2d_options(kwargs):
    check_op(lambda x: ops.avg_pool2d(x, **kwargs), None, [(2, 2, 7, 8)],
             torch_fn=F and (lambda x: F.avg_pool2d(x, **kwargs)))


def test_max_pool_ties_send_the_gradient_to_one_element_like_pytorch():
    x = dg.zeros(1, 1, 2, 2, requires_grad=True)
    ops.max_pool2d(x, 2).sum().backward()
    assert x.grad.numpy().sum() == 1.0 and x.grad.numpy()[0, 0, 0, 0] == 1.0


@pytest.mark.parametrize("out", [(1, 1), (3, 3), (4, 5), (5, 3), (7, 8)])
def test_adaptive_pools(out):
    check_op(lambda x: ops.adaptive_avg_pool2d(x, out), None, [(2, 2, 7, 8)],
             torch_fn=F and (lambda x: F.adaptive_avg_pool2d(x, out)))
    check_op(lambda x: ops.adaptive_max_pool2d(x, out), None, [(2, 2, 7, 8)], make=distinct,
             torch_fn=F and (lambda x: F.adaptive_max_pool2d(x, out)))


def test_pool1d():
    check_op(lambda x: ops.max_pool1d(x, 3, 2, 1), None, [(2, 3, 11)], make=distinct,
             torch_fn=F and (lambda x: F.max_pool1d(x, 3, 2, 1)))
    check_op(lambda x: ops.avg_pool1d(x, 3, 2, 1), None, [(2, 3, 11)],
             torch_fn=F and (lambda x: F.avg_pool1d(x, 3, 2, 1)))
    check_op(lambda x: ops.adaptive_avg_pool1d(x, 4), None, [(2, 3, 11)],
             torch_fn=F and (lambda x: F.adaptive_avg_pool1d(x, 4)))


def test_pool_bad_input():
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input \(N, C, H, W\), received shape \(3, 4\)"):
        ops.max_pool2d(dg.randn(3, 4), 2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        ops.max_pool2d(dg.randn(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="at most half of kernel size"):
        ops.avg_pool2d(dg.randn(1, 1, 6, 6), 2, padding=2)
