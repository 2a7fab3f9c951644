"""``tf.Variable``: TensorFlow's signature over deepgrad's Keras :class:`Variable`.

``tf.Variable(3.0)`` is a float32 scalar (a Python float becomes float32, an int
int32, as TensorFlow); it is a Parameter, so ops on it record gradients and a
``GradientTape`` sees it. ``assign``/``assign_add``/``assign_sub`` write in place,
``trainable`` is ``requires_grad``, ``numpy()`` the value.
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.variables import Variable as _KerasVariable


class Variable(_KerasVariable):
    """``tf.Variable(initial_value, trainable=True, name=None, dtype=None, shape=None,
    constraint=None)``.

    Raises:
        ValueError: ``initial_value`` is None, or ``shape`` disagrees with it.
    """

    __slots__ = ()

    def __init__(self, initial_value=None, trainable=True, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None,
                 import_scope=None, constraint=None, synchronization=None,
                 aggregation=None, shape=None, **kwargs):
        if initial_value is None:
            raise ValueError("tf.Variable: initial_value must be given")
        if callable(initial_value):
            initial_value = initial_value()
        value = initial_value.array if isinstance(initial_value, Tensor) else \
            np.asarray(initial_value)
        if dtype is not None:
            value = value.astype(np.dtype(getattr(dtype, "name", dtype)))
        elif value.dtype == np.float64 and not isinstance(initial_value, (Tensor, np.ndarray)):
            value = value.astype(np.float32)
        elif value.dtype == np.int64 and not isinstance(initial_value, (Tensor, np.ndarray)):
            value = value.astype(np.int32)
        if shape is not None and tuple(shape) != value.shape and None not in tuple(shape):
            raise ValueError(f"tf.Variable: shape {tuple(shape)} does not match the initial "
                             f"value's shape {value.shape}")
        super().__init__(np.array(value), requires_grad=bool(trainable) and
                         value.dtype.kind == "f", name=name or "Variable",
                         constraint=constraint)

    def read_value(self):
        return Tensor._wrap(self.array.copy())

    def __repr__(self):
        value = np.array2string(self.array, threshold=6)
        return (f"<tf.Variable '{self.name}:0' shape={tuple(self.array.shape)} "
                f"dtype={self.array.dtype.name}, numpy={value}>")
