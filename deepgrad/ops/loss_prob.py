"""Negative log-likelihood losses of parametric distributions (PyTorch's names).

    poisson_nll:   l = e^x - y x                    (log_input: x = log rate)
                   l = x - y log(x + eps)           (x = rate)
                   + y log y - y + log(2 pi y)/2    (full: Stirling's term, where y > 1)
    gaussian_nll:  l = (log max(var, eps) + (x - y)^2 / max(var, eps)) / 2  (+ log(2 pi)/2)
    multilabel soft margin:
                   l_n = -(1/C) sum_c w_c [y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)]

Compositions of differentiable ops; reductions 'mean' (default), 'sum', 'none'.
"""
import math
import numbers

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops._util import operands
from deepgrad.ops.activation import logsigmoid
from deepgrad.ops.elementwise import exp, log, where
from deepgrad.ops.loss import _check_reduction, _check_same_shape, _reduce, legacy_reduction
from deepgrad.ops.reduce import sum as _sum

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log-likelihood of counts ``target`` under rate exp(input)
    (``log_input``) or rate ``input``; the constant log(y!) is dropped unless ``full``
    adds Stirling's approximation y log y - y + log(2 pi y)/2 (for y > 1).

    dl/dx = e^x - y (log_input), 1 - y / (x + eps) (otherwise).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("poisson_nll_loss", reduction)
    x, y = operands("poisson_nll_loss", input, target)
    _check_same_shape("poisson_nll_loss", x, y)
    loss = exp(x) - y * x if log_input else x - y * log(x + eps)
    if full:
        big = y.array > 1
        y_safe = where(big, y, _fn._Tensor._wrap(np.ones((), y.dtype)))
        stirling = y_safe * log(y_safe) - y_safe + log(2 * math.pi * y_safe) * 0.5
        loss = loss + where(big, stirling, stirling * 0.0)
    return _reduce("poisson_nll_loss", loss, reduction)


def _gaussian_var(input, var):
    """``var`` as a tensor shaped to broadcast against ``input`` (PyTorch's rules)."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"gaussian_nll_loss: var has negative entries, received {var}")
        return _fn._Tensor._wrap(np.full(input.shape, var, input.dtype))
    v = operands("gaussian_nll_loss", input, var)[1]
    if np.any(v.array < 0):
        raise ValueError(f"gaussian_nll_loss: var has negative entries (min {v.array.min()})")
    if v.shape == input.shape:
        return v                                                     # heteroscedastic
    if input.shape[:-1] == v.shape:
        return v.unsqueeze(-1)                                       # one var per row
    if v.ndim == input.ndim and sum(b for a, b in zip(input.shape, v.shape) if a != b) == 1:
        return v                                                     # one size-1 dim
    raise ValueError(f"gaussian_nll_loss: var of shape {tuple(v.shape)} does not fit input of "
                     f"shape {tuple(input.shape)}; expected {tuple(input.shape)}, "
                     f"{tuple(input.shape[:-1])}, or the input's shape with one dim of size 1")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood of ``target`` under N(input, var):
    l = (log v + (x - y)^2 / v) / 2 (+ log(2 pi) / 2 with ``full``), v = max(var, eps).

    Args:
        input: expectations x, (N, *) or (*).
        target: samples y, the input's shape (or with size-1 dims that broadcast).
        var: variances: a float, or a tensor of the input's shape, of its shape without
            the last dim, or of its shape with one dim of size 1.
    The clamp at eps changes the value only: the gradient in var is
    (1/v - (x - y)^2 / v^2) / 2 as if unclamped (PyTorch clamps under no_grad).
    """
    _check_reduction("gaussian_nll_loss", reduction)
    x, y = operands("gaussian_nll_loss", input, target)
    if y.shape != x.shape and (y.ndim != x.ndim or any(
            b not in (a, 1) for a, b in zip(x.shape, y.shape))):
        raise ValueError(f"gaussian_nll_loss: target of shape {tuple(y.shape)} does not match "
                         f"input of shape {tuple(x.shape)}; expected the same shape, or size "
                         f"1 where it differs")
    v = _gaussian_var(x, var)
    v = v + _fn._Tensor._wrap(np.maximum(v.array, np.asarray(eps, v.dtype)) - v.array)
    d = x - y
    loss = (log(v) + d * d / v) * 0.5
    if full:
        loss = loss + _HALF_LOG_2PI
    return _reduce("gaussian_nll_loss", loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """One-vs-all logistic loss over C labels, averaged over the labels:
    l_n = -(1/C) sum_c w_c [y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)].

    input, target: (N, C) or (C,) (target in {0, 1}, or probabilities); weight: (C,).
    dl/dx_c = w_c (sigmoid(x_c) - y_c) / C.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("multilabel_soft_margin_loss", reduction)
    x, y = operands("multilabel_soft_margin_loss", input, target)
    _check_same_shape("multilabel_soft_margin_loss", x, y)
    if x.ndim == 0:
        raise ValueError("multilabel_soft_margin_loss: input must have a class dimension, "
                         "received a 0-d tensor")
    loss = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if weight is not None:
        w = operands("multilabel_soft_margin_loss", x, weight)[1]
        try:
            fits = np.broadcast_shapes(w.shape, x.shape) == x.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"multilabel_soft_margin_loss: weight of shape {tuple(w.shape)} does "
                             f"not broadcast to the input's shape {tuple(x.shape)}")
        loss = loss * w
    C = x.shape[-1]
    return _reduce("multilabel_soft_margin_loss", _sum(loss, -1) / C, reduction)


__all__ = ["poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss"]
