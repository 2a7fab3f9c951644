"""Normalisation layers: parameters and buffers, train/eval behaviour, PyTorch parity
(outputs, gradients, running statistics, state_dict), clear errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm


def _pair(dg_layer, torch_layer):
    """Both layers in float64 with the same (random) parameters, loaded from torch."""
    torch = pytest.importorskip("torch")
    torch_layer = torch_layer.double()
    with torch.no_grad():
        for p in torch_layer.parameters():
            p.copy_(torch.randn_like(p))
    dg_layer.double().load_state_dict(torch_layer.state_dict())
    return dg_layer, torch_layer


def _steps(layer, tlayer, shapes, train=True, lr=0.1):
    """A few forward/backward/SGD steps; outputs, input and parameter gradients, buffers
    must match torch after each."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    layer.train(train), tlayer.train(train)
    for shape in shapes:
        x = rng.standard_normal(shape) * 3 + 1
        g = rng.standard_normal(shape)
        dx, tx = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = layer(dx), tlayer(tx)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-9, atol=1e-12)
        y.backward(g)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)
        tparams = dict(tlayer.named_parameters())
        for name, p in layer.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-8,
                                       atol=1e-10, err_msg=name)
            p.array -= lr * p.grad.array
            p.grad = None
        with torch.no_grad():
            for p in tlayer.parameters():
                p -= lr * p.grad
                p.grad = None
        tbuffers = dict(tlayer.named_buffers())
        for name, b in layer.named_buffers():
            np.testing.assert_allclose(b.numpy(), tbuffers[name].numpy(), rtol=1e-12, err_msg=name)


# ----------------------------------------------------------------- BatchNorm
@pytest.mark.parametrize("cls, tname, shapes", [
    (BatchNorm1d, "BatchNorm1d", [(4, 3), (5, 3), (2, 3)]),
    (BatchNorm1d, "BatchNorm1d", [(3, 3, 5), (1, 3, 4), (2, 3, 1)]),
    (BatchNorm2d, "BatchNorm2d", [(2, 3, 4, 5), (1, 3, 3, 3), (3, 3, 1, 2)]),
    (BatchNorm3d, "BatchNorm3d", [(2, 3, 2, 2, 3)]),
])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_train_then_eval_matches_torch(cls, tname, shapes, momentum):
    torch = pytest.importorskip("torch")
    layer, tlayer = _pair(cls(3, momentum=momentum), getattr(torch.nn, tname)(3, momentum=momentum))
    _steps(layer, tlayer, shapes, train=True)
    assert int(layer.num_batches_tracked.item()) == len(shapes)
    _steps(layer, tlayer, shapes[:1], train=False)


@pytest.mark.parametrize("kwargs", [dict(affine=False), dict(track_running_stats=False),
                                    dict(affine=False, track_running_stats=False, eps=1e-3)])
def test_batchnorm_options_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    layer, tlayer = _pair(BatchNorm2d(2, **kwargs), torch.nn.BatchNorm2d(2, **kwargs))
    assert list(layer.state_dict()) == list(tlayer.state_dict())
    _steps(layer, tlayer, [(2, 2, 3, 3), (3, 2, 1, 2)], train=True)
    _steps(layer, tlayer, [(2, 2, 3, 3)], train=False)   # no running stats: batch statistics


def test_batchnorm_parameters_buffers_and_state_dict_like_torch():
    torch = pytest.importorskip("torch")
    bn, tbn = BatchNorm1d(4), torch.nn.BatchNorm1d(4)
    sd, tsd = bn.state_dict(), tbn.state_dict()
    assert list(sd) == list(tsd) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert bn.num_batches_tracked.dtype == np.int64 and bn.running_var.dtype == np.float32
    np.testing.assert_array_equal(bn.weight.numpy(), 1)
    np.testing.assert_array_equal(bn.bias.numpy(), 0)
    tbn.train()(torch.randn(8, 4) * 2 + 3)      # non-trivial running stats
    bn.load_state_dict(tbn.state_dict())
    np.testing.assert_allclose(bn.running_mean.numpy(), tbn.running_mean.numpy(), rtol=1e-6)
    assert int(bn.num_batches_tracked.item()) == 1
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(bn.eval()(dg.tensor(x)).numpy(),
                               tbn.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_batchnorm_eval_is_affine_map_with_running_stats_and_gradchecks():
    bn = BatchNorm2d(3).double()
    bn.running_mean.array[...] = [0.5, -1.0, 2.0]
    bn.running_var.array[...] = [1.5, 0.5, 4.0]
    bn.weight.array[...] = [1.0, 2.0, -0.5]
    bn.eval()
    x = dg.randn(2, 3, 2, 2, dtype=dg.float64, requires_grad=True)
    s = (1, 3, 1, 1)
    ref = ((x.numpy() - bn.running_mean.numpy().reshape(s)) / np.sqrt(bn.running_var.numpy().reshape(s) + 1e-5)
           * bn.weight.numpy().reshape(s))
    np.testing.assert_allclose(bn(x).numpy(), ref, rtol=1e-12)
    assert dg.gradcheck(lambda x, w, b: bn(x), (x, bn.weight, bn.bias))
    bn.train()
    assert dg.gradcheck(lambda x, w, b: bn(x), (x, bn.weight, bn.bias))


def test_batchnorm_float32_stays_float32():
    bn = BatchNorm1d(3)
    x = dg.randn(4, 3, 2, requires_grad=True)
    y = bn(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == bn.weight.grad.dtype == bn.running_mean.dtype == np.float32


def test_batchnorm_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected input with 3 channels .*received shape \(2, 4, 5, 5\)"):
        BatchNorm2d(3)(dg.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(N, C, H, W\), received 3D input of shape \(2, 3, 5\)"):
        BatchNorm2d(3)(dg.randn(2, 3, 5))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input .*received 4D"):
        BatchNorm1d(3)(dg.randn(2, 3, 5, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm1d(3)(dg.randn(1, 3))


# ----------------------------------------------------------------- LayerNorm, GroupNorm
@pytest.mark.parametrize("shape, normalized", [((4, 6), 6), ((2, 3, 4), (3, 4)), ((1, 5), (5,))])
def test_layernorm_matches_torch(shape, normalized):
    torch = pytest.importorskip("torch")
    layer, tlayer = _pair(LayerNorm(normalized), torch.nn.LayerNorm(normalized))
    assert list(layer.state_dict()) == list(tlayer.state_dict()) == ["weight", "bias"]
    _steps(layer, tlayer, [shape, shape])


def test_layernorm_options_and_errors():
    torch = pytest.importorskip("torch")
    for kwargs in (dict(elementwise_affine=False), dict(bias=False)):
        layer, tlayer = _pair(LayerNorm(4, **kwargs), torch.nn.LayerNorm(4, **kwargs))
        assert list(layer.state_dict()) == list(tlayer.state_dict())
        _steps(layer, tlayer, [(3, 4)])
    with pytest.raises(ValueError, match=r"LayerNorm: expected input of shape \(\*, 3, 4\).*received \(2, 4, 3\)"):
        LayerNorm((3, 4))(dg.randn(2, 4, 3))


@pytest.mark.parametrize("shape", [(2, 6, 3), (1, 6, 2, 2), (3, 6)])
def test_groupnorm_matches_torch(shape):
    torch = pytest.importorskip("torch")
    layer, tlayer = _pair(GroupNorm(3, 6), torch.nn.GroupNorm(3, 6))
    assert list(layer.state_dict()) == list(tlayer.state_dict()) == ["weight", "bias"]
    _steps(layer, tlayer, [shape, shape])


def test_groupnorm_gradcheck_and_errors():
    gn = GroupNorm(2, 4, affine=False).double()
    assert list(gn.state_dict()) == []
    x = dg.randn(2, 4, 3, dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(gn, (x,))
    with pytest.raises(ValueError, match="GroupNorm: num_channels must be divisible by num_groups"):
        GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"GroupNorm: expected input of shape \(N, 4, \*\), received \(2, 5, 3\)"):
        GroupNorm(2, 4)(dg.randn(2, 5, 3))
