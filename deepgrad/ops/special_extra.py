"""The rest of ``torch.special``: erfcx, ndtr, ndtri, log_ndtr, the Bessel functions i1,
i0e, i1e, entr, xlog1py and the Hurwitz zeta function.

The float64 kernels are in :mod:`deepgrad.ops._special_kernels`; each op here is its
forward next to its derivative, as in :mod:`deepgrad.ops.special`.
"""
import math

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops import _special_kernels as K
from deepgrad.ops._promote import as_float, float_operands
from deepgrad.ops.elementwise import mul
from deepgrad.ops.special import _eval, erfc

_SQRT_2PI = math.sqrt(2 * math.pi)


class Erfcx(Function):
    def forward(self, x):
        self.x = x
        self.out = _eval(K.erfcx, x)
        return self.out

    def backward(self, g):
        return g * (2 * self.x * self.out - 2 / math.sqrt(math.pi))


class LogNdtr(Function):
    def forward(self, x):
        self.x = x
        self.out = _eval(K.log_ndtr, x)
        return self.out

    def backward(self, g):
        # phi(x) / Phi(x) = e^{-x^2/2 - ln Phi(x)} / sqrt(2 pi), in log space
        return g * np.exp(-self.x * self.x / 2 - self.out) / _SQRT_2PI


class Ndtri(Function):
    def forward(self, p):
        self.out = _eval(lambda a: -math.sqrt(2) * K.erfcinv(2 * a), p)
        return self.out

    def backward(self, g):
        return g * _SQRT_2PI * np.exp(self.out * self.out / 2)


class BesselI(Function):
    """I1, or e^{-|x|} I0 / e^{-|x|} I1 (``scaled``).

    d/dx I1 = I0 - I1/x;   d/dx i0e = i1e - sign(x) i0e;
    d/dx i1e = i0e - i1e (sign(x) + 1/x);   the I1 forms are 1/2 at x = 0.
    """

    def forward(self, x, nu=1, scaled=False):
        self.x, self.nu, self.scaled = x, nu, scaled
        self.out = _eval(lambda a: K.bessel_i(nu, a, scaled), x)
        return self.out

    def backward(self, g):
        x, out = self.x, self.out
        if self.nu == 0:                            # i0e
            return g * (_eval(lambda a: K.bessel_i(1, a, True), x) - np.sign(x) * out)
        other = _eval(lambda a: K.bessel_i(0, a, self.scaled), x)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = other - out / x - (np.sign(x) * out if self.scaled else 0)
        return g * np.where(x == 0, np.asarray(0.5, g.dtype), d)


class Entr(Function):
    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -x * np.log(x)
        out = np.where(x == 0, np.zeros((), x.dtype), out)
        return np.where(x < 0, np.asarray(-np.inf, x.dtype), out)

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return -g * (1 + np.log(self.x))


class XLog1pY(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * np.log1p(y)
        return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out)

    def backward(self, g):
        x, y = self.x, self.y
        gx = gy = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_grad[0]:
                gx = np.where((g == 0) & ~np.isnan(y), 0, g * np.log1p(y))
                gx = np.where((x == 0) & (y <= -1), np.zeros((), g.dtype), gx)
            if self.needs_grad[1]:
                gy = g * x / (1 + y)
        return gx, gy


class Zeta(Function):
    def forward(self, s, q):
        s64, q64 = s.astype(np.float64), q.astype(np.float64)
        out = K.zeta(np.where(s64 > 1, s64, 2.0), q64)         # the series needs s > 1
        out = np.where(s64 == 1, np.inf, np.where(s64 < 1, np.nan, out))
        return np.asarray(out, dtype=q.dtype)

    def backward(self, g):
        raise RuntimeError("zeta: the derivative is not implemented (as in PyTorch); "
                           "detach the inputs")


def erfcx(input):
    """Scaled complementary error function e^{x^2} erfc(x) (no overflow for large x).

    d/dx = 2x erfcx(x) - 2/sqrt(pi).
    """
    return Erfcx.apply(as_float(input))


def ndtr(input):
    """Standard normal CDF Phi(x) = erfc(-x/sqrt2) / 2.   d/dx = e^{-x^2/2} / sqrt(2 pi)."""
    return mul(erfc(mul(as_float(input), -1 / math.sqrt(2))), 0.5)


def ndtri(input):
    """Inverse of the standard normal CDF: -sqrt2 erfcinv(2p) (accurate for tiny p).

    d/dp = sqrt(2 pi) e^{ndtri(p)^2 / 2}.
    """
    return Ndtri.apply(as_float(input))


def log_ndtr(input):
    """ln Phi(x), accurate far into the lower tail.   d/dx = phi(x) / Phi(x)."""
    return LogNdtr.apply(as_float(input))


def i1(input):
    """Modified Bessel function of the first kind, order 1.   d/dx = I0(x) - I1(x)/x."""
    return BesselI.apply(as_float(input), nu=1)


def i0e(input):
    """Exponentially scaled I0: e^{-|x|} I0(x).   d/dx = i1e(x) - sign(x) i0e(x)."""
    return BesselI.apply(as_float(input), nu=0, scaled=True)


def i1e(input):
    """Exponentially scaled I1: e^{-|x|} I1(x).   d/dx = i0e(x) - i1e(x) (sign(x) + 1/x)."""
    return BesselI.apply(as_float(input), nu=1, scaled=True)


def entr(input):
    """Elementwise entropy -x ln x (0 at x = 0, -inf for x < 0).   d/dx = -(1 + ln x)."""
    return Entr.apply(as_float(input))


def xlog1py(input, other):
    """x ln(1 + y), taken as 0 where x = 0 (unless y is NaN).

    d/dx = ln(1 + y) (0 where x = 0 and y <= -1),   d/dy = x / (1 + y).
    """
    return XLog1pY.apply(*float_operands("xlog1py", input, other))


def zeta(input, other):
    """Hurwitz zeta function sum_{k >= 0} (q + k)^-s with s = ``input``, q = ``other``
    (inf at s = 1 and at q = 0, -1, -2...; NaN for s < 1). Not differentiable."""
    return Zeta.apply(*float_operands("zeta", input, other))
