"""Gradient clipping (``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``).

Both work in place on ``p.grad.array`` between ``backward()`` and ``optimizer.step()``;
parameters whose ``grad`` is None are skipped. PyTorch's ``foreach`` argument chooses
between two implementations with the same result; deepgrad has one, so every value of it
gives that result.
"""
import math
import warnings

import numpy as np

from deepgrad.autograd import Tensor

# p -> ||x||_p of a flat array (the special orders; any other p uses the general sum).
_NORMS = {
    math.inf: lambda x: np.max(np.abs(x)) if x.size else np.zeros((), x.dtype),
    -math.inf: lambda x: np.min(np.abs(x)) if x.size else np.zeros((), x.dtype),
    0.0: lambda x: np.asarray(np.count_nonzero(x), x.dtype),
    1.0: lambda x: np.sum(np.abs(x)),
    2.0: lambda x: np.sqrt(np.dot(x, x)),
}


def _vector_norm(x, p):
    """``||x||_p = (sum_i |x_i|^p)^(1/p)`` of an array taken as one flat vector, in its dtype."""
    x = x.ravel()
    norm = _NORMS.get(p)
    if norm is not None:
        return np.asarray(norm(x))
    return np.asarray(np.sum(np.abs(x) ** p) ** (1.0 / p))


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.array for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of all arrays taken together: ``|| (||g_1||_p, ..., ||g_n||_p) ||_p``.

    Args:
        tensors (Tensor or iterable of Tensors/ndarrays): e.g. the gradients.
        norm_type (float): ``p``; ``inf`` for the max-abs norm. Default 2.
        error_if_nonfinite (bool): raise if the norm is nan or inf.
        foreach (bool): accepted (one implementation; see the module docstring).

    Returns:
        Tensor: the 0-d total norm (0.0 when there are no tensors).
    """
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    arrays = [t.array if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    p = float(norm_type)
    if not arrays:
        return Tensor(0.0)
    norms = [_vector_norm(a, p) for a in arrays]
    dtype = np.result_type(*norms)
    total = _vector_norm(np.array(norms, dtype=dtype), p)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite ({total}), so it cannot be clipped. "
                           f"To disable this error and scale the gradients by the non-finite "
                           f"norm anyway, set `error_if_nonfinite=False`")
    return Tensor(total)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    r"""Rescale gradients so that their joint p-norm is at most ``max_norm``.

    With ``N = get_total_norm(grads, p)``, every gradient is multiplied by

        c = min(1, max_norm / (N + 1e-6))

    (the 1e-6 keeps ``c`` finite when ``N = 0``; as in PyTorch).

    Args:
        parameters (Tensor or iterable of Tensors): parameters whose ``.grad`` is clipped.
        max_norm (float): the largest allowed norm.
        norm_type (float): ``p`` (``float('inf')`` for the max-abs norm). Default 2.
        error_if_nonfinite (bool): raise RuntimeError if the norm is nan or inf.
        foreach (bool): accepted (one implementation; see the module docstring).

    Returns:
        Tensor: the total norm before clipping (0-d, the gradients' dtype).

    Example:
        >>> loss.backward()
        >>> clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> opt.step()
    """
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    _scale(grads, max_norm, total.array)
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Multiply every gradient by ``min(1, max_norm / (total_norm + 1e-6))`` in place.

    Args:
        parameters (Tensor or iterable of Tensors): parameters whose ``.grad`` is scaled.
        max_norm (float): the largest allowed norm.
        total_norm (Tensor or float): the norm, e.g. from :func:`get_total_norm`.
    """
    total = total_norm.array if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    _scale(_grads(parameters), max_norm, total)


def _scale(grads, max_norm, total):
    coef = np.minimum(float(max_norm) / (total + 1e-6), 1.0)
    if coef == 1.0:
        return
    with np.errstate(invalid="ignore"):      # inf * 0 = nan, as in torch: no warning
        for g in grads:
            g *= coef


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place.

    Args:
        parameters (Tensor or iterable of Tensors): parameters whose ``.grad`` is clipped.
        clip_value (float): the largest allowed magnitude.
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_` (as in PyTorch)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
