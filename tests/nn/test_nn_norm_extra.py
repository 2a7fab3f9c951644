"""InstanceNorm1d/2d/3d, RMSNorm, LocalResponseNorm, CrossMapLRN2d and the ``bias``
keyword of the other norm layers: PyTorch's parameters, buffers, state_dict keys, reprs,
outputs and gradients (float64), train/eval behaviour and bad input."""
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn import functional as F


def _compare(d, t, x, steps=1):
    torch = pytest.importorskip("torch")
    for _ in range(steps):
        tx = torch.tensor(x, requires_grad=True)
        dx = dg.tensor(x, requires_grad=True)
        ty, dy = t(tx), d(dx)
        g = np.random.default_rng(9).standard_normal(dy.shape)
        ty.backward(torch.tensor(g))
        dy.backward(dg.tensor(g))
        np.testing.assert_allclose(dy.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-11)
    for (name, p), (_, tp) in zip(d.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-10,
                                   err_msg=name)
    for (name, b), (_, tb) in zip(d.named_buffers(), t.named_buffers()):
        np.testing.assert_allclose(b.numpy(), tb.numpy(), rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("n,kwargs", [
    (1, {}), (2, dict(affine=True)), (3, dict(track_running_stats=True)),
    (1, dict(affine=True, track_running_stats=True, momentum=0.3)),
    (2, dict(affine=True, bias=False, eps=1e-3)), (2, dict(track_running_stats=True, momentum=None)),
])
def test_instance_norm_layers_match_torch(n, kwargs):
    torch = pytest.importorskip("torch")
    name = f"InstanceNorm{n}d"
    t = getattr(torch.nn, name)(3, **kwargs).double()
    d = getattr(nn, name)(3, **kwargs).double()
    assert list(d.state_dict()) == list(t.state_dict())
    assert repr(d) == repr(t)
    x = np.random.default_rng(0).standard_normal((2, 3) + (5, 4, 3)[:n])
    _compare(d, t, x, steps=2)
    d.eval(), t.eval()
    _compare(d, t, x)
    _compare(d, t, x[0])                    # unbatched


def test_instance_norm_defaults_and_warning():
    m = nn.InstanceNorm2d(4)
    assert m.weight is None and m.bias is None and m.running_mean is None
    assert list(m.state_dict()) == []
    m = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    assert [k for k in m.state_dict()] == ["weight", "bias", "running_mean", "running_var",
                                           "num_batches_tracked"]
    np.testing.assert_array_equal(m.weight.numpy(), 1)
    with pytest.warns(UserWarning, match="InstanceNorm1d: input's size at dim=1 does not match "
                                         "num_features"):
        nn.InstanceNorm1d(3)(dg.randn(2, 4, 5))
    with pytest.raises(ValueError, match=r"InstanceNorm1d: expected input's size at dim=1 to "
                                         r"match num_features \(3\), received shape \(2, 4, 5\)"):
        nn.InstanceNorm1d(3, affine=True)(dg.randn(2, 4, 5))
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3D or 4D input \(C, H, W\) or "
                                         r"\(N, C, H, W\), received 2D input"):
        nn.InstanceNorm2d(3)(dg.randn(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nn.InstanceNorm3d(2)(dg.randn(2, 3, 3, 3)).shape == (2, 3, 3, 3)   # unbatched


@pytest.mark.parametrize("args,kwargs,shape", [((4,), {}, (2, 3, 4)),
                                               (((3, 4),), dict(eps=1e-3), (2, 3, 4)),
                                               ((4,), dict(elementwise_affine=False), (5, 4))])
def test_rms_norm_layer_matches_torch(args, kwargs, shape):
    torch = pytest.importorskip("torch")
    t, d = torch.nn.RMSNorm(*args, **kwargs).double(), nn.RMSNorm(*args, **kwargs).double()
    assert list(d.state_dict()) == list(t.state_dict())
    assert repr(d) == repr(t)
    if d.weight is not None:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
        d.load_state_dict(t.state_dict())
    _compare(d, t, np.random.default_rng(1).standard_normal(shape))


def test_rms_norm_layer_init_and_dtype():
    m = nn.RMSNorm((2, 3))
    assert m.weight.shape == (2, 3) and m.weight.dtype == np.float32 and m.eps is None
    np.testing.assert_array_equal(m.weight.numpy(), 1)
    assert nn.RMSNorm(3, dtype=dg.float64).weight.dtype == np.float64
    with pytest.raises(ValueError, match=r"rms_norm: expected input of shape \(\*, 2, 3\)"):
        m(dg.randn(3, 2))


@pytest.mark.parametrize("name,args,shape", [
    ("LocalResponseNorm", (3,), (2, 5, 4)), ("LocalResponseNorm", (2, 0.01, 0.5, 2.0), (1, 4, 3, 3)),
    ("LocalResponseNorm", (4,), (1, 6, 2, 2, 2)),
])
def test_local_response_norm_layer_matches_torch(name, args, shape):
    torch = pytest.importorskip("torch")
    t, d = getattr(torch.nn, name)(*args), getattr(nn, name)(*args)
    assert repr(d) == repr(t)
    _compare(d, t, np.random.default_rng(2).standard_normal(shape))


def test_cross_map_lrn2d_layer():
    m = nn.CrossMapLRN2d(3, alpha=0.5)
    x = dg.randn(2, 5, 2, 2, dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(m, (x,))
    with pytest.raises(ValueError, match=r"CrossMapLRN2d: expected a 4-D input"):
        m(dg.randn(2, 5, 2))
    torch = pytest.importorskip("torch")
    t = torch.nn.CrossMapLRN2d(3, alpha=0.5)
    assert repr(m) == repr(t)
    np.testing.assert_allclose(m(x).numpy(), t(torch.tensor(x.numpy())).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name,args", [("BatchNorm2d", (3,)), ("GroupNorm", (1, 3)),
                                       ("LayerNorm", ((3, 4, 4),))])
def test_bias_keyword_of_the_norm_layers(name, args):
    torch = pytest.importorskip("torch")
    t, d = getattr(torch.nn, name)(*args, bias=False).double(), \
        getattr(nn, name)(*args, bias=False).double()
    assert d.bias is None and list(d.state_dict()) == list(t.state_dict())
    assert repr(d) == repr(t) and repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    _compare(d, t, np.random.default_rng(3).standard_normal((2, 3, 4, 4)))


@pytest.mark.parametrize("make", [
    lambda d: nn.Conv3d(2, 2, 3, device=d), lambda d: nn.ConvTranspose1d(2, 2, 3, device=d),
    lambda d: nn.InstanceNorm2d(3, device=d), lambda d: nn.BatchNorm1d(3, device=d),
    lambda d: nn.LayerNorm(3, device=d), lambda d: nn.GroupNorm(1, 3, device=d),
    lambda d: nn.RMSNorm(3, device=d), lambda d: nn.Embedding(4, 2, device=d),
    lambda d: nn.EmbeddingBag(4, 2, device=d),
])
def test_layers_take_the_cpu_device_and_refuse_others(make):
    assert make("cpu") is not None and make(dg.device("cpu")) is not None
    with pytest.raises(RuntimeError, match="deepgrad has no device 'cuda'.*the devices that "
                                           "exist are: 'cpu'"):
        make("cuda")


def test_norm_layers_without_torch():
    x = dg.randn(2, 3, 4, 5, dtype=dg.float64)
    m = nn.InstanceNorm2d(3, affine=True, track_running_stats=True).double()
    np.testing.assert_allclose(m(x).numpy(), F.instance_norm(x, weight=m.weight,
                                                             bias=m.bias).numpy(), rtol=1e-12)
    assert not np.allclose(m.running_mean.numpy(), 0)          # tracked in training
    m.eval()
    np.testing.assert_allclose(
        m(x).numpy(), F.instance_norm(x, m.running_mean, m.running_var, m.weight, m.bias,
                                      use_input_stats=False).numpy(), rtol=1e-12)
    r = nn.RMSNorm(5, eps=1e-3).double()
    np.testing.assert_allclose(r(x).numpy(), F.rms_norm(x, (5,), r.weight, 1e-3).numpy(),
                               rtol=1e-12)
    lrn = nn.LocalResponseNorm(2, 0.1, 0.5, 2.0)
    np.testing.assert_allclose(lrn(x).numpy(), F.local_response_norm(x, 2, 0.1, 0.5, 2.0).numpy(),
                               rtol=1e-12)
    assert repr(nn.InstanceNorm1d(3)) == ("InstanceNorm1d(3, eps=1e-05, momentum=0.1, "
                                          "affine=False, bias=False, track_running_stats=False)")
    assert repr(nn.RMSNorm(4)) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
