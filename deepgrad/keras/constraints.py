"""Weight constraints by their Keras 3 names (``keras.constraints``).

A constraint is a projection ``w <- c(w)`` applied to a weight after every optimizer
update (``Dense(kernel_constraint=MaxNorm(3))``): the optimizer updates, then writes
``c(w)`` back. With ``n = sqrt(sum(w^2, axis, keepdims))`` (the norm of each slice along
``axis``; ``axis=0`` is each unit's incoming weights for a Dense kernel (in, out)) and
``eps = keras.backend.epsilon()``:

    MaxNorm(m):               w * clip(n, 0, m) / (eps + n)
    MinMaxNorm(a, b, rate):   w * (rate * clip(n, a, b) + (1 - rate) * n) / (eps + n)
    UnitNorm():               w / (eps + n)
    NonNeg():                 max(w, 0)

The projections are not differentiated (Keras applies them outside the gradient), so
they are computed on the arrays: a Tensor in gives a Tensor (without history) out, an
array gives an array, in the weight's dtype.
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import backend, registry


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


class Constraint:
    """Base class: ``__call__(w)`` returns the projected weight (``w`` itself here).

    Subclasses write :meth:`project` on a NumPy array; those defined in deepgrad.keras
    join the registry (class name and snake_case).
    """

    def __init_subclass__(cls, aliases=(), **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass("constraints", cls, *aliases)

    def __call__(self, w):
        if isinstance(w, Tensor):
            return Tensor._wrap(self.project(w.array))
        return self.project(np.asarray(w))

    def project(self, w):
        """The projection of the array ``w`` (same shape and dtype)."""
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


def _rescale(w, desired, norms):
    return (w * (desired / (backend.epsilon() + norms))).astype(w.dtype, copy=False)


class MaxNorm(Constraint):
    """Each slice's norm along ``axis`` is at most ``max_value``.

    Args:
        max_value (float): the largest norm. Default 2.
        axis (int or list): the axes a norm is taken over (0: each output unit's incoming
            weights of a Dense kernel; [0, 1, 2]: each Conv2D filter).
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def project(self, w):
        norms = _norms(w, _axis(self.axis))
        return _rescale(w, np.clip(norms, 0, self.max_value), norms)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Every entry is at least 0: ``max(w, 0)``."""

    def project(self, w):
        return np.maximum(w, 0).astype(w.dtype, copy=False)


class UnitNorm(Constraint):
    """Each slice along ``axis`` is scaled to norm 1 (``w / (eps + n)``).

    Args:
        axis (int or list): the axes a norm is taken over. Default 0.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def project(self, w):
        return (w / (backend.epsilon() + _norms(w, _axis(self.axis)))).astype(w.dtype,
                                                                            copy=False)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Each slice's norm is moved into ``[min_value, max_value]`` at ``rate``.

    Args:
        min_value, max_value (float): the bounds of the norm. Defaults 0.0, 1.0.
        rate (float): 1.0 enforces the bounds at once; less moves the norm part of the
            way each step: ``rate * clip(n, min, max) + (1 - rate) * n``.
        axis (int or list): the axes a norm is taken over. Default 0.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def project(self, w):
        norms = _norms(w, _axis(self.axis))
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) \
            + (1 - self.rate) * norms
        return _rescale(w, desired, norms)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


registry.add_base("constraints", Constraint)
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm


def get(identifier):
    """A constraint from a name (``'max_norm'``, ``'NonNeg'``) or class (a default
    instance), a config dict, a callable (itself) or None, through the one registry."""
    return registry.get("constraints", identifier)


def serialize(constraint):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}``; None stays None."""
    return registry.serialize(constraint, "constraints")


def deserialize(config, custom_objects=None):
    """A Constraint from :func:`serialize`'s dict or from a name."""
    return get(registry.deserialize(config, "constraints", custom_objects))


__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm",
           "min_max_norm", "non_neg", "unit_norm", "get", "serialize", "deserialize"]
