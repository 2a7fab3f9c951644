"""Division with rounding, remainders and integer arithmetic: ``divide(rounding_mode=)``,
``floor_divide``, ``fmod``, ``remainder``, ``gcd``, ``lcm``.

True division of integers is floating (``true_divide(int, int)`` is float32); rounded
division of integers stays integer, and an integer division by zero raises as PyTorch's
``ZeroDivisionError`` does.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function
from deepgrad.ops._promote import check_kind
from deepgrad.ops._util import operands
from deepgrad.ops.elementwise import div

_ROUNDING_MODES = (None, "trunc", "floor")


def _int_divisor_check(name, a, b):
    if a.array.dtype.kind in "biu" and b.array.dtype.kind in "biu" and np.any(b.array == 0):
        raise ZeroDivisionError(f"{name}: integer division by zero (the divisor has a zero)")


def _trunc_div(a, b):
    """a / b rounded toward zero; exact for integers (no float round trip)."""
    if a.dtype.kind == "f":
        return np.trunc(a / b)
    q = np.floor_divide(a, b)
    return q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))


class DivRounded(Function):
    """a / b rounded toward zero or down: piecewise constant, so d/da = d/db = 0."""

    def forward(self, a, b, mode="trunc", differentiable=True):
        self.differentiable = differentiable
        with np.errstate(divide="ignore", invalid="ignore"):
            return _trunc_div(a, b) if mode == "trunc" else np.floor_divide(a, b)

    def backward(self, g):
        if not self.differentiable:
            raise RuntimeError("floor_divide: the derivative is not implemented (as in "
                               "PyTorch); use divide(a, b, rounding_mode='floor') for a zero "
                               "gradient")
        zero = np.zeros_like(g)
        return tuple(zero if need else None for need in self.needs_grad)


class Remainder(Function):
    """a - q b with q = trunc(a / b) (``fmod``, sign of a) or floor(a / b) (sign of b).

    d/da = 1,   d/db = -q.
    """

    def forward(self, a, b, mode="trunc"):
        self.a, self.b, self.mode = a, b, mode
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(a, b) if mode == "trunc" else np.remainder(a, b)

    def backward(self, g):
        gb = None
        if self.needs_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                q = (_trunc_div(self.a, self.b) if self.mode == "trunc"
                     else np.floor_divide(self.a, self.b))
            gb = -g * q
        return g, gb


def divide(input, other, *, rounding_mode=None):
    """a / b; ``rounding_mode`` 'trunc' rounds toward zero, 'floor' rounds down.

    Without rounding: true division (integers give the default float dtype),
    d/da = 1/b, d/db = -a/b^2. With rounding the result is piecewise constant: gradients 0.
    Rounded division of integers stays integer.
    """
    if rounding_mode not in _ROUNDING_MODES:
        raise ValueError(f"divide: expected rounding_mode to be one of None, 'trunc', or "
                         f"'floor', received {rounding_mode!r}")
    if rounding_mode is None:
        return div(input, other)
    a, b = operands("divide", input, other)
    _int_divisor_check("divide", a, b)
    return DivRounded.apply(a, b, mode=rounding_mode)


def true_divide(input, other):
    """a / b, always true (floating) division: ``divide(a, b)``."""
    return div(input, other)


def floor_divide(input, other):
    """floor(a / b) (integers stay integers). Not differentiable: backward raises, as in
    PyTorch; ``divide(rounding_mode='floor')`` is the differentiable spelling."""
    a, b = operands("floor_divide", input, other)
    _int_divisor_check("floor_divide", a, b)
    return DivRounded.apply(a, b, mode="floor", differentiable=False)


def fmod(input, other):
    """C's fmod: a - trunc(a / b) b, with the sign of a (nan for b = 0 on floats).

    d/da = 1,   d/db = -trunc(a / b).
    """
    a, b = operands("fmod", input, other)
    _int_divisor_check("fmod", a, b)
    return Remainder.apply(a, b, mode="trunc")


def remainder(input, other):
    """Python's modulus: a - floor(a / b) b, with the sign of b.

    d/da = 1,   d/db = -floor(a / b).
    """
    a, b = operands("remainder", input, other)
    _int_divisor_check("remainder", a, b)
    return Remainder.apply(a, b, mode="floor")


def gcd(input, other):
    """Greatest common divisor of integer tensors (non-negative; gcd(0, 0) = 0)."""
    a, b = operands("gcd", input, other)
    check_kind("gcd", a, "biu", "an integer tensor")
    check_kind("gcd", b, "biu", "an integer tensor")
    return _fn._Tensor._wrap(np.gcd(a.array, b.array))


def lcm(input, other):
    """Least common multiple of integer tensors (non-negative; 0 if either is 0)."""
    a, b = operands("lcm", input, other)
    check_kind("lcm", a, "biu", "an integer tensor")
    check_kind("lcm", b, "biu", "an integer tensor")
    return _fn._Tensor._wrap(np.lcm(a.array, b.array))
