"""Metrics of scores (probabilities or logits) rather than labels, by scikit-learn's
names: the precision-recall curve and its area.

Sorting the n scores in decreasing order and cutting after each distinct score s_k
gives the (weighted) true and false positives TP_k, FP_k above it; then

    precision_k = TP_k / (TP_k + FP_k),   recall_k = TP_k / TP_total,
    AP          = sum_k (recall_k - recall_{k-1}) precision_k

(average precision: the step-wise area under the precision-recall curve, no
interpolation, as scikit-learn's ``average_precision_score``). For rare positives it is
far more telling than ROC AUC: a random ranking scores the positive rate, not 0.5.
Multiclass scores (n, C) are scored one class against the rest and averaged (``'macro'``,
``'weighted'`` by support, ``'micro'`` pooled, or None for one value per class).
"""
import warnings

import numpy as np

from deepgrad.metrics._common import as_array, sample_weights, type_of_target


def _binary_clf_curve(y_true, y_score, pos_label=None, sample_weight=None):
    """(FP_k, TP_k, thresholds) at each distinct score, from the highest down."""
    y_true, y_score = as_array(y_true, "y_true").ravel(), as_array(y_score, "y_score").ravel()
    if y_true.shape != y_score.shape:
        raise ValueError(f"y_true has {y_true.size} entries and y_score {y_score.size}; "
                         f"expected one score per label")
    classes = np.unique(y_true)
    if pos_label is None:
        if not (np.isin(classes, (0, 1)).all() or np.isin(classes, (-1, 1)).all()):
            raise ValueError(f"y_true takes value in {{{', '.join(map(repr, classes.tolist()))}"
                             f"}} and pos_label is not specified: either make y_true take "
                             f"value in {{0, 1}} or {{-1, 1}} or pass pos_label explicitly.")
        pos_label = 1
    w = sample_weights(sample_weight, y_true.size)
    y = (y_true == pos_label).astype(np.float64)
    order = np.argsort(y_score, kind="mergesort")[::-1]
    y, s = y[order], y_score[order]
    w = None if w is None else w[order]
    idx = np.r_[np.where(np.diff(s))[0], y.size - 1]
    tps = np.cumsum(y if w is None else y * w)[idx]
    fps = 1 + idx - tps if w is None else np.cumsum((1 - y) * w)[idx]
    return fps, tps, s[idx]


def precision_recall_curve(y_true, y_score, *, pos_label=None, sample_weight=None,
                           drop_intermediate=False):
    """Precision and recall at each distinct score threshold, as scikit-learn's.

    Args:
        y_true: binary labels (n,) ({0, 1} or {-1, 1}, else give ``pos_label``).
        y_score: scores of the positive class (n,); higher means more likely positive.
        pos_label: the positive label.
        sample_weight (array-like, optional): shape (n,).
        drop_intermediate (bool): drop thresholds where TP does not change (same curve).
    Returns:
        (precision, recall, thresholds): recall decreasing to 0, precision ending in 1;
        the first two have one entry more than ``thresholds`` (increasing).
    """
    fps, tps, thresholds = _binary_clf_curve(y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])),
                              True])[0]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    ps = tps + fps
    precision = np.divide(tps, ps, out=np.zeros_like(tps, dtype=np.float64), where=ps != 0)
    if tps[-1] == 0:
        warnings.warn("No positive class found in y_true, recall is set to one for all "
                      "thresholds.", UserWarning, stacklevel=2)
        recall = np.ones_like(tps, dtype=np.float64)
    else:
        recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def _binary_ap(y_true, y_score, pos_label, sample_weight):
    precision, recall, _ = precision_recall_curve(y_true, y_score, pos_label=pos_label,
                                                  sample_weight=sample_weight)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def average_precision_score(y_true, y_score, *, average="macro", pos_label=1,
                            sample_weight=None):
    """The area under the precision-recall curve (module docstring), as scikit-learn's.

    Args:
        y_true: binary labels (n,), multiclass labels (n,) with ``y_score`` (n, C) (one
            class against the rest), or a 0/1 indicator matrix (n, C).
        y_score: scores, (n,) or (n, C).
        average (None, 'micro', 'macro', 'weighted'): how the per-class areas combine.
        pos_label: the positive label of binary data.
        sample_weight (array-like, optional): shape (n,).
    Returns:
        float, or one value per class with ``average=None``.
    """
    if average not in (None, "micro", "macro", "weighted"):
        raise ValueError(f"average has to be one of (None, 'micro', 'macro', 'weighted'), "
                         f"received {average!r}")
    yt, ys = as_array(y_true, "y_true"), as_array(y_score, "y_score").astype(np.float64)
    kind = type_of_target(yt)
    present = np.unique(yt)
    if kind == "binary":
        if ys.ndim != 1 and not (ys.ndim == 2 and ys.shape[1] == 1):
            raise ValueError(f"binary y_true needs y_score of shape (n,), the positive "
                             f"class's scores; received shape {ys.shape}")
        if present.size == 2 and pos_label not in present.tolist():
            raise ValueError(f"pos_label={pos_label} is not a valid label. It should be one "
                             f"of {present.tolist()}")
        return _binary_ap(yt.ravel(), ys.ravel(), pos_label, sample_weight)
    if pos_label != 1:
        raise ValueError(f"Parameter pos_label is fixed to 1 for {kind} y_true. Do not set "
                         f"pos_label or set pos_label to 1.")
    if kind == "multiclass":
        yt = (yt.reshape(-1, 1) == present.reshape(1, -1)).astype(np.int64)
        if ys.shape != yt.shape:
            raise ValueError(f"`y_score` needs to be of shape `(n_samples, n_classes)`, since "
                             f"`y_true` contains multiple classes. Got "
                             f"`y_score.shape={ys.shape}`.")
    elif ys.shape != yt.shape:
        raise ValueError(f"y_true {yt.shape} and y_score {ys.shape} must have one shape")
    w = sample_weights(sample_weight, yt.shape[0])
    if average == "micro":
        ww = None if w is None else np.repeat(w, yt.shape[1])
        return _binary_ap(yt.ravel(), ys.ravel(), 1, ww)
    scores = np.array([_binary_ap(yt[:, c], ys[:, c], 1, w) for c in range(yt.shape[1])])
    if average is None:
        return scores
    weights = None
    if average == "weighted":
        weights = (yt * (1.0 if w is None else w[:, None])).sum(axis=0)
        if np.isclose(weights.sum(), 0.0):
            return 0.0
    return float(np.average(scores, weights=weights))


def auc(x, y):
    """The area under a curve through the points (x_i, y_i) by the trapezoidal rule; x
    must be monotonic (increasing or decreasing), as ``sklearn.metrics.auc``."""
    x, y = as_array(x, "x").astype(np.float64).ravel(), as_array(y, "y").astype(np.float64).ravel()
    if x.shape[0] < 2:
        raise ValueError(f"At least 2 points are needed to compute area under curve, but "
                         f"x.shape = {x.shape[0]}")
    if x.shape != y.shape:
        raise ValueError(f"x has {x.size} points and y {y.size}; expected the same number")
    direction = 1
    dx = np.diff(x)
    if np.any(dx < 0):
        if np.all(dx <= 0):
            direction = -1
        else:
            raise ValueError(f"x is neither increasing nor decreasing : {x}.")
    return float(direction * np.trapezoid(y, x))
