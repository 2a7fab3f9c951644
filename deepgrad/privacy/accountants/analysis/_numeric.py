"""Numerical helpers of the accountants, on NumPy alone: adaptive quadrature, Brent's root
finder and the normal CDF (what Opacus takes from SciPy)."""
import math

import numpy as np

from deepgrad.ops._special_kernels import erfc

_NODES = {n: np.polynomial.legendre.leggauss(n) for n in (10, 21)}


def ndtr(x):
    """Phi(x), the standard normal CDF: erfc(-x / sqrt2) / 2 (arrays or floats)."""
    out = erfc(-np.asarray(x, np.float64) / math.sqrt(2)) / 2
    return out if out.ndim else float(out)


def _gauss(f, a, b, n):
    """Gauss-Legendre sums with n nodes on every interval [a_k, b_k] (arrays) at once."""
    x, w = _NODES[n]
    half, mid = (b - a)[:, None] / 2, (b + a)[:, None] / 2
    return (f(mid + half * x) * w).sum(axis=1) * half[:, 0]


def quad(f, a, b, epsabs=1.49e-8, epsrel=1.49e-8, limit=500):
    """Integral of the vectorised ``f`` over [a, b] by adaptive Gauss-Legendre quadrature.

    Each interval is estimated with 10 and 21 nodes; intervals whose two estimates differ by
    more than their share of ``max(epsabs, epsrel * |integral|)`` are halved, all of a
    round at once, until the estimate is within tolerance or ``limit`` intervals exist.

    Returns:
        (integral, error estimate), as ``scipy.integrate.quad``.
    """
    lo, hi = np.array([float(a)]), np.array([float(b)])
    done, err_done = 0.0, 0.0
    while True:
        fine, coarse = _gauss(f, lo, hi, 21), _gauss(f, lo, hi, 10)
        err = np.abs(fine - coarse)
        total = done + fine.sum()
        tol = max(epsabs, epsrel * abs(total))
        share = tol * (hi - lo) / (b - a)
        ok = err <= share
        done += fine[ok].sum()
        err_done += err[ok].sum()
        if ok.all() or len(lo) * 2 > limit:
            return done + fine[~ok].sum(), err_done + err[~ok].sum()
        lo, hi = lo[~ok], hi[~ok]
        mid = (lo + hi) / 2
        lo, hi = np.concatenate((lo, mid)), np.concatenate((mid, hi))


def brentq(f, a, b, xtol=2e-12, rtol=8.881784197001252e-16, maxiter=200):
    """A root of ``f`` in [a, b] (f(a), f(b) of opposite signs) by Brent's method:
    inverse quadratic interpolation or the secant step when they stay inside the bracket
    and shrink it fast enough, bisection otherwise (R. P. Brent, 1973)."""
    fa, fb = f(a), f(b)
    if fa * fb > 0:
        raise ValueError(f"brentq: f(a) and f(b) must have different signs, received "
                         f"f({a})={fa}, f({b})={fb}")
    if fa == 0:
        return a
    if fb == 0:
        return b
    c, fc, d = a, fa, b - a
    e = d
    for _ in range(maxiter):
        if fb * fc > 0:
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):
            a, b, c, fa, fb, fc = b, c, b, fb, fc, fb
        tol = 2 * rtol * abs(b) + xtol / 2
        m = (c - b) / 2
        if abs(m) <= tol or fb == 0:
            return b
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:                       # secant
                p, q = 2 * m * s, 1 - s
            else:                            # inverse quadratic interpolation
                qa, r = fa / fc, fb / fc
                p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1))
                q = (qa - 1) * (r - 1) * (s - 1)
            if p > 0:
                q = -q
            p = abs(p)
            if 2 * p < min(3 * m * q - abs(tol * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = m
        else:
            d = e = m
        a, fa = b, fb
        b += d if abs(d) > tol else math.copysign(tol, m)
        fb = f(b)
    raise RuntimeError(f"brentq: no convergence in {maxiter} iterations")
