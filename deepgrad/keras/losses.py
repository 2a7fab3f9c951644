"""Losses by their Keras 3 names (``keras.losses``), built from :mod:`deepgrad.ops`.

A loss *function* returns one value per sample: the elementwise loss averaged (or, for
the cross-entropies, summed) over the last axis. A loss *object* (:class:`Loss`) then
weights those values by ``sample_weight`` and reduces them:

    sum_over_batch_size (default), mean:   L = sum_i w_i l_i / (number of values)
    sum:                                   L = sum_i w_i l_i
    mean_with_sample_weight:               L = sum_i w_i l_i / sum_i w_i
    none / None:                           the weighted values themselves

Probabilities are clipped to ``[eps, 1 - eps]`` with ``eps = 1e-7`` (``keras.backend.
epsilon()``) before a log, as Keras does. With ``from_logits=True`` the cross-entropies
use the engine's fused, stable ops (``ops.cross_entropy``,
``ops.binary_cross_entropy_with_logits``), and without sample weights the whole
``sum_over_batch_size`` reduction happens inside that one op. On those fused paths
``y_true`` is a constant (no gradient flows to it).

Shapes follow Keras: ``y_true`` of shape (N,) against ``y_pred`` of shape (N, 1) is
expanded (and the other way round); any other mismatch is a ValueError quoting both.
Those input checks and the weighted reduction live in :mod:`deepgrad.keras.loss_utils`.
"""
import numpy as np

from deepgrad import ops
from deepgrad.ops.loss import SparseCrossEntropy
from deepgrad.keras.loss_utils import (  # noqa: F401  (REDUCTIONS: re-exported)
    REDUCTIONS, _as_array, _as_float, _as_float_like, _binary_or_sparse, _binary_pair,
    _categorical_pair, _regression_pair, _sparse_pair, _standardize_reduction,
    reduce_weighted_values, squeeze_or_expand_to_same_rank)
from deepgrad.keras import registry
from deepgrad.keras.losses_focal import (  # noqa: F401  (Keras 3's focal losses)
    binary_focal_crossentropy, categorical_focal_crossentropy)
from deepgrad.keras.losses_regression import (  # noqa: F401  (the per-sample functions)
    _eps, categorical_hinge, cosine_similarity, hinge, huber, kl_divergence, log_cosh,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, poisson, squared_hinge)
from deepgrad.keras.losses_extra import (  # noqa: F401  (Keras 3's newer losses)
    categorical_generalized_cross_entropy, circle, circle_values, ctc, dice, tversky)
from deepgrad.keras.registry import register


# ====================================================================== cross-entropies
@register("losses", "bce", "BCE")
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``mean(-[t log p + (1 - t) log(1 - p)], axis)``, p clipped to ``[eps, 1 - eps]``.

    With ``from_logits``, ``p = sigmoid(y_pred)`` inside one stable op. Label smoothing:
    ``t <- t (1 - s) + s / 2``.
    """
    if not from_logits:
        logits = _handed_logits(y_pred, "sigmoid")
        if logits is not None:
            y_pred, from_logits = logits, True
    y_true, y_pred = _binary_pair("binary_crossentropy", y_true, y_pred, label_smoothing)
    return ops.mean(_bce(y_true, y_pred, from_logits, "none"), axis)


@register("losses")
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``-sum(t log p, axis)`` for one-hot (or soft) targets ``t``.

    Probabilities are renormalised (``p / sum p``) and clipped to ``[eps, 1 - eps]`` as
    Keras does; logits go through the fused ``ops.cross_entropy`` (log-softmax inside).
    Label smoothing: ``t <- t (1 - s) + s / C``.

    Raises:
        ValueError: integer labels (``y_true`` of shape (N,) or (N, 1) against
            ``y_pred`` (N, C)); use :func:`sparse_categorical_crossentropy` for those.
    """
    if not from_logits:
        logits = _handed_logits(y_pred, "softmax", axis)
        if logits is not None:
            y_pred, from_logits = logits, True
    y_true, y_pred = _categorical_pair("categorical_crossentropy", y_true, y_pred, axis,
                                       label_smoothing)
    if from_logits:
        return _fused_cross_entropy(y_true.array, y_pred, axis, "none")
    p = y_pred / ops.sum(y_pred, axis, keepdim=True)
    p = ops.clip(p, _eps(), 1.0 - _eps())
    return -ops.sum(y_true * ops.log(p), axis)


@register("losses")
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """``-log p[y]`` for integer labels ``y`` (shape (N,) or (N, 1)) and ``y_pred`` (N, C).

    Logits: one fused ``ops.cross_entropy`` call. Probabilities: ``-log clip(p[y] /
    sum p, eps, 1 - eps)``, gathering only the N needed entries. Samples whose label is
    ``ignore_class`` get loss 0 (and :class:`SparseCategoricalCrossentropy` leaves them
    out of the mean).

    Raises:
        ValueError: one-hot ``y_true``, a label outside ``[0, C)`` or mismatched shapes.
    """
    if not from_logits:
        logits = _handed_logits(y_pred, "softmax", axis)
        if logits is not None:
            y_pred, from_logits = logits, True
    labels, x, lead = _sparse_pair("sparse_categorical_crossentropy", y_true, y_pred,
                                   axis, ignore_class)
    return _sparse_rows(labels, x, from_logits, ignore_class).reshape(lead)


def _bce(y_true, y_pred, from_logits, reduction):
    if from_logits:
        return ops.binary_cross_entropy_with_logits(y_pred, y_true, reduction=reduction)
    p = ops.clip(y_pred, _eps(), 1.0 - _eps())
    return ops.binary_cross_entropy(p, y_true, reduction=reduction)


def _sparse_rows(labels, x, from_logits, ignore_class):
    """Per-row losses of (M, C) scores ``x`` against (M,) labels (0 where ignored)."""
    if from_logits:
        ignore = -100 if ignore_class is None else int(ignore_class)
        return ops.cross_entropy(x, labels, ignore_index=ignore, reduction="none")
    keep = None if ignore_class is None else labels != ignore_class
    safe = labels if keep is None else np.where(keep, labels, 0)
    picked = x[np.arange(x.shape[0]), safe] / ops.sum(x, 1)
    rows = -ops.log(ops.clip(picked, _eps(), 1.0 - _eps()))
    return rows if keep is None else ops.where(keep, rows, 0.0)


# ------------------------------------------------ logits handed on by the activation
def _handed_logits(y_pred, activation, axis=-1):
    """The logits ``z`` when ``y_pred = softmax(z)`` (over ``axis``) or ``sigmoid(z)`` came
    from :mod:`deepgrad.keras.activations`, which hands them on with its output (Keras 3's
    ``output._keras_logits``), or from ``Dense(activation="sigmoid")``, which hands on a
    function that makes them; else None.

    A cross-entropy of those probabilities then runs on the logits: one fused, stable op
    (log-softmax + NLL, or BCE with logits) instead of softmax, clip, log and sum, with no
    1e-7 clipping error, in training and evaluation alike.
    """
    record = getattr(y_pred, "_keras_logits", None)
    if record is None or record[0] != activation:
        return None
    if activation == "softmax" and record[1] % y_pred.ndim != axis % y_pred.ndim:
        return None
    logits = record[2]
    return logits() if callable(logits) else logits     # Dense(activation="sigmoid")


# ------------------------------------------------ fused 'sum_over_batch_size' reductions
# Without sample weights, mean_i(mean_last(l)) = mean(l): one engine op does it all.
def _mse_mean(y_true, y_pred):
    y_true, y_pred = _regression_pair("mean_squared_error", y_true, y_pred)
    return ops.mse_loss(y_pred, y_true)


def _bce_mean(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    if not from_logits:
        logits = _handed_logits(y_pred, "sigmoid")
        if logits is not None:
            y_pred, from_logits = logits, True
    y_true, y_pred = _binary_pair("binary_crossentropy", y_true, y_pred, label_smoothing)
    return _bce(y_true, y_pred, from_logits, "mean")


def _cce_mean(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    if not from_logits:
        logits = _handed_logits(y_pred, "softmax", axis)
        if logits is None:
            return None                   # probabilities: the general path
        y_pred = logits
    y_true, y_pred = _categorical_pair("categorical_crossentropy", y_true, y_pred, axis,
                                       label_smoothing)
    return _fused_cross_entropy(y_true.array, y_pred, axis, "mean")


def _scce_mean(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    if not from_logits:
        logits = _handed_logits(y_pred, "softmax", axis)
        if logits is not None:
            y_pred, from_logits = logits, True
    labels, x, _ = _sparse_pair("sparse_categorical_crossentropy", y_true, y_pred, axis,
                                ignore_class)
    valid = labels.size if ignore_class is None else int((labels != ignore_class).sum())
    if valid == 0:
        return None                       # all ignored: the general path returns 0
    if from_logits:
        if ignore_class is None:             # every label checked in [0, C) above
            return SparseCrossEntropy.apply(x, target=labels, wt=np.ones(valid, x.dtype),
                                            denom=float(valid), reduce=True)
        return ops.cross_entropy(x, labels, ignore_index=int(ignore_class))  # mean, kept rows
    return ops.sum(_sparse_rows(labels, x, False, ignore_class)) * (1.0 / valid)


_FUSED_MEAN = {mean_squared_error: _mse_mean, binary_crossentropy: _bce_mean,
               categorical_crossentropy: _cce_mean, sparse_categorical_crossentropy: _scce_mean}


# ====================================================================== math helpers
def _fused_cross_entropy(q, logits, axis, reduction):
    """``ops.cross_entropy`` of logits against target distributions ``q`` along ``axis``."""
    nd = logits.ndim
    ax = axis % nd
    if ax != nd - 1:
        logits = ops.permute(logits, tuple(i for i in range(nd) if i != ax) + (ax,))
        q = np.moveaxis(q, ax, -1)
    lead, C = tuple(logits.shape[:-1]), logits.shape[-1]
    x = logits if nd == 2 else logits.reshape(-1, C)
    out = ops.cross_entropy(x, q.reshape(-1, C), reduction=reduction)
    return out if reduction == "mean" else out.reshape(lead)


# ====================================================================== loss objects
class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` -> a scalar Tensor.

    A subclass writes ``call(y_true, y_pred)`` returning per-sample values (or a pair
    ``(values, bool_mask)``); the base converts inputs, weights and reduces.

    Args:
        name (str): the loss's name (shown in logs).
        reduction (str): one of :data:`REDUCTIONS`. Default ``'sum_over_batch_size'``.
        dtype: compute dtype; None keeps ``y_pred``'s float dtype (float32 usually).

    Subclasses defined in deepgrad.keras join the registry under their class name.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass("losses", cls)

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or registry.snake_case(type(self).__name__)
        self.reduction = _standardize_reduction(reduction)
        self.dtype = None if dtype is None else np.dtype(dtype)

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        y_pred = _as_float(y_pred, self.dtype)
        out = self.call(y_true, y_pred)
        values, out_mask = out if isinstance(out, tuple) else (out, None)
        if out_mask is not None:
            mask = out_mask if mask is None else np.logical_and(mask, out_mask)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} does not implement call()")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A loss object around a per-sample loss function ``fn(y_true, y_pred, **kwargs)``.

    User functions receive float Tensors of equal rank (Keras's squeeze-or-expand);
    the built-ins do their own shape handling and, where possible, fuse the reduction.
    The named subclasses below fix ``fn``; their config is their own arguments.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        for key, value in kwargs.items():       # loss.from_logits, loss.delta, ...
            setattr(self, key, value)

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        fused = _FUSED_MEAN.get(self.fn)
        if (fused is not None and sample_weight is None and mask is None
                and self.reduction in ("sum_over_batch_size", "mean")):
            out = fused(y_true, _as_float(y_pred, self.dtype), **self._fn_kwargs)
            if out is not None:
                return out
        return super().__call__(y_true, y_pred, sample_weight, mask)

    def call(self, y_true, y_pred):
        if self.fn in _BUILTIN_FNS:
            return self.fn(y_true, y_pred, **self._fn_kwargs)
        y_true, y_pred = squeeze_or_expand_to_same_rank(_as_float_like(y_true, y_pred), y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        if type(self) is not LossFunctionWrapper:
            return {**super().get_config(), **self._fn_kwargs}
        return {**super().get_config(), "fn": registry.serialize(self.fn, "losses"),
                **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            return cls(registry.deserialize(config.pop("fn"), "losses"), **config)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__}({getattr(self.fn, '__name__', self.fn)}, " \
               f"kwargs={self._fn_kwargs})>"


_SBS = "sum_over_batch_size"


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction, name, dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction, name, dtype)


class Huber(LossFunctionWrapper):
    def __init__(self, delta=1.0, reduction=_SBS, name="huber_loss", dtype=None):
        super().__init__(huber, reduction, name, dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction, name, dtype)


class KLDivergence(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction, name, dtype)


class Poisson(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="poisson", dtype=None):
        super().__init__(poisson, reduction, name, dtype)


class CosineSimilarity(LossFunctionWrapper):
    def __init__(self, axis=-1, reduction=_SBS, name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)


class Hinge(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="hinge", dtype=None):
        super().__init__(hinge, reduction, name, dtype)


class SquaredHinge(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction, name, dtype)


class CategoricalHinge(LossFunctionWrapper):
    def __init__(self, reduction=_SBS, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction, name, dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_SBS,
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_SBS,
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Integer labels against class scores; samples labelled ``ignore_class`` are masked
    out, so the mean runs over the others."""

    def __init__(self, from_logits=False, ignore_class=None, reduction=_SBS, axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def call(self, y_true, y_pred):
        values = super().call(y_true, y_pred)
        if self.ignore_class is None:
            return values
        return values, _as_array(y_true).reshape(values.shape) != self.ignore_class


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """The focal loss of :func:`binary_focal_crossentropy` (deepgrad.keras.losses_focal)."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction=_SBS,
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, reduction, name, dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha,
                         gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """The focal loss of :func:`categorical_focal_crossentropy` (losses_focal)."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction=_SBS, name="categorical_focal_crossentropy", dtype=None):
        super().__init__(categorical_focal_crossentropy, reduction, name, dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class Dice(LossFunctionWrapper):
    """:func:`dice` as a loss object."""

    def __init__(self, reduction=_SBS, name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction, name, dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """:func:`tversky` as a loss object."""

    def __init__(self, alpha=0.5, beta=0.5, reduction=_SBS, name="tversky", axis=None,
                 dtype=None):
        super().__init__(tversky, reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """:func:`categorical_generalized_cross_entropy` as a loss object (q in (0, 1))."""

    def __init__(self, q=0.5, reduction=_SBS, name="categorical_generalized_cross_entropy",
                 dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1); received q={q}")
        super().__init__(categorical_generalized_cross_entropy, reduction, name, dtype, q=q)


class Circle(LossFunctionWrapper):
    """:func:`circle` as a loss object; the mean counts samples with a positive loss."""

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction=_SBS,
                 name="circle", dtype=None):
        super().__init__(circle, reduction, name, dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)

    def call(self, y_true, y_pred):
        return circle_values(y_true, y_pred, **self._fn_kwargs)


class CTC(LossFunctionWrapper):
    """:func:`ctc` as a loss object."""

    def __init__(self, reduction=_SBS, name="ctc", dtype=None):
        super().__init__(ctc, reduction, name, dtype)


class _AutoCrossentropy(LossFunctionWrapper):
    """``loss='crossentropy'`` (or ``'ce'``): binary, sparse or categorical cross-entropy,
    chosen from the shapes of each batch as Keras's ``compile`` does."""

    def __init__(self, reduction="sum_over_batch_size", name="crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype)

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        self.fn = crossentropy_for_shapes(np.shape(y_true), np.shape(y_pred))
        return super().__call__(y_true, y_pred, sample_weight, mask)

    def get_config(self):
        return Loss.get_config(self)


def crossentropy_for_shapes(y_true_shape, y_pred_shape):
    """Keras's choice for ``'crossentropy'``: binary if ``y_pred``'s last axis has size 1,
    sparse if ``y_true`` has one axis fewer (or a last axis of 1 against C > 1),
    categorical otherwise."""
    is_binary, is_sparse = _binary_or_sparse(y_true_shape, y_pred_shape)
    if is_binary:
        return binary_crossentropy
    return sparse_categorical_crossentropy if is_sparse else categorical_crossentropy


# ====================================================================== registry
registry.add_base("losses", Loss)
_BUILTIN_FNS = frozenset(obj for obj in registry.builtins("losses").values()
                         if not isinstance(obj, type))


def get(identifier):
    """Keras 3's ``keras.losses.get``: a function's name (``'mse'``) gives the function, a
    class name or class gives a default instance, a config dict is deserialized, a Loss
    or another callable passes through (``compile`` then wraps bare functions in
    :class:`LossFunctionWrapper`, see :mod:`deepgrad.keras.models.compile_utils`).

    Raises:
        ValueError: an unknown name (listing the valid ones) or an uncallable object.
    """
    return registry.get("losses", identifier)


def serialize(loss):
    """Keras 3's form: a Loss -> ``{"module", "class_name", "config", ...}``, a function ->
    ``{"class_name": "function", "config": its name, ...}``; None stays None."""
    return registry.serialize(loss, "losses")


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize` (a name, or a dict); a name gives what :func:`get` gives."""
    return get(registry.deserialize(config, "losses", custom_objects))


__all__ = sorted(registry.builtins("losses")) + [
    "get", "serialize", "deserialize", "reduce_weighted_values", "crossentropy_for_shapes"]
