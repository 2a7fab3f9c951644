"""Dropout variants: channel dropout (1d/2d/3d), alpha dropout, the torch-level forms, PyTorch's
rank rules and warnings, statistics, gradients and the in-place rule."""
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn, ops
from deepgrad.nn import functional as F

ALPHA = 1.7580993408473766


def _channels_dropped(y, x):
    """Per (n, c) channel: all zero (dropped) or all x / (1 - p) (kept); returns dropped mask."""
    dropped = np.all(y == 0, axis=tuple(range(2, y.ndim)))
    return dropped


@pytest.mark.parametrize("fn, shape", [(ops.dropout1d, (300, 40, 7)), (ops.dropout2d, (300, 40, 3, 3)),
                                       (ops.dropout3d, (300, 40, 2, 2, 2))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    dg.manual_seed(0)
    x = dg.rand(*shape) + 0.5
    y = fn(x, 0.25).numpy()
    dropped = _channels_dropped(y, x.numpy())
    assert abs(dropped.mean() - 0.25) < 0.02
    kept = ~dropped
    np.testing.assert_allclose(y[kept], x.numpy()[kept] / 0.75, rtol=1e-6)
    assert y.dtype == np.float32


@pytest.mark.parametrize("fn, shape", [(ops.dropout1d, (40, 7)), (ops.dropout3d, (40, 2, 2, 2))])
def test_unbatched_channel_dropout(fn, shape):
    dg.manual_seed(1)
    x = dg.rand(*shape) + 0.5
    y = fn(x, 0.5).numpy()
    assert y.shape == shape
    dropped = np.all(y == 0, axis=tuple(range(1, y.ndim)))
    assert 0.2 < dropped.mean() < 0.8
    np.testing.assert_allclose(y[~dropped], 2 * x.numpy()[~dropped], rtol=1e-6)


def test_channel_dropout_gradient_is_the_mask():
    dg.manual_seed(2)
    x = dg.randn(6, 5, 4, dtype=dg.float64, requires_grad=True)
    y = ops.dropout1d(x, 0.4)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.numpy() / x.numpy(), rtol=1e-12)


def test_rank_rules_and_warnings_as_pytorch():
    with pytest.raises(RuntimeError, match="dropout1d: expected 2D or 3D input, but received a 4D"):
        ops.dropout1d(dg.ones(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y = ops.dropout2d(dg.ones(2, 3, 4), 0.5)
    assert y.shape == (2, 3, 4)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d, which is deprecated"):
        ops.dropout2d(dg.ones(2, 3), 0.5)
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        assert ops.dropout3d(dg.ones(2, 3, 4), 0.5).shape == (2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ops.dropout2d(dg.ones(2, 3, 4, 4))
        ops.dropout3d(dg.ones(2, 3, 4, 4, 4))
    with pytest.raises(RuntimeError, match="feature dropout requires at least 2 dimensions"):
        ops.feature_dropout(dg.ones(5), 0.5, True)


@pytest.mark.parametrize("fn", [ops.dropout, ops.dropout1d, ops.dropout2d, ops.dropout3d,
                                ops.alpha_dropout, ops.feature_alpha_dropout])
def test_probability_checked_before_anything(fn):
    x = dg.ones(2, 3, 4, 4)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            fn(x, p, True)
    np.testing.assert_array_equal(x.numpy(), 1)


@pytest.mark.parametrize("fn, feature", [(ops.alpha_dropout, False), (ops.feature_alpha_dropout, True)])
def test_alpha_dropout_keeps_mean_and_variance(fn, feature):
    dg.manual_seed(3)
    x = dg.randn(400, 300, 4) if feature else dg.randn(600, 800)
    for p in (0.1, 0.5):
        y = fn(x, p, training=True).numpy()
        assert abs(y.mean()) < 0.02 and abs(y.var() - 1) < 0.03
    # the affine map: kept units a x + b, dropped units the constant a (-alpha) + b
    p = 0.2
    a = 1 / np.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    b = ALPHA * a * p
    y = fn(x, p, training=True).numpy()
    kept = np.isclose(y, a * x.numpy() + b, rtol=1e-5, atol=1e-6)
    dropped = np.isclose(y, -ALPHA * a + b, rtol=1e-5)
    if feature:                                   # whole channels, one way or the other
        kept, dropped = kept.all(-1), dropped.all(-1)
    assert np.all(kept | dropped) and abs(dropped.mean() - p) < 0.02


def test_alpha_dropout_gradient_and_defaults():
    dg.manual_seed(4)
    x = dg.randn(50, 6, dtype=dg.float64, requires_grad=True)
    y = ops.alpha_dropout(x, 0.3, True)
    y.sum().backward()
    p = 0.3
    a = 1 / np.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    g = x.grad.numpy()
    assert set(np.round(np.unique(g), 12)) <= {0.0, round(a, 12)}
    # training defaults to False for the alpha forms, True for dropout*
    z = dg.randn(3, 4)
    assert ops.alpha_dropout(z, 0.5) is z and ops.feature_alpha_dropout(z, 0.5) is z
    assert not np.array_equal(ops.dropout(dg.ones(1000), 0.5).numpy(), np.ones(1000))


def test_edge_probabilities_and_empty_input():
    x = dg.randn(3, 4, 5, requires_grad=True)
    for fn in (ops.dropout, ops.dropout1d, ops.alpha_dropout, ops.feature_alpha_dropout):
        assert fn(x, 0.0, True) is x
        np.testing.assert_array_equal(fn(x, 1.0, True).numpy(), 0)
    e = dg.zeros(0, 3, 4)
    assert ops.dropout1d(e, 0.5).shape == (0, 3, 4)


def test_torch_level_forms_and_inplace():
    dg.manual_seed(5)
    for name in ("dropout", "dropout_", "feature_dropout", "feature_dropout_", "alpha_dropout",
                 "alpha_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_"):
        assert getattr(dg, name) is getattr(ops, name)
    for name in ("dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"):
        assert getattr(F, name) is getattr(ops, name)
    x = dg.ones(200, 30)
    assert dg.dropout(x, 0.5, False) is x
    y = ops.dropout_(x, 0.5, True)
    assert y is x and set(np.unique(x.numpy())) == {0.0, 2.0}
    x = dg.ones(200, 30, 2)
    ops.feature_dropout_(x, 0.5, True)
    v = x.numpy()
    assert np.all((v[..., 0] == v[..., 1])) and set(np.unique(v)) == {0.0, 2.0}
    x = dg.randn(100, 50)
    assert ops.alpha_dropout_(x, 0.5, True) is x
    assert ops.feature_alpha_dropout_(dg.randn(10, 5, 3), 0.5, True).shape == (10, 5, 3)
    # recorded tensors: the explicit forms refuse, inplace=True returns the recorded result
    leaf = dg.randn(4, 5, 6, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        ops.dropout_(leaf * 1.0, 0.5, True)
    mid = leaf * 1.0
    before = mid.numpy().copy()
    out = ops.dropout1d(mid, 0.5, True, inplace=True)
    assert out is not mid and out.requires_grad
    np.testing.assert_array_equal(mid.numpy(), before)
    z = dg.ones(3, 50)
    assert ops.dropout1d(z, 0.5, True, inplace=True) is z


def test_modules():
    m = nn.Dropout2d(0.3)
    assert repr(m) == "Dropout2d(p=0.3, inplace=False)" and m.state_dict() == {}
    x = dg.randn(2, 3, 4, 4)
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), x.numpy())
    m.train()
    assert m(x).shape == x.shape
    for cls in (nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout):
        with pytest.raises(ValueError, match="between 0 and 1"):
            cls(1.2)
        assert cls(0.2, inplace=True).inplace
    a = nn.AlphaDropout(0.2)
    dg.manual_seed(0)
    y = a(dg.randn(500, 400)).numpy()
    assert abs(y.var() - 1) < 0.03
    a.eval()
    z = dg.randn(3, 4)
    np.testing.assert_array_equal(a(z).numpy(), z.numpy())
