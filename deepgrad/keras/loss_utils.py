"""Input checks and the weighted reduction behind :mod:`deepgrad.keras.losses`.

Shape and label validation: every loss function first turns ``(y_true, y_pred)`` into
float Tensors it can combine, with Keras's rank fix-up
(:func:`squeeze_or_expand_to_same_rank`: ``y_true`` (N,) against ``y_pred`` (N, 1) is
expanded, and the other way round) and a ValueError quoting both shapes for any other
mismatch. The cross-entropies get pointed errors for the common label mix-ups (integer
labels given to a categorical loss, one-hot targets given to a sparse one, labels
outside ``[0, C)``).

Reduction: :func:`reduce_weighted_values` weights per-sample losses by
``sample_weight`` (and a boolean mask) and reduces them as named in :data:`REDUCTIONS`.
"""
import warnings

import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight")


# ====================================================================== inputs
def _as_array(x):
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _as_float(y_pred, dtype=None):
    """``y_pred`` as a float Tensor (its own float dtype unless ``dtype`` is given)."""
    t = y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)
    if dtype is not None and t.dtype != dtype:
        return ops.cast(t, dtype)
    return t if t.dtype.kind == "f" else ops.cast(t, np.float32)


def _as_float_like(y_true, like):
    """``y_true`` as a Tensor of ``like``'s dtype (a constant unless it is a Tensor)."""
    if isinstance(y_true, Tensor):
        return y_true if y_true.dtype == like.dtype else ops.cast(y_true, like.dtype)
    return Tensor._wrap(np.asarray(y_true, dtype=like.dtype))


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rank fix-up: when ranks differ by one and the longer has a last axis of 1,
    squeeze it, or (if the shorter is rank 1) expand the shorter instead."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            return x1, x2.reshape(tuple(x2.shape) + (1,))
        return x1.reshape(tuple(x1.shape[:-1])), x2
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            return x1.reshape(tuple(x1.shape) + (1,)), x2
        return x1, x2.reshape(tuple(x2.shape[:-1]))
    return x1, x2


def _regression_pair(name, y_true, y_pred, broadcast=True):
    """Float tensors of one shape; ``y_true`` may broadcast to ``y_pred`` at equal rank."""
    y_pred = _as_float(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_as_float_like(y_true, y_pred), y_pred)
    if y_true.shape != y_pred.shape:
        ok = broadcast and y_true.ndim == y_pred.ndim and all(
            t in (1, p) for t, p in zip(y_true.shape, y_pred.shape))
        if not ok:
            raise ValueError(f"{name}: y_true has shape {tuple(y_true.shape)} and y_pred has "
                             f"shape {tuple(y_pred.shape)}; expected the same shape (a "
                             f"trailing axis of size 1 may be missing on either side)")
        y_true = ops.broadcast_to(y_true, y_pred.shape)
    return y_true, y_pred


def _binary_pair(name, y_true, y_pred, label_smoothing):
    y_true, y_pred = _regression_pair(name, y_true, y_pred, broadcast=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return y_true, y_pred


def _categorical_pair(name, y_true, y_pred, axis, label_smoothing):
    """One-hot targets of ``y_pred``'s shape; integer labels get a pointed error."""
    y_pred = _as_float(y_pred)
    ts, ps = tuple(np.shape(y_true) if not isinstance(y_true, Tensor) else y_true.shape), \
        tuple(y_pred.shape)
    if ts != ps:
        if len(ps) >= 1 and ps[-1] > 1 and ts in (ps[:-1], ps[:-1] + (1,)):
            raise ValueError(
                f"{name}: y_true has shape {ts} but y_pred has shape {ps}. y_true looks like "
                f"integer class labels, while {name} expects one-hot targets of y_pred's "
                f"shape. Use loss='sparse_categorical_crossentropy' (SparseCategorical"
                f"Crossentropy) for integer labels, or one-hot encode them with "
                f"keras.utils.to_categorical(y, num_classes={ps[-1]}).")
        raise ValueError(f"{name}: y_true has shape {ts} and y_pred has shape {ps}; expected "
                         f"one-hot targets of the same shape as y_pred")
    if not ps:
        raise ValueError(f"{name}: y_pred must have a class axis, received a scalar")
    if ps[axis] == 1:
        warnings.warn(f"In loss {name}, expected y_pred.shape to be (batch_size, num_classes) "
                      f"with num_classes > 1. Received: y_pred.shape={ps}. Consider using "
                      f"'binary_crossentropy' if you only have 2 classes.", SyntaxWarning,
                      stacklevel=3)
    y_true = _as_float_like(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / ps[axis]
    return y_true, y_pred


def _sparse_pair(name, y_true, y_pred, axis, ignore_class):
    """Validate integer labels; return (labels (M,), scores (M, C), per-sample shape)."""
    y_pred = _as_float(y_pred)
    labels = _as_array(y_true)
    ps, nd = tuple(y_pred.shape), y_pred.ndim
    if nd == 0:
        raise ValueError(f"{name}: y_pred must have a class axis, received a scalar")
    ax = axis % nd
    if labels.ndim == nd and labels.shape[ax] == 1:
        labels = np.squeeze(labels, ax)
    C, lead = ps[ax], ps[:ax] + ps[ax + 1:]
    if labels.shape != lead:
        if tuple(np.shape(y_true)) == ps:
            raise ValueError(f"{name}: y_true has the shape of y_pred {ps}, so it looks "
                             f"one-hot encoded; {name} expects integer labels of shape {lead}. "
                             f"Use loss='categorical_crossentropy' for one-hot targets, or "
                             f"pass np.argmax(y_true, axis=-1).")
        raise ValueError(f"{name}: y_true has shape {tuple(np.shape(y_true))} and y_pred has "
                         f"shape {ps}; expected integer labels of shape {lead} (or "
                         f"{lead + (1,)})")
    labels = _integer_labels(name, labels)
    valid = labels if ignore_class is None else labels[labels != ignore_class]
    if valid.size and (valid.min() < 0 or valid.max() >= C):
        bad = valid[(valid < 0) | (valid >= C)][0]
        raise ValueError(f"{name}: y_true contains the label {bad}, but y_pred has {C} classes "
                         f"(shape {ps}); labels must be integers in [0, {C - 1}]"
                         + ("" if ignore_class is None else f" or ignore_class={ignore_class}"))
    if ax != nd - 1:
        y_pred = ops.permute(y_pred, tuple(i for i in range(nd) if i != ax) + (ax,))
    x = y_pred if nd == 2 else y_pred.reshape(-1, C)
    return labels.reshape(-1), x, lead


def _integer_labels(name, labels):
    if labels.dtype.kind in "iu":
        return labels.astype(np.int64, copy=False)
    if labels.dtype.kind == "f" and np.all(np.mod(labels, 1) == 0):
        return labels.astype(np.int64)
    raise ValueError(f"{name}: y_true must hold integer class labels, received dtype "
                     f"{labels.dtype}" + (" with non-integer values" if labels.dtype.kind == "f"
                                          else ""))


# ====================================================================== shapes and names
def _binary_or_sparse(y_true_shape, y_pred_shape):
    """Keras's shape test: (is_binary, is_sparse_categorical)."""
    t_last = y_true_shape[-1] if len(y_true_shape) else None
    p_last = y_pred_shape[-1] if len(y_pred_shape) else None
    is_binary = p_last == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (
        t_last == 1 and p_last is not None and p_last > 1)
    return is_binary, is_sparse


# ====================================================================== reduction
def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size"):
    """Weight per-sample ``values`` by ``sample_weight`` (and a bool ``mask``), then reduce.

    A mask acts as weights ``size / valid`` on kept entries under the mean reductions,
    so the mean runs over the kept entries only (Keras's ``apply_mask``).
    """
    reduction = _standardize_reduction(reduction)
    dtype = values.dtype
    sw = None if sample_weight is None else _as_array(sample_weight).astype(dtype, copy=False)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if reduction in ("mean", "sum_over_batch_size"):
            valid = int(mask.sum())
            fm = np.where(mask, mask.size / valid if valid else 0.0, 0.0).astype(dtype)
        else:
            fm = mask.astype(dtype)
        sw = fm if sw is None else _align_weights(fm, sw) * fm
    if sw is not None:
        sw = _align_weights(values, sw)
        values = values * sw
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sw is not None:
        total = float(np.sum(sw))
        return ops.sum(values) * (1.0 / total if total else 0.0)
    return ops.mean(values)


def _standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`: expected one of "
                         f"{REDUCTIONS}, received reduction={reduction!r}")
    return reduction


def _align_weights(values, sw):
    """Give ``sample_weight`` a shape that broadcasts against the per-sample ``values``."""
    vs = tuple(values.shape)
    if sw.ndim == len(vs) + 1 and sw.shape[-1] == 1:
        sw = sw.reshape(sw.shape[:-1])
    while sw.ndim < len(vs):
        sw = sw[..., None]
    try:
        ok = np.broadcast_shapes(sw.shape, vs) == vs
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"sample_weight of shape {sw.shape} does not match the per-sample "
                         f"losses of shape {vs}; expected shape {vs[:1]} or {vs}")
    return sw
