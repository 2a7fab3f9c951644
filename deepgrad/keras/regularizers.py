"""Weight penalties by their Keras 3 names (``keras.regularizers``).

A regularizer maps a weight tensor ``W`` to a scalar Tensor added to the training loss,
built from :mod:`deepgrad.ops` so that it is differentiable:

    L1(l1):       l1 * sum |W|          d/dW = l1 sign(W)
    L2(l2):       l2 * sum W^2          d/dW = 2 l2 W
    L1L2(l1, l2): l1 * sum |W| + l2 * sum W^2

Keras 3's defaults: ``L1(l1=0.01)``, ``L2(l2=0.01)``, ``L1L2(l1=0.0, l2=0.0)``; the
lowercase names ``l1``, ``l2``, ``l1_l2`` are the same classes.
"""
import math

import numpy as np

from deepgrad import ops
from deepgrad.autograd.function import to_tensor
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import registry


def _validate(value, name):
    if (not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool)
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float, "
                         f"received {name}={value!r}")
    return float(value)


class Regularizer:
    """Base class: ``__call__(weight) -> scalar Tensor`` penalty (0 by default).

    Subclasses defined in deepgrad.keras join the registry (class name and snake_case).
    """

    def __init_subclass__(cls, aliases=(), **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass("regularizers", cls, *aliases)

    def __call__(self, x):
        x = to_tensor(x)
        return Tensor._wrap(np.zeros((), x.dtype))

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer, aliases=("l1_l2",)):
    """``l1 * sum|W| + l2 * sum W^2`` (terms with a zero factor are skipped)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate(0.0 if l1 is None else l1, "l1")
        self.l2 = _validate(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        x = to_tensor(x)
        penalty = None
        if self.l1:
            penalty = ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            term = ops.sum(x * x) * self.l2
            penalty = term if penalty is None else penalty + term
        return super().__call__(x) if penalty is None else penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum |W|``. Default ``l1=0.01``."""

    def __init__(self, l1=0.01):
        self.l1 = _validate(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return ops.sum(ops.abs(to_tensor(x))) * self.l1

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum W^2``. Default ``l2=0.01``."""

    def __init__(self, l2=0.01):
        self.l2 = _validate(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        x = to_tensor(x)
        return ops.sum(x * x) * self.l2

    def get_config(self):
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2

registry.add_base("regularizers", Regularizer)


def get(identifier):
    """A regularizer from a name (``'l2'``) or class (a default instance), a config dict, a
    callable (itself) or None, through the one registry (a ValueError lists the valid
    names)."""
    return registry.get("regularizers", identifier)


def serialize(regularizer):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}``; None stays None."""
    return registry.serialize(regularizer, "regularizers")


def deserialize(config, custom_objects=None):
    """A Regularizer from :func:`serialize`'s dict or from a name."""
    return get(registry.deserialize(config, "regularizers", custom_objects))
