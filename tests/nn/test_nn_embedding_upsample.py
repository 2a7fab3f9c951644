"""Embedding, Upsample and the padding layers: init, PyTorch parity, state_dict, errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.nn.embedding import Embedding
from deepgrad import nn as up


# ----------------------------------------------------------------- Embedding
def test_embedding_init_is_standard_normal_with_zero_padding_row():
    dg.manual_seed(0)
    emb = Embedding(400, 50, padding_idx=3)
    w = emb.weight.numpy()
    assert w.dtype == np.float32 and w.shape == (400, 50) and emb.weight.requires_grad
    assert not w[3].any()
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02
    assert Embedding(10, 2, padding_idx=-1).padding_idx == 9


def test_embedding_matches_torch_forward_backward_and_state_dict():
    torch = pytest.importorskip("torch")
    temb = torch.nn.Embedding(7, 4, padding_idx=1).double()
    emb = Embedding(7, 4, padding_idx=1).double()
    assert list(emb.state_dict()) == list(temb.state_dict()) == ["weight"]
    emb.load_state_dict(temb.state_dict())
    idx = np.array([[1, 3, 3, 6], [0, 1, 3, 2]])
    g = np.random.default_rng(0).standard_normal((2, 4, 4))
    y, ty = emb(dg.tensor(idx)), temb(torch.tensor(idx))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(emb.weight.grad.numpy(), temb.weight.grad.numpy(), rtol=1e-12)
    assert not emb.weight.grad.numpy()[1].any()


def test_embedding_gradcheck_and_from_pretrained():
    emb = Embedding(5, 3).double()
    idx = dg.tensor([[0, 4], [4, 2]])
    assert dg.gradcheck(lambda w: emb(idx), (emb.weight,))
    table = np.arange(12.0).reshape(4, 3)
    frozen = Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen.weight.dtype == np.float64
    np.testing.assert_array_equal(frozen(dg.tensor([3, 0])).numpy(), table[[3, 0]])
    table[0, 0] = 99.0                  # a copy, not a view of the caller's array
    assert frozen.weight.numpy()[0, 0] == 0.0


def test_embedding_errors_name_layer_range_and_value():
    emb = Embedding(10, 3)
    with pytest.raises(IndexError, match=r"Embedding: index 12 is out of range.*\[0, 9\].*num_embeddings=10"):
        emb(dg.tensor([[1, 12], [3, 4]]))
    with pytest.raises(IndexError, match="Embedding: index -2 is out of range"):
        emb(np.array([-2]))
    with pytest.raises(TypeError, match="Embedding: indices must have an integer dtype.*float32"):
        emb(dg.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"Embedding: padding_idx must be within \[-10, 9\]"):
        Embedding(10, 3, padding_idx=10)


# ----------------------------------------------------------------- Upsample
@pytest.mark.parametrize("kwargs, shape", [
    (dict(scale_factor=2), (2, 3, 4, 5)),
    (dict(size=(7, 3), mode="bilinear"), (1, 2, 4, 5)),
    (dict(scale_factor=1.5, mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    (dict(size=9, mode="linear"), (2, 2, 4)),
    (dict(scale_factor=(0.5, 2.5), mode="nearest-exact"), (1, 1, 5, 3)),
])
def test_upsample_matches_torch(kwargs, shape):
    torch = pytest.importorskip("torch")
    layer, tlayer = up.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    x = np.random.default_rng(0).standard_normal(shape)
    dx, tx = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = layer(dx), tlayer(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert dg.gradcheck(layer, (dg.tensor(x[:1, :1], requires_grad=True),))


def test_upsampling_aliases_and_errors():
    x = dg.randn(1, 1, 2, 3)
    assert up.UpsamplingNearest2d(scale_factor=2)(x).shape == (1, 1, 4, 6)
    assert up.UpsamplingBilinear2d(size=(3, 3)).align_corners is True
    with pytest.raises(ValueError, match=r"Upsample: expected 3D \(N, C, L\), 4D \(N, C, H, W\) or 5D \(N, C, D, H, W\) input, received shape \(2, 3\)"):
        up.Upsample(scale_factor=2)(dg.randn(2, 3))


# ----------------------------------------------------------------- padding layers
@pytest.mark.parametrize("name, args, shape", [
    ("ZeroPad2d", (1,), (1, 2, 3, 4)), ("ZeroPad2d", ((1, 0, 2, 1),), (2, 3, 4)),
    ("ConstantPad2d", ((0, 2, 1, 1), 0.5), (1, 2, 3, 3)), ("ConstantPad1d", (2, -1.0), (2, 3, 4)),
    ("ReflectionPad2d", ((2, 1, 0, 2),), (1, 2, 3, 4)), ("ReflectionPad1d", (2,), (1, 2, 4)),
    ("ReplicationPad2d", (2,), (1, 1, 2, 3)), ("ReplicationPad1d", ((0, 3),), (2, 3)),
    ("ZeroPad1d", ((1, 2),), (1, 2, 3)),
])
def test_padding_layers_match_torch(name, args, shape):
    torch = pytest.importorskip("torch")
    layer, tlayer = getattr(up, name)(*args), getattr(torch.nn, name)(*args)
    x = np.random.default_rng(0).standard_normal(shape)
    dx, tx = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = layer(dx), tlayer(tx)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_padding_layer_errors():
    with pytest.raises(ValueError, match=r"ZeroPad2d: padding must be an int or a 4-tuple, received \(1, 2\)"):
        up.ZeroPad2d((1, 2))
    with pytest.raises(ValueError, match=r"ReflectionPad2d: expected 3D or 4D input, received shape \(4, 5\)"):
        up.ReflectionPad2d(1)(dg.randn(4, 5))
    with pytest.raises(ValueError, match="pad: .*'reflect'.*pads < m"):
        up.ReflectionPad2d(3)(dg.randn(1, 1, 3, 3))
