"""The ``deepgrad.<name>`` forms of nn ops, with PyTorch's top-level (ATen) signatures."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops


def _x(shape, seed=0):
    return np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) / 7.0


@pytest.mark.parametrize("name,shape,w", [
    ("conv1d", (2, 3, 8), (4, 3, 3)), ("conv2d", (2, 3, 5, 6), (4, 3, 2, 3)),
    ("conv3d", (1, 2, 4, 4, 5), (3, 2, 2, 2, 2)), ("conv_transpose1d", (2, 3, 5), (3, 2, 3)),
    ("conv_transpose2d", (2, 3, 4, 3), (3, 2, 2, 2)),
    ("conv_transpose3d", (1, 2, 3, 2, 3), (2, 3, 2, 2, 2)),
])
def test_top_level_convolutions_are_the_functional_ones(name, shape, w):
    x, wa = dg.tensor(_x(shape)), dg.tensor(_x(w, 1))
    np.testing.assert_array_equal(getattr(dg, name)(x, wa, None, 1, 0).numpy(),
                                  getattr(ops, name)(x, wa).numpy())
    torch = pytest.importorskip("torch")
    want = getattr(torch, name)(torch.tensor(x.numpy()), torch.tensor(wa.numpy()), None, 1, 0)
    np.testing.assert_allclose(getattr(dg, name)(x, wa, None, 1, 0).numpy(), want.numpy(),
                               rtol=1e-10)


def test_top_level_pooling_signatures():
    x = dg.tensor(_x((2, 3, 9)))
    np.testing.assert_array_equal(dg.max_pool1d(x, 3, 2, 1).numpy(),
                                  ops.max_pool1d(x, 3, 2, 1).numpy())
    np.testing.assert_array_equal(dg.max_pool1d(x, 2, ()).numpy(), ops.max_pool1d(x, 2).numpy())
    x2, x3 = dg.tensor(_x((2, 3, 6, 5))), dg.tensor(_x((1, 2, 4, 4, 4)))
    np.testing.assert_array_equal(dg.max_pool2d(x2, 2, (), 1).numpy(),
                                  ops.max_pool2d(x2, 2, None, 1).numpy())
    np.testing.assert_array_equal(dg.max_pool3d(x3, 2).numpy(), ops.max_pool3d(x3, 2).numpy())
    values, indices = dg.max_pool1d_with_indices(x, 2)
    assert indices.dtype == np.int64
    values2, indices2 = dg.adaptive_max_pool1d(x, 4)          # always (values, indices)
    np.testing.assert_array_equal(values2.numpy(), ops.adaptive_max_pool1d(x, 4).numpy())
    np.testing.assert_array_equal(dg.avg_pool1d(x, 3, 2, 1, False, False).numpy(),
                                  ops.avg_pool1d(x, 3, 2, 1, False, False).numpy())
    np.testing.assert_array_equal(dg.adaptive_avg_pool1d(x, 4).numpy(),
                                  ops.adaptive_avg_pool1d(x, 4).numpy())
    torch = pytest.importorskip("torch")
    t = torch.tensor(x.numpy())
    tv, ti = torch.max_pool1d_with_indices(t, 2)
    np.testing.assert_array_equal(values.numpy(), tv.numpy())
    np.testing.assert_array_equal(indices.numpy(), ti.numpy())
    tv, ti = torch.adaptive_max_pool1d(t, 4)
    np.testing.assert_array_equal(values2.numpy(), tv.numpy())
    np.testing.assert_array_equal(indices2.numpy(), ti.numpy())
    np.testing.assert_array_equal(dg.max_pool2d(x2, 2, (), 1).numpy(),
                                  torch.max_pool2d(torch.tensor(x2.numpy()), 2, (), 1).numpy())
    np.testing.assert_array_equal(dg.max_pool3d(x3, 2).numpy(),
                                  torch.max_pool3d(torch.tensor(x3.numpy()), 2).numpy())


def test_top_level_shuffles():
    x = dg.tensor(_x((1, 8, 2, 2)))
    np.testing.assert_array_equal(dg.pixel_shuffle(x, 2).numpy(), ops.pixel_shuffle(x, 2).numpy())
    np.testing.assert_array_equal(dg.pixel_unshuffle(dg.pixel_shuffle(x, 2), 2).numpy(),
                                  x.numpy())
    np.testing.assert_array_equal(dg.channel_shuffle(x, 4).numpy(),
                                  ops.channel_shuffle(x, 4).numpy())


def test_top_level_normalization_signatures():
    rng = np.random.default_rng(3)
    x = dg.tensor(rng.standard_normal((4, 3, 5)))
    w, b = dg.tensor(rng.uniform(0.5, 1.5, 3)), dg.tensor(rng.standard_normal(3))
    rm, rv = dg.zeros(3, dtype=dg.float64), dg.ones(3, dtype=dg.float64)
    y = dg.batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5, False)
    rm2, rv2 = dg.zeros(3, dtype=dg.float64), dg.ones(3, dtype=dg.float64)
    np.testing.assert_array_equal(y.numpy(), ops.batch_norm(x, rm2, rv2, w, b, True).numpy())
    np.testing.assert_array_equal(rm.numpy(), rm2.numpy())
    np.testing.assert_array_equal(dg.layer_norm(x, (5,), None, None, 1e-5, True).numpy(),
                                  ops.layer_norm(x, 5).numpy())
    np.testing.assert_array_equal(dg.group_norm(x, 3, w, b).numpy(),
                                  ops.group_norm(x, 3, w, b).numpy())
    np.testing.assert_array_equal(dg.instance_norm(x, w, b, None, None, True, 0.1, 1e-5,
                                                   False).numpy(),
                                  ops.instance_norm(x, weight=w, bias=b).numpy())
    np.testing.assert_array_equal(dg.rms_norm(x, (3, 5)).numpy(), ops.rms_norm(x, (3, 5)).numpy())
    torch = pytest.importorskip("torch")
    tx, tw, tb = (torch.tensor(a.numpy()) for a in (x, w, b))
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    np.testing.assert_allclose(y.numpy(), torch.batch_norm(tx, tw, tb, trm, trv, True, 0.1, 1e-5,
                                                           False).numpy(), rtol=1e-10)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dg.instance_norm(x, w, b, None, None, True, 0.1, 1e-5,
                                                False).numpy(),
                               torch.instance_norm(tx, tw, tb, None, None, True, 0.1, 1e-5,
                                                   False).numpy(), rtol=1e-10)
    np.testing.assert_allclose(dg.rms_norm(x, (3, 5), None, 1e-3).numpy(),
                               torch.rms_norm(tx, (3, 5), None, 1e-3).numpy(), rtol=1e-10)
    np.testing.assert_allclose(dg.group_norm(x, 1, w, b).numpy(),
                               torch.group_norm(tx, 1, tw, tb).numpy(), rtol=1e-10)
    np.testing.assert_allclose(dg.layer_norm(x, (3, 5)).numpy(),
                               torch.layer_norm(tx, (3, 5)).numpy(), rtol=1e-10)
