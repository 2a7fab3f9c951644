"""Metrics by their Keras 3 names (``keras.metrics``): stateful, computed in NumPy.

A metric accumulates over batches and reports a value::

    m.update_state(y_true, y_pred, sample_weight=None)    # add one batch
    m.result()                                             # a float (or an array)
    m.reset_state()                                        # start again (each epoch)

Metrics read arrays (``Tensor.array``) and never build a graph. The means weight each
sample: with per-sample values ``v_i`` and weights ``w_i`` (1 by default),

    Mean:  sum_i w_i v_i / sum_i w_i

and ``MeanMetricWrapper(fn)`` takes ``v_i = fn(y_true, y_pred)_i`` (accuracies, and
the loss functions of :mod:`deepgrad.keras.losses` as metrics). The confusion-matrix
metrics (Precision, Recall, AUC) live in :mod:`deepgrad.keras.confusion_metrics`, the
base class :class:`Metric` in :mod:`deepgrad.keras.metrics_base`; both are re-exported
here, and :func:`get` finds them by name.

State lives in float64 accumulators (Keras keeps float32), so long runs do not drift.
"""
import numpy as np

from deepgrad.keras import losses as _losses
from deepgrad.keras.confusion_metrics import (  # noqa: F401  (confusion_counts: re-exported)
    AUC, Precision, Recall, confusion_counts)
from deepgrad.keras.f_score_metrics import (  # noqa: F401  (Keras 3's F-scores and counts)
    F1Score, FBetaScore, FalseNegatives, FalsePositives, TrueNegatives, TruePositives)
from deepgrad.keras.losses import squeeze_or_expand_to_same_rank
from deepgrad.keras.metrics_base import (  # noqa: F401  (MetricVariable: re-exported)
    Metric, MetricVariable, _divide_no_nan, _np)
from deepgrad.keras import registry
from deepgrad.keras.regression_iou_metrics import (  # noqa: F401  (Keras 3's names)
    BinaryIoU, ConcordanceCorrelation, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
    PearsonCorrelation, R2Score, concordance_correlation, pearson_correlation)
from deepgrad.keras.threshold_metrics import (  # noqa: F401  (Keras 3's names)
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity)
# Keras 3's keras.metrics exports the loss functions under their own names
from deepgrad.keras.losses import (  # noqa: F401,E402
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, log_cosh,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)

# ====================================================================== means
def reduce_to_samplewise_values(values, sample_weight, reduce_fn=np.mean):
    """Per-sample values (axis 0) and their weights, Keras's ``reduce_to_samplewise_values``:
    extra axes of ``values`` beyond the weights' are reduced first, then weighted."""
    values = np.asarray(values, np.float64)
    sw = None
    if sample_weight is not None:
        sw = np.asarray(_np(sample_weight), np.float64)
        values, sw = squeeze_or_expand_to_same_rank(values, sw)
        if values.ndim > sw.ndim:
            values = reduce_fn(values, axis=tuple(range(sw.ndim, values.ndim)))
        sw_full = np.broadcast_to(sw, values.shape)
        values = values * sw_full
        sw = reduce_fn(sw_full, axis=tuple(range(1, sw_full.ndim))) if sw_full.ndim > 1 else sw_full
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sw


def _accumulate(total, count, values, sample_weight):
    """Add one batch to a running weighted mean's ``total`` and ``count``."""
    values, sw = reduce_to_samplewise_values(_np(values), sample_weight)
    total.assign_add(values.sum())
    count.assign_add(sw.sum() if sw is not None else (values.shape[0] if values.ndim else 1))


class Mean(Metric):
    """Weighted mean of the values seen: ``sum w_i v_i / sum w_i``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        if isinstance(values, (float, int)) or getattr(values, "ndim", None) == 0:
            if sample_weight is None or isinstance(sample_weight, (int, float)):
                w = 1.0 if sample_weight is None else float(sample_weight)
                total, count = self.total.value, self.count.value   # float64, 0-d
                total[()] = total.item() + float(values) * w   # a scalar (a loss): one add
                count[()] = count.item() + w                   # (10x cheaper than +=)
                return
        _accumulate(self.total, self.count, values, sample_weight)

    def result(self):
        count = float(self.count.value)
        return float(self.total.value) / count if count else 0.0


class Sum(Metric):
    """Weighted sum of the values seen: ``sum w_i v_i``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(_np(values), sample_weight, reduce_fn=np.sum)
        self.total.assign_add(values.sum())

    def result(self):
        return float(self.total.value)


class MeanMetricWrapper(Metric):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    The named subclasses fix ``fn``; their config is their own arguments.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(_np(y_true), _np(y_pred), **self._fn_kwargs)
        _accumulate(self.total, self.count, values, sample_weight)

    def result(self):
        count = float(self.count.value)
        return float(self.total.value) / count if count else 0.0

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", self._fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            fn = config.pop("fn")
            return cls(registry.deserialize(fn, "losses") if isinstance(fn, (str, dict)) else fn,
                       **config)
        return cls(**config)


# ====================================================================== accuracy functions
def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` exactly, else 0.0."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(_np(y_true), _np(y_pred))
    return (y_true == y_pred).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(y_pred > threshold) == y_true``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(_np(y_true), _np(y_pred))
    return (y_true == (y_pred > threshold).astype(y_true.dtype)).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` (one-hot targets)."""
    y_true, y_pred = _np(y_true), _np(y_pred)
    labels = np.argmax(y_true, axis=-1)
    return (labels == np.argmax(y_pred, axis=-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals ``argmax(y_pred)``."""
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    matches = (y_true == np.argmax(y_pred, axis=-1)).astype(np.float32)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches.reshape(matches.shape[:-1])
    return matches


def _in_top_k(labels, scores, k):
    """True where the label's score is at least the k-th largest (ties count as in)."""
    scores = scores.reshape(-1, scores.shape[-1])
    labels = labels.reshape(-1).astype(np.int64)
    if k >= scores.shape[-1]:
        return np.ones(labels.shape, bool)
    kth = np.partition(scores, -k, axis=-1)[:, -k]
    return scores[np.arange(len(labels)), labels] >= kth


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target's class is among the ``k`` highest scores."""
    y_true, y_pred = _np(y_true), _np(y_pred)
    labels = np.argmax(y_true, axis=-1)
    return _in_top_k(labels, y_pred, k).astype(np.float32).reshape(labels.shape)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the ``k`` highest scores."""
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    return _in_top_k(y_true, y_pred, k).astype(np.float32).reshape(y_true.shape)


# ====================================================================== named mean metrics
class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k)
        self.k = k


class MeanSquaredError(MeanMetricWrapper, aliases=("mse", "MSE")):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper, aliases=("mae", "MAE")):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name, dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper, aliases=("mape", "MAPE")):
    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_losses.mean_absolute_percentage_error, name, dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper, aliases=("msle", "MSLE")):
    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(_losses.mean_squared_logarithmic_error, name, dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity (+1 when aligned; the loss is its negative)."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name, dtype, axis=axis)


def _cosine_similarity(y_true, y_pred, axis=-1):
    return -_np(_losses.cosine_similarity(y_true, y_pred, axis=axis))


class LogCoshError(MeanMetricWrapper, aliases=("logcosh",)):
    def __init__(self, name="logcosh", dtype=None):
        super().__init__(_losses.log_cosh, name, dtype)


class BinaryCrossentropy(MeanMetricWrapper, aliases=("bce", "BCE")):
    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(_losses.binary_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0, axis=-1):
        super().__init__(_losses.categorical_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 axis=-1):
        super().__init__(_losses.sparse_categorical_crossentropy, name, dtype,
                         from_logits=from_logits, axis=axis)


class KLDivergence(MeanMetricWrapper, aliases=("kld", "KLD")):
    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(_losses.kl_divergence, name, dtype)


class Poisson(MeanMetricWrapper):
    def __init__(self, name="poisson", dtype=None):
        super().__init__(_losses.poisson, name, dtype)


class Hinge(MeanMetricWrapper):
    def __init__(self, name="hinge", dtype=None):
        super().__init__(_losses.hinge, name, dtype)


class SquaredHinge(MeanMetricWrapper):
    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(_losses.squared_hinge, name, dtype)


class CategoricalHinge(MeanMetricWrapper):
    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(_losses.categorical_hinge, name, dtype)


class RootMeanSquaredError(Mean, aliases=("rmse",)):
    """``sqrt(mean((y_pred - y_true)^2))`` over all samples seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = squeeze_or_expand_to_same_rank(
            np.asarray(_np(y_true), np.float64), np.asarray(_np(y_pred), np.float64))
        super().update_state((y_pred - y_true) ** 2, sample_weight=sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


# ====================================================================== registry
_ACCURACY, _CROSSENTROPY = ("accuracy", "acc"), ("crossentropy", "ce")


def get(identifier):
    """Keras 3's ``keras.metrics.get``: a name (``'mse'``, ``'AUC'``, ``'auc'``) or class
    gives a default instance, a config dict is deserialized, a Metric or another callable
    passes through (``compile`` names metrics after its strings and wraps functions in
    :class:`MeanMetricWrapper`: see :func:`get_metric`).

    Raises:
        ValueError: an unknown name (listing the valid ones) or an uncallable object.
    """
    return registry.get("metrics", identifier)


def resolve_accuracy(y_true_shape, y_pred_shape):
    """The metric ``'accuracy'`` stands for, from the data's shapes (Keras 3's rule):
    binary if ``y_pred``'s last axis has size 1; sparse categorical if ``y_true`` has one
    axis fewer than ``y_pred`` (or a last axis of 1 against more than one class);
    categorical otherwise. (Keras 2 also chose binary accuracy for a binary
    cross-entropy loss; Keras 3, and so deepgrad, look at the shapes only: for
    multi-label sigmoid outputs pass ``BinaryAccuracy()`` explicitly.)
    """
    is_binary, is_sparse = _losses._binary_or_sparse(tuple(y_true_shape), tuple(y_pred_shape))
    if is_binary:
        return BinaryAccuracy(name="accuracy")
    if is_sparse:
        return SparseCategoricalAccuracy(name="accuracy")
    return CategoricalAccuracy(name="accuracy")


def get_metric(identifier, y_true_shape, y_pred_shape):
    """What ``compile(metrics=[identifier])`` makes (Keras's ``compile_utils.get_metric``):
    'accuracy'/'acc' via :func:`resolve_accuracy`, 'crossentropy'/'ce' likewise
    (binary/sparse/categorical), anything else via :func:`get`; named after the string."""
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    key = str(identifier).lower() if isinstance(identifier, str) else None
    if key in _ACCURACY:
        metric = resolve_accuracy(y_true_shape, y_pred_shape)
    elif key in _CROSSENTROPY:
        fn = _losses.crossentropy_for_shapes(tuple(y_true_shape), tuple(y_pred_shape))
        metric = {_losses.binary_crossentropy: BinaryCrossentropy,
                  _losses.categorical_crossentropy: CategoricalCrossentropy}.get(
            fn, SparseCategoricalCrossentropy)()
    else:
        metric = get(identifier)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def serialize(metric):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}`` for a Metric."""
    return registry.serialize(metric, "metrics")


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize` (also accepts a plain name)."""
    return get(registry.deserialize(config, "metrics", custom_objects))
