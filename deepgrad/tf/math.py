"""``tf.math``: TensorFlow's elementwise math and reductions, each a ``keras.ops`` call.

TensorFlow's argument names (``input_tensor``, ``axis``, ``keepdims``); ``argmax``/
``argmin`` default to ``axis=0`` and return int64 (``output_type``); ``reduce_std``/
``reduce_variance`` are population statistics; ``divide_no_nan``/``multiply_no_nan`` give
0 where the divisor / the other factor is 0.
"""
import numpy as np

from deepgrad._scope import NotImplementedAttribute
from deepgrad import ops as _ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import ops as _k
from deepgrad.keras.ops.core import array_of, f, t


def _axis(axis):
    if axis is None:
        return None
    a = np.asarray(array_of(axis))
    return int(a) if a.ndim == 0 else tuple(int(i) for i in a)


# ---------------------------------------------------------------------- reductions
def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    return _k.sum(input_tensor, _axis(axis), keepdims)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """The mean; an integer tensor gives an integer mean (TensorFlow's rule)."""
    x = t(input_tensor)
    out = _k.mean(x, _axis(axis), keepdims)
    return _k.cast(_k.trunc(out), x.dtype) if x.dtype.kind in "iu" else out


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    return _k.max(input_tensor, _axis(axis), keepdims)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    return _k.min(input_tensor, _axis(axis), keepdims)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    return _k.prod(input_tensor, _axis(axis), keepdims)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    return _k.logsumexp(input_tensor, _axis(axis), keepdims)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    return _k.any(input_tensor, _axis(axis), keepdims)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    return _k.all(input_tensor, _axis(axis), keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    return _k.std(input_tensor, _axis(axis), keepdims)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    return _k.var(input_tensor, _axis(axis), keepdims)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    x = f(input_tensor)
    return _ops.sqrt(_k.sum(_ops.mul(x, x), _axis(axis), keepdims))


def argmax(input, axis=None, output_type=np.int64, name=None):     # noqa: A002
    return _k.cast(_k.argmax(input, 0 if axis is None else _axis(axis)), output_type)


def argmin(input, axis=None, output_type=np.int64, name=None):     # noqa: A002
    return _k.cast(_k.argmin(input, 0 if axis is None else _axis(axis)), output_type)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    x = t(x)
    if reverse:
        x = _ops.flip(x, (axis,))
    out = _k.cumsum(x, axis)
    if exclusive:
        out = _ops.sub(out, x)
    return _ops.flip(out, (axis,)) if reverse else out


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    if exclusive:
        raise ValueError("cumprod: exclusive=True is not supported by deepgrad")
    x = t(x)
    if reverse:
        return _ops.flip(_k.cumprod(_ops.flip(x, (axis,)), axis), (axis,))
    return _k.cumprod(x, axis)


def count_nonzero(input, axis=None, keepdims=False, dtype=np.int64, name=None):   # noqa: A002
    return _k.cast(_k.sum(_k.not_equal(input, 0), _axis(axis), keepdims), dtype)


def top_k(input, k=1, sorted=True, name=None):     # noqa: A002
    return _k.top_k(input, k, sorted)


def in_top_k(targets, predictions, k, name=None):
    return _k.in_top_k(targets, predictions, k)


# ---------------------------------------------------------------------- elementwise
def add(x, y, name=None):
    return _k.add(x, y)


def add_n(inputs, name=None):
    out = t(inputs[0])
    for x in inputs[1:]:
        out = _k.add(out, x)
    return out


def subtract(x, y, name=None):
    return _k.subtract(x, y)


def multiply(x, y, name=None):
    return _k.multiply(x, y)


def divide(x, y, name=None):
    return _k.divide(x, y)


truediv = divide


def floordiv(x, y, name=None):
    return _k.floor_divide(x, y)


def floormod(x, y, name=None):
    return _k.mod(x, y)


mod = floormod


def divide_no_nan(x, y, name=None):
    return _k.divide_no_nan(x, y)


def multiply_no_nan(x, y, name=None):
    """``x * y`` with 0 where ``y == 0`` (even if ``x`` is inf or NaN)."""
    a, b = _k.convert_to_tensor(x), _k.convert_to_tensor(y)
    prod = _k.multiply(_k.where(_k.equal(b, 0), 0, a), b)
    return prod


def squared_difference(x, y, name=None):
    d = _k.subtract(x, y)
    return _ops.mul(d, d)


def negative(x, name=None):
    return _k.negative(x)


def pow(x, y, name=None):     # noqa: A001
    return _k.power(x, y)


def maximum(x, y, name=None):
    return _k.maximum(x, y)


def minimum(x, y, name=None):
    return _k.minimum(x, y)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    return _k.clip(t, clip_value_min, clip_value_max)


def _unary(keras_name, tf_name=None):
    op = getattr(_k, keras_name)

    def fn(x, name=None):
        return op(x)
    fn.__name__ = fn.__qualname__ = tf_name or keras_name
    fn.__doc__ = f"``tf.math.{tf_name or keras_name}`` (``keras.ops.{keras_name}``)."
    return fn


abs, sqrt, rsqrt, exp, expm1, log, log1p = (_unary(n) for n in (       # noqa: A001
    "abs", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p"))
square, sign, floor, ceil, round, reciprocal = (_unary(n) for n in (       # noqa: A001
    "square", "sign", "floor", "ceil", "round", "reciprocal"))
sin, cos, tan, asin, acos, atan = (_unary(n, m) for n, m in (
    ("sin", None), ("cos", None), ("tan", None), ("arcsin", "asin"), ("arccos", "acos"),
    ("arctan", "atan")))
sinh, cosh, tanh, asinh, acosh, atanh = (_unary(n, m) for n, m in (
    ("sinh", None), ("cosh", None), ("tanh", None), ("arcsinh", "asinh"),
    ("arccosh", "acosh"), ("arctanh", "atanh")))
sigmoid, softplus, softsign, erf, erfc, erfinv = (_unary(n) for n in (
    "sigmoid", "softplus", "softsign", "erf", "erfc", "erfinv"))
log_sigmoid = _unary("log_sigmoid")
is_nan, is_inf, is_finite = (_unary(n, m) for n, m in (
    ("isnan", "is_nan"), ("isinf", "is_inf"), ("isfinite", "is_finite")))
logical_not = _unary("logical_not")


def atan2(y, x, name=None):
    return _k.arctan2(y, x)


def lgamma(x, name=None):
    return _ops.lgamma(f(x))


def digamma(x, name=None):
    return _ops.digamma(f(x))


def xlogy(x, y, name=None):
    a, b = f(x), f(y)
    return _ops.xlogy(a, _k.cast(b, a.dtype))


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(x^2, axis), epsilon))``."""
    x = f(x)
    axis = dim if axis is None else axis
    sq = _k.sum(_ops.mul(x, x), _axis(axis), True)
    return _ops.mul(x, _ops.rsqrt(_ops.maximum(sq, Tensor._wrap(np.asarray(epsilon,
                                                                             x.dtype)))))


def _compare(keras_name):
    op = getattr(_k, keras_name)

    def fn(x, y, name=None):
        return op(x, y)
    fn.__name__ = fn.__qualname__ = keras_name
    return fn


equal, not_equal, greater, greater_equal, less, less_equal = (_compare(n) for n in (
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal"))
logical_and, logical_or, logical_xor = (_compare(n) for n in (
    "logical_and", "logical_or", "logical_xor"))


def segment_sum(data, segment_ids, name=None):
    return _k.segment_sum(data, segment_ids)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    return _k.segment_sum(data, segment_ids, num_segments)


def segment_max(data, segment_ids, name=None):
    return _k.segment_max(data, segment_ids)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    return _k.segment_max(data, segment_ids, num_segments)


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=np.int32, name=None,
             axis=None, binary_output=False):
    out = _k.bincount(arr, weights, minlength or 0)
    if maxlength is not None:
        out = out[..., :maxlength]
    return _k.cast(out, dtype if weights is None else t(weights).dtype)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=np.int32,
                     name=None):
    """Rows are true labels, columns predictions (``tf.math.confusion_matrix``)."""
    lab = np.asarray(array_of(labels)).astype(np.int64).reshape(-1)
    pred = np.asarray(array_of(predictions)).astype(np.int64).reshape(-1)
    if lab.shape != pred.shape:
        raise ValueError(f"confusion_matrix: labels and predictions differ in length "
                         f"({lab.size} vs {pred.size})")
    n = int(max(lab.max(initial=-1), pred.max(initial=-1)) + 1) if num_classes is None \
        else int(num_classes)
    w = np.ones(lab.size) if weights is None else np.asarray(array_of(weights)).reshape(-1)
    out = np.zeros((n, n))
    np.add.at(out, (lab, pred), w)
    return Tensor._wrap(out.astype(dtype))


def polyval(coeffs, x, name=None):
    """``c[0] x^(n-1) + ... + c[n-1]`` by Horner's rule."""
    out = t(coeffs[0])
    for c in coeffs[1:]:
        out = _k.add(_k.multiply(out, x), c)
    return out


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedAttribute(f"deepgrad does not implement tf.math.{name}")
