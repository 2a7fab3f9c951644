"""Metrics by their Keras 3 names (``keras.metrics``): stateful, computed in NumPy.

A metric accumulates over batches and reports a value::

    m.update_state(y_true, y_pred, sample_weight=None)    # add one batch
    m.result()                                             # a float (or an array)
    m.reset_state()                                        # start again (each epoch)

Metrics read arrays (``Tensor.array``) and never build a graph. The means weight each
sample: with per-sample values ``v_i`` and weights ``w_i`` (1 by default),

    Mean:  sum_i w_i v_i / sum_i w_i

and ``MeanMetricWrapper(fn)`` takes ``v_i = fn(y_true, y_pred)_i`` (accuracies, and
the loss functions of :mod:`deepgrad.keras.losses` as metrics). Confusion-matrix
metrics count, at each threshold ``t``, the (weighted) entries with ``y_pred > t``:

    Precision = TP / (TP + FP),   Recall = TP / (TP + FN)
    AUC (ROC) = sum_k (FPR_k - FPR_{k+1}) (TPR_k + TPR_{k+1}) / 2     (Keras's interpolation)

State lives in float64 accumulators (Keras keeps float32), so long runs do not drift.
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import losses as _losses
from deepgrad.keras.losses import squeeze_or_expand_to_same_rank

_EPSILON = 1e-7
_NEG_INF = -1e10


def _np(x):
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _divide_no_nan(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b != 0)


def _scalar(x):
    x = np.asarray(x)
    return float(x.item()) if x.size == 1 and x.ndim <= 1 else x


class MetricVariable(np.lib.mixins.NDArrayOperatorsMixin):
    """A metric's accumulator: a named float64 NumPy array updated in place.

    It supports ``assign``, ``assign_add``, ``assign_sub``, ``numpy()`` and NumPy
    arithmetic (``tp / (tp + fp)``), as custom metrics use Keras's metric variables.
    """

    def __init__(self, value, name=None):
        self.value = np.array(value, dtype=np.float64)
        self.name = name

    shape = property(lambda self: self.value.shape)
    dtype = property(lambda self: self.value.dtype)

    def assign(self, value):
        self.value[...] = _np(value)

    def assign_add(self, value):
        self.value += _np(value)

    def assign_sub(self, value):
        self.value -= _np(value)

    def numpy(self):
        return self.value.copy()

    def __array__(self, dtype=None, copy=None):
        return self.value if dtype is None else self.value.astype(dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(i.value if isinstance(i, MetricVariable) else i for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __getitem__(self, index):
        return self.value[index]

    def __float__(self):
        return float(self.value)

    def __repr__(self):
        return f"<MetricVariable {self.name} value={self.value}>"


# ====================================================================== base classes
class Metric:
    """Base class: subclasses define ``update_state`` and ``result``; ``add_variable``
    (alias ``add_weight``) makes accumulators that ``reset_state`` zeroes.

    Args:
        name (str): shown in logs (default: the class name in snake_case).
        dtype: the dtype of the reported values (informational; state is float64).
    """

    def __init__(self, dtype=None, name=None):
        self.name = name or _losses._snake_case(type(self).__name__)
        self.dtype = np.dtype(dtype or "float32")
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        from deepgrad.keras import initializers
        init = initializers.get(initializer or "zeros")
        var = MetricVariable(init(tuple(shape), dtype=np.float64), name=name)
        self._variables.append(var)
        return var

    def add_weight(self, name=None, shape=(), initializer=None, dtype=None):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        return list(self._variables)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement update_state()")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement result()")

    def reset_state(self):
        for var in self._variables:
            var.assign(0.0)

    reset_states = reset_state        # the Keras 2 name

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


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
        _accumulate(self.total, self.count, values, sample_weight)

    def result(self):
        return float(_divide_no_nan(self.total.value, self.count.value))


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
        return float(_divide_no_nan(self.total.value, self.count.value))

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
            return cls(_FUNCTIONS.get(fn, fn) if isinstance(fn, str) else fn, **config)
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


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name, dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_losses.mean_absolute_percentage_error, name, dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(_losses.mean_squared_logarithmic_error, name, dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity (+1 when aligned; the loss is its negative)."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name, dtype, axis=axis)


def _cosine_similarity(y_true, y_pred, axis=-1):
    return -_np(_losses.cosine_similarity(y_true, y_pred, axis=axis))


class LogCoshError(MeanMetricWrapper):
    def __init__(self, name="logcosh", dtype=None):
        super().__init__(_losses.log_cosh, name, dtype)


class BinaryCrossentropy(MeanMetricWrapper):
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


class KLDivergence(MeanMetricWrapper):
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


class RootMeanSquaredError(Mean):
    """``sqrt(mean((y_pred - y_true)^2))`` over all samples seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = squeeze_or_expand_to_same_rank(
            np.asarray(_np(y_true), np.float64), np.asarray(_np(y_pred), np.float64))
        super().update_state((y_pred - y_true) ** 2, sample_weight=sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


# ====================================================================== confusion metrics
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


# ====================================================================== registry
_CLASSES = (Metric, Mean, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
            SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
            MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, RootMeanSquaredError, CosineSimilarity, LogCoshError,
            BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
            KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge, Precision, Recall, AUC)
_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)}
#: name -> metric class: CamelCase and snake_case class names plus Keras's aliases.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_losses._snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({"bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
                         "mse": MeanSquaredError, "MSE": MeanSquaredError,
                         "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
                         "mape": MeanAbsolutePercentageError,
                         "MAPE": MeanAbsolutePercentageError,
                         "msle": MeanSquaredLogarithmicError,
                         "MSLE": MeanSquaredLogarithmicError, "logcosh": LogCoshError,
                         "kld": KLDivergence, "KLD": KLDivergence, "rmse": RootMeanSquaredError})
_ACCURACY, _CROSSENTROPY = ("accuracy", "acc"), ("crossentropy", "ce")


def get(identifier):
    """Resolve a metric to a :class:`Metric` object.

    A name gives an instance named after the string (``get('mse').name == 'mse'``, as
    ``compile(metrics=['mse'])`` names it); a class or config dict gives an instance; a
    Metric passes through; another callable ``fn(y_true, y_pred)`` is wrapped in
    :class:`MeanMetricWrapper`. ``'accuracy'`` needs the data's shapes: use
    :func:`get_metric` or :func:`resolve_accuracy`.

    Raises:
        ValueError: an unknown name (listing the valid ones) or an uncallable object.
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier)
        if cls is None:
            raise ValueError(f"Unknown metric {identifier!r}; expected one of "
                             f"{sorted(ALL_OBJECTS_DICT) + list(_ACCURACY + _CROSSENTROPY)}, a "
                             f"Metric or a callable")
        if cls in (Metric, MeanMetricWrapper):
            raise ValueError(f"Metric {identifier!r} is a base class and cannot be created "
                             f"by name")
        metric = cls()
        metric.name = identifier
        return metric
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r} "
                     f"(a {type(identifier).__name__})")


def _is_binary_crossentropy(loss):
    if isinstance(loss, str):
        return loss in ("binary_crossentropy", "bce", "BCE", "BinaryCrossentropy")
    if isinstance(loss, (_losses.BinaryCrossentropy, BinaryCrossentropy)):
        return True
    return getattr(loss, "fn", loss) is _losses.binary_crossentropy


def resolve_accuracy(loss, y_true_shape, y_pred_shape):
    """The metric ``'accuracy'`` stands for, from the loss and the data's shapes.

    binary if ``y_pred``'s last axis has size 1 or the loss is binary cross-entropy;
    sparse categorical if ``y_true`` has one axis fewer than ``y_pred`` (or a last axis
    of 1 against more than one class); categorical otherwise. Keras 3's ``get_metric``
    uses the shapes only; the binary-cross-entropy rule (Keras 2's) also catches
    multi-label sigmoid outputs, where categorical accuracy would be meaningless.
    """
    is_binary, is_sparse = _losses._binary_or_sparse(tuple(y_true_shape), tuple(y_pred_shape))
    if is_binary or _is_binary_crossentropy(loss):
        return BinaryAccuracy(name="accuracy")
    if is_sparse:
        return SparseCategoricalAccuracy(name="accuracy")
    return CategoricalAccuracy(name="accuracy")


def get_metric(identifier, y_true_shape, y_pred_shape, loss=None):
    """What ``compile(metrics=[identifier])`` makes (Keras's ``compile_utils.get_metric``):
    'accuracy'/'acc' via :func:`resolve_accuracy`, 'crossentropy'/'ce' likewise
    (binary/sparse/categorical), anything else via :func:`get`; named after the string."""
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    key = str(identifier).lower() if isinstance(identifier, str) else None
    if key in _ACCURACY:
        metric = resolve_accuracy(loss, y_true_shape, y_pred_shape)
    elif key in _CROSSENTROPY:
        fn = _losses.crossentropy_for_shapes(tuple(y_true_shape), tuple(y_pred_shape))
        metric = {_losses.binary_crossentropy: BinaryCrossentropy,
                  _losses.categorical_crossentropy: CategoricalCrossentropy}.get(
            fn, SparseCategoricalCrossentropy)()
    else:
        metric = get(identifier)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def serialize(metric):
    """``{"class_name": ..., "config": ...}`` for a Metric."""
    if not isinstance(metric, Metric):
        raise ValueError(f"Cannot serialize metric {metric!r}: it is not a Metric")
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config):
    """Inverse of :func:`serialize` (also accepts a plain name)."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize metric {config!r}: expected a name or a dict "
                         f"with 'class_name' and 'config'")
    cls = ALL_OBJECTS_DICT.get(config["class_name"])
    if cls is None:
        raise ValueError(f"Unknown metric class {config['class_name']!r}; expected one of "
                         f"{sorted(ALL_OBJECTS_DICT)}")
    return cls.from_config(dict(config.get("config") or {}))
