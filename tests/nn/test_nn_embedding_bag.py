"""nn.EmbeddingBag and nn.Embedding's max_norm/scale_grad_by_freq: PyTorch's parameter,
init, state_dict, repr, outputs and gradients; from_pretrained; bad input."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn import functional as F


def test_embedding_bag_init_and_state_dict():
    dg.manual_seed(0)
    bag = nn.EmbeddingBag(400, 20, padding_idx=3)
    w = bag.weight.numpy()
    assert w.shape == (400, 20) and w.dtype == np.float32 and bag.mode == "mean"
    assert abs(w.std() - 1) < 0.05 and not w[3].any()
    assert list(bag.state_dict()) == ["weight"]
    assert nn.EmbeddingBag(3, 2, dtype=dg.float64).weight.dtype == np.float64


@pytest.mark.parametrize("kwargs,fwd", [
    (dict(mode="sum"), "offsets"), (dict(mode="mean", padding_idx=2), "offsets"),
    (dict(mode="max"), "2d"), (dict(mode="sum", include_last_offset=True), "last"),
    (dict(mode="sum", padding_idx=1), "psw"),
])
def test_embedding_bag_layer_matches_torch(kwargs, fwd):
    torch = pytest.importorskip("torch")
    t = torch.nn.EmbeddingBag(7, 3, **kwargs).double()
    d = nn.EmbeddingBag(7, 3, **kwargs).double()
    d.load_state_dict(t.state_dict())
    assert repr(d) == repr(t)
    idx = np.array([1, 2, 4, 6, 4, 3, 2, 0])
    args = {"offsets": (idx, np.array([0, 3, 3, 6])), "2d": (idx.reshape(2, 4), None),
            "last": (idx, np.array([0, 3, 8])), "psw": (idx, np.array([0, 5]))}[fwd]
    a = np.random.default_rng(0).standard_normal(8) if fwd == "psw" else None
    ta = None if a is None else torch.tensor(a, requires_grad=True)
    da = None if a is None else dg.tensor(a, requires_grad=True)
    ty = t(torch.tensor(args[0]), None if args[1] is None else torch.tensor(args[1]), ta)
    dy = d(dg.tensor(args[0]), None if args[1] is None else dg.tensor(args[1]), da)
    np.testing.assert_allclose(dy.numpy(), ty.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(1).standard_normal(dy.shape)
    ty.backward(torch.tensor(g))
    dy.backward(dg.tensor(g))
    np.testing.assert_allclose(d.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-12)
    if a is not None:
        np.testing.assert_allclose(da.grad.numpy(), ta.grad.numpy(), rtol=1e-12)


def test_embedding_options_and_reprs_match_torch():
    torch = pytest.importorskip("torch")
    kw = dict(padding_idx=1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)
    assert repr(nn.Embedding(5, 3, **kw)) == repr(torch.nn.Embedding(5, 3, **kw))
    assert repr(nn.EmbeddingBag(5, 3, mode="sum", **kw)) == \
        repr(torch.nn.EmbeddingBag(5, 3, mode="sum", **kw))
    t = torch.nn.Embedding(5, 3, max_norm=1.0).double()
    d = nn.Embedding(5, 3, max_norm=1.0).double()
    d.load_state_dict(t.state_dict())
    idx = np.array([[0, 2], [2, 4]])
    with torch.no_grad():
        ty = t(torch.tensor(idx))
    np.testing.assert_allclose(d(dg.tensor(idx)).numpy(), ty.numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.weight.numpy(), t.weight.detach().numpy(), rtol=1e-12)


def test_from_pretrained():
    w = np.arange(6.0).reshape(3, 2)
    bag = nn.EmbeddingBag.from_pretrained(w, mode="sum")
    assert not bag.weight.requires_grad and bag.mode == "sum"
    np.testing.assert_array_equal(bag(dg.tensor([[0, 2]])).numpy(), [[4.0, 6.0]])
    emb = nn.Embedding.from_pretrained(w, freeze=False, max_norm=10.0)
    assert emb.weight.requires_grad and emb.max_norm == 10.0


def test_embedding_bag_layer_bad_arguments():
    with pytest.raises(ValueError, match="EmbeddingBag: mode must be one of"):
        nn.EmbeddingBag(5, 3, mode="median")
    with pytest.raises(ValueError, match="sparse tensors are out of scope"):
        nn.EmbeddingBag(5, 3, sparse=True)
    with pytest.raises(ValueError, match="sparse tensors are out of scope"):
        nn.Embedding(5, 3, sparse=True)
    with pytest.raises(ValueError, match=r"EmbeddingBag: padding_idx must be within \[-5, 4\]"):
        nn.EmbeddingBag(5, 3, padding_idx=5)


def test_embedding_bag_layer_without_torch():
    bag = nn.EmbeddingBag(6, 3, mode="max", padding_idx=0).double()
    idx, off = dg.tensor([1, 0, 4, 5, 2]), dg.tensor([0, 2])
    w = bag.weight.numpy()
    np.testing.assert_array_equal(bag(idx, off).numpy(),
                                  np.stack([w[1], np.maximum.reduce(w[[4, 5, 2]])]))
    assert repr(bag) == "EmbeddingBag(6, 3, mode='max', padding_idx=0)"
    s = nn.EmbeddingBag(6, 3, mode="sum").double()
    a = dg.tensor(np.arange(5.0), requires_grad=True)
    assert dg.gradcheck(lambda ww, aa: F.embedding_bag(idx, ww, off, mode="sum",
                                                       per_sample_weights=aa), (s.weight, a))
