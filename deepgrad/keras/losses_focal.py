"""Keras 3's focal losses: ``binary_focal_crossentropy`` and
``categorical_focal_crossentropy`` (the loss objects ``BinaryFocalCrossentropy`` and
``CategoricalFocalCrossentropy`` wrap them in :mod:`deepgrad.keras.losses`).

Binary (Lin et al., 2017), elementwise then averaged over ``axis``, with p the
probability (``sigmoid(y_pred)`` when ``from_logits``) and t the target (label
smoothing first: ``t <- t (1 - s) + s / 2``)::

    ce      = -[t log p_c + (1 - t) log(1 - p_c)],  p_c = clip(p, eps, 1 - eps)
    p_t     = t p + (1 - t)(1 - p)
    loss    = (1 - p_t)^gamma ce                   (times alpha t + (1 - alpha)(1 - t)
                                                    with apply_class_balancing)

the formula :func:`deepgrad.ops.loss_focal.focal_modulation` shares with PyTorch-style
code's ``sigmoid_focal_loss`` (torchvision's; there ce comes from the logits).

Categorical, summed over ``axis``, with p the class probabilities (``softmax(y_pred)``
when ``from_logits``), renormalised and clipped as Keras does
(``p <- clip(p / sum p, eps, 1 - eps)``), one-hot (or soft) targets t (smoothing
``t <- t (1 - s) + s / C``) and ``alpha`` a scalar or one weight per class::

    loss = sum_c  alpha_c (1 - p_c)^gamma (-t_c log p_c)

gamma = 0 with alpha = 1 gives the plain cross-entropies back.
"""
import numbers

import numpy as np

from deepgrad import ops
from deepgrad.ops.loss_focal import focal_modulation
from deepgrad.keras import backend
from deepgrad.keras.loss_utils import _binary_pair, _categorical_pair
from deepgrad.keras.registry import register


def _check_real(name, arg, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name}: {arg} must be a real number, received {value!r}")


@register("losses")
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary focal cross-entropy per sample: the elementwise focal loss (module
    docstring) averaged over ``axis``.

    Args:
        y_true: targets in [0, 1], shape (batch, d0, ..., dN).
        y_pred: probabilities, or logits with ``from_logits=True``; same shape.
        apply_class_balancing (bool): weight class 1 by ``alpha`` and class 0 by
            ``1 - alpha``.
        alpha (float): the balancing weight of class 1. Default 0.25.
        gamma (float): the focusing parameter. Default 2.0.
        from_logits (bool): ``y_pred`` holds logits.
        label_smoothing (float): in [0, 1]; squeezes the targets towards 0.5.
        axis (int): the axis averaged over. Default -1.
    Returns:
        Tensor of shape (batch, d0, ..., dN-1).
    """
    _check_real("binary_focal_crossentropy", "alpha", alpha)
    _check_real("binary_focal_crossentropy", "gamma", gamma)
    y_true, y_pred = _binary_pair("binary_focal_crossentropy", y_true, y_pred,
                                  label_smoothing)
    p = ops.sigmoid(y_pred) if from_logits else y_pred
    eps = backend.epsilon()
    ce = ops.binary_cross_entropy(ops.clip(p, eps, 1.0 - eps), y_true, reduction="none")
    values = focal_modulation(ce, p, y_true, gamma, alpha if apply_class_balancing else None)
    return ops.mean(values, axis)


@register("losses")
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical focal cross-entropy per sample (module docstring), summed over ``axis``.

    Args:
        y_true: one-hot (or soft) targets of ``y_pred``'s shape.
        y_pred: class probabilities, or logits with ``from_logits=True``.
        alpha (float or sequence of floats): a weight for all classes, or one per class
            (along the last axis). Default 0.25.
        gamma (float): the focusing parameter. Default 2.0.
        from_logits (bool): ``y_pred`` holds logits.
        label_smoothing (float): in [0, 1]; ``t <- t (1 - s) + s / C``.
        axis (int): the class axis. Default -1.
    Returns:
        Tensor of ``y_pred``'s shape without ``axis``.
    Raises:
        ValueError: ``axis`` is a bool, or ``y_true`` does not have ``y_pred``'s shape
            (integer labels: one-hot encode them).
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type "
                         f"{type(axis)}")
    _check_real("categorical_focal_crossentropy", "gamma", gamma)
    y_true, y_pred = _categorical_pair("categorical_focal_crossentropy", y_true, y_pred, axis,
                                       label_smoothing)
    if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool):
        weights = np.asarray(alpha, dtype=y_pred.dtype)
        if weights.ndim != 1 or weights.shape[0] != y_pred.shape[-1]:
            raise ValueError(f"categorical_focal_crossentropy: alpha must be a number or one "
                             f"weight per class ({y_pred.shape[-1]}), received shape "
                             f"{weights.shape}")
        alpha = weights
    if from_logits:
        y_pred = ops.softmax(y_pred, axis)
    eps = backend.epsilon()
    p = ops.clip(y_pred / ops.sum(y_pred, axis, keepdim=True), eps, 1.0 - eps)
    cce = -y_true * ops.log(p)
    return ops.sum(((1.0 - p) ** gamma) * alpha * cce, axis)
