"""``keras.backend`` (minimal): the settings Keras code commonly reads or sets, and the
front's global state (the fuzz factor, automatic layer names).

It sits at the bottom of :mod:`deepgrad.keras` with the registry: the losses, layers
and constraints read it, it imports none of them.
"""
import numpy as np

from deepgrad._scope import NotImplementedAttribute
from deepgrad import backend as _backend

_EPSILON = 1e-7
_NAME_COUNTS = {}


def unique_name(prefix):
    """'dense', 'dense_1', 'dense_2', ... (Keras's automatic layer names)."""
    n = _NAME_COUNTS.get(prefix, 0)
    _NAME_COUNTS[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def backend():
    """The name of the running backend."""
    return "deepgrad"


def floatx():
    """The default float type, as a string ('float32')."""
    return _backend.default_float.name


def set_floatx(value):
    """Set the default float type ('float32' or 'float64')."""
    dtype = np.dtype(value)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"set_floatx: expected 'float32' or 'float64', received {value!r}")
    _backend.default_float = dtype


def epsilon():
    """The fuzz factor used to clip probabilities (1e-7)."""
    return _EPSILON


def set_epsilon(value):
    """Set the fuzz factor; the losses clip probabilities to [eps, 1 - eps] with it."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """Always 'channels_last' (Keras's default)."""
    return "channels_last"


def clear_session():
    """Reset automatic layer names (Keras's ``clear_session``)."""
    _NAME_COUNTS.clear()


def get_value(x):
    """A tensor's or variable's value as a NumPy array (or a Python number)."""
    if hasattr(x, "numpy"):
        return x.numpy()
    return x


def set_value(x, value):
    """Assign ``value`` to a variable (e.g. ``K.set_value(model.optimizer.learning_rate, 1e-4)``)."""
    if hasattr(x, "assign"):
        x.assign(value)
    elif hasattr(x, "array"):
        x.array[...] = value
    else:
        raise TypeError(f"set_value: cannot assign to {type(x).__name__}")


def __getattr__(name):
    """The rest of ``keras.backend`` (Keras 3's dtype helpers) and tf.keras 2's backend
    functions (``int_shape``, ``random_normal``, ``mean``, ...) load on first use from
    :mod:`deepgrad.keras.legacy_backend` (it builds on ``keras.ops``, which sits above
    this module)."""
    import importlib
    if not name.startswith("__"):
        legacy = importlib.import_module("deepgrad.keras.legacy_backend")
        if name in legacy.__all__:
            return getattr(legacy, name)
    raise NotImplementedAttribute(f"deepgrad does not implement keras.backend.{name}")
