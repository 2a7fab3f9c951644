"""What the Keras optimizer base does with what it is given: the gradients (dropped when
missing, with Keras's warning; converted to the variable's shape and dtype; clipped by
norm) and ``optimizer.learning_rate`` when it is a float (a live view of the optimizer's
rate, as Keras's learning-rate variable)."""
import warnings

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.utils.clip_grad import get_total_norm


class LearningRateVariable(np.lib.mixins.NDArrayOperatorsMixin):
    """``optimizer.learning_rate`` for a float rate: behaves as that float (``float()``,
    arithmetic, comparisons, formatting) and, like Keras's variable, has ``assign`` and
    ``numpy``; it always reads the optimizer's current rate."""

    __slots__ = ("_optimizer",)

    def __init__(self, optimizer):
        self._optimizer = optimizer

    def assign(self, value):
        self._optimizer.learning_rate = value

    def numpy(self):
        return np.asarray(float(self))

    def __float__(self):
        return float(self._optimizer._learning_rate)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(float(self), dtype=dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(float(i) if isinstance(i, LearningRateVariable) else i for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __format__(self, spec):
        return format(float(self), spec)

    def __hash__(self):
        return hash(float(self))

    def __repr__(self):
        return repr(float(self))


def _filter_empty_gradients(grads, variables):
    """Drop the variables whose gradient is None, with Keras's warning.

    Raises:
        ValueError: no gradient at all.
    """
    missing = [getattr(v, "path", None) or getattr(v, "name", None) or f"#{i}"
               for i, (g, v) in enumerate(zip(grads, variables)) if g is None]
    if not missing:
        return grads, variables
    if len(missing) == len(grads):
        raise ValueError("No gradients provided for any variable.")
    warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. "
                  f"If using `model.compile()`, did you forget to provide a `loss` argument?",
                  stacklevel=3)
    kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
    return [g for g, _ in kept], [v for _, v in kept]


def _as_grad(g, param):
    """A gradient as an array of the variable's shape and dtype (Tensors unwrapped)."""
    g = g.array if isinstance(g, Tensor) else np.asarray(g)
    p = param.array
    if g.shape == p.shape and g.dtype == p.dtype:
        return g
    if g.shape != param.array.shape:
        raise ValueError(f"gradient of shape {g.shape} does not match its variable's shape "
                         f"{param.array.shape}")
    return g if g.dtype == param.array.dtype else g.astype(param.array.dtype)


def _clip_by_norm(g, clipnorm):
    """``g * clipnorm / max(||g||, clipnorm)``: unchanged when the norm is within bounds."""
    norm = float(get_total_norm([g], 2.0).item())
    return g * (clipnorm / norm) if norm > clipnorm else g
