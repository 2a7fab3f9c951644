"""``keras.ops`` elementwise math, comparisons, logical and bitwise ops (NumPy's names).

Every function is a thin call of one engine op from :mod:`deepgrad.ops` (gradients come
from there); operands are first brought to Keras's result dtype
(:func:`deepgrad.keras.ops.core.result_type`). Float-valued ops (``sqrt``, ``exp``,
``sin``, ...) give ``floatx`` for integer or bool input, as Keras.
"""
import numpy as np

from deepgrad import ops as _ops
from deepgrad.keras.ops.core import array_of, f, float_pair, pair, t, wrap


# ---------------------------------------------------------------------- arithmetic
def add(x1, x2):
    a, b = pair(x1, x2)
    return _ops.add(a, b)


def subtract(x1, x2):
    a, b = pair(x1, x2)
    return _ops.sub(a, b)


def multiply(x1, x2):
    a, b = pair(x1, x2)
    return _ops.mul(a, b)


def divide(x1, x2):
    """True division; integer operands give ``floatx``."""
    a, b = float_pair(x1, x2)
    return _ops.div(a, b)


true_divide = divide


def divide_no_nan(x1, x2):
    """``x1 / x2`` with 0 where ``x2 == 0`` (and a zero gradient there)."""
    a, b = float_pair(x1, x2)
    zero = b.array == 0
    safe = _ops.where(wrap(zero), wrap(np.ones((), b.dtype)), b)
    return _ops.where(wrap(zero), wrap(np.zeros((), a.dtype)), _ops.div(a, safe))


def floor_divide(x1, x2):
    a, b = pair(x1, x2)
    return _ops.floor_divide(a, b)


def mod(x1, x2):
    """Python's ``%`` (the sign of the divisor)."""
    a, b = pair(x1, x2)
    return _ops.remainder(a, b)


def fmod(x1, x2):
    """C's ``fmod`` (the sign of the dividend)."""
    a, b = pair(x1, x2)
    return _ops.fmod(a, b)


def negative(x):
    return _ops.neg(t(x))


def power(x1, x2):
    a, b = pair(x1, x2)
    return _ops.pow(a, b)


def square(x):
    x = t(x)
    return _ops.mul(x, x)


def reciprocal(x):
    return _ops.reciprocal(f(x))


def sqrt(x):
    return _ops.sqrt(f(x))


def rsqrt(x):
    return _ops.rsqrt(f(x))


def cbrt(x):
    """``sign(x) |x|^(1/3)``."""
    x = f(x)
    return _ops.mul(_ops.sign(x), _ops.pow(_ops.abs(x), 1.0 / 3.0))


def exp(x):
    return _ops.exp(f(x))


def exp2(x):
    return _ops.exp2(f(x))


def expm1(x):
    return _ops.expm1(f(x))


def log(x):
    return _ops.log(f(x))


def log2(x):
    return _ops.log2(f(x))


def log10(x):
    return _ops.log10(f(x))


def log1p(x):
    return _ops.log1p(f(x))


def logaddexp(x1, x2):
    a, b = float_pair(x1, x2)
    return _ops.logaddexp(a, b)


def logaddexp2(x1, x2):
    a, b = float_pair(x1, x2)
    return _ops.logaddexp2(a, b)


def abs(x):          # noqa: A001  (Keras's name)
    return _ops.abs(t(x))


absolute = abs


def fabs(x):
    return _ops.abs(f(x))


def sign(x):
    return _ops.sign(t(x))


def signbit(x):
    return _ops.signbit(t(x))


def floor(x):
    return _ops.floor(f(x))


def ceil(x):
    return _ops.ceil(f(x))


def trunc(x):
    x = t(x)
    return x if x.dtype.kind in "biu" else _ops.trunc(x)


def round(x, decimals=0):    # noqa: A001
    return _ops.round(t(x), decimals=decimals)


def clip(x, x_min, x_max):
    x = t(x)
    if x.dtype == np.bool_:
        x = _ops.cast(x, np.dtype("int32"))
    return _ops.clip(x, x_min, x_max)


def maximum(x1, x2):
    a, b = pair(x1, x2)
    return _ops.maximum(a, b)


def minimum(x1, x2):
    a, b = pair(x1, x2)
    return _ops.minimum(a, b)


def fmax(x1, x2):
    a, b = pair(x1, x2)
    return _ops.fmax(a, b)


def fmin(x1, x2):
    a, b = pair(x1, x2)
    return _ops.fmin(a, b)


def hypot(x1, x2):
    a, b = float_pair(x1, x2)
    return _ops.hypot(a, b)


def heaviside(x1, x2):
    a, b = float_pair(x1, x2)
    return _ops.heaviside(a, b)


def copysign(x1, x2):
    a, b = float_pair(x1, x2)
    return _ops.copysign(a, b)


def nextafter(x1, x2):
    a, b = float_pair(x1, x2)
    return _ops.nextafter(a, b)


def ldexp(x1, x2):
    x = f(x1)
    return _ops.ldexp(x, t(x2))


def gcd(x1, x2):
    a, b = pair(x1, x2)
    return _ops.gcd(a, b)


def lcm(x1, x2):
    a, b = pair(x1, x2)
    return _ops.lcm(a, b)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return _ops.nan_to_num(t(x), nan=nan, posinf=posinf, neginf=neginf)


# ---------------------------------------------------------------------- trigonometry
def _unary(name):
    op = getattr(_ops, name)

    def fn(x):
        return op(f(x))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` (:func:`deepgrad.ops.{name}`); float output."
    return fn


sin, cos, tan, sinh, cosh, tanh = (_unary(n) for n in ("sin", "cos", "tan", "sinh", "cosh",
                                                        "tanh"))
arcsin, arccos, arctan = (_unary(n) for n in ("arcsin", "arccos", "arctan"))
arcsinh, arccosh, arctanh = (_unary(n) for n in ("arcsinh", "arccosh", "arctanh"))
deg2rad, rad2deg, sinc, i0 = (_unary(n) for n in ("deg2rad", "rad2deg", "sinc", "i0"))
erf, erfc, erfinv = (_unary(n) for n in ("erf", "erfc", "erfinv"))


def arctan2(x1, x2):
    a, b = float_pair(x1, x2)
    return _ops.arctan2(a, b)


# ---------------------------------------------------------------------- comparisons
def _compare(op):
    def fn(x1, x2):
        a, b = pair(x1, x2)
        return op(a, b)
    return fn


equal, not_equal = _compare(_ops.eq), _compare(_ops.ne)
greater, greater_equal = _compare(_ops.gt), _compare(_ops.ge)
less, less_equal = _compare(_ops.lt), _compare(_ops.le)
for _fn, _name in ((equal, "equal"), (not_equal, "not_equal"), (greater, "greater"),
                   (greater_equal, "greater_equal"), (less, "less"),
                   (less_equal, "less_equal")):
    _fn.__name__ = _fn.__qualname__ = _name
    _fn.__doc__ = f"Elementwise ``{_name}`` as a bool tensor."


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = pair(x1, x2)
    return _ops.isclose(a, b, rtol, atol, equal_nan)


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = pair(x1, x2)
    return wrap(np.asarray(_ops.allclose(a, b, rtol, atol, equal_nan)))


def isnan(x):
    return _ops.isnan(t(x))


def isinf(x):
    return _ops.isinf(t(x))


def isfinite(x):
    return _ops.isfinite(t(x))


def isposinf(x):
    return _ops.isposinf(t(x))


def isneginf(x):
    return _ops.isneginf(t(x))


def isreal(x):
    return _ops.isreal(t(x))


def isin(x1, x2, assume_unique=False, invert=False):
    out = _ops.isin(t(x1), t(x2), assume_unique=assume_unique)
    return _ops.logical_not(out) if invert else out


# ---------------------------------------------------------------------- logical, bitwise
def logical_and(x1, x2):
    return _ops.logical_and(t(x1), t(x2))


def logical_or(x1, x2):
    return _ops.logical_or(t(x1), t(x2))


def logical_xor(x1, x2):
    return _ops.logical_xor(t(x1), t(x2))


def logical_not(x):
    return _ops.logical_not(t(x))


def _ints(x, y):
    a, b = pair(x, y)
    if a.dtype.kind not in "biu":
        raise TypeError(f"bitwise ops need integer or bool tensors, received {a.dtype}")
    return a, b


def bitwise_and(x, y):
    return _ops.bitwise_and(*_ints(x, y))


def bitwise_or(x, y):
    return _ops.bitwise_or(*_ints(x, y))


def bitwise_xor(x, y):
    return _ops.bitwise_xor(*_ints(x, y))


def bitwise_not(x):
    return _ops.bitwise_not(t(x))


bitwise_invert = bitwise_not


def bitwise_left_shift(x, y):
    return _ops.bitwise_left_shift(*_ints(x, y))


def bitwise_right_shift(x, y):
    return _ops.bitwise_right_shift(*_ints(x, y))


left_shift, right_shift = bitwise_left_shift, bitwise_right_shift


def digitize(x, bins):
    """The bin of each entry (NumPy's ``digitize``, right=False), int32."""
    return wrap(np.digitize(array_of(x), array_of(bins)).astype(np.int32))


__all__ = sorted(name for name, obj in list(globals().items())
                 if callable(obj) and not name.startswith("_")
                 and getattr(obj, "__module__", None) == __name__)
