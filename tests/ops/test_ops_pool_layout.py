"""avg_pool2d(..., channels_last=True) against the NCHW op on the transposed input: values
and gradients, every divisor rule; float32 stays float32; float64 gradcheck."""
import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad.autograd import gradcheck

OPTIONS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
           dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
           dict(kernel_size=(2, 3), stride=(1, 2), ceil_mode=True),
           dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
           dict(kernel_size=2, stride=1, divisor_override=3)]


@pytest.mark.parametrize("kw", OPTIONS)
def test_avg_pool2d_channels_last_is_the_nchw_op_transposed(kw):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8)).astype(np.float32)
    t = dg.tensor(x, requires_grad=True)
    y = F.avg_pool2d(t, **kw)
    gy = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    y.backward(dg.tensor(gy))
    xl = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    tl = dg.tensor(xl, requires_grad=True)
    yl = F.avg_pool2d(tl, channels_last=True, **kw)
    yl.backward(dg.tensor(np.ascontiguousarray(gy.transpose(0, 2, 3, 1))))
    assert yl.dtype == tl.grad.dtype == np.float32
    assert np.allclose(yl.array, y.array.transpose(0, 2, 3, 1), rtol=1e-6, atol=1e-6)
    assert np.allclose(tl.grad.array, t.grad.array.transpose(0, 2, 3, 1), rtol=1e-6, atol=1e-6)


def test_avg_pool2d_channels_last_unbatched_and_gradcheck():
    x = np.random.default_rng(3).standard_normal((5, 6, 2))
    y = F.avg_pool2d(dg.tensor(x), 2, channels_last=True)
    assert y.shape == (2, 3, 2)
    assert np.allclose(y.array, x[:4].reshape(2, 2, 3, 2, 2).mean(axis=(1, 3)))
    xb = dg.tensor(x[None], requires_grad=True)
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, padding=1, count_include_pad=False,
                                            channels_last=True), (xb,))
