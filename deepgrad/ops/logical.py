"""Comparisons, logical and bitwise ops, closeness and the ``is*`` tests.

None of these is differentiable: each returns a tensor outside the graph (bool for
comparisons, logical ops and tests; the operands' integer dtype for bitwise ops).
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops._promote import check_kind, wrap
from deepgrad.ops._util import operands
from deepgrad.ops.elementwise import eq, ge, gt, le, lt, ne

# PyTorch's long spellings of the comparisons
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _arrays(name, a, b):
    a, b = operands(name, a, b)
    return a.array, b.array


def logical_and(input, other):
    """True where both are nonzero (any dtypes; bool result)."""
    a, b = to_tensor(input), to_tensor(other)
    return wrap(np.logical_and(a.array, b.array))


def logical_or(input, other):
    """True where either is nonzero."""
    a, b = to_tensor(input), to_tensor(other)
    return wrap(np.logical_or(a.array, b.array))


def logical_xor(input, other):
    """True where exactly one is nonzero."""
    a, b = to_tensor(input), to_tensor(other)
    return wrap(np.logical_xor(a.array, b.array))


def logical_not(input):
    """True where x is zero."""
    return wrap(np.logical_not(to_tensor(input).array))


def _bitwise(name, ufunc, input, other):
    a, b = _arrays(name, input, other)
    for arr in (a, b):
        if arr.dtype.kind not in "biu":
            raise TypeError(f"{name}: expected integer or bool tensors, received dtype {arr.dtype}")
    return wrap(ufunc(a, b))


def bitwise_and(input, other):
    """a & b on integer or bool tensors."""
    return _bitwise("bitwise_and", np.bitwise_and, input, other)


def bitwise_or(input, other):
    """a | b on integer or bool tensors."""
    return _bitwise("bitwise_or", np.bitwise_or, input, other)


def bitwise_xor(input, other):
    """a ^ b on integer or bool tensors."""
    return _bitwise("bitwise_xor", np.bitwise_xor, input, other)


def bitwise_not(input):
    """~x: bitwise complement of an integer tensor, logical not of a bool tensor."""
    x = to_tensor(input)
    check_kind("bitwise_not", x, "biu", "an integer or bool tensor")
    return wrap(np.invert(x.array))


def _shift_operands(name, input, other):
    """Both operands in one integer dtype, PyTorch's promotion (int32 << int64 is int64;
    a bool shifted by an integer is an int64)."""
    x = to_tensor(input)
    if x.array.dtype.kind == "b" and not isinstance(other, (bool, np.bool_, _fn._Tensor)):
        x = wrap(x.array.astype(np.int64))     # bool << 1: a Python int makes it int64
    a, b = _arrays(name, x, other)
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        raise TypeError(f"{name}: shifting a bool tensor by a bool tensor is not supported")
    for arr in (a, b):
        if arr.dtype.kind not in "biu":
            raise TypeError(f"{name}: expected integer tensors, received dtype {arr.dtype}")
    dtype = np.promote_types(a.dtype, b.dtype)
    if dtype.kind == "b" or (a.dtype.kind == "b" and dtype.itemsize < 8):
        dtype = np.dtype(np.int64)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def bitwise_left_shift(input, other):
    """a << b; a shift by a negative amount or by the bit width or more gives 0 (as
    PyTorch, where C would be undefined)."""
    a, b = _shift_operands("bitwise_left_shift", input, other)
    bits = a.dtype.itemsize * 8
    valid = (b >= 0) & (b < bits)
    return wrap(np.where(valid, np.left_shift(a, np.where(valid, b, 0)), 0).astype(a.dtype))


def bitwise_right_shift(input, other):
    """a >> b (arithmetic for signed types); a negative or too-large shift shifts by the
    largest amount, leaving the sign fill (0 or -1), as PyTorch."""
    a, b = _shift_operands("bitwise_right_shift", input, other)
    top = a.dtype.itemsize * 8 - (1 if a.dtype.kind == "i" else 0)
    valid = (b >= 0) & (b < top)
    if a.dtype.kind == "u":                     # shifting all bits out of an unsigned value
        return wrap(np.where(valid, np.right_shift(a, np.where(valid, b, 0)), 0).astype(a.dtype))
    return wrap(np.right_shift(a, np.where(valid, b, top)).astype(a.dtype))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol |b| elementwise (bool); infinities are close only to
    themselves; NaNs are close to each other only with ``equal_nan``."""
    a, b = to_tensor(input), to_tensor(other)
    if a.dtype != b.dtype:
        raise TypeError(f"isclose: input and other must have one dtype, received {a.dtype} "
                        f"and {b.dtype}")
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose: rtol and atol must be >= 0, received rtol={rtol}, atol={atol}")
    if a.array.dtype.kind == "b":
        return wrap(a.array == b.array)
    return wrap(np.isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when :func:`isclose` holds everywhere (a Python bool)."""
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan).array))


def equal(input, other):
    """True when both have the same shape and the same values (NaN is never equal)."""
    a, b = to_tensor(input), to_tensor(other)
    return a.shape == b.shape and bool(np.array_equal(a.array, b.array))


def isnan(input):
    """True where x is NaN."""
    return wrap(np.isnan(to_tensor(input).array))


def isinf(input):
    """True where x is +inf or -inf."""
    return wrap(np.isinf(to_tensor(input).array))


def isposinf(input):
    """True where x is +inf."""
    return wrap(np.isposinf(to_tensor(input).array))


def isneginf(input):
    """True where x is -inf."""
    return wrap(np.isneginf(to_tensor(input).array))


def isfinite(input):
    """True where x is neither infinite nor NaN."""
    return wrap(np.isfinite(to_tensor(input).array))


def isreal(input):
    """True everywhere: deepgrad tensors are real (complex dtypes are out of scope)."""
    return wrap(np.ones(to_tensor(input).shape, dtype=bool))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` occurs in ``test_elements`` (either may be a
    number); ``invert`` negates. ``assume_unique`` is a speed hint (both unique)."""
    e, t = to_tensor(elements), to_tensor(test_elements)
    out = np.isin(e.array, t.array, assume_unique=assume_unique, invert=invert)
    return wrap(out)
