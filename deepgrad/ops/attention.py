"""Attention: scaled dot-product attention as one fused op, and multi-head attention.

With q (..., L, E), k (..., S, E), v (..., S, Ev), a scale c (default 1/sqrt(E)) and an
additive mask M (0 where allowed, -inf where not, or any float bias):

    A = c q k^T + M                          (..., L, S)   scores
    P = softmax(A) over S                    (a row with no allowed key gives P = 0)
    P' = P * B / (1 - p)                     dropout, B ~ Bernoulli(1 - p), when p > 0
    O = P' v                                 (..., L, Ev)

Backward, with dO = dL/dO (the D trick of FlashAttention: sum_s dP'_s P'_s equals
sum_e dO_e O_e, so the (L, S) product dP' * P' is never needed):

    dv = P'^T dO                 dP' = dO v^T             dP = dP' * B / (1 - p)
    D = rowsum(dO * O)           dA = P * (dP - D)
    dq = c dA k                  dk = c dA^T q            dM = dA

The op keeps q, k, v (inputs, alive anyway), P, the dropout mask B when p > 0, and O.
"""
import math
import warnings

import numpy as np

from deepgrad import backend, parallel
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops.activation_softmax import softmax as _softmax
from deepgrad.ops.dropout import dropout as _dropout
from deepgrad.ops.elementwise import cast as _cast
from deepgrad.ops.linalg import linear as _linear, matmul as _matmul
from deepgrad.ops.padding import pad as _pad
from deepgrad.ops.reduce import mean as _mean
from deepgrad.ops.shape import (
    cat as _cat, expand as _expand, getitem as _getitem, repeat as _repeat, reshape as _reshape,
    squeeze as _squeeze, transpose as _transpose, unsqueeze as _unsqueeze)


class ScaledDotProductAttention(Function):
    def forward(self, q, k, v, *float_mask, scale=1.0, bool_mask=None, causal=False,
                dropout_p=0.0):
        a = parallel.bmm(q, np.swapaxes(k, -1, -2))
        a *= scale
        if float_mask:
            a += float_mask[0]
        if bool_mask is not None:
            np.copyto(a, -np.inf, where=~bool_mask)
        if causal:
            np.copyto(a, -np.inf, where=~np.tri(*a.shape[-2:], dtype=bool))
        masked = bool(float_mask) or bool_mask is not None or causal
        self.p = p = _softmax_rows(a, masked)
        self.keep = None
        if dropout_p > 0.0:          # keep = B / (1 - p), all zeros when p = 1
            keep = backend.rng().random(p.shape, dtype=np.float32) >= dropout_p
            self.keep = keep * np.asarray(1.0 / (1.0 - dropout_p) if dropout_p < 1 else 0.0,
                                          p.dtype)
            p = p * self.keep
        self.q, self.k, self.v, self.scale = q, k, v, scale
        self.out = parallel.bmm(p, v)
        return self.out

    def backward(self, g):
        p_used = self.p if self.keep is None else self.p * self.keep
        dv = parallel.bmm(np.swapaxes(p_used, -1, -2), g)
        da = parallel.bmm(g, np.swapaxes(self.v, -1, -2))          # dP', then dA in place
        if self.keep is not None:
            da *= self.keep
        da -= np.sum(g * self.out, axis=-1, keepdims=True)       # dP - D
        da *= self.p
        dq = dk = None
        if self.needs_grad[0]:
            dq = parallel.bmm(da, self.k)
            dq *= self.scale
        if self.needs_grad[1]:
            dk = parallel.bmm(np.swapaxes(da, -1, -2), self.q)
            dk *= self.scale
        return (dq, dk, dv) + ((da,) if len(self.needs_grad) > 3 else ())


def _softmax_rows(a, masked):
    """softmax over the last axis, in place in ``a``; with a mask, a row that is all -inf
    gives zeros (not nan)."""
    m = np.max(a, axis=-1, keepdims=True)
    if masked:
        np.copyto(m, 0.0, where=np.isneginf(m))
    a -= m
    np.exp(a, out=a)
    s = np.sum(a, axis=-1, keepdims=True)
    if masked:
        return np.divide(a, s, out=a, where=s > 0)
    a /= s
    return a


def _shape(t):
    return tuple(t.shape)


def _check_sdpa(q, k, v, attn_mask, dropout_p, is_causal, enable_gqa):
    name = "scaled_dot_product_attention"
    for t_name, t in (("query", q), ("key", k), ("value", v)):
        if t.ndim < 2:
            raise RuntimeError(f"{name}: expected {t_name} of at least 2 dimensions (..., "
                               f"sequence, features), received shape {_shape(t)}")
    if not (q.dtype == k.dtype == v.dtype) or q.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected query, key, and value to have the same floating "
                           f"dtype, but got query.dtype: {q.dtype} key.dtype: {k.dtype} and "
                           f"value.dtype: {v.dtype} instead.")
    if q.shape[-1] != k.shape[-1]:
        raise RuntimeError(f"{name}: query and key must have the same feature size E, received "
                           f"query {_shape(q)} and key {_shape(k)}")
    if k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f"{name}: key and value must have the same sequence length S, "
                           f"received key {_shape(k)} and value {_shape(v)}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{name}: dropout_p must be in [0, 1], received {dropout_p}")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{name}: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa:
        if q.ndim < 3 or k.ndim < 3 or k.shape[-3] != v.shape[-3] or \
                q.shape[-3] % k.shape[-3] != 0:
            raise RuntimeError(f"{name}: with enable_gqa=True the number of heads of key and "
                               f"value (dim -3) must be equal and divide the query's; received "
                               f"query {_shape(q)}, key {_shape(k)}, value {_shape(v)}")
    def kv_batch(t):      # with GQA the heads of key/value become the query's
        return (t.shape[:-3] + q.shape[-3:-2]) if enable_gqa else t.shape[:-2]
    try:
        batch = np.broadcast_shapes(q.shape[:-2], kv_batch(k))     # of the scores q k^T
        np.broadcast_shapes(batch, kv_batch(v))
    except ValueError:
        raise RuntimeError(f"{name}: the batch dimensions of query {_shape(q)}, key "
                           f"{_shape(k)} and value {_shape(v)} do not broadcast") from None
    scores = batch + (q.shape[-2], k.shape[-2])
    if attn_mask is not None:
        if attn_mask.dtype != np.bool_ and attn_mask.dtype.kind != "f":
            raise RuntimeError(f"{name}: expected attn_mask dtype to be bool or float, received "
                               f"{attn_mask.dtype}")
        try:
            if np.broadcast_shapes(attn_mask.shape, scores) != scores:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"{name}: attn_mask of shape {_shape(attn_mask)} cannot be "
                               f"broadcast to the attention scores' shape {scores} (batch..., "
                               f"L, S)") from None


def _repeat_heads(t, groups):
    """(..., H, S, E) -> (..., H * groups, S, E), each head repeated ``groups`` times in a
    row (``repeat_interleave`` on dim -3), as a differentiable composition."""
    if groups == 1:
        return t
    shape = _shape(t)
    t = _expand(_unsqueeze(t, -3), shape[:-2] + (groups,) + shape[-2:])
    return _reshape(t, shape[:-3] + (shape[-3] * groups,) + shape[-2:])


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    r"""softmax(q k^T * scale + mask) v, as PyTorch's ``F.scaled_dot_product_attention``.

    Forward and backward formulas: see this module's docstring. One fused op: the (L, S)
    scores are formed once, and backward keeps P (and the dropout mask), not the scores.

    Args:
        query: (..., L, E).  key: (..., S, E).  value: (..., S, Ev); batch dims broadcast.
        attn_mask: bool (True = may attend) or float (added to the scores, and
            differentiated), broadcastable to (..., L, S).
        dropout_p (float): dropout on the attention weights (always applied when > 0, as
            PyTorch's functional form; pass 0 in evaluation).
        is_causal (bool): query i attends keys j <= i (the top-left aligned lower
            triangle); excludes ``attn_mask``.
        scale (float): the score scale; default 1/sqrt(E).
        enable_gqa (bool): grouped-query attention: key/value have fewer heads (dim -3)
            than query, each shared by query.size(-3) / key.size(-3) query heads.
    Returns:
        Tensor (..., L, Ev). A query row that may attend no key gives zeros.

    Example:
        >>> q = k = v = deepgrad.randn(2, 4, 10, 16)        # (batch, heads, tokens, dim)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        (2, 4, 10, 16)
    """
    q, k, v = to_tensor(query), to_tensor(key), to_tensor(value)
    mask = None if attn_mask is None else to_tensor(attn_mask)
    _check_sdpa(q, k, v, mask, float(dropout_p), is_causal, enable_gqa)
    if enable_gqa:
        k, v = _repeat_heads(k, q.shape[-3] // k.shape[-3]), \
            _repeat_heads(v, q.shape[-3] // v.shape[-3])
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    inputs, params = (q, k, v), dict(scale=scale, causal=bool(is_causal),
                                     dropout_p=float(dropout_p))
    if mask is not None and mask.dtype == np.bool_:
        params["bool_mask"] = mask.array
    elif mask is not None:
        inputs += (mask if mask.dtype == q.dtype else _cast(mask, q.dtype),)
    return ScaledDotProductAttention.apply(*inputs, **params)


# ---------------------------------------------------------------------- multi-head attention
def _canonical_mask(mask, name, dtype):
    """A bool mask (True = masked out, MultiheadAttention's convention) as a float mask
    (-inf where True, 0 elsewhere) of ``dtype``; a float mask as it is."""
    if mask is None:
        return None
    mask = to_tensor(mask)
    if mask.dtype == np.bool_:
        return to_tensor(np.where(mask.array, -np.inf, 0.0).astype(dtype))
    if mask.dtype.kind != "f":
        raise RuntimeError(f"multi_head_attention_forward: only bool and floating types of "
                           f"{name} are supported, received {mask.dtype}")
    return mask


def _mha_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """True if the inputs are batched (L, N, E); raises on any shape that does not fit."""
    name = "multi_head_attention_forward"
    batched = query.ndim == 3
    if query.ndim not in (2, 3):
        raise RuntimeError(f"{name}: query should be unbatched 2D or batched 3D tensor but "
                           f"received {query.ndim}-D query tensor")
    for t_name, t in (("key", key), ("value", value)):
        if t.ndim != query.ndim:
            raise RuntimeError(f"{name}: for {query.ndim}-D query, expected {t_name} to be "
                               f"{query.ndim}-D, but found a {t.ndim}-D tensor")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise RuntimeError(f"{name}: for {query.ndim}-D query, expected key_padding_mask to be "
                           f"None or {query.ndim - 1}-D, but found {key_padding_mask.ndim}-D")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise RuntimeError(f"{name}: expected attn_mask to be None, 2-D or 3-D, but found "
                           f"{attn_mask.ndim}-D")
    if not batched and attn_mask is not None and attn_mask.ndim == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if _shape(attn_mask) != expected:
            raise RuntimeError(f"{name}: expected attn_mask shape to be {expected} but got "
                               f"{_shape(attn_mask)}")
    return batched


def _in_projection(query, key, value, w, b, w_q=None, w_k=None, w_v=None):
    """q, k, v = x W_x^T + b_x, from the packed (3E, E) weight or from three weights."""
    E = query.shape[-1]
    bq = bk = bv = None
    if b is not None:
        bq, bk, bv = _getitem(b, slice(0, E)), _getitem(b, slice(E, 2 * E)), \
            _getitem(b, slice(2 * E, 3 * E))
    if w is not None:
        w_q, w_k, w_v = _getitem(w, slice(0, E)), _getitem(w, slice(E, 2 * E)), \
            _getitem(w, slice(2 * E, 3 * E))
    if query is key and key is value and w is not None:       # self-attention: one GEMM
        qkv = _linear(query, w, b)
        return tuple(_getitem(qkv, (Ellipsis, slice(i * E, (i + 1) * E))) for i in range(3))
    return _linear(query, w_q, bq), _linear(key, w_k, bk), _linear(value, w_v, bv)


def _check_static(name, t, bsz_heads, head_dim):
    if t is not None and (t.shape[0] != bsz_heads or t.shape[2] != head_dim):
        raise RuntimeError(f"multi_head_attention_forward: expecting {name} of shape "
                           f"({bsz_heads}, S, {head_dim}), but got {_shape(t)}")


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    r"""Multi-head attention (PyTorch's ``F.multi_head_attention_forward``), sequence-first.

    With h heads of size d = E / h, for each head i:

        head_i = softmax(Q_i K_i^T / sqrt(d) + M) V_i,  Q = x_q W_q^T + b_q (K, V likewise)
        out = concat(head_1 .. head_h) W_o^T + b_o

    where M adds ``attn_mask`` and ``key_padding_mask`` (bool masks: True = masked out, as
    -inf). ``bias_k``/``bias_v`` append one learned key/value position; ``add_zero_attn``
    appends a zero one. Built from differentiable ops; with ``need_weights=False`` the
    attention itself is the fused :func:`scaled_dot_product_attention`.

    Args:
        query (L, N, E) or (L, E); key (S, N, E_k); value (S, N, E_v).
        embed_dim_to_check, num_heads: E and h.
        in_proj_weight (3E, E), in_proj_bias (3E,): packed q, k, v projections (or
            ``use_separate_proj_weight`` with q/k/v_proj_weight (E, E), (E, E_k), (E, E_v)).
        bias_k, bias_v (1, 1, E) or None.  add_zero_attn (bool).
        dropout_p (float): on the attention weights, in training.
        out_proj_weight (E, E), out_proj_bias (E,).
        key_padding_mask (N, S): bool (True = ignore that key) or float (added).
        need_weights (bool): also return the attention weights.
        attn_mask (L, S) or (N*h, L, S): bool (True = may not attend) or float.
        static_k, static_v (N*h, S, d): keys/values used as they are (no projection).
        average_attn_weights (bool): average the returned weights over the heads.
        is_causal (bool): a hint that ``attn_mask`` is causal (which must be given).
    Returns:
        (attn_output (L, N, E), attn_weights (N, L, S), (N, h, L, S) unaveraged, or None).
    """
    name = "multi_head_attention_forward"
    query, key, value = to_tensor(query), to_tensor(key), to_tensor(value)
    kpm = None if key_padding_mask is None else to_tensor(key_padding_mask)
    am = None if attn_mask is None else to_tensor(attn_mask)
    batched = _mha_check(query, key, value, kpm, am, num_heads)
    if not batched:
        query, key, value = (_unsqueeze(t, 1) for t in (query, key, value))
        kpm = None if kpm is None else _unsqueeze(kpm, 0)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise RuntimeError(f"{name}: was expecting embedding dimension of "
                           f"{embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise RuntimeError(f"{name}: embed_dim {embed_dim} not divisible by num_heads "
                           f"{num_heads}")
    if use_separate_proj_weight:
        if _shape(key)[:2] != _shape(value)[:2]:
            raise RuntimeError(f"{name}: key's sequence and batch dims {_shape(key)[:2]} do "
                               f"not match value's {_shape(value)[:2]}")
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise RuntimeError(f"{name}: use_separate_proj_weight is True but q, k or "
                               f"v_proj_weight is None")
    else:
        if _shape(key) != _shape(value):
            raise RuntimeError(f"{name}: key shape {_shape(key)} does not match value shape "
                               f"{_shape(value)}")
        if in_proj_weight is None:
            raise RuntimeError(f"{name}: use_separate_proj_weight is False but in_proj_weight "
                               f"is None")
    if is_causal and am is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if kpm is not None and am is not None and kpm.dtype != am.dtype:
        warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. "
                      "Use same type for both instead.", stacklevel=2)
    kpm = _canonical_mask(kpm, "key_padding_mask", query.dtype)
    am = _canonical_mask(am, "attn_mask", query.dtype)
    if not (is_causal and kpm is None and not need_weights):
        is_causal = False               # the explicit mask is used
    else:
        am = None
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias,
                             q_proj_weight, k_proj_weight, v_proj_weight)
    src_len = key.shape[0]
    if am is not None:
        expected = (tgt_len, src_len) if am.ndim == 2 else (bsz * num_heads, tgt_len, src_len)
        if _shape(am) != expected:
            raise RuntimeError(f"The shape of the {am.ndim}D attn_mask is {_shape(am)}, but "
                               f"should be {expected}.")
        if am.ndim == 2:
            am = _unsqueeze(am, 0)
    if (bias_k is None) != (bias_v is None):
        raise RuntimeError(f"{name}: give both bias_k and bias_v, or neither")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise RuntimeError(f"{name}: bias cannot be added to static key or value.")
        k = _cat([k, _repeat(bias_k, (1, bsz, 1))])
        v = _cat([v, _repeat(bias_v, (1, bsz, 1))])
        am = None if am is None else _pad(am, (0, 1))
        kpm = None if kpm is None else _pad(kpm, (0, 1))
    bh = bsz * num_heads
    q = _transpose(_reshape(q, (tgt_len, bh, head_dim)), 0, 1)
    _check_static("static_k", static_k, bh, head_dim)
    _check_static("static_v", static_v, bh, head_dim)
    k = _transpose(_reshape(k, (k.shape[0], bh, head_dim)), 0, 1) if static_k is None \
        else to_tensor(static_k)
    v = _transpose(_reshape(v, (v.shape[0], bh, head_dim)), 0, 1) if static_v is None \
        else to_tensor(static_v)
    if add_zero_attn:
        zeros = to_tensor(np.zeros((bh, 1, head_dim), k.dtype))
        k, v = _cat([k, zeros], dim=1), _cat([v, zeros], dim=1)
        am = None if am is None else _pad(am, (0, 1))
        kpm = None if kpm is None else _pad(kpm, (0, 1))
    src_len = k.shape[1]
    if kpm is not None:
        if _shape(kpm) != (bsz, src_len):
            raise RuntimeError(f"{name}: expected key_padding_mask of shape ({bsz}, {src_len}) "
                               f"(batch, source length), but got {_shape(kpm)}")
        kpm = _reshape(_expand(_reshape(kpm, (bsz, 1, 1, src_len)),
                                     (bsz, num_heads, 1, src_len)), (bh, 1, src_len))
        am = kpm if am is None else am + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = _matmul(q * math.sqrt(1.0 / head_dim), _transpose(k, -2, -1))
        weights = _softmax(scores if am is None else am + scores, dim=-1)
        if dropout_p > 0.0:
            weights = _dropout(weights, p=dropout_p)
        out = _matmul(weights, v)
    else:
        if am is not None:
            am = _unsqueeze(am, 0) if am.shape[0] == 1 else \
                _reshape(am, (bsz, num_heads, -1, src_len))
        q, k, v = (_reshape(t, (bsz, num_heads, t.shape[1], head_dim)) for t in (q, k, v))
        out = scaled_dot_product_attention(q, k, v, am, dropout_p, is_causal)
        out = _reshape(out, (bh, tgt_len, head_dim))
        weights = None
    out = _reshape(_transpose(out, 0, 1), (tgt_len * bsz, embed_dim))
    out = _reshape(_linear(out, out_proj_weight, out_proj_bias), (tgt_len, bsz, -1))
    if weights is not None:
        weights = _reshape(weights, (bsz, num_heads, tgt_len, src_len))
        if average_attn_weights:
            weights = _mean(weights, dim=1)
    if not batched:
        out = _squeeze(out, 1)
        weights = None if weights is None else _squeeze(weights, 0)
    return out, weights
