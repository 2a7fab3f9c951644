"""Pointwise math beyond the basics: exp/log variants, powers, rounding, signs, and the
two-operand functions of NumPy's ufunc family (hypot, logaddexp, copysign, fmax...).

Dtypes follow PyTorch: floating functions turn integer/bool tensors into the default
float dtype; rounding and sign functions keep integer tensors as they are. Functions
whose derivative is zero almost everywhere (floor, round, sign...) share one backward.
"""
from collections import namedtuple

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._promote import as_float, check_float, check_kind, float_operands
from deepgrad.ops._util import operands
from deepgrad.ops.elementwise import add, cast, clip, div, mul, pow as _pow

FrexpResult = namedtuple("frexp", ["mantissa", "exponent"])

_LN2, _LN10 = np.log(2.0), np.log(10.0)


# ------------------------------------------------------------------ exp / log variants
class Exp2(Function):
    def forward(self, x):
        self.out = np.exp2(x)
        return self.out

    def backward(self, g):
        return g * self.out * np.asarray(_LN2, g.dtype)


class Expm1(Function):
    def forward(self, x):
        self.out = np.expm1(x)
        return self.out

    def backward(self, g):
        return g * (self.out + 1)


class Log2(Function):
    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):   # IEEE results, no warnings
            return np.log2(x)

    def backward(self, g):
        return g / (self.x * np.asarray(_LN2, g.dtype))


class Log10(Function):
    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):   # IEEE results, no warnings
            return np.log10(x)

    def backward(self, g):
        return g / (self.x * np.asarray(_LN10, g.dtype))


class Log1p(Function):
    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):   # IEEE results, no warnings
            return np.log1p(x)

    def backward(self, g):
        return g / (1 + self.x)


class Reciprocal(Function):
    def forward(self, x):
        with np.errstate(divide="ignore"):
            self.out = np.reciprocal(x)
        return self.out

    def backward(self, g):
        return -g * self.out * self.out


class Rsqrt(Function):
    def forward(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            self.out = 1 / np.sqrt(x)
        return self.out

    def backward(self, g):
        return g * np.asarray(-0.5, g.dtype) * self.out ** 3


# ------------------------------------------------------------------ rounding and signs
class _Piecewise(Function):
    """A function that is constant between its jumps: d/dx = 0 wherever it exists."""

    def backward(self, g):
        return np.zeros_like(g)


class Floor(_Piecewise):
    def forward(self, x):
        return np.floor(x)


class Ceil(_Piecewise):
    def forward(self, x):
        return np.ceil(x)


class Trunc(_Piecewise):
    def forward(self, x):
        return np.trunc(x)


class Round(_Piecewise):
    def forward(self, x, decimals=0):
        return np.round(x, decimals)       # half to even, as PyTorch


class Sign(_Piecewise):
    def forward(self, x):
        return np.where(np.isnan(x), np.zeros((), x.dtype), np.sign(x))   # sign(nan) = 0


class Frac(Function):
    def forward(self, x):
        return x - np.trunc(x)

    def backward(self, g):
        return g


class NanToNum(Function):
    def forward(self, x, nan=0.0, posinf=None, neginf=None):
        self.finite = np.isfinite(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g):
        return g * self.finite


# ------------------------------------------------------------------ two operands
class Hypot(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = np.hypot(a, b)
        return self.out

    def backward(self, g):
        q = g / self.out
        return (q * self.a if self.needs_grad[0] else None,
                q * self.b if self.needs_grad[1] else None)


class LogAddExp(Function):
    def forward(self, a, b, base2=False):
        self.a, self.b, self.base2 = a, b, base2
        self.out = np.logaddexp2(a, b) if base2 else np.logaddexp(a, b)
        return self.out

    def backward(self, g):
        # d/da log(e^a + e^b) = e^(a - out); base 2: 2^(a - out)
        e = np.exp2 if self.base2 else np.exp
        return (g * e(self.a - self.out) if self.needs_grad[0] else None,
                g * e(self.b - self.out) if self.needs_grad[1] else None)


class Lerp(Function):
    def forward(self, a, b, w):
        self.a, self.b, self.w = a, b, w
        d = b - a
        # PyTorch's two-sided form: exact at w = 0 and at w = 1
        return np.where(np.abs(w) < 0.5, a + w * d, b - d * (1 - w))

    def backward(self, g):
        n0, n1, n2 = self.needs_grad
        return (g * (1 - self.w) if n0 else None, g * self.w if n1 else None,
                g * (self.b - self.a) if n2 else None)


class CopySign(Function):
    def forward(self, a, b):
        self.a = a
        self.out = np.copysign(a, b)
        return self.out

    def backward(self, g):
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(self.a == 0, np.zeros((), g.dtype), self.out / self.a)
        return g * ratio, (np.zeros_like(g) if self.needs_grad[1] else None)


class NextAfter(Function):
    def forward(self, a, b):
        return np.nextafter(a, b)

    def backward(self, g):
        return g, (np.zeros_like(g) if self.needs_grad[1] else None)


class FMax(Function):
    """fmax/fmin: NaN loses; the first operand takes the gradient at ties (as PyTorch)."""

    def forward(self, a, b, take_min=False):
        out = np.fmin(a, b) if take_min else np.fmax(a, b)
        self.first = ((a <= b) if take_min else (a >= b)) | np.isnan(b)
        return out

    def backward(self, g):
        zero = np.zeros((), g.dtype)
        return (np.where(self.first, g, zero) if self.needs_grad[0] else None,
                np.where(self.first, zero, g) if self.needs_grad[1] else None)


class Frexp(Function):
    def forward(self, x):
        m, e = np.frexp(x)
        self.scale = np.ldexp(np.ones((), x.dtype), -e)
        self.exponent = e.astype(np.int32)
        return m

    def backward(self, g):
        return g * self.scale              # d mantissa / dx = 2^-exponent


class Heaviside(Function):
    def forward(self, x, values):
        step = (x > 0).astype(x.dtype)
        return np.where(x == 0, values, step)

    def backward(self, g):
        raise RuntimeError("heaviside: the derivative is not implemented (as in PyTorch: "
                           "the step function has no useful gradient); detach the inputs")


# ------------------------------------------------------------------ public functions
def exp2(input):
    """2^x.   d/dx = 2^x ln 2."""
    return Exp2.apply(as_float(input))


def expm1(input):
    """e^x - 1, accurate for small x.   d/dx = e^x = out + 1."""
    return Expm1.apply(as_float(input))


def log2(input):
    """log_2 x.   d/dx = 1 / (x ln 2)."""
    return Log2.apply(as_float(input))


def log10(input):
    """log_10 x.   d/dx = 1 / (x ln 10)."""
    return Log10.apply(as_float(input))


def log1p(input):
    """ln(1 + x), accurate for small x.   d/dx = 1 / (1 + x)."""
    return Log1p.apply(as_float(input))


def reciprocal(input):
    """1 / x (inf at 0).   d/dx = -1/x^2 = -out^2."""
    return Reciprocal.apply(as_float(input))


def rsqrt(input):
    """1 / sqrt(x).   d/dx = -x^(-3/2) / 2 = -out^3 / 2."""
    return Rsqrt.apply(as_float(input))


def square(input):
    """x^2 (an integer or bool tensor gives int64, as PyTorch).   d/dx = 2x."""
    x = to_tensor(input)
    if x.array.dtype.kind == "b":
        x = _fn._Tensor._wrap(x.array.astype(np.int64))
    return mul(x, x)


def _rounding(name, cls, input, **params):
    x = to_tensor(input)
    check_kind(name, x, "iuf", "a numeric (not bool) tensor")
    if x.array.dtype.kind in "iu":
        return _fn._Tensor._wrap(x.array.copy())     # integers are already whole
    return cls.apply(x, **params)


def floor(input):
    """The largest integer <= x (integer tensors unchanged).   d/dx = 0."""
    return _rounding("floor", Floor, input)


def ceil(input):
    """The smallest integer >= x.   d/dx = 0."""
    return _rounding("ceil", Ceil, input)


def trunc(input):
    """x rounded toward zero.   d/dx = 0."""
    return _rounding("trunc", Trunc, input)


fix = trunc


def round(input, *, decimals=0):
    """x rounded to ``decimals`` decimal places, halves to even (``round(2.5) = 2``).

    A negative ``decimals`` rounds to tens, hundreds...   d/dx = 0.
    """
    x = to_tensor(input)
    if decimals != 0 and x.array.dtype.kind != "f":
        raise TypeError(f"round: decimals={decimals} needs a floating point tensor, "
                        f"received dtype {x.dtype}")
    return _rounding("round", Round, x, decimals=int(decimals))


def frac(input):
    """The fractional part x - trunc(x) (sign of x).   d/dx = 1."""
    x = to_tensor(input)
    check_float("frac", x)
    return Frac.apply(x)


def sign(input):
    """-1, 0 or 1 by the sign of x (0 for NaN, as PyTorch); bool stays bool.   d/dx = 0."""
    x = to_tensor(input)
    if x.array.dtype.kind == "b":
        return _fn._Tensor._wrap(x.array.copy())
    if x.array.dtype.kind in "iu":
        return _fn._Tensor._wrap(np.sign(x.array))
    return Sign.apply(x)


sgn = sign     # for real tensors sgn(x) = x / |x| is sign(x)


def signbit(input):
    """True where the sign bit is set (also for -0.0); bool, no gradient."""
    x = to_tensor(input)
    return _fn._Tensor._wrap(np.signbit(x.array))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (default: the dtype's
    largest and lowest finite values).   d/dx = 1 where x is finite, else 0."""
    x = to_tensor(input)
    if x.array.dtype.kind != "f":
        return _fn._Tensor._wrap(x.array.copy())
    return NanToNum.apply(x, nan=nan, posinf=posinf, neginf=neginf)


def clamp_min(input, min):
    """max(x, min): :func:`clamp` with only a lower bound."""
    return clip(input, min=min)


def clamp_max(input, max):
    """min(x, max): :func:`clamp` with only an upper bound."""
    return clip(input, max=max)


def hypot(input, other):
    """sqrt(a^2 + b^2) without overflow.   d/da = a / out, d/db = b / out."""
    a, b = operands("hypot", input, other)
    check_float("hypot", a)
    return Hypot.apply(a, b)


def logaddexp(input, other):
    """ln(e^a + e^b), stable.   d/da = e^(a - out), d/db = e^(b - out)."""
    a, b = operands("logaddexp", input, other)
    check_float("logaddexp", a)
    return LogAddExp.apply(a, b)


def logaddexp2(input, other):
    """log_2(2^a + 2^b), stable.   d/da = 2^(a - out), d/db = 2^(b - out)."""
    a, b = operands("logaddexp2", input, other)
    check_float("logaddexp2", a)
    return LogAddExp.apply(a, b, base2=True)


def lerp(input, end, weight):
    """Linear interpolation a + w (b - a) (``weight`` a number or a tensor, broadcast).

    Computed as PyTorch does: a + w (b - a) for |w| < 0.5, else b - (b - a)(1 - w).
    d/da = 1 - w,   d/db = w,   d/dw = b - a.
    """
    a, b = operands("lerp", input, end)
    if a.dtype != b.dtype or a.array.dtype.kind != "f":
        raise TypeError(f"lerp: expected input and end of one floating dtype, received "
                        f"{a.dtype} and {b.dtype}")
    w = weight if isinstance(weight, _fn._Tensor) else _fn.lift(weight, a)
    if w.dtype != a.dtype:
        raise TypeError(f"lerp: expected weight of dtype {a.dtype} (the input's), "
                        f"received {w.dtype}")
    return Lerp.apply(a, b, w)


def copysign(input, other):
    """|a| with the sign of b (floating result).   d/da = out / a (0 at a = 0), d/db = 0."""
    return CopySign.apply(*float_operands("copysign", input, other))


def nextafter(input, other):
    """The next float after a toward b.   d/da = 1, d/db = 0 (as PyTorch)."""
    a, b = operands("nextafter", input, other)
    check_float("nextafter", a)
    return NextAfter.apply(a, b)


def heaviside(input, values):
    """Step function: 0 for x < 0 (and NaN), ``values`` at x = 0, 1 for x > 0.

    Both tensors must have one dtype (as PyTorch). Not differentiable: backward raises.
    """
    x = to_tensor(input)
    v = to_tensor(values)
    if x.dtype != v.dtype:
        raise TypeError(f"heaviside: input and values must have one dtype, received "
                        f"{x.dtype} and {v.dtype}")
    return Heaviside.apply(x, v)


def ldexp(input, other):
    """x 2^e (a floating result).   d/dx = 2^e,   d/de = x 2^e ln 2."""
    x = as_float(input)
    e = to_tensor(other)
    if e.array.dtype.kind in "biu":
        e = _fn._Tensor._wrap(e.array.astype(x.dtype))
    return mul(x, exp2(e))


def frexp(input):
    """Split x = mantissa 2^exponent with |mantissa| in [0.5, 1) (0 for x = 0).

    Returns the named tuple (mantissa, exponent), exponent int32.
    d mantissa / dx = 2^-exponent.
    """
    x = to_tensor(input)
    if x.array.dtype.kind != "f":
        raise TypeError(f"frexp: only floating point tensors are supported, received "
                        f"dtype {x.dtype}")
    mantissa = Frexp.apply(x)
    m, e = np.frexp(x.array)
    return FrexpResult(mantissa, _fn._Tensor._wrap(e.astype(np.int32)))


def float_power(input, exponent):
    """a^b computed in float64 whatever the inputs' dtypes (PyTorch's ``float_power``).

    The gradient is that of ``pow``, cast back to each input's dtype.
    """
    a, b = to_tensor(input), to_tensor(exponent)
    return _pow(cast(a, np.float64), cast(b, np.float64))


def fmax(input, other):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN).

    The gradient goes to ``input`` where input >= other or other is NaN, else to ``other``.
    """
    a, b = operands("fmax", input, other)
    if a.array.dtype.kind != "f":
        return _fn._Tensor._wrap(np.fmax(a.array, b.array))
    return FMax.apply(a, b)


def fmin(input, other):
    """Elementwise minimum that ignores NaN; ``input`` takes the gradient at ties."""
    a, b = operands("fmin", input, other)
    if a.array.dtype.kind != "f":
        return _fn._Tensor._wrap(np.fmin(a.array, b.array))
    return FMax.apply(a, b, take_min=True)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2 (a composition: gradients by the chain rule)."""
    prod = mul(tensor1, tensor2)
    return add(input, prod if value == 1 else mul(prod, value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (integer tensors refused, as PyTorch)."""
    t1, t2 = to_tensor(tensor1), to_tensor(tensor2)
    if t1.array.dtype.kind in "biu" and t2.array.dtype.kind in "biu":
        raise TypeError(f"addcdiv: integer division is not supported (received dtypes "
                        f"{t1.dtype} and {t2.dtype}); use floating point tensors")
    q = div(t1, t2)
    return add(input, q if value == 1 else mul(q, value))
