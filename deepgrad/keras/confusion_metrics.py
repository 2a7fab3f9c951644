"""Confusion-matrix metrics (``keras.metrics.Precision``, ``Recall``, ``AUC``).

They count, at each threshold ``t``, the (weighted) entries with ``y_pred > t``:
true/false positives and negatives (:func:`confusion_counts`), and report

    Precision = TP / (TP + FP),   Recall = TP / (TP + FN)
    AUC (ROC) = sum_k (FPR_k - FPR_{k+1}) (TPR_k + TPR_{k+1}) / 2     (Keras's interpolation)

All three are re-exported by :mod:`deepgrad.keras.metrics`, whose registry finds them.
"""
import numpy as np

from deepgrad.keras.loss_utils import squeeze_or_expand_to_same_rank
from deepgrad.keras.metrics_base import Metric, _divide_no_nan, _np, _scalar

_EPSILON = 1e-7
_NEG_INF = -1e10


# ====================================================================== confusion counts
def _thresholds_are_even(thresholds):
    """Keras uses bucketing (clipping predictions to [0, 1]) for even thresholds."""
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n) / (n - 1), atol=_EPSILON)


def _check_thresholds(thresholds):
    values = np.atleast_1d(np.asarray(thresholds, np.float64))
    if values.size == 0 or np.any((values < 0) | (values > 1)):
        raise ValueError(f"Threshold values must be in [0, 1]; received {thresholds!r}")
    return [float(v) for v in values]


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None,
                     class_id=None, multi_label=False, label_weights=None, clip=False):
    """Weighted (TP, FP, TN, FN) at each threshold, where "predicted positive" means
    ``y_pred > threshold``. Shapes (T,), or (T, L) with ``multi_label`` (L labels).

    One pass: each prediction falls into the bucket of the thresholds below it
    (``searchsorted``); reversed cumulative sums of the bucket weights give the counts.
    """
    y_true, y_pred = _np(y_true), _np(y_pred)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    dtype = y_pred.dtype if y_pred.dtype.kind == "f" else np.dtype(np.float64)
    y_pred = y_pred.astype(dtype, copy=False)
    w = None
    if sample_weight is not None:
        w = np.asarray(_np(sample_weight), np.float64)[..., None]
        _, w = squeeze_or_expand_to_same_rank(y_true, w, expand_rank_1=False)
    if top_k is not None:
        kth = np.sort(y_pred, axis=-1)[..., -top_k][..., None]
        y_pred = np.where(y_pred >= kth, y_pred, _NEG_INF).astype(dtype)
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    if clip:
        y_pred = np.clip(y_pred, 0.0, 1.0)
    w = np.ones(y_pred.shape) if w is None else np.broadcast_to(w, y_pred.shape)
    if label_weights is not None and not multi_label:
        w = w * np.asarray(label_weights, np.float64)
    positive = np.broadcast_to(y_true, y_pred.shape).astype(bool)
    thr = np.asarray(thresholds, dtype)
    order = np.argsort(thr, kind="stable")
    if multi_label:
        cols = [_counts(thr[order], y_pred[:, j], positive[:, j], w[:, j])
                for j in range(y_pred.shape[1])]
        counts = [np.stack(c, axis=1) for c in zip(*cols)]
    else:
        counts = _counts(thr[order], y_pred.ravel(), positive.ravel(), w.ravel())
    out = []
    for c in counts:
        unsorted = np.empty_like(c)
        unsorted[order] = c
        out.append(unsorted)
    return tuple(out)


def _counts(sorted_thr, pred, positive, w):
    T = len(sorted_thr)
    bucket = np.searchsorted(sorted_thr, pred, side="left")      # thresholds below pred
    pos = np.bincount(bucket, weights=w * positive, minlength=T + 1)
    neg = np.bincount(bucket, weights=w * ~positive, minlength=T + 1)
    tp = np.cumsum(pos[::-1])[::-1][1:]                          # preds above threshold j
    fp = np.cumsum(neg[::-1])[::-1][1:]
    return tp, fp, neg.sum() - fp, pos.sum() - tp


# ====================================================================== metrics
class _PrecisionRecall(Metric):
    """Shared state of Precision and Recall: TP and FP/FN at each threshold."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        if thresholds is None:
            self.thresholds = [0.5 if top_k is None else _NEG_INF]
        else:
            self.thresholds = _check_thresholds(thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, _, fn = confusion_counts(y_true, y_pred, self.thresholds, sample_weight,
                                         self.top_k, self.class_id,
                                         clip=_thresholds_are_even(self.thresholds))
        self.true_positives.assign_add(tp)
        self.false_positives.assign_add(fp)
        self.false_negatives.assign_add(fn)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``TP / (TP + FP)`` with predictions ``> thresholds`` (0.5) counted positive; a
    float for one threshold, an array for several."""

    def result(self):
        tp = self.true_positives.value
        return _scalar(_divide_no_nan(tp, tp + self.false_positives.value))


class Recall(_PrecisionRecall):
    """``TP / (TP + FN)`` with predictions ``> thresholds`` (0.5) counted positive."""

    def result(self):
        tp = self.true_positives.value
        return _scalar(_divide_no_nan(tp, tp + self.false_negatives.value))


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at ``num_thresholds``
    evenly spaced thresholds (plus -eps and 1 + eps at the ends).

    ROC with 'interpolation' is the trapezoidal rule over (FPR, TPR); PR with
    'interpolation' is Davis & Goadrich's interpolation, as Keras computes it.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        if str(curve).lower() not in _CURVES:
            raise ValueError(f"Invalid AUC curve value: {curve!r}; expected one of "
                             f"{sorted(set(_CURVES.values()))}")
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(f"Invalid AUC summation method value: {summation_method!r}; "
                             f"expected one of {_SUMMATIONS}")
        self.curve, self.summation_method = _CURVES[curve.lower()], summation_method.lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_check_thresholds(thresholds))
            self._even = _thresholds_are_even([0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1; received "
                                 f"num_thresholds={num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._even = True
        self.num_thresholds = len(inner) + 2
        self._thresholds = np.array([-_EPSILON] + inner + [1.0 + _EPSILON])
        self.multi_label, self.num_labels, self.from_logits = multi_label, num_labels, from_logits
        self.label_weights = None if label_weights is None else np.asarray(label_weights, float)
        self._counts = None
        if not multi_label or num_labels:
            self._build(num_labels if multi_label else None)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        self._counts = [self.add_variable(shape, name=n) for n in (
            "true_positives", "false_positives", "true_negatives", "false_negatives")]
        self.true_positives, self.false_positives, self.true_negatives, \
            self.false_negatives = self._counts

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(_np(y_pred))
        if self._counts is None:
            if y_pred.ndim != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`; received "
                                 f"shape {y_pred.shape}")
            self._build(y_pred.shape[1])
        if self.from_logits:
            y_pred = 0.5 * (1.0 + np.tanh(0.5 * y_pred))
        counts = confusion_counts(y_true, y_pred, self._thresholds, sample_weight,
                                  multi_label=self.multi_label, clip=self._even,
                                  label_weights=None if self.multi_label else self.label_weights)
        for var, c in zip(self._counts, counts):
            var.assign_add(c)

    def result(self):
        if self._counts is None:
            return 0.0
        tp, fp, tn, fn = (v.value for v in self._counts)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._by_label(self._interpolate_pr_auc(tp, fp, fn))
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:
            x, y = _pr_gain(tp, fp, tn, fn)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._by_label((x[:-1] - x[1:]) * heights)

    @staticmethod
    def _interpolate_pr_auc(tp, fp, fn):
        """Davis & Goadrich (2006): precision interpolated between thresholds."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return _divide_no_nan(slope * (dtp + intercept * np.log(ratio)),
                              np.maximum(tp[1:] + fn[1:], 0))

    def _by_label(self, terms):
        if not self.multi_label:
            return float(np.sum(terms))
        per_label = np.sum(terms, axis=0)
        if self.label_weights is None:
            return float(np.mean(per_label))
        return float(_divide_no_nan(np.sum(per_label * self.label_weights),
                                    np.sum(self.label_weights)))

    def reset_state(self):
        if self._counts is not None:
            super().reset_state()

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None
                  else self.label_weights.tolist(), "from_logits": self.from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _pr_gain(tp, fp, tn, fn):
    scale = _divide_no_nan(tp + fn, tn + fp)
    recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * _divide_no_nan(fn, tp))
    precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * _divide_no_nan(fp, tp))
    return np.maximum(recall_gain, 0.0), precision_gain
