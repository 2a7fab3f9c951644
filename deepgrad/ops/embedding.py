"""Embedding lookup and bags of embeddings: rows of a weight matrix picked by indices.

    embedding:      y[i...] = W[idx[i...]]       dL/dW[k] = sum over positions with idx = k of g
    embedding_bag:  bag b holds positions P_b; with per-sample weights a (1 by default)
                    sum   y[b] = sum_{p in P_b} a_p W[idx_p]
                    mean  y[b] = (1 / |P_b|) sum_{p in P_b} W[idx_p]
                    max   y[b, d] = max_{p in P_b} W[idx_p, d]
                    dL/dW[k] = the scatter-add of g[b] (times a_p, or / |P_b|) over the
                    positions p with idx_p = k (max: only the first argmax of each
                    (b, d)); dL/da_p = <g[b], W[idx_p]>

The backward is a scatter-add: a row picked several times collects the sum of its
gradients. Positions holding ``padding_idx`` are left out (the row gets no gradient and,
in a bag, does not count). ``scale_grad_by_freq`` divides row k's gradient by the number
of times k occurs in the batch; ``max_norm`` rescales, in place and before the lookup,
every looked-up row whose p-norm exceeds it to norm max_norm (PyTorch's
embedding_renorm_: scale max_norm / (norm + 1e-7)).
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor


class Embedding(Function):
    def forward(self, weight, index=None, padding_idx=None, scale_grad_by_freq=False):
        self.index, self.shape, self.padding_idx = index, weight.shape, padding_idx
        self.scale_grad_by_freq = scale_grad_by_freq
        return weight[index]

    def backward(self, g):
        gw = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(gw, self.index.reshape(-1), g.reshape(-1, self.shape[1]))
        if self.scale_grad_by_freq:
            gw /= np.maximum(np.bincount(self.index.reshape(-1), minlength=self.shape[0]),
                             1)[:, None].astype(g.dtype)
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


def renorm_rows_(weight, idx, max_norm, norm_type=2.0):
    """PyTorch's embedding_renorm_: rows of ``weight`` (an array) named in ``idx`` whose
    ``norm_type``-norm exceeds ``max_norm`` are scaled in place by max_norm / (norm + 1e-7)."""
    rows = np.unique(idx)
    if rows.size == 0:
        return
    norms = np.linalg.norm(weight[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    scale = (max_norm / (norms[big] + 1e-7)).astype(weight.dtype)
    weight[rows[big]] *= scale[:, None]


def _check_sparse(name, sparse):
    if sparse:
        raise ValueError(f"{name}: sparse=True asks for a sparse gradient; sparse tensors are "
                         f"out of scope in deepgrad (every gradient is dense), use sparse=False")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight``: y = weight[input].

    Args:
        input: integer indices of any shape (*), each in [0, num_embeddings - 1].
        weight: (num_embeddings, embedding_dim) float tensor.
        padding_idx (int or None): a row that receives no gradient.
        max_norm (float or None): renormalise the looked-up rows of ``weight`` in place
            (see the module docstring) before the lookup.
        norm_type (float): the p of the p-norm of max_norm.
        scale_grad_by_freq (bool): divide each row's gradient by its count in ``input``.
        sparse (bool): must be False (sparse gradients are out of scope).
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
    _check_sparse("embedding", sparse)
    if max_norm is not None:
        renorm_rows_(w.array, idx, max_norm, norm_type)
    return Embedding.apply(w, index=idx, padding_idx=pad,
                           scale_grad_by_freq=bool(scale_grad_by_freq))


# ----------------------------------------------------------------- bags
class EmbeddingBag(Function):
    """Reduce W[idx_p] (times a_p) over each bag; inputs: weight and optionally the
    per-sample weights a. ``bag`` (M,) is the bag of each position, ``keep`` (M,) False
    at padding positions; see the module docstring for the math."""

    def forward(self, weight, psw=None, index=None, bag=None, keep=None, bags=0, mode="mean",
                scale_grad_by_freq=False):
        rows = weight[index]                                     # (M, D)
        if psw is not None:
            rows = rows * psw[:, None]
        rows = np.where(keep[:, None], rows, 0).astype(weight.dtype, copy=False)
        D = weight.shape[1]
        count = np.bincount(bag[keep], minlength=bags)
        if mode == "max":
            y, self.first = bag_max(rows, bag, keep, bags)
        else:
            y = np.zeros((bags, D), weight.dtype)
            np.add.at(y, bag, rows)
            if mode == "mean":
                y /= np.maximum(count, 1)[:, None].astype(weight.dtype)
        self.index, self.bag, self.keep, self.count, self.mode = index, bag, keep, count, mode
        self.shape, self.scale_grad_by_freq = weight.shape, scale_grad_by_freq
        self.weight, self.psw = (weight if psw is not None else None), psw
        return y

    def backward(self, g):
        gw = gpsw = None
        if self.needs_grad[0]:
            gw = np.zeros(self.shape, g.dtype)
            if self.mode == "max":
                bags, cols = np.nonzero(np.broadcast_to(self.count[:, None] > 0, g.shape))
                np.add.at(gw, (self.index[self.first[bags, cols]], cols), g[bags, cols])
            else:
                per = g[self.bag]
                if self.mode == "mean":
                    per = per / np.maximum(self.count, 1)[self.bag, None].astype(g.dtype)
                if self.psw is not None:
                    per = per * self.psw[:, None]
                np.add.at(gw, self.index[self.keep], per[self.keep])
            if self.scale_grad_by_freq:
                gw /= np.maximum(np.bincount(self.index, minlength=self.shape[0]),
                                 1)[:, None].astype(g.dtype)
        if len(self.needs_grad) > 1 and self.needs_grad[1]:
            gpsw = np.where(self.keep, (g[self.bag] * self.weight[self.index]).sum(axis=1), 0)
        return gw, gpsw


def bag_max(rows, bag, keep, bags):
    """Per (bag, column): the max of the kept rows (0 for an empty bag) and the first
    position reaching it (PyTorch keeps the first; len(rows) where the bag is empty)."""
    M, D = rows.shape
    y = np.full((bags, D), -np.inf, rows.dtype)
    np.maximum.at(y, bag[keep], rows[keep])
    hit = keep[:, None] & (rows == y[bag])
    first = np.full((bags, D), M, np.int64)
    np.minimum.at(first, bag, np.where(hit, np.arange(M)[:, None], M))
    y[first == M] = 0
    return y, first


_MODES = {"sum": 0, "mean": 1, "max": 2}


def _bags(name, idx, offsets, include_last_offset):
    """Flat indices and the bag of each position, from 2-D input or 1-D input + offsets."""
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{name}: with 2-D input (B, L) each row is a bag and offsets must "
                             f"be None, received offsets of shape {np.shape(offsets)}")
        B, L = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(B), L), B
    if idx.ndim != 1:
        raise ValueError(f"{name}: input must be 1-D (with offsets) or 2-D (B, L), received "
                         f"shape {idx.shape}")
    if offsets is None:
        raise ValueError(f"{name}: 1-D input needs offsets, a 1-D tensor of bag starts")
    off = offsets.array if isinstance(offsets, _fn._Tensor) else np.asarray(offsets)
    if off.ndim != 1 or off.dtype.kind not in "iu":
        raise ValueError(f"{name}: offsets must be a 1-D integer tensor, received shape "
                         f"{off.shape} and dtype {off.dtype}")
    M = idx.shape[0]
    if off.size and (off[0] != 0 or off[-1] > M or np.any(np.diff(off) < 0)):
        raise ValueError(f"{name}: offsets must start at 0, never decrease and stay <= the "
                         f"input length {M}, received {off.tolist()}")
    ends = np.append(off[1:], M) if not include_last_offset else off[1:]
    starts = off if not include_last_offset else off[:-1]
    if include_last_offset and off.size == 0:
        raise ValueError(f"{name}: include_last_offset needs at least one offset")
    B = starts.shape[0]
    bag = np.repeat(np.arange(B), ends - starts)
    n = bag.shape[0]
    return idx[:n], bag, B


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sums, means or maxima of bags of embeddings, without the (B, L, D) intermediate.

    Args:
        input: int64 indices: (B, L), B bags of L; or 1-D with ``offsets``.
        weight: (num_embeddings, embedding_dim) float tensor.
        offsets: 1-D starts of the bags in a 1-D input (starting at 0); with
            ``include_last_offset`` the last entry is the end of the last bag.
        max_norm, norm_type: renormalise the looked-up rows in place (as embedding).
        scale_grad_by_freq (bool): divide each row's gradient by its count in ``input``
            (not with mode='max').
        mode: 'sum', 'mean' or 'max' (see the module docstring); an empty bag gives zeros.
        sparse (bool): must be False.
        per_sample_weights: weights a of the input's shape ('sum' only); differentiable.
        padding_idx (int or None): positions holding it are left out of their bag.
    Returns:
        (B, embedding_dim) tensor of weight's dtype.
    Example:
        >>> embedding_bag(tensor([1, 2, 4, 5, 4]), W, tensor([0, 2]), mode="sum").shape
        (2, 3)                                      # W (10, 3)
    """
    name = "embedding_bag"
    w = to_tensor(weight)
    if w.ndim != 2:
        raise ValueError(f"{name}: weight must have shape (num_embeddings, embedding_dim), "
                         f"received {tuple(w.shape)}")
    if mode not in _MODES:
        raise ValueError(f"{name}: mode must be one of {tuple(_MODES)}, received {mode!r}")
    idx = check_indices(name, input, w.shape[0])
    flat, bag, B = _bags(name, idx, offsets, include_last_offset)
    pad = normalize_padding_idx(name, padding_idx, w.shape[0])
    _check_sparse(name, sparse)
    if scale_grad_by_freq and mode == "max":
        raise ValueError(f"{name}: mode='max' does not support scale_grad_by_freq")
    psw = None
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"{name}: per_sample_weights is only supported for mode='sum', "
                             f"received mode={mode!r}")
        psw = to_tensor(per_sample_weights)
        if psw.shape != idx.shape or psw.dtype != w.dtype:
            raise ValueError(f"{name}: per_sample_weights must have the input's shape "
                             f"{idx.shape} and the weight's dtype {w.dtype}, received "
                             f"{tuple(psw.shape)} and {psw.dtype}")
        psw = psw.reshape(-1)[:flat.shape[0]]
    keep = np.ones(flat.shape, bool) if pad is None else flat != pad
    if max_norm is not None:
        renorm_rows_(w.array, flat, max_norm, norm_type)
    params = dict(index=flat.astype(np.int64, copy=False), bag=bag, keep=keep, bags=B,
                  mode=mode, scale_grad_by_freq=bool(scale_grad_by_freq))
    if psw is None:
        return EmbeddingBag.apply(w, **params)
    return EmbeddingBag.apply(w, psw, **params)

