"""The padding layers (1-, 2-, 3-D, every mode) and Upsample on 5-D input: PyTorch parity
of outputs, gradients and reprs; bad input."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn

PAD_LAYERS = [
    ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 0.5), (1, 2, 2, 3, 2)),
    ("ConstantPad3d", (1, -1.0), (2, 2, 3, 2)), ("ZeroPad3d", ((0, 1, 1, 0, 2, 1),), (1, 1, 2, 2, 3)),
    ("ZeroPad3d", (1,), (2, 2, 2, 2)),
    ("ReflectionPad3d", ((1, 0, 2, 1, 0, 1),), (1, 2, 3, 4, 2)), ("ReflectionPad3d", (1,), (2, 3, 3, 3)),
    ("ReplicationPad3d", ((2, 0, 1, 3, 1, 1),), (1, 2, 2, 3, 2)), ("ReplicationPad3d", (1,), (2, 2, 2, 2)),
    ("CircularPad1d", ((2, 1),), (2, 3, 4)), ("CircularPad1d", (1,), (3, 4)),
    ("CircularPad2d", ((1, 2, 0, 1),), (1, 2, 3, 3)), ("CircularPad2d", (1,), (2, 3, 3)),
    ("CircularPad3d", ((1, 0, 2, 1, 1, 1),), (1, 2, 2, 3, 2)), ("CircularPad3d", (1,), (2, 2, 3, 2)),
    ("ConstantPad2d", ((1, 1, 0, 2), 3.0), (4, 5)),
]


@pytest.mark.parametrize("name,args,shape", PAD_LAYERS)
def test_padding_layers_match_torch(name, args, shape):
    torch = pytest.importorskip("torch")
    layer, tlayer = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(layer) == repr(tlayer)
    x = np.random.default_rng(0).standard_normal(shape)
    dx, tx = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = layer(dx), tlayer(tx)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(dg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_padding_layers_values_and_gradcheck_without_torch():
    x = dg.tensor(np.arange(6.0).reshape(1, 1, 2, 3), requires_grad=True)
    y = nn.CircularPad2d((1, 0, 0, 1))(x)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[2, 0, 1, 2], [5, 3, 4, 5], [2, 0, 1, 2]])
    for layer in (nn.ReflectionPad3d(1), nn.ReplicationPad3d((1, 0, 0, 1, 1, 0)),
                  nn.CircularPad3d(1), nn.ZeroPad3d(1), nn.ConstantPad3d(1, 2.0)):
        x3 = dg.randn(1, 2, 2, 3, 2, dtype=dg.float64, requires_grad=True)
        assert dg.gradcheck(layer, (x3,))
    assert nn.ZeroPad3d(1).value == 0.0


def test_padding_layer_errors():
    with pytest.raises(ValueError, match=r"ZeroPad3d: padding must be an int or a 6-tuple, "
                                         r"received \(1, 2\)"):
        nn.ZeroPad3d((1, 2))
    with pytest.raises(ValueError, match=r"CircularPad3d: expected 4D or 5D input, received "
                                         r"shape \(3, 4, 5\)"):
        nn.CircularPad3d(1)(dg.randn(3, 4, 5))
    with pytest.raises(ValueError, match=r"ReflectionPad3d: expected 4D or 5D input"):
        nn.ReflectionPad3d(1)(dg.randn(1, 1, 1, 3, 4, 5))
    with pytest.raises(ValueError, match="pad: .*'circular'.*pads <= m"):
        nn.CircularPad1d(4)(dg.randn(1, 2, 3))


@pytest.mark.parametrize("kwargs", [dict(scale_factor=2), dict(size=(3, 5, 4), mode="trilinear"),
                                    dict(scale_factor=1.5, mode="trilinear", align_corners=True),
                                    dict(size=(2, 2, 2), mode="area"),
                                    dict(scale_factor=(1.5, 1, 2), mode="nearest-exact")])
def test_upsample_5d_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    layer, tlayer = nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    assert repr(layer) == repr(tlayer)
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 3, 2))
    dx, tx = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = layer(dx), tlayer(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = np.random.default_rng(3).standard_normal(y.shape)
    y.backward(dg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_upsample_bicubic_layer_matches_torch():
    torch = pytest.importorskip("torch")
    layer = nn.Upsample(scale_factor=2, mode="bicubic", align_corners=False)
    tlayer = torch.nn.Upsample(scale_factor=2, mode="bicubic", align_corners=False)
    x = np.random.default_rng(4).standard_normal((1, 2, 3, 4))
    np.testing.assert_allclose(layer(dg.tensor(x)).numpy(), tlayer(torch.tensor(x)).numpy(),
                               rtol=1e-12)
