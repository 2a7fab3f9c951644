"""Keras 3's newer losses: ``dice``, ``tversky``, ``circle``, ``ctc`` and
``categorical_generalized_cross_entropy`` (the loss objects wrap them in
:mod:`deepgrad.keras.losses`). Each is a composition of engine ops, so gradients come free.

    dice(t, p)     = 1 - 2 sum(t p) / (sum t + sum p + eps)                 (over ``axis``)
    tversky(t, p)  = 1 - TP / (TP + alpha FP + beta FN + eps),
                     TP = sum(t p), FP = sum((1 - p) t), FN = sum(p (1 - t))  (Keras's naming)
    gce(t, p)      = (1 - p_t^q) / q,  p_t the probability of the true class (Zhang &
                     Sabuncu, 2018)
    circle         Sun et al. (2020) on L2-normalised embeddings with cosine distances
                   d_ij = max(1 - e_i . r_j, 0):
                   a_p = max(m + d, 0) on positives, a_n = max(1 + m - d, 0) on negatives,
                   loss_i = softplus(logsumexp_pos(-gamma a_p (m - d))
                                     + logsumexp_neg(gamma a_n (1 - m - d)))
                   (the mean counts only samples with a positive loss, as Keras masks them)
    ctc            the engine's CTC loss of logits (batch, time, classes), blank 0, label
                   lengths from the non-zero labels
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import backend
from deepgrad.keras.ops import nn as _kops_nn
from deepgrad.keras.registry import register


def _float(x):
    """A float Tensor of ``x`` (float arrays keep their dtype; others become float32)."""
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    return Tensor(a if a.dtype.kind == "f" else a.astype("float32"))


def _pair(y_true, y_pred):
    y_pred = _float(y_pred)
    t = y_true.array if isinstance(y_true, Tensor) else np.asarray(y_true)
    return Tensor._wrap(t.astype(y_pred.array.dtype)), y_pred


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


@register("losses")
def dice(y_true, y_pred, axis=None):
    """Dice loss over ``axis`` (None: all axes)."""
    t, p = _pair(y_true, y_pred)
    axis = _axis(axis)
    intersection = ops.sum(t * p, axis) if axis is not None else ops.sum(t * p)
    total = (ops.sum(t, axis) + ops.sum(p, axis)) if axis is not None else ops.sum(t) + \
        ops.sum(p)
    return 1 - 2.0 * intersection / (total + backend.epsilon())


@register("losses")
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss over ``axis``: ``alpha`` weighs false positives, ``beta`` false
    negatives (Keras's assignment)."""
    t, p = _pair(y_true, y_pred)
    axis = _axis(axis)
    total = (lambda v: ops.sum(v, axis)) if axis is not None else ops.sum
    tp, fp, fn = total(t * p), total((1 - p) * t), total(p * (1 - t))
    return 1 - tp / (tp + fp * alpha + fn * beta + backend.epsilon())


@register("losses")
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross-entropy ``(1 - p_t^q) / q`` of integer labels (batch,) or
    (batch, 1) against class probabilities (batch, classes)."""
    p = _float(y_pred)
    labels = np.asarray(y_true.array if isinstance(y_true, Tensor) else y_true).astype(
        np.int64).reshape(-1)
    one_hot = Tensor(np.eye(p.shape[-1], dtype=p.array.dtype)[labels])
    p_true = ops.sum(p * one_hot, -1)
    return (1 - p_true ** q) / q


def circle_values(y_true, y_pred, ref_labels=None, ref_embeddings=None,
                  remove_diagonal=True, gamma=80, margin=0.4):
    """Per-sample circle loss and the mask of samples with a positive loss."""
    e = _float(y_pred)
    labels = np.asarray(y_true.array if isinstance(y_true, Tensor) else y_true).astype(
        np.int64).reshape(-1)
    ref = e if ref_embeddings is None else (
        ref_embeddings if isinstance(ref_embeddings, Tensor) else Tensor(
            np.asarray(ref_embeddings, e.array.dtype)))
    ref_lab = labels if ref_labels is None else np.asarray(
        getattr(ref_labels, "array", ref_labels)).astype(np.int64).reshape(-1)
    d = ops.maximum(1 - ops.matmul(e, ops.transpose(ref, 0, 1)), 0.0)
    pos = labels[:, None] == ref_lab[None, :]
    neg = ~pos
    if remove_diagonal:
        pos = pos & ~np.eye(len(labels), len(ref_lab), dtype=bool)
    dtype = e.array.dtype
    pos_w = ops.maximum((margin + d) * Tensor(pos.astype(dtype)), 0.0)
    neg_w = ops.maximum((1 + margin - d) * Tensor(neg.astype(dtype)), 0.0)
    pos_d = -gamma * pos_w * (margin - d)
    neg_d = gamma * neg_w * ((1 - margin) - d)
    p_loss = ops.logsumexp(ops.where(Tensor(pos), pos_d, float("-inf")), 1)
    n_loss = ops.logsumexp(ops.where(Tensor(neg), neg_d, float("-inf")), 1)
    loss = ops.softplus(p_loss + n_loss)
    return loss, loss.array > 0


@register("losses")
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80, margin=0.4):
    """Circle loss of integer labels and L2-normalised embeddings (module docstring)."""
    return circle_values(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma,
                         margin)[0]


@register("losses")
def ctc(y_true, y_pred):
    """CTC loss per sample: labels (batch, max_length) with 0 as blank/padding, logits
    (batch, time, classes)."""
    labels = np.asarray(y_true.array if isinstance(y_true, Tensor) else y_true)
    if labels.ndim != 2:
        raise ValueError(f"Targets `y_true` are expected to be a tensor of shape "
                         f"`(batch_size, max_length)` in integer format. Received: "
                         f"y_true.shape={labels.shape}")
    if len(np.shape(y_pred)) != 3:
        raise ValueError(f"Logits `y_pred` are expected to be a tensor of shape "
                         f"`(batch_size, max_length, num_classes)`. Received: "
                         f"y_pred.shape={tuple(np.shape(y_pred))}")
    batch, time = np.shape(y_pred)[:2]
    label_length = (labels != 0).sum(-1).astype(np.int32)
    return _kops_nn.ctc_loss(labels.astype(np.int32), y_pred, label_length,
                             np.full(batch, time, np.int32), mask_index=0)
