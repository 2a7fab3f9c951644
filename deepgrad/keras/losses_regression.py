"""Keras 3's regression, probabilistic and hinge loss functions (``keras.losses.mse``,
``huber``, ``kl_divergence``, ``hinge``...): each returns one value per sample, the
elementwise loss averaged (or summed) over the last axis; the loss objects of
:mod:`deepgrad.keras.losses` weight and reduce them. Probabilities are clipped with
``eps = keras.backend.epsilon()`` (1e-7) where Keras clips them.
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import backend
from deepgrad.keras.loss_utils import _regression_pair
from deepgrad.keras.registry import register


def _eps():
    """``keras.backend.epsilon()``: the clip applied to probabilities before a log."""
    return backend.epsilon()


@register("losses", "mse", "MSE")
def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred)^2, axis=-1)``.   d/dy_pred = -2 (y_true - y_pred) / n."""
    y_true, y_pred = _regression_pair("mean_squared_error", y_true, y_pred)
    d = y_true - y_pred
    return ops.mean(d * d, -1)


@register("losses", "mae", "MAE")
def mean_absolute_error(y_true, y_pred):
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _regression_pair("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), -1)


@register("losses", "mape", "MAPE")
def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1)``."""
    y_true, y_pred = _regression_pair("mean_absolute_percentage_error", y_true, y_pred)
    diff = (y_true - y_pred) / ops.maximum(ops.abs(y_true), _eps())
    return ops.mean(ops.abs(diff), -1) * 100.0


@register("losses", "msle", "MSLE")
def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, axis=-1)``."""
    y_true, y_pred = _regression_pair("mean_squared_logarithmic_error", y_true, y_pred)
    d = ops.log(ops.maximum(y_pred, _eps()) + 1.0) - ops.log(ops.maximum(y_true, _eps()) + 1.0)
    return ops.mean(d * d, -1)


@register("losses", "huber_loss")
def huber(y_true, y_pred, delta=1.0):
    """With ``e = y_pred - y_true``: ``0.5 e^2`` where ``|e| <= delta``, else
    ``delta |e| - 0.5 delta^2``; averaged over the last axis."""
    y_true, y_pred = _regression_pair("huber", y_true, y_pred)
    return ops.mean(ops.huber_loss(y_pred, y_true, reduction="none", delta=float(delta)), -1)


@register("losses", "logcosh")
def log_cosh(y_true, y_pred):
    """``mean(log(cosh(e)), axis=-1)``, ``e = y_pred - y_true``, computed stably as
    ``e + softplus(-2e) - log 2``."""
    y_true, y_pred = _regression_pair("log_cosh", y_true, y_pred)
    e = y_pred - y_true
    return ops.mean(e + ops.softplus(e * -2.0) - float(np.log(2.0)), -1)


@register("losses", "kld", "KLD", "kullback_leibler_divergence")
def kl_divergence(y_true, y_pred):
    """``sum(t log(t / p), axis=-1)`` with ``t, p`` clipped to ``[eps, 1]``."""
    y_true, y_pred = _regression_pair("kl_divergence", y_true, y_pred)
    t = ops.clip(y_true, _eps(), 1.0)
    p = ops.clip(y_pred, _eps(), 1.0)
    return ops.sum(t * ops.log(t / p), -1)


@register("losses")
def poisson(y_true, y_pred):
    """``mean(y_pred - y_true log(y_pred + eps), axis=-1)``."""
    y_true, y_pred = _regression_pair("poisson", y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + _eps()), -1)


@register("losses")
def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 when aligned."""
    y_true, y_pred = _regression_pair("cosine_similarity", y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis)


@register("losses")
def hinge(y_true, y_pred):
    """``mean(max(1 - y_true y_pred, 0), axis=-1)``; 0/1 labels become -1/1 first."""
    y_true, y_pred = _regression_pair("hinge", y_true, y_pred)
    return ops.mean(ops.relu(1.0 - _signed_labels(y_true) * y_pred), -1)


@register("losses")
def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true y_pred, 0)^2, axis=-1)``; 0/1 labels become -1/1 first."""
    y_true, y_pred = _regression_pair("squared_hinge", y_true, y_pred)
    h = ops.relu(1.0 - _signed_labels(y_true) * y_pred)
    return ops.mean(h * h, -1)


@register("losses")
def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)`` with ``pos = sum(t p)``, ``neg = max((1 - t) p)``."""
    y_true, y_pred = _regression_pair("categorical_hinge", y_true, y_pred)
    pos = ops.sum(y_true * y_pred, -1)
    neg = ops.amax((1.0 - y_true) * y_pred, -1)
    return ops.relu(neg - pos + 1.0)


def _l2_normalize(x, axis):
    """``x / max(||x||, eps)`` along ``axis`` (Keras's ``x * min(rsqrt(sum x^2), 1/eps)``)."""
    return x / ops.sqrt(ops.maximum(ops.sum(x * x, axis, keepdim=True), _eps() * _eps()))


def _signed_labels(y_true):
    """Hinge labels: 0/1 become -1/1 (when every label is 0 or 1); others stay."""
    a = y_true.array
    if np.all((a == 0) | (a == 1)):
        return Tensor._wrap(2 * a - 1)
    return y_true
