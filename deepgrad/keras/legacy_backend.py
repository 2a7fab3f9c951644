"""``tf.keras.backend`` (Keras 2's backend functions) and the rest of Keras 3's
``keras.backend``, reached as ``keras.backend.<name>`` (loaded on first use).

tf.keras code still calls ``K.int_shape(x)``, ``K.random_normal(shape)``, ``K.mean(x,
axis)``, ``K.epsilon()``; each is one call of ``keras.ops`` / ``keras.random`` (one
formula each). Keras 2's argument names and defaults are kept (``concatenate`` joins on
``axis=-1``; ``argmax`` defaults to ``axis=-1``; ``random_*`` take ``seed`` ints).
``learning_phase()`` is 0 (Keras 3 passes ``training=`` instead); ``set_learning_phase``
is refused, as it was removed.
"""

import numpy as np

from deepgrad.keras import ops
from deepgrad.keras import random as _random
from deepgrad.keras.ops.core import result_type as _result_type
from deepgrad.keras.ops.core import standardize as _standardize
from deepgrad.keras.variables import Variable as _Variable

_UIDS = {}


# ---------------------------------------------------------------------- Keras 3's names
def get_uid(prefix=""):
    """1, 2, 3, ... per prefix."""
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def reset_uids():
    _UIDS.clear()


def is_float_dtype(dtype):
    return _standardize(dtype).kind == "f"


def is_int_dtype(dtype):
    return _standardize(dtype).kind in "iu"


def standardize_dtype(dtype):
    return _standardize("float32" if dtype is None else dtype).name


def result_type(*dtypes):
    """Keras's promotion of dtypes (see :mod:`deepgrad.keras.ops.core`)."""
    return _result_type(*[np.zeros((), _standardize(d)) for d in dtypes]).name


def is_keras_tensor(x):
    return type(x).__name__ == "KerasTensor"


def set_image_data_format(data_format):
    if data_format != "channels_last":
        raise ValueError("set_image_data_format: deepgrad.keras layers use 'channels_last' "
                         "by default; pass data_format='channels_first' to a layer instead")


# ---------------------------------------------------------------------- shapes, values
def int_shape(x):
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else tuple(np.shape(x))


def shape(x):
    return ops.shape(x)


def ndim(x):
    return len(int_shape(x))


def dtype(x):
    return np.dtype(getattr(x, "dtype", np.asarray(x).dtype)).name


def count_params(x):
    return int(np.prod(int_shape(x), dtype=np.int64))


def eval(x):      # noqa: A001  (Keras 2's name)
    return ops.convert_to_numpy(x)


def variable(value, dtype=None, name=None, constraint=None):
    array = np.array(value, dtype=np.dtype(dtype) if dtype else None)
    if array.dtype == np.float64 and dtype is None:
        array = array.astype(np.float32)
    return _Variable(array, requires_grad=array.dtype.kind == "f", name=name,
                     constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    x = ops.convert_to_tensor(value, dtype)
    return x if shape is None else ops.broadcast_to(x, shape)


def cast(x, dtype):
    return ops.cast(x, dtype)


def learning_phase():
    return 0


def set_learning_phase(value):
    raise ValueError("set_learning_phase was removed in Keras 3: pass training=True/False "
                     "to the layer or model call instead")


def print_tensor(x, message=""):
    print(message, ops.convert_to_numpy(x))
    return x


# ---------------------------------------------------------------------- random
def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _random.normal(shape, mean, stddev, dtype, seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _random.uniform(shape, minval, maxval, dtype, seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _random.truncated_normal(shape, mean, stddev, dtype, seed)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    return ops.cast(ops.less(_random.uniform(shape, seed=seed), p), dtype or "float32")


def dropout(x, level, noise_shape=None, seed=None):
    return _random.dropout(x, level, noise_shape, seed)


# ---------------------------------------------------------------------- math (Keras 2)
def _reduce(name):
    op = getattr(ops, name)

    def fn(x, axis=None, keepdims=False):
        return op(x, axis, keepdims)
    fn.__name__ = fn.__qualname__ = name
    return fn


mean, sum, max, min, std, var, prod = (_reduce(n) for n in (       # noqa: A001
    "mean", "sum", "max", "min", "std", "var", "prod"))
any, all, logsumexp = (_reduce(n) for n in ("any", "all", "logsumexp"))     # noqa: A001


def argmax(x, axis=-1):
    return ops.argmax(x, axis)


def argmin(x, axis=-1):
    return ops.argmin(x, axis)


def concatenate(tensors, axis=-1):
    return ops.concatenate(tensors, axis)


def permute_dimensions(x, pattern):
    return ops.transpose(x, pattern)


def batch_flatten(x):
    return ops.reshape(x, (ops.shape(x)[0], -1))


def flatten(x):
    return ops.reshape(x, (-1,))


def clip(x, min_value, max_value):
    return ops.clip(x, min_value, max_value)


def pow(x, a):       # noqa: A001
    return ops.power(x, a)


def l2_normalize(x, axis=None):
    return ops.normalize(x, -1 if axis is None else axis, 2, 1e-12)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return ops.categorical_crossentropy(target, output, from_logits, axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return ops.sparse_categorical_crossentropy(target, output, from_logits, axis)


def binary_crossentropy(target, output, from_logits=False):
    return ops.binary_crossentropy(target, output, from_logits)


def softmax(x, axis=-1):
    return ops.softmax(x, axis)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    x = ops.convert_to_tensor(x)
    out = ops.where(ops.greater(x, threshold), x, ops.multiply(alpha, ops.subtract(x, threshold)))
    return out if max_value is None else ops.minimum(out, max_value)


def switch(condition, then_expression, else_expression):
    then = then_expression() if callable(then_expression) else then_expression
    other = else_expression() if callable(else_expression) else else_expression
    return ops.where(condition, then, other)


# Keras 2 names that are ``keras.ops`` functions with the same arguments
for _name in ("abs", "sqrt", "square", "exp", "log", "sign", "round", "sigmoid", "tanh",
              "softplus", "softsign", "elu", "equal", "not_equal", "greater", "greater_equal",
              "less", "less_equal", "maximum", "minimum", "dot", "reshape", "expand_dims",
              "squeeze", "stack", "transpose", "zeros", "ones", "zeros_like", "ones_like",
              "stop_gradient", "cumsum", "cumprod", "gather", "in_top_k", "tile", "repeat",
              "one_hot", "eye", "arange", "batch_normalization", "conv1d", "conv2d", "cos",
              "sin", "moving_average_update", "map_fn", "foldl", "is_tensor", "tensordot"):
    if _name not in globals() and hasattr(ops, _name):
        globals()[_name] = getattr(ops, _name)
gather = ops.take
del _name

__all__ = sorted(n for n, o in list(globals().items())
                 if not n.startswith("_") and callable(o) and n not in (
                     "np", "ops"))
