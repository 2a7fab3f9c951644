"""``Embedding``: a lookup table of learned vectors, one row per index (PyTorch's layer).

The lookup and its scatter-add backward live in :mod:`deepgrad.ops.embedding`.
"""
import numpy as np

from deepgrad import backend
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops.embedding import check_indices, embedding, normalize_padding_idx


class Embedding(Module):
    """y = weight[input]: each integer index picks a row of the (num_embeddings,
    embedding_dim) weight.

    Args:
        num_embeddings (int): the number of rows (valid indices are 0 .. num_embeddings-1).
        embedding_dim (int): the length of each vector.
        padding_idx (int or None): a row that is zero at init and never gets a gradient
            (negative values count from the end).
        _weight: an initial weight array (used by :meth:`from_pretrained`).
        _freeze (bool): make the weight not require grad.
        dtype: parameter dtype (float32 default).
    Shape:
        input (*) integer indices -> output (*, embedding_dim).
    Init (PyTorch's): weight ~ N(0, 1), the padding row zeroed.
    Example::

        emb = nn.Embedding(1000, 64, padding_idx=0)
        y = emb(dg.tensor([[1, 5, 0]]))             # (1, 3, 64)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are "
                                      "not supported")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = normalize_padding_idx("Embedding", padding_idx, self.num_embeddings)
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            w = np.asarray(getattr(_weight, "array", _weight))
            if w.shape != shape:
                raise ValueError(f"Embedding: _weight must have shape {shape}, received {w.shape}")
            self.weight = Parameter(w.astype(dtype if w.dtype.kind != "f" else w.dtype),
                                    requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding holding a copy of the 2-D ``embeddings``; frozen by default."""
        w = np.asarray(getattr(embeddings, "array", embeddings))
        if w.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, received "
                             f"shape {w.shape}")
        return cls(w.shape[0], w.shape[1], padding_idx, _weight=w, _freeze=freeze)

    def forward(self, input):
        check_indices("Embedding", input, self.num_embeddings)
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
