"""batch_norm(..., channels_last=True) against the channel-axis-1 op on permuted inputs
(values, gradients, running statistics), float64 gradcheck; Keras's BatchNormalization
calls it without a single permute."""
import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import ops
from deepgrad.autograd import gradcheck
from deepgrad.keras import layers as L

RNG = np.random.default_rng(5)


def _grads(fn, *arrays):
    ts = [dg.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    gy = np.random.default_rng(9).standard_normal(y.shape).astype(y.array.dtype)
    y.backward(dg.tensor(gy))
    return y.array, gy, [t.grad.array for t in ts]


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3, 5, 2), (6, 4), (3, 5, 4)])
def test_batch_norm_channels_last_is_the_channel_axis_1_op_permuted(shape, training):
    x = (RNG.standard_normal(shape) * 2 + 1).astype(np.float32)
    C = shape[-1]
    w, b = RNG.uniform(0.5, 2, C).astype(np.float32), RNG.standard_normal(C).astype(np.float32)
    stats = [RNG.standard_normal(C).astype(np.float32) ** 2 for _ in range(2)]
    first = (0, x.ndim - 1) + tuple(range(1, x.ndim - 1))           # (N, *, C) -> (N, C, *)
    back = tuple(int(i) for i in np.argsort(first))
    rm1, rv1 = stats[0].copy(), stats[1].copy()
    y1, gy, g1 = _grads(lambda x, w, b: F.batch_norm(x, rm1, rv1, w, b, training=training,
                                                     channels_last=True), x, w, b)
    rm2, rv2 = stats[0].copy(), stats[1].copy()
    xf = np.ascontiguousarray(x.transpose(first))
    t = dg.tensor(xf, requires_grad=True)
    tw, tb = dg.tensor(w, requires_grad=True), dg.tensor(b, requires_grad=True)
    y2 = F.batch_norm(t, rm2, rv2, tw, tb, training=training)
    y2.backward(dg.tensor(np.ascontiguousarray(gy.transpose(first))))
    assert y1.dtype == g1[0].dtype == np.float32
    np.testing.assert_allclose(y1, y2.array.transpose(back), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g1[0], t.grad.array.transpose(back), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g1[1], tw.grad.array, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(g1[2], tb.grad.array, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rm1, rm2, rtol=1e-5)
    np.testing.assert_allclose(rv1, rv2, rtol=1e-5)


def test_batch_norm_channels_last_gradcheck():
    x = dg.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    w = dg.tensor(RNG.uniform(0.5, 2, 4), requires_grad=True)
    b = dg.tensor(RNG.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True,
                                                  channels_last=True), (x, w, b))


def _no_permute(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("the layer permuted its input")
    monkeypatch.setattr(ops, "permute", refuse)


@pytest.mark.parametrize("shape", [(4, 3, 5, 2), (6, 4), (3, 5, 4)])
def test_keras_batch_normalization_does_not_permute(monkeypatch, shape):
    x = (RNG.standard_normal(shape) * 3 + 1)
    bn = L.BatchNormalization(momentum=0.9, dtype="float64", gamma_initializer="glorot_uniform")
    bn.build(shape)
    _no_permute(monkeypatch)
    axes = tuple(range(len(shape) - 1))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    y = bn(x, training=True).numpy()
    gamma = bn.gamma.numpy()
    np.testing.assert_allclose(y, gamma * (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-12)
    y = bn(x, training=False).numpy()
    mm, mv = bn.moving_mean.numpy(), bn.moving_variance.numpy()
    np.testing.assert_allclose(y, gamma * (x - mm) / np.sqrt(mv + 1e-3), rtol=1e-12)
