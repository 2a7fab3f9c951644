"""Special functions: erf, erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0,
igamma, igammac, sinc, logit, xlogy.

The numerical kernels (float64, NumPy only) live in :mod:`deepgrad.ops._special_kernels`,
whose docstring gives each method; a float32 input is evaluated in float64 and rounded
back, so float32 results are correctly rounded up to the last bit in almost all cases.
Integer and bool inputs give the default float dtype, as PyTorch.
"""
import math

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops import _special_kernels as K
from deepgrad.ops._promote import as_float, float_operands
from deepgrad.ops.elementwise import add

_SQRT_PI = math.sqrt(math.pi)


def _eval(kernel, x, *args):
    """Run a float64 kernel on ``x`` and cast back to ``x``'s dtype."""
    return np.asarray(kernel(*args, x.astype(np.float64, copy=False)), dtype=x.dtype)


class Erf(Function):
    def forward(self, x):
        self.x = x
        return _eval(K.erf, x)

    def backward(self, g):
        return g * (2 / _SQRT_PI) * np.exp(-self.x * self.x)


class Erfc(Function):
    def forward(self, x):
        self.x = x
        return _eval(K.erfc, x)

    def backward(self, g):
        return g * (-2 / _SQRT_PI) * np.exp(-self.x * self.x)


class Erfinv(Function):
    def forward(self, x):
        self.out = _eval(K.erfinv, x)
        return self.out

    def backward(self, g):
        return g * (_SQRT_PI / 2) * np.exp(self.out * self.out)


class Lgamma(Function):
    def forward(self, x):
        self.x = x
        return _eval(K.lgamma, x)

    def backward(self, g):
        return g * _eval(K.digamma, self.x)


class Polygamma(Function):
    """psi^(n)(x) (n = 0: digamma).   d/dx = psi^(n+1)(x)."""

    def forward(self, x, n=0):
        self.x, self.n = x, n
        return _eval(K.polygamma, x, n)

    def backward(self, g):
        return g * _eval(K.polygamma, self.x, self.n + 1)


class I0(Function):
    def forward(self, x):
        self.x = x
        return _eval(K.bessel_i, x, 0)

    def backward(self, g):
        return g * _eval(K.bessel_i, self.x, 1)      # I0' = I1


class IGamma(Function):
    """P(a, x) or Q(a, x); only x is differentiable (as PyTorch)."""

    def forward(self, a, x, upper=False):
        self.a, self.x, self.upper = a, x, upper
        kernel = K.igammac if upper else K.igamma
        return np.asarray(kernel(a.astype(np.float64), x.astype(np.float64)), dtype=x.dtype)

    def backward(self, g):
        if self.needs_grad[0]:
            name = "igammac" if self.upper else "igamma"
            raise RuntimeError(f"{name}: the derivative with respect to input (the shape "
                               f"parameter a) is not implemented, as in PyTorch; detach it")
        d = np.asarray(K.igamma_dx(self.a, self.x), dtype=g.dtype)
        return None, (-g * d if self.upper else g * d)


class Sinc(Function):
    def forward(self, x):
        self.x = x
        px = np.asarray(math.pi, x.dtype) * x
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, np.ones((), x.dtype), np.sin(px) / px)

    def backward(self, g):
        x = self.x
        px = np.asarray(math.pi, x.dtype) * x
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (px * np.cos(px) - np.sin(px)) / (px * x)
        return g * np.where(x == 0, np.zeros((), x.dtype), d)


class Logit(Function):
    def forward(self, x, eps=None):
        self.x, self.eps = x, eps
        z = x if eps is None else np.clip(x, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(z / (1 - z))

    def backward(self, g):
        x, eps = self.x, self.eps
        with np.errstate(divide="ignore", invalid="ignore"):
            d = g / (x * (1 - x))
        if eps is None:
            return np.where((x < 0) | (x > 1), np.asarray(np.nan, g.dtype), d)
        return np.where((x < eps) | (x > 1 - eps), np.zeros((), g.dtype), d)


class XLogY(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * np.log(y)
        return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out)

    def backward(self, g):
        x, y = self.x, self.y
        gx = gy = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_grad[0]:
                gx = np.where((g == 0) & ~np.isnan(y), 0, g * np.log(y))     # xlogy(g, y)
                gx = np.where((x == 0) & (y <= 0), np.zeros((), g.dtype), gx)
            if self.needs_grad[1]:
                gy = g * x / y
        return gx, gy


def erf(input):
    """erf x = 2/sqrt(pi) int_0^x e^{-t^2} dt.   d/dx = 2/sqrt(pi) e^{-x^2}."""
    return Erf.apply(as_float(input))


def erfc(input):
    """erfc x = 1 - erf x, accurate where erf x is close to 1.   d/dx = -2/sqrt(pi) e^{-x^2}."""
    return Erfc.apply(as_float(input))


def erfinv(input):
    """The inverse of erf on (-1, 1) (+-inf at +-1, NaN outside).

    d/dy erfinv(y) = sqrt(pi)/2 e^{erfinv(y)^2}.
    """
    return Erfinv.apply(as_float(input))


def lgamma(input):
    """ln |Gamma(x)| (+inf at the poles 0, -1, -2...).   d/dx = digamma(x)."""
    return Lgamma.apply(as_float(input))


def digamma(input):
    """psi(x) = d/dx ln Gamma(x) (-inf at +0, +inf at -0, NaN at negative integers).

    d/dx = polygamma(1, x).
    """
    return Polygamma.apply(as_float(input), n=0)


def polygamma(n, input):
    """psi^(n)(x), the n-th derivative of digamma (n >= 0 an integer).

    psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x) for n >= 1.   d/dx = psi^(n+1)(x).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative integer, received {n!r}")
    return Polygamma.apply(as_float(input), n=int(n))


def mvlgamma(input, p):
    """Multivariate log-gamma of dimension p:
    ln Gamma_p(x) = p (p - 1) / 4 ln(pi) + sum_{i=0}^{p-1} lgamma(x - i/2).

    A sum of lgamma terms, so d/dx = sum_i digamma(x - i/2) by the chain rule.
    """
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise ValueError(f"mvlgamma: p has to be an integer greater than or equal to 1, "
                         f"received {p!r}")
    x = as_float(input)
    total = lgamma(x)
    for i in range(1, int(p)):
        total = add(total, lgamma(add(x, -i / 2)))
    return add(total, p * (p - 1) / 4 * math.log(math.pi))


def i0(input):
    """Modified Bessel function of the first kind, order 0: sum_k (x^2/4)^k / (k!)^2.

    d/dx = I1(x).
    """
    return I0.apply(as_float(input))


def igamma(input, other):
    """Regularised lower incomplete gamma P(a, x) = (1/Gamma(a)) int_0^x t^(a-1) e^-t dt,
    with a = ``input`` and x = ``other`` (broadcast).

    d/dx = x^(a-1) e^-x / Gamma(a); the derivative in a is not implemented (as PyTorch).
    """
    return IGamma.apply(*float_operands("igamma", input, other))


def igammac(input, other):
    """Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x).

    d/dx = -x^(a-1) e^-x / Gamma(a); the derivative in a is not implemented.
    """
    return IGamma.apply(*float_operands("igammac", input, other), upper=True)


def sinc(input):
    """Normalised sinc: sin(pi x) / (pi x), 1 at x = 0.

    d/dx = (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x = 0.
    """
    return Sinc.apply(as_float(input))


def logit(input, eps=None):
    """ln(z / (1 - z)) with z = x, or z = clamp(x, eps, 1 - eps) when ``eps`` is given.

    d/dx = 1 / (x (1 - x)); with ``eps`` it is 0 outside [eps, 1 - eps]; without, NaN
    outside [0, 1] (as PyTorch).
    """
    if eps is not None and not 0 <= eps <= 0.5:
        raise ValueError(f"logit: eps must lie in [0, 0.5], received {eps}")
    return Logit.apply(as_float(input), eps=eps)


def xlogy(input, other):
    """x ln y, taken as 0 where x = 0 (unless y is NaN).

    d/dx = ln y (0 where x = 0 and y <= 0),   d/dy = x / y.
    """
    return XLogY.apply(*float_operands("xlogy", input, other))
