"""Elementwise arithmetic and math: forward and backward side by side.

Broadcasting is allowed everywhere; backward returns gradients of the broadcast shape
and the engine's :func:`~deepgrad.autograd.function.unbroadcast` sums them back.
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.autograd import function as _fn
from deepgrad.ops._util import operands


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_grad[1] else None)


class Mul(Function):
    _saved_for = {"a": 1, "b": 0}       # a is read only for db, b only for da

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return (g * self.b if self.needs_grad[0] else None,
                g * self.a if self.needs_grad[1] else None)


class Div(Function):
    def forward(self, a, b):
        self.b = b
        with np.errstate(divide="ignore", invalid="ignore"):   # x/0 = inf, 0/0 = nan, silently
            self.out = a / b
        return self.out

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = g / self.b if self.needs_grad[0] else None
            gb = -g * self.out / self.b if self.needs_grad[1] else None
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class Pow(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):   # 0^-1 = inf
            self.out = a ** b
        return self.out

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_grad[0]:
            if b.ndim == 0 and b == 2:
                ga = g * (2 * a)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ga = g * np.where(b == 0, 0, b * a ** (b - 1))   # d/da a^0 = 0, even at a = 0
        if self.needs_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * self.out * np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
        return ga, gb


class Exp(Function):
    def forward(self, x):
        with np.errstate(over="ignore"):            # e^1000 = inf, silently
            self.out = np.exp(x)
        return self.out

    def backward(self, g):
        return g * self.out


class Log(Function):
    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):   # log 0 = -inf, log -1 = nan
            return np.log(x)

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / self.x


class Sqrt(Function):
    def forward(self, x):
        with np.errstate(invalid="ignore"):          # sqrt(-1) = nan, silently
            self.out = np.sqrt(x)
        return self.out

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / (2 * self.out)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, g):
        return g * np.sign(self.x)


class Clip(Function):
    def forward(self, x, lo=None, hi=None):
        self.mask = np.ones(x.shape, dtype=bool)
        if lo is not None:
            self.mask &= x >= lo
        if hi is not None:
            self.mask &= x <= hi
        return np.clip(x, lo, hi)

    def backward(self, g):
        return g * self.mask


class ClampTensor(Function):
    """clamp with tensor bounds: min(max(x, lo), hi); ``which`` names a single bound."""

    def forward(self, x, a, b=None, which=None):
        if which is None:
            lo, hi = a, b
            out = np.minimum(np.maximum(x, lo), hi)
            self.gx = (x >= lo) & (x <= hi)
            self.glo = (x < lo) & (lo < hi)
            self.ghi = (x > hi) | (hi < lo)
        elif which == "min":
            out = np.maximum(x, a)
            self.gx, self.glo = x >= a, x < a
        else:
            out = np.minimum(x, a)
            self.gx, self.glo = x <= a, x > a
        return out

    def backward(self, g):
        zero = np.zeros((), g.dtype)
        grads = [np.where(self.gx, g, zero), np.where(self.glo, g, zero)]
        if len(self.needs_grad) == 3:
            grads.append(np.where(self.ghi, g, zero))
        return tuple(gi if need else None for gi, need in zip(grads, self.needs_grad))


class Maximum(Function):
    """max(a, b); where a == b the gradient is split in half (as PyTorch does)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, g):
        w = (self.a > self.b) + 0.5 * (self.a == self.b)
        w = w.astype(g.dtype, copy=False)
        return (g * w if self.needs_grad[0] else None,
                g * (1 - w) if self.needs_grad[1] else None)


class Where(Function):
    def forward(self, a, b, cond=None):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g):
        zero = np.zeros((), dtype=g.dtype)
        return (np.where(self.cond, g, zero) if self.needs_grad[0] else None,
                np.where(self.cond, zero, g) if self.needs_grad[1] else None)


class Cast(Function):
    def forward(self, x, dtype=None):
        self.src = x.dtype
        return x.astype(dtype)

    def backward(self, g):
        return g.astype(self.src)


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


def add(a, b, *, alpha=1):
    """a + alpha b.   d/da = 1, d/db = alpha (summed over broadcast axes)."""
    if alpha != 1:
        b = _scaled("add", a, b, alpha)
    return Add.apply(*operands("add", a, b))


def sub(a, b, *, alpha=1):
    """a - alpha b.   d/da = 1, d/db = -alpha."""
    if alpha != 1:
        b = _scaled("sub", a, b, alpha)
    return Sub.apply(*operands("sub", a, b))


def _scaled(name, a, b, alpha):
    """alpha * b for ``add``/``sub``; a float alpha with integer tensors is refused."""
    a, b = operands(name, a, b)
    if isinstance(alpha, float) and a.array.dtype.kind in "biu":
        raise TypeError(f"{name}: for integral input tensors, argument alpha must not be a "
                        f"floating point number, received alpha={alpha}")
    return mul(b, alpha)


def mul(a, b):
    """a * b.   d/da = b, d/db = a."""
    return Mul.apply(*operands("mul", a, b))


def div(a, b):
    """a / b.   d/da = 1/b, d/db = -a/b^2 = -(a/b)/b."""
    a, b = operands("div", a, b)
    if a.array.dtype.kind in "biu":         # true division of integers is floating
        a, b = _to_default_float(a), _to_default_float(b)
    return Div.apply(a, b)


def _to_default_float(x):
    return _fn._Tensor._wrap(x.array.astype(backend.default_float))


def neg(x):
    """-x.   d/dx = -1."""
    return Neg.apply(to_tensor(x))


def pow(a, b):
    """a ** b.   d/da = b a^(b-1) (0 where b = 0), d/db = a^b ln a (taken as 0 where a <= 0)."""
    a, b = operands("pow", a, b)
    return Pow.apply(a, b)


def exp(x):
    """e^x (integers and bools give the default float dtype).   d/dx = e^x (the saved output)."""
    x = to_tensor(x)
    if x.array.dtype.kind in "biu":
        x = _to_default_float(x)
    return Exp.apply(x)


def log(x):
    """ln x (integers and bools give the default float dtype).   d/dx = 1/x."""
    x = to_tensor(x)
    if x.array.dtype.kind in "biu":
        x = _to_default_float(x)
    return Log.apply(x)


def sqrt(x):
    """sqrt(x) (integers and bools give the default float dtype).   d/dx = 1 / (2 sqrt(x))."""
    x = to_tensor(x)
    if x.array.dtype.kind in "biu":
        x = _to_default_float(x)
    return Sqrt.apply(x)


def abs(x):
    """|x|.   d/dx = sign(x) (0 at 0, as PyTorch)."""
    return Abs.apply(to_tensor(x))


def clip(x, min=None, max=None):
    """Clamp to [min, max]: min(max(x, min), max) (so ``max`` wins where min > max).

    Bounds are numbers or tensors (broadcast against ``x``). An integer tensor with a float
    bound gives a float result, as PyTorch. d/dx = 1 inside the interval (bounds included),
    else 0; a tensor bound takes the gradient where it is the value chosen.
    """
    x = to_tensor(x)
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given, received both None")
    if isinstance(min, _fn._Tensor) or isinstance(max, _fn._Tensor):
        return _clamp_tensor(x, min, max)
    if x.array.dtype.kind in "biu" and (isinstance(min, float) or isinstance(max, float)):
        x = _to_default_float(x)
    return Clip.apply(x, lo=min, hi=max)


def _clamp_tensor(x, lo, hi):
    """Clamp with tensor bounds: one node, gradients to x and to each bound."""
    bounds = [b for b in (lo, hi) if b is not None]
    if len(bounds) == 2:
        lo_t, hi_t = operands("clamp", *bounds)
        x, lo_t = operands("clamp", x, lo_t)
        x, hi_t = operands("clamp", x, hi_t)
        lo_t, hi_t = operands("clamp", lo_t, hi_t)
        return ClampTensor.apply(x, lo_t, hi_t)
    x, b = operands("clamp", x, bounds[0])
    return ClampTensor.apply(x, b, which="min" if lo is not None else "max")


clamp = clip


def maximum(a, b):
    """Elementwise max(a, b); the gradient goes to the larger, split at ties."""
    return Maximum.apply(*operands("maximum", a, b))


def minimum(a, b):
    """Elementwise min(a, b) = -max(-a, -b)."""
    a, b = operands("minimum", a, b)
    return neg(maximum(neg(a), neg(b)))


def where(condition, a, b):
    """``a`` where ``condition`` else ``b``; each gets the gradient where it was chosen."""
    cond = condition.array if isinstance(condition, _fn._Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, received dtype {cond.dtype}")
    a, b = operands("where", a, b)
    return Where.apply(a, b, cond=cond)


def cast(x, dtype):
    """Convert to ``dtype``; the gradient is cast back to the input's dtype."""
    x = to_tensor(x)
    dtype = np.dtype(dtype)
    if dtype == x.array.dtype:
        return x
    if x.requires_grad and dtype.kind not in "fc":
        return _fn._Tensor._wrap(x.array.astype(dtype))
    return Cast.apply(x, dtype=dtype)


def clone(x):
    """A copy of ``x`` that stays in the graph (d/dx = 1)."""
    return Clone.apply(to_tensor(x))


def _compare(ufunc):
    def op(a, b):
        a, b = operands(ufunc.__name__, a, b)
        try:
            return _fn._Tensor._wrap(ufunc(a.array, b.array))
        except ValueError as e:
            err = _fn.broadcast_error((a, b), e, ufunc.__name__)
            if err is None:
                raise
            raise err from None
    op.__name__ = ufunc.__name__
    op.__doc__ = f"Elementwise ``{ufunc.__name__}`` as a bool tensor (no gradient)."
    return op


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)


# PyTorch's longer spellings
multiply = mul
subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha input (subtraction with the operands swapped).   d/dinput = -alpha."""
    return sub(other, input, alpha=alpha)


def negative(input):
    """-x (bool tensors refused, as PyTorch: use ``logical_not``)."""
    x = to_tensor(input)
    if x.array.dtype.kind == "b":
        raise TypeError("negative: negation of a bool tensor is not supported; use "
                        "logical_not() or ~ to invert a mask")
    return neg(x)


def positive(input):
    """+x: the input itself (bool tensors refused, as PyTorch)."""
    x = to_tensor(input)
    if x.array.dtype.kind == "b":
        raise TypeError("positive: the + operator on a bool tensor is not supported")
    return x


def absolute(input):
    """|x| (``abs``); bool tensors refused, as PyTorch."""
    x = to_tensor(input)
    if x.array.dtype.kind == "b":
        raise TypeError("absolute: abs of a bool tensor is not supported")
    return abs(x)
