"""Keras 3's correlation, R^2 and intersection-over-union metrics, computed in NumPy.

Correlations (per sample over ``axis``, then averaged over samples as a mean metric)::

    pearson(t, p)     = mean(((t - mean t) / std t) * ((p - mean p) / std p))
    concordance(t, p) = mean(2 (t - mean p)(p - mean p)
                             / (var t + var p + (mean t - mean p)^2 + eps))

(population std/var; Keras 3.15 centres ``t`` on ``mean p`` in the numerator, and so does
deepgrad, to give its values). ``R2Score`` accumulates per-output sums and reports
``1 - SS_res / SS_tot`` (inf -> 0), averaged uniformly or weighted by ``SS_tot``, adjusted
``1 - (1 - R^2)(n - 1)/(n - p - 1)`` for ``num_regressors = p``. The IoU family accumulates
a confusion matrix ``cm[true, pred]`` and reports, over ``target_class_ids``,
``mean(TP / (TP + FP + FN))`` with absent classes left out of the mean.
"""
import warnings

import numpy as np

from deepgrad.keras.loss_utils import squeeze_or_expand_to_same_rank
from deepgrad.keras.metrics_base import Metric, _np

_EPSILON = 1e-7


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's r between ``y_true`` and ``y_pred`` along ``axis``."""
    y_pred = np.asarray(_np(y_pred))
    y_true = np.asarray(_np(y_true), y_pred.dtype if y_pred.dtype.kind == "f" else None)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    t = y_true - y_true.mean(axis=axis, keepdims=True)
    p = y_pred - y_pred.mean(axis=axis, keepdims=True)
    t = t / t.std(axis=axis, keepdims=True)
    p = p / p.std(axis=axis, keepdims=True)
    return (t * p).mean(axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient along ``axis`` (Keras 3.15's form)."""
    y_pred = np.asarray(_np(y_pred))
    y_true = np.asarray(_np(y_true), y_pred.dtype if y_pred.dtype.kind == "f" else None)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    t_mean = y_true.mean(axis=axis, keepdims=True)
    p_mean = y_pred.mean(axis=axis, keepdims=True)
    t_var, p_var = y_true.var(axis=axis, keepdims=True), y_pred.var(axis=axis, keepdims=True)
    covar = (y_true - p_mean) * (y_pred - p_mean)
    norm = t_var + p_var + (t_mean - p_mean) ** 2
    return (2 * covar / (norm + _EPSILON)).mean(axis=axis)


class _CorrelationMetric(Metric):
    """The weighted mean over samples of a per-sample correlation along ``axis``."""

    _fn = None

    def __init__(self, name=None, dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype)
        self.axis = axis
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.asarray(type(self)._fn(y_true, y_pred, axis=self.axis), np.float64)
        values = values.reshape(values.shape[:1] + (-1,)).mean(-1) if values.ndim else values
        w = np.ones_like(values) if sample_weight is None else np.broadcast_to(
            np.asarray(_np(sample_weight), np.float64).reshape(-1)
            if np.ndim(_np(sample_weight)) else np.asarray(_np(sample_weight), np.float64),
            values.shape)
        self.total.assign_add((values * w).sum())
        self.count.assign_add(w.sum())

    def result(self):
        count = float(self.count.value)
        return float(self.total.value) / count if count else 0.0

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PearsonCorrelation(_CorrelationMetric):
    """The mean over samples of :func:`pearson_correlation`."""

    _fn = staticmethod(pearson_correlation)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(_CorrelationMetric):
    """The mean over samples of :func:`concordance_correlation`."""

    _fn = staticmethod(concordance_correlation)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination of each output column, aggregated.

    Args:
        class_aggregation: ``"uniform_average"``, ``"variance_weighted_average"`` or None
            (one score per output).
        num_regressors (int): ``p`` of the adjusted R^2 (0: plain R^2).

    Inputs are (batch, outputs).
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0,
                 name="r2_score", dtype=None):
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(f"Invalid value for argument `class_aggregation`. Expected one "
                             f"of {_AGGREGATIONS}. Received: "
                             f"class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        super().__init__(name=name, dtype=dtype)
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable(name="num_samples")
        self._sums = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = np.asarray(_np(y_true), np.float64)
        y_pred = np.asarray(_np(y_pred), np.float64)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if y_true.ndim != 2 or y_pred.ndim != 2:
            raise ValueError(f"R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={y_pred.shape} and "
                             f"y_true.shape={y_true.shape}.")
        if self._sums is None:
            n = y_pred.shape[-1]
            self._sums = {k: self.add_variable((n,), name=k)
                          for k in ("squared_sum", "sum", "residual", "count")}
        w = np.ones(()) if sample_weight is None else np.asarray(_np(sample_weight), np.float64)
        if w.ndim == 1:
            w = w[:, None]
        w = np.broadcast_to(w, y_true.shape)
        self._sums["sum"].assign_add((y_true * w).sum(0))
        self._sums["squared_sum"].assign_add((y_true * y_true * w).sum(0))
        self._sums["residual"].assign_add(((y_true - y_pred) ** 2 * w).sum(0))
        self._sums["count"].assign_add(w.sum(0))
        self.num_samples.assign_add(y_true.size)

    def result(self):
        if self._sums is None:
            return 0.0
        s = {k: v.value for k, v in self._sums.items()}
        with np.errstate(divide="ignore", invalid="ignore"):
            total = s["squared_sum"] - s["sum"] * (s["sum"] / s["count"])
            raw = 1 - s["residual"] / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            r2 = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            r2 = (total * raw).sum() / total.sum()
        else:
            r2 = raw
        n, p = float(self.num_samples.value), self.num_regressors
        if p != 0:
            if p >= n - 1:
                warnings.warn("More independent predictors than datapoints (or as many as "
                              "n - 1) in adjusted R2 score. Falling back to standard R2 "
                              "score.", stacklevel=2)
            else:
                r2 = 1.0 - (1.0 - r2) * (n - 1.0) / (n - p - 1.0)
        return float(r2) if np.ndim(r2) == 0 else r2

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name,
                "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


# ====================================================================== IoU
class IoU(Metric):
    """Intersection over union of the classes ``target_class_ids``, averaged.

    Args:
        num_classes (int): the number of labels.
        target_class_ids (sequence of int): the classes averaged over.
        ignore_class (int | None): a label left out (e.g. a "void" class).
        sparse_y_true, sparse_y_pred (bool): integer labels; otherwise argmax over
            ``axis``.

    Out-of-range labels are ignored. (Keras counts with an integer confusion matrix and
    truncates float sample weights; deepgrad keeps float64, so integer weights agree.)
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        ids = [int(i) for i in target_class_ids]
        if max(ids, default=0) >= num_classes or min(ids, default=0) < 0:
            raise ValueError(f"Target class id {max(ids)} is out of range, which is "
                             f"[0, {num_classes}). Received: target_class_ids={ids}")
        super().__init__(name=name, dtype=dtype)
        self.num_classes, self.target_class_ids = num_classes, list(target_class_ids)
        self.ignore_class, self.axis = ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable((num_classes, num_classes),
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = np.asarray(_np(y_true)), np.asarray(_np(y_pred))
        if not self.sparse_y_true:
            y_true = y_true.argmax(axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(axis=self.axis)
        y_true, y_pred = y_true.astype(np.int64).ravel(), y_pred.astype(np.int64).ravel()
        w = np.ones(()) if sample_weight is None else np.asarray(_np(sample_weight), np.float64)
        w = np.broadcast_to(w.ravel() if w.ndim > 1 else w, y_true.shape)
        keep = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (
            y_pred < self.num_classes)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        cm = np.zeros((self.num_classes, self.num_classes))
        np.add.at(cm, (y_true[keep], y_pred[keep]), w[keep])
        self.total_cm.assign_add(cm)

    def result(self):
        cm = self.total_cm.value
        tp = np.diag(cm)
        denominator = cm.sum(0) + cm.sum(1) - tp
        ids = np.asarray(self.target_class_ids, np.int64)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + _EPSILON), 0.0)
        return float(iou.sum() / (valid.sum() + _EPSILON))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task: predictions ``>= threshold`` are class 1."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = (np.asarray(_np(y_pred), np.float32) >= self.threshold).astype(np.int64)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype.name}


class MeanIoU(IoU):
    """IoU averaged over every class."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, range(num_classes), name, dtype, ignore_class,
                         sparse_y_true, sparse_y_pred, axis)

    def get_config(self):
        config = super().get_config()
        config.pop("target_class_ids")
        return config


class OneHotIoU(IoU):
    """IoU with one-hot labels (and scores: argmax over ``axis``)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class,
                         False, sparse_y_pred, axis)

    def get_config(self):
        config = super().get_config()
        config.pop("sparse_y_true")
        return config


class OneHotMeanIoU(MeanIoU):
    """Mean IoU with one-hot labels (and scores: argmax over ``axis``)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)

    def get_config(self):
        config = super().get_config()
        config.pop("sparse_y_true")
        return config
