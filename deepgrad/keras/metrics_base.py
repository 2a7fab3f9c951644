"""The metric base class and its accumulators, shared by every module of metrics.

:class:`Metric` is what a stateful Keras metric derives from (``update_state``,
``result``, ``reset_state``); its state is :class:`MetricVariable` accumulators, float64
NumPy arrays updated in place (Keras keeps float32), so long runs do not drift. The
concrete metrics live in :mod:`deepgrad.keras.metrics` and
:mod:`deepgrad.keras.confusion_metrics`.
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import initializers, registry


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

    Subclasses defined in deepgrad.keras join the registry under their class name, its
    snake_case form and the ``aliases`` class keyword.
    """

    def __init_subclass__(cls, aliases=(), **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass("metrics", cls, *aliases)

    def __init__(self, dtype=None, name=None):
        self.name = name or registry.snake_case(type(self).__name__)
        self.dtype = np.dtype(dtype or "float32")
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
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


registry.add_base("metrics", Metric)
