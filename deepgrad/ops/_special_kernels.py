"""Special functions on NumPy alone, vectorised, in float64 (no SciPy).

Each kernel takes and returns float64 arrays; :mod:`deepgrad.ops.special` wraps them as
differentiable ops and casts back to the input's dtype. Methods:

* ``erf``/``erfc``: Cephes' rational approximations (S. L. Moshier, ``ndtr.c``): erf(x) =
  x T(x^2)/U(x^2) for |x| < 1; erfc(x) = e^{-x^2} P(x)/Q(x) for 1 <= x < 8 and
  e^{-x^2} R(x)/S(x) beyond, with e^{-x^2} split as e^{-h^2} e^{-(2h l + l^2)} (x = h + l,
  h on a 1/16 grid) so the square loses no digits. Relative error ~1e-16.
* ``erfinv``/``erfcinv``: Winitzki's closed-form start (error ~2e-3), then four Halley
  steps on erf(x) = y (|y| <= 0.5) or on erfc(x) = 1 - |y| (tails, where 1 - |y| is
  exact); ``erfcx`` and ``log_ndtr`` reuse the erfc rationals without their e^{-x^2}.
* ``lgamma``: ``math.lgamma`` per element (poles give +inf, as PyTorch).
* ``digamma``: reflection psi(x) = psi(1 - x) - pi / tan(pi x) for x < 0, recurrence
  psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series
  ln x - 1/(2x) - sum_k B_2k / (2k x^2k) (7 terms).
* ``zeta`` (Hurwitz, for polygamma): direct sum of (q + k)^-s until q + N is large,
  then Euler-Maclaurin with 12 Bernoulli terms; psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x).
* ``bessel_i`` (I0, I1, and e^{-|x|}-scaled): the power series
  sum (x^2/4)^k / (k! (k+nu)!) (all terms positive, no cancellation) for |x| <= 30, the
  asymptotic expansion e^x / sqrt(2 pi x) sum_k (-1)^k a_k(nu) / x^k beyond.
* ``igamma``/``igammac`` (regularised incomplete gamma P and Q): the series
  P = x^a e^-x / Gamma(a+1) sum_n x^n / ((a+1)...(a+n)) for x < a + 1, else the
  continued fraction for Q (modified Lentz), as in Numerical Recipes' gser/gcf.
"""
import math

import numpy as np

_F = np.float64

# Cephes ndtr.c coefficients, highest degree first
_ERF_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
          7.00332514112805075473E3, 5.55923013010394962768E4)
_ERF_U = (3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3,
          2.26290000613890934246E4, 4.92673942608635921086E4)
_ERFC_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
           4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
           9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)
_ERFC_Q = (1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
           9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
           1.65666309194161350182E3, 5.57535340817727675546E2)
_ERFC_R = (5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
           6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0)
_ERFC_S = (2.26052863220117276590E0, 9.39603524938001434673E0, 1.20489539808096656605E1,
           1.70814450747565897222E1, 9.60896809063285878198E0, 3.36907645100081516050E0)

# B_2k / (2k) for the digamma series, and B_2k / (2k)! for Euler-Maclaurin
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330, 854513 / 138, -236364091 / 2730)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _polevl(x, coefs, leading_one=False):
    """Horner's rule; ``leading_one`` prepends a coefficient 1 (Cephes' p1evl)."""
    acc = np.ones_like(x) if leading_one else np.full_like(x, coefs[0])
    for c in (coefs if leading_one else coefs[1:]):
        acc = acc * x + c
    return acc


def _exp_minus_square(x):
    """e^{-x^2} for x >= 0 without the rounding error of forming x^2 (x = h + l)."""
    h = np.floor(x * 16) / 16
    lo = x - h
    return np.exp(-h * h) * np.exp(-(2 * h * lo + lo * lo))


def _erfc_ratio(ax):
    """erfc(ax) e^{ax^2} for ax >= 1: P/Q below 8, R/S from 8 on."""
    ratio = np.empty_like(ax)
    mid = ax < 8
    with np.errstate(over="ignore", invalid="ignore"):
        m, f = ax[mid], ax[~mid]
        ratio[mid] = _polevl(m, _ERFC_P) / _polevl(m, _ERFC_Q, True)
        ratio[~mid] = _polevl(f, _ERFC_R) / _polevl(f, _ERFC_S, True)
    return ratio


def _erfc_tail(ax):
    """erfc(ax) for ax >= 1."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = _exp_minus_square(ax) * _erfc_ratio(ax)
    return np.where(np.isinf(ax), 0.0, out)


def _erf_small(x):
    """erf(x) for |x| < 1: x T(x^2) / U(x^2)."""
    z = x * x
    return x * _polevl(z, _ERF_T) / _polevl(z, _ERF_U, True)


def erf(x):
    x = np.asarray(x, _F)
    out = np.empty_like(x)
    small = np.abs(x) < 1
    out[small] = _erf_small(x[small])
    big = ~small
    xb = x[big]
    out[big] = np.where(np.isnan(xb), np.nan, np.sign(xb) * (1 - _erfc_tail(np.abs(xb))))
    return out


def erfc(x):
    x = np.asarray(x, _F)
    out = np.empty_like(x)
    small = np.abs(x) < 1
    out[small] = 1 - _erf_small(x[small])
    big = ~small
    xb = x[big]
    tail = _erfc_tail(np.abs(xb))
    out[big] = np.where(np.isnan(xb), np.nan, np.where(xb < 0, 2 - tail, tail))
    return out


def _erf_inverse_pos(t, z):
    """x >= 0 with erf(x) = t, given z = 1 - t exactly: Winitzki's start from
    ln(1 - t^2) = ln(z (2 - z)), then Halley on erf(x) - t, or on z - erfc(x) in the
    tail (t > 0.5), where z carries the digits that t has lost."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln = np.log(z * (2 - z))
        a = 0.147
        b = 2 / (math.pi * a) + ln / 2
        x = np.sqrt(np.sqrt(b * b - ln / a) - b)
        tail = z < 0.5
        f = np.empty_like(x)
        for _ in range(4):                              # the far tails need the fourth
            f[tail] = z[tail] - erfc(x[tail])
            f[~tail] = erf(x[~tail]) - t[~tail]
            r = f / (_TWO_OVER_SQRT_PI * np.exp(-x * x))      # f / f'  (f'' = -2x f')
            x = x - r / (1 + x * r)
    return x


def erfinv(y):
    y = np.asarray(y, _F)
    t = np.abs(y)
    x = _erf_inverse_pos(t, 1 - t)
    x = np.where(t == 1, np.inf, x)
    x = np.where((t > 1) | np.isnan(t), np.nan, x)
    return np.copysign(x, y)


def erfcinv(z):
    """The inverse of erfc on (0, 2): erfcinv(z) = erfinv(1 - z), accurate for tiny z."""
    z = np.asarray(z, _F)
    low = np.where(z > 1, 2 - z, z)                 # erfcinv(2 - z) = -erfcinv(z)
    x = _erf_inverse_pos(1 - low, low)
    x = np.where(z > 1, -x, x)
    x = np.where(z == 0, np.inf, np.where(z == 2, -np.inf, x))
    return np.where((z < 0) | (z > 2) | np.isnan(z), np.nan, x)


def erfcx(x):
    """The scaled complementary error function e^{x^2} erfc(x): direct below 1 (e^{x^2}
    from the split square), Cephes' rationals without their e^{-x^2} factor on [1, 50),
    the asymptotic series 1/(x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4) - ...) beyond."""
    x = np.asarray(x, _F)
    ax = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        direct = erfc(np.minimum(x, 1)) / _exp_minus_square(np.minimum(ax, 27.0))
        direct = np.where(x < -26.7, np.inf, direct)
        mid = _erfc_ratio(np.clip(x, 1, 50))
        f = np.maximum(x, 50.0)
        inv2 = 1 / (2 * f * f)
        series, term = np.ones_like(f), np.ones_like(f)
        for k in range(1, 8):                       # (-1)^k (2k-1)!! / (2x^2)^k
            term = -term * (2 * k - 1) * inv2
            series = series + term
        far = series / (f * math.sqrt(math.pi))
    out = np.where(x < 1, direct, np.where(x < 50, mid, far))
    return np.where(np.isnan(x), np.nan, out)


def log_ndtr(x):
    """ln Phi(x), Phi the standard normal CDF: ln(erfcx(-x/sqrt2)/2) - x^2/2 for x < -1,
    log1p(-erfc(x/sqrt2)/2) otherwise (PyTorch's split)."""
    x = np.asarray(x, _F)
    z = x / math.sqrt(2)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        left = np.log(erfcx(-np.minimum(z, 0)) / 2) - x * x / 2
        right = np.log1p(-erfc(np.maximum(z, -1)) / 2)
    return np.where(x < -1, left, right)


def _lgamma_scalar(v):
    try:
        return math.lgamma(v)
    except ValueError:          # a pole: 0, -1, -2, ...
        return math.inf


_LGAMMA_UFUNC = np.frompyfunc(_lgamma_scalar, 1, 1)


def lgamma(x):
    x = np.asarray(x, _F)
    return np.asarray(_LGAMMA_UFUNC(x), dtype=_F).reshape(x.shape)


def digamma(x):
    x = np.asarray(x, _F)
    reflect = x < 0
    y = np.where(reflect, 1 - x, x)
    acc = np.zeros_like(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(10):                        # psi(y) = psi(y + 1) - 1/y
            low = y < 10
            if not low.any():
                break
            acc = acc - np.where(low, 1 / np.where(low, y, 1), 0)
            y = np.where(low, y + 1, y)
        inv2 = 1 / (y * y)
        series = np.zeros_like(y)
        for k in range(7, 0, -1):                  # sum_k B_2k / (2k) y^-2k, by Horner
            series = (series + _BERNOULLI[k - 1] / (2 * k)) * inv2
        out = acc + np.log(y) - 0.5 / y - series
        frac = x - np.trunc(x)
        out = np.where(reflect, out - math.pi / np.tan(math.pi * frac), out)
    out = np.where(reflect & (frac == 0), np.nan, out)                # poles at -1, -2...
    out = np.where(x == 0, np.copysign(np.inf, -x), out)              # psi(+-0) = -+inf
    return np.where(np.isposinf(x), np.inf, out)


def zeta(s, q):
    """Hurwitz zeta sum_k (q + k)^-s for s > 1 (inf at q = 0, -1, -2...)."""
    s = np.asarray(s, _F)
    q = np.asarray(q, _F)
    s, q = np.broadcast_arrays(s, q)
    threshold = np.maximum(10.0, (s + 24) / 2)
    a = q.copy()
    total = np.zeros(q.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while True:                                 # direct sum until q + N is large
            low = (a < threshold) & np.isfinite(a)
            if not low.any():
                break
            total = total + np.where(low, np.power(np.where(low, a, 1.0), -s), 0)
            a = np.where(low, a + 1, a)
        em = a ** (1 - s) / (s - 1) + 0.5 * a ** -s
        rising = s.copy()                           # s (s+1) ... (s+2j-2)
        power = a ** (-s - 1)
        fact = 2.0                                  # (2j)!
        for j in range(1, 13):
            em = em + _BERNOULLI[j - 1] / fact * rising * power
            rising = rising * (s + 2 * j - 1) * (s + 2 * j)
            power = power / (a * a)
            fact = fact * (2 * j + 1) * (2 * j + 2)
        out = total + em
    return np.where((q <= 0) & (q == np.floor(q)), np.inf, out)


def polygamma(n, x):
    """psi^(n)(x) for an integer n >= 0."""
    if n == 0:
        return digamma(x)
    sign = 1.0 if n % 2 == 1 else -1.0
    return sign * math.factorial(n) * zeta(n + 1.0, x)


def bessel_i(nu, x, scaled=False):
    """Modified Bessel function of the first kind I_nu(x), nu in {0, 1}; with ``scaled``,
    e^{-|x|} I_nu(x) (finite for every x)."""
    x = np.asarray(x, _F)
    ax = np.abs(x)
    near = np.minimum(ax, 30.0)
    term = (near / 2) ** nu
    total = term.copy()
    q = near * near / 4
    for k in range(1, 200):                         # series, positive terms
        term = term * q / (k * (k + nu))
        total = total + term
        if np.all(term <= 1e-17 * total):
            break
    far_x = np.maximum(ax, 30.0)
    mu = 4.0 * nu * nu
    term = np.ones_like(far_x)
    acc = term.copy()
    for k in range(1, 60):                          # asymptotic expansion
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8 * far_x)
        acc = acc + term
        if np.all(np.abs(term) <= 1e-17 * np.abs(acc)):
            break
    far = acc / np.sqrt(2 * math.pi * far_x)        # e^{-x} I(x) for large x
    if scaled:
        out = np.where(ax <= 30, total * np.exp(-near), far)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            half = np.exp(far_x / 2)                # e^x as (e^(x/2))^2: finite up to I(713)
            out = np.where(ax <= 30, total, half * far * half)
    out = np.where(np.isnan(x), np.nan, out)
    return np.copysign(out, x) if nu % 2 == 1 else out


def _log_prefactor(a, x):
    """ln(x^a e^-x / Gamma(a))."""
    return a * np.log(x) - x - lgamma(a)


def _gamma_series(a, x):
    """P(a, x) by the series (converges fast for x < a + 1)."""
    term = 1.0 / a
    total = term.copy()
    active = np.ones(a.shape, bool)
    for n in range(1, 100000):
        term = np.where(active, term * x / (a + n), term)
        total = np.where(active, total + term, total)
        active = active & (np.abs(term) > np.abs(total) * 1e-17)
        if not active.any():
            break
    return total * np.exp(_log_prefactor(a, x))


def _gamma_cf(a, x):
    """Q(a, x) by the continued fraction (modified Lentz; x >= a + 1)."""
    tiny = 1e-300
    b = x + 1 - a
    c = np.full(a.shape, 1 / tiny)
    d = 1 / b
    h = d.copy()
    active = np.ones(a.shape, bool)
    for i in range(1, 100000):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1 / d
        delta = d * c
        h = np.where(active, h * delta, h)
        active = active & (np.abs(delta - 1) > 1e-16)
        if not active.any():
            break
    return np.exp(_log_prefactor(a, x)) * h


def _igamma_pair(a, x, upper):
    a, x = np.broadcast_arrays(np.asarray(a, _F), np.asarray(x, _F))
    ok = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
    aa, xx = np.where(ok, a, 1.0), np.where(ok, x, 1.0)
    series = xx < aa + 1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        p = np.where(series, _gamma_series(np.where(series, aa, 1.0), np.where(series, xx, 0.5)), 0)
        q = np.where(series, 0, _gamma_cf(np.where(series, 1.0, aa), np.where(series, 3.0, xx)))
    out = np.where(series, 1 - p, q) if upper else np.where(series, p, 1 - q)
    # edges as PyTorch: P(a, 0) = 0, P(0, x > 0) = 1, P(a, inf) = 1, P(inf, x) = 0
    lower_edge = np.full(a.shape, np.nan)
    lower_edge = np.where((x == 0) & (a > 0), 0.0, lower_edge)
    lower_edge = np.where((a == 0) & (x > 0), 1.0, lower_edge)
    lower_edge = np.where(np.isposinf(x) & np.isfinite(a) & (a >= 0), 1.0, lower_edge)
    lower_edge = np.where(np.isposinf(a) & np.isfinite(x) & (x >= 0), 0.0, lower_edge)
    edge = 1 - lower_edge if upper else lower_edge
    return np.where(ok, out, edge)


def igamma(a, x):
    """Regularised lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a)."""
    return _igamma_pair(a, x, upper=False)


def igammac(a, x):
    """Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x)."""
    return _igamma_pair(a, x, upper=True)


def igamma_dx(a, x):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)."""
    a, x = np.asarray(a, _F), np.asarray(x, _F)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.exp((a - 1) * np.log(x) - x - lgamma(a))
