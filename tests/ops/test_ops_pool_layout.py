"""avg_pool2d(..., channels_last=True) against the NCHW op on the transposed input: values
and gradients, every divisor rule; float32 stays float32; float64 gradcheck. The Keras
pooling layers in channels_last call the ops without a permute."""
import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import ops
from deepgrad.autograd import gradcheck
from deepgrad.keras import layers as L

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


@pytest.mark.parametrize("make,shape", [
    (lambda f: L.AveragePooling2D(3, 2, "same", data_format=f), (2, 7, 6, 3)),
    (lambda f: L.AveragePooling2D(2, data_format=f), (2, 6, 5, 3)),
    (lambda f: L.MaxPooling2D(3, 2, "same", data_format=f), (2, 7, 6, 3)),
    (lambda f: L.AveragePooling1D(3, 2, "same", data_format=f), (2, 7, 3))])
def test_keras_pooling_in_channels_last_does_not_permute(monkeypatch, make, shape):
    x = np.random.default_rng(4).standard_normal(shape)
    first = (0, x.ndim - 1) + tuple(range(1, x.ndim - 1))
    ref = make("channels_first")(np.ascontiguousarray(x.transpose(first))).numpy()

    def refuse(*a, **k):
        raise AssertionError("the layer permuted its input")
    monkeypatch.setattr(ops, "permute", refuse)
    y = make("channels_last")(x).numpy()
    np.testing.assert_allclose(y, ref.transpose((0,) + tuple(range(2, x.ndim)) + (1,)),
                               rtol=1e-6, atol=1e-6)
