"""``Embedding`` and ``EmbeddingBag``: lookup tables of learned vectors (PyTorch's layers).

The lookup, the bag reductions and their scatter-add backward live in
:mod:`deepgrad.ops.embedding`.
"""
import numpy as np

from deepgrad import backend
from deepgrad.device import check_device
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops.embedding import (
    _check_sparse, check_indices, embedding, embedding_bag, normalize_padding_idx)


class _Table(Module):
    """The (num_embeddings, embedding_dim) weight both layers share: init N(0, 1) with
    the padding row zeroed, or a given ``_weight``; ``_freeze`` turns off its gradient."""

    def _make_weight(self, num_embeddings, embedding_dim, padding_idx, _weight, _freeze,
                     dtype):
        name = type(self).__name__
        for arg, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name}: {arg} must be a non-negative int, received {value!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = normalize_padding_idx(name, padding_idx, self.num_embeddings)
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            w = np.asarray(getattr(_weight, "array", _weight))
            if w.shape != shape:
                raise ValueError(f"{name}: _weight must have shape {shape}, received {w.shape}")
            self.weight = Parameter(w.astype(dtype if w.dtype.kind != "f" else w.dtype),
                                    requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def _repr_options(self):
        s = ""
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return s


def _pretrained(name, embeddings):
    w = np.asarray(getattr(embeddings, "array", embeddings))
    if w.ndim != 2:
        raise ValueError(f"{name}.from_pretrained: embeddings must be 2-D, received shape "
                         f"{w.shape}")
    return w


class Embedding(_Table):
    """y = weight[input]: each integer index picks a row of the (num_embeddings,
    embedding_dim) weight.

    Args:
        num_embeddings (int): the number of rows (valid indices are 0 .. num_embeddings-1).
        embedding_dim (int): the length of each vector.
        padding_idx (int or None): a row that is zero at init and never gets a gradient
            (negative values count from the end).
        max_norm (float or None): rows looked up are renormalised in place to this norm.
        norm_type (float): the p of max_norm's p-norm.
        scale_grad_by_freq (bool): divide each row's gradient by its count in the batch.
        sparse (bool): must be False (sparse gradients are out of scope).
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
        check_device(device, "Embedding")
        _check_sparse("Embedding", sparse)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self._make_weight(num_embeddings, embedding_dim, padding_idx, _weight, _freeze, dtype)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding holding a copy of the 2-D ``embeddings``; frozen by default."""
        w = _pretrained("Embedding", embeddings)
        return cls(w.shape[0], w.shape[1], padding_idx, max_norm, norm_type,
                   scale_grad_by_freq, sparse, _weight=w, _freeze=freeze)

    def forward(self, input):
        check_indices("Embedding", input, self.num_embeddings)
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}{self._repr_options()}"


class EmbeddingBag(_Table):
    """Sums, means or maxima of bags of embeddings (see :func:`deepgrad.ops.embedding_bag`).

    Args:
        num_embeddings, embedding_dim, max_norm, norm_type, scale_grad_by_freq, sparse,
            _weight, padding_idx, dtype: as :class:`Embedding`.
        mode (str): 'sum', 'mean' (default) or 'max'.
        include_last_offset (bool): offsets carry the end of the last bag too.
    ``forward(input, offsets=None, per_sample_weights=None)``: input (B, L), or 1-D with
    offsets; returns (B, embedding_dim).
    Example::

        bag = nn.EmbeddingBag(10, 3, mode="sum")
        y = bag(dg.tensor([1, 2, 4, 5, 4, 3]), dg.tensor([0, 4]))     # (2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        super().__init__()
        check_device(device, "EmbeddingBag")
        _check_sparse("EmbeddingBag", sparse)
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be one of ('sum', 'mean', 'max'), "
                             f"received {mode!r}")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset = include_last_offset
        self._make_weight(num_embeddings, embedding_dim, padding_idx, _weight, False, dtype)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An EmbeddingBag holding a copy of the 2-D ``embeddings``; frozen by default."""
        w = _pretrained("EmbeddingBag", embeddings)
        bag = cls(w.shape[0], w.shape[1], max_norm, norm_type, scale_grad_by_freq, mode,
                  sparse, w, include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}{self._repr_options()}, mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
