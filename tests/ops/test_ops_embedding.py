"""Embedding lookup: forward vs indexing, scatter-add gradient, padding_idx, errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.ops.embedding import embedding
from op_harness import check_op

IDX = np.array([[0, 2, 4], [2, 2, 1]])      # index 2 repeated: its gradient accumulates


def torch_embedding(idx, padding_idx=None):
    def fn(w):
        torch = pytest.importorskip("torch")
        return torch.nn.functional.embedding(torch.tensor(idx), w, padding_idx=padding_idx)
    return fn


@pytest.mark.parametrize("idx", [IDX, np.array(3), np.array([1]), np.array([[[0], [4]]])],
                         ids=["2d-repeated", "scalar", "1d", "3d"])
def test_embedding_forward_and_gradcheck(idx):
    check_op(lambda w: embedding(idx, w), lambda w: w[idx], [(5, 3)],
             torch_fn=torch_embedding(idx))


def test_embedding_gradient_accumulates_at_repeated_indices():
    w = dg.randn(5, 3, dtype=dg.float64, requires_grad=True)
    g = np.random.default_rng(0).standard_normal((2, 3, 3))
    embedding(dg.tensor(IDX), w).backward(g)
    expected = np.zeros((5, 3))
    np.add.at(expected, IDX.ravel(), g.reshape(-1, 3))
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy()[2], g[0, 1] + g[1, 0] + g[1, 1], rtol=1e-12)
    assert not w.grad.numpy()[3].any()


@pytest.mark.parametrize("padding_idx", [2, -3])
def test_embedding_padding_row_gets_no_gradient(padding_idx):
    # not the true derivative at the padding row, so no gradcheck; torch compares gradients
    check_op(lambda w: embedding(IDX, w, padding_idx=padding_idx), lambda w: w[IDX], [(5, 3)],
             grad=False, torch_fn=torch_embedding(IDX, padding_idx))
    w = dg.randn(5, 3, requires_grad=True)
    embedding(IDX, w, padding_idx=padding_idx).sum().backward()
    assert not w.grad.numpy()[2].any() and w.grad.numpy()[0].all()
    assert w.grad.dtype == np.float32


def test_embedding_errors():
    w = dg.randn(5, 3)
    with pytest.raises(IndexError, match=r"embedding: index 7 is out of range.*\[0, 4\].*num_embeddings=5"):
        embedding(dg.tensor([1, 7]), w)
    with pytest.raises(IndexError, match="embedding: index -1 is out of range"):
        embedding(dg.tensor([-1, 0]), w)
    with pytest.raises(TypeError, match="embedding: indices must have an integer dtype.*float32"):
        embedding(dg.tensor([1.0, 2.0]), w)
    with pytest.raises(ValueError, match=r"embedding: weight must have shape \(num_embeddings, embedding_dim\)"):
        embedding(dg.tensor([1]), dg.randn(5))
    with pytest.raises(ValueError, match="embedding: padding_idx must be within"):
        embedding(dg.tensor([1]), w, padding_idx=5)
