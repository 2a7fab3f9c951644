"""Embedding lookup: rows of a weight matrix picked by integer indices.

    y[i...] = W[idx[i...]]            dL/dW[k] = sum over positions with idx = k of g

The backward is a scatter-add: a row picked several times collects the sum of its
gradients. The row ``padding_idx`` gets no gradient (it stays fixed, zero by default).
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor


class Embedding(Function):
    def forward(self, weight, index=None, padding_idx=None):
        self.index, self.shape, self.padding_idx = index, weight.shape, padding_idx
        return weight[index]

    def backward(self, g):
        gw = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(gw, self.index.reshape(-1), g.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw


def check_indices(name, input, num_embeddings):
    """The index array of ``input``, after checking its dtype and range.

    Raises:
        TypeError: indices of a non-integer dtype.
        IndexError: an index outside [0, num_embeddings - 1], naming the first offender.
    """
    idx = input.array if isinstance(input, _fn._Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must have an integer dtype (int64 or int32), "
                        f"received {idx.dtype}; cast them with .long()")
    bad = (idx < 0) | (idx >= num_embeddings)
    if bad.any():
        raise IndexError(f"{name}: index {int(idx[bad].flat[0])} is out of range: indices must "
                         f"be in [0, {num_embeddings - 1}] for num_embeddings={num_embeddings}")
    return idx


def normalize_padding_idx(name, padding_idx, num_embeddings):
    """Map a negative ``padding_idx`` to its row (PyTorch's rule) and check the range."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{name}: padding_idx must be within [{-num_embeddings}, "
                         f"{num_embeddings - 1}] for num_embeddings={num_embeddings}, "
                         f"received {padding_idx}")
    return int(padding_idx) % num_embeddings


def embedding(input, weight, padding_idx=None):
    """Look up rows of ``weight``: y = weight[input].

    Args:
        input: integer indices of any shape (*), each in [0, num_embeddings - 1].
        weight: (num_embeddings, embedding_dim) float tensor.
        padding_idx (int or None): a row that receives no gradient.
    Returns:
        Tensor of shape (*, embedding_dim), weight's dtype.
    Backward: dL/dW[k] = sum of g over the positions holding k (np.add.at), 0 at padding_idx.
    Example:
        >>> embedding(tensor([[0, 2], [2, 1]]), W).shape    # W (10, 4)
        (2, 2, 4)
    """
    w = to_tensor(weight)
    if w.ndim != 2:
        raise ValueError(f"embedding: weight must have shape (num_embeddings, embedding_dim), "
                         f"received {tuple(w.shape)}")
    idx = check_indices("embedding", input, w.shape[0])
    pad = normalize_padding_idx("embedding", padding_idx, w.shape[0])
    return Embedding.apply(w, index=idx, padding_idx=pad)
