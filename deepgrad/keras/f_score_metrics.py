"""Keras 3's F-scores and confusion counts: ``FBetaScore``, ``F1Score``,
``TruePositives``, ``FalsePositives``, ``TrueNegatives``, ``FalseNegatives``
(re-exported by :mod:`deepgrad.keras.metrics`, where the registry finds them).

FBetaScore takes one-hot (or multi-label) targets (batch, C) and scores (batch, C). A
score counts as predicted when it is the row's maximum (``threshold=None``; an all-zero
row predicts nothing) or above ``threshold``. Per class, with sample weights w_i, it
accumulates TP, FP, FN and the support, and reports (eps = 1e-7, as Keras)

    precision = TP / (TP + FP + eps),   recall = TP / (TP + FN + eps)
    F_beta    = (1 + b^2) precision recall / (b^2 precision + recall + eps)

per class (``average=None``: the minority classes' scores in the logs), their mean
(``'macro'``), their support-weighted mean (``'weighted'``), or from pooled counts
(``'micro'``). The count metrics sum the (weighted) entries with ``y_pred > threshold``
(0.5) that are true positives, false positives... as Keras's.
"""
import numpy as np

from deepgrad.keras.confusion_metrics import _check_thresholds, confusion_counts
from deepgrad.keras.metrics_base import Metric, _np, _scalar

_EPSILON = 1e-7


class FBetaScore(Metric):
    """Keras 3's ``FBetaScore(average=None, beta=1.0, threshold=None)`` (module docstring).

    Raises:
        ValueError: an unknown ``average``, ``beta`` not a positive float, ``threshold``
            not a float in (0, 1], inputs not 2-D (batch, C).
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"Invalid `average` argument value. Expected one of: {{None, "
                             f"'micro', 'macro', 'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: "
                             f"beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"Invalid `threshold` argument value. It should be a Python "
                                 f"float. Received: threshold={threshold} of type "
                                 f"'{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(f"Invalid `threshold` argument value. It should verify 0 < "
                                 f"threshold <= 1. Received: threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"FBetaScore expects 2D inputs with shape (batch_size, "
                             f"output_dim). Received input shapes: y_pred.shape="
                             f"{y_pred_shape} and y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = np.asarray(_np(y_true), np.float64)
        y_pred = np.asarray(_np(y_pred), np.float64)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        width = self.true_positives.value.shape
        if y_true.shape != y_pred.shape or y_pred.ndim != 2 or (
                width and y_pred.shape[1] != width[0]):
            raise ValueError(f"FBetaScore: y_true {y_true.shape} and y_pred {y_pred.shape} "
                             f"must both be (batch_size, output_dim) with the output_dim "
                             f"seen first")
        if self.threshold is None:
            pred = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            pred = y_pred > self.threshold
        pred = pred.astype(np.float64)
        w = None if sample_weight is None else np.asarray(_np(sample_weight),
                                                          np.float64).reshape(-1, 1)

        def weighted_sum(v):
            return np.sum(v if w is None else v * w, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(pred * y_true))
        self.false_positives.assign_add(weighted_sum(pred * (1 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1 - pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        if not self._built:
            return 0.0
        tp = self.true_positives.value
        precision = tp / (tp + self.false_positives.value + _EPSILON)
        recall = tp / (tp + self.false_negatives.value + _EPSILON)
        b2 = self.beta ** 2
        f = precision * recall / (b2 * precision + recall + _EPSILON) * (1 + b2)
        if self.average == "weighted":
            weights = self.intermediate_weights.value
            return float(np.sum(f * weights / (np.sum(weights) + _EPSILON)))
        if self.average is not None:
            return float(np.mean(f))
        return f.astype(self.dtype)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """Keras 3's ``F1Score(average=None, threshold=None)``: :class:`FBetaScore` at beta 1."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


class _ConfusionCount(Metric):
    """One confusion count at each threshold (default 0.5)."""
    _which = 0

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = [0.5] if thresholds is None else _check_thresholds(thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight)
        self.accumulator.assign_add(counts[self._which])

    def result(self):
        return _scalar(self.accumulator.value)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """The (weighted) number of entries with ``y_pred > threshold`` and a true label."""
    _which = 0


class FalsePositives(_ConfusionCount):
    """The (weighted) number of entries with ``y_pred > threshold`` and a false label."""
    _which = 1


class TrueNegatives(_ConfusionCount):
    """The (weighted) number of entries with ``y_pred <= threshold`` and a false label."""
    _which = 2


class FalseNegatives(_ConfusionCount):
    """The (weighted) number of entries with ``y_pred <= threshold`` and a true label."""
    _which = 3
