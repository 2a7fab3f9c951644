r"""Rényi differential privacy of the sampled Gaussian mechanism (Opacus's
``opacus.accountants.analysis.rdp`` names; NumPy only).

One step of DP-SGD is the *sampled Gaussian mechanism* (SGM): every example joins the
batch independently with probability q (Poisson sampling), the clipped per-example
gradients (L2 sensitivity 1 after dividing by the clip norm C) are summed and Gaussian
noise N(0, sigma^2 I) is added, sigma being the noise multiplier. Its Rényi divergence of
order alpha between neighbouring datasets is (Mironov, Talwar and Zhang 2019, "Rényi
Differential Privacy of the Sampled Gaussian Mechanism", section 3.3)

    eps_RDP(alpha) = log(A_alpha) / (alpha - 1),

    A_alpha = E_{z ~ mu_0} [((1 - q) + q mu_1(z) / mu_0(z))^alpha],
    mu_0 = N(0, sigma^2),  mu_1 = N(1, sigma^2).

For an integer alpha the binomial expansion is a finite sum:

    A_alpha = sum_{i=0}^{alpha} C(alpha, i) q^i (1 - q)^(alpha - i) exp((i^2 - i) / (2 sigma^2)).

For a fractional alpha it is an infinite series split at z0 = sigma^2 log(1/q - 1) + 1/2
(the point where the two mixture components cross), each part a sum over i of

    C(alpha, i) q^i (1 - q)^(alpha - i) exp((i^2 - i) / (2 sigma^2)) erfc((i - z0) / (sqrt2 sigma)) / 2
    C(alpha, i) q^(alpha - i) (1 - q)^i exp((j^2 - j) / (2 sigma^2)) erfc((z0 - j) / (sqrt2 sigma)) / 2

(j = alpha - i), summed until both terms fall below e^-30, as Opacus and TF Privacy do.
Everything is computed in log space. Composition over T steps multiplies by T
(:func:`compute_rdp`); conversion to (epsilon, delta)-DP uses Balle et al. 2020
("Hypothesis testing interpretations and Rényi DP", Theorem 21), the conversion Opacus
uses:

    epsilon = min_alpha  eps_RDP(alpha) - (log delta + log alpha) / (alpha - 1)
                         + log((alpha - 1) / alpha)

(:func:`get_privacy_spent`). This is tighter than the older ``eps_RDP(alpha) -
log(delta) / (alpha - 1)`` that TF Privacy's MNIST tutorial quotes (its 1.20 is 0.93 here).

Example:
    >>> orders = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))
    >>> rdp = compute_rdp(q=256 / 60000, noise_multiplier=1.1, steps=2340, orders=orders)
    >>> eps, best_alpha = get_privacy_spent(orders=orders, rdp=rdp, delta=1e-5)
"""
import math
import warnings

import numpy as np

from deepgrad.ops._special_kernels import log_ndtr as _log_ndtr

_BLOCK = 64          # terms of the fractional-order series evaluated per NumPy pass
_MAX_TERMS = 1 << 24  # a series this long means an input far outside any practical range


def _logsumexp(a):
    m = np.max(a)
    if m == -np.inf:
        return -np.inf
    return float(m + np.log(np.sum(np.exp(a - m))))


def _log_sub(logx, logy):
    """log(exp(logx) - exp(logy)) for logx >= logy; -inf when they are equal."""
    if logx < logy:
        raise ValueError("The result of subtraction must be non-negative.")
    if logy == -np.inf:
        return logx
    if logx == logy:
        return -np.inf
    try:
        return math.log(math.expm1(logx - logy)) + logy
    except OverflowError:
        return logx


def _log_erfc(x):
    """log(erfc(x)) accurate for large x: log 2 + log Phi(-x sqrt2)."""
    return math.log(2) + _log_ndtr(-np.asarray(x, np.float64) * math.sqrt(2))


def _compute_log_a_for_int_alpha(q, sigma, alpha):
    """log A_alpha for an integer alpha: the finite binomial sum (module docstring)."""
    i = np.arange(alpha + 1, dtype=np.float64)
    log_binom = np.array([math.lgamma(alpha + 1) - math.lgamma(k + 1) - math.lgamma(alpha - k + 1)
                          for k in range(alpha + 1)])
    s = (log_binom + i * math.log(q) + (alpha - i) * math.log(1 - q)
         + (i * i - i) / (2 * sigma ** 2))
    return _logsumexp(s)


def _signed_log_binom(alpha, start, size, carry_log, carry_sign):
    """(log |C(alpha, i)|, sign C(alpha, i)) for i = start .. start+size-1 (last axis) and
    real alphas (first axis), by the recurrence C(alpha, i) = C(alpha, i - 1) (alpha - i + 1)
    / i continued from C(alpha, start - 1) = carry (C(alpha, 0) = 1 when start is 0)."""
    first = 1 if start == 0 else start
    m = np.arange(first, start + size, dtype=np.float64)
    ratio = (alpha[:, None] - m + 1) / m
    with np.errstate(divide="ignore"):
        logs = carry_log[:, None] + np.cumsum(np.log(np.abs(ratio)), axis=1)
    signs = carry_sign[:, None] * np.cumprod(np.sign(ratio), axis=1)
    if start == 0:
        one = np.ones((len(alpha), 1))
        logs, signs = np.concatenate((0 * one, logs), 1), np.concatenate((one, signs), 1)
    return logs, signs


def _frac_terms(q, sigma, alpha, start, log_coef):
    """Terms i = start .. start+size-1 (log s0, log s1) of both series, per order (rows)."""
    z0 = sigma ** 2 * math.log(1 / q - 1) + 0.5
    i = np.arange(start, start + log_coef.shape[1], dtype=np.float64)
    j = alpha[:, None] - i
    log_t0 = log_coef + i * math.log(q) + j * math.log(1 - q)
    log_t1 = log_coef + j * math.log(q) + i * math.log(1 - q)
    x = np.stack((np.broadcast_to(i - z0, j.shape), z0 - j)) / (math.sqrt(2) * sigma)
    log_e = math.log(0.5) + _log_erfc(x)                   # one call for both series
    log_s0 = log_t0 + (i * i - i) / (2 * sigma ** 2) + log_e[0]
    log_s1 = log_t1 + (j * j - j) / (2 * sigma ** 2) + log_e[1]
    return log_s0, log_s1


def _compute_log_a_for_frac_alphas(q, sigma, alphas):
    """log A_alpha for fractional alphas: the two erfc-weighted series of the module
    docstring, each summed up to and including its first i where both terms are below
    e^-30. All orders are evaluated together, in chunks of terms (64, then 4096) for
    the orders whose series has not stopped yet; the positive and negative terms of each
    series are summed apart (in log space) and subtracted at the end."""
    alphas = np.asarray(alphas, np.float64)
    rows = len(alphas)
    acc = np.full((rows, 4), -np.inf)      # log sums: s0 positive, s0 negative, s1 +, s1 -
    carry_log, carry_sign = np.zeros(rows), np.ones(rows)
    active, start, size = np.arange(rows), 0, _BLOCK
    while active.size:
        if start >= _MAX_TERMS:
            raise RuntimeError(f"compute_rdp: the series for q={q}, sigma={sigma}, alphas "
                               f"{alphas[active]} did not converge in {start} terms")
        log_coef, sign = _signed_log_binom(alphas[active], start, size, carry_log[active],
                                           carry_sign[active])
        log_s0, log_s1 = _frac_terms(q, sigma, alphas[active], start, log_coef)
        small = np.maximum(log_s0, log_s1) < -30
        stops = small.any(axis=1)
        keep = np.where(stops, np.argmax(small, axis=1) + 1, size)
        for r, row in enumerate(active):
            k, pos = keep[r], sign[r, :keep[r]] > 0
            for col, (terms, want) in enumerate(((log_s0, True), (log_s0, False),
                                                 (log_s1, True), (log_s1, False))):
                part = terms[r, :k][pos if want else ~pos]
                if part.size:
                    acc[row, col] = np.logaddexp(acc[row, col], _logsumexp(part))
        carry_log[active], carry_sign[active] = log_coef[:, -1], sign[:, -1]
        active = active[~stops]
        start, size = start + size, 4096
    return [float(np.logaddexp(_log_sub(a[0], a[1]), _log_sub(a[2], a[3]))) for a in acc]


def _compute_rdp_orders(q, sigma, orders):
    """eps_RDP(alpha) of one SGM step for each order (may be inf)."""
    orders = [float(a) for a in orders]
    if q == 0:
        return np.zeros(len(orders))
    if sigma == 0:
        return np.full(len(orders), np.inf)     # no noise: no privacy
    if q == 1.0:
        return np.array([a / (2 * sigma ** 2) for a in orders])    # the Gaussian mechanism
    out = np.full(len(orders), np.inf)
    frac = [k for k, a in enumerate(orders) if np.isfinite(a) and not a.is_integer()]
    for k, a in enumerate(orders):
        if np.isfinite(a) and a.is_integer():
            out[k] = _compute_log_a_for_int_alpha(q, sigma, int(a)) / (a - 1)
    if frac:
        log_a = _compute_log_a_for_frac_alphas(q, sigma, [orders[k] for k in frac])
        for k, la in zip(frac, log_a):
            out[k] = la / (orders[k] - 1)
    return out


def _compute_rdp(q, sigma, alpha):
    """eps_RDP(alpha) of one SGM step (may be inf)."""
    return float(_compute_rdp_orders(q, sigma, [alpha])[0])


def _check(q, noise_multiplier, steps):
    if not 0 <= q <= 1:
        raise ValueError(f"compute_rdp: the sample rate q must be in [0, 1], received {q!r}")
    if noise_multiplier < 0:
        raise ValueError(f"compute_rdp: noise_multiplier must be >= 0, received "
                         f"{noise_multiplier!r}")
    if steps < 0:
        raise ValueError(f"compute_rdp: steps must be >= 0, received {steps!r}")


def compute_rdp(*, q, noise_multiplier, steps, orders):
    r"""RDP of ``steps`` compositions of the sampled Gaussian mechanism, per order.

    Args:
        q (float): sample rate of each step (Poisson sampling probability).
        noise_multiplier (float): sigma, the noise standard deviation over the L2
            sensitivity.
        steps (int): number of steps (RDP composes additively: ``steps * eps_RDP``).
        orders (float or sequence of float): the orders alpha > 1.
    Returns:
        float (for a float ``orders``) or ndarray: ``steps * eps_RDP(alpha)``; may be inf.
    """
    _check(q, noise_multiplier, steps)
    if isinstance(orders, float):
        rdp = _compute_rdp(q, noise_multiplier, orders)
    else:
        rdp = _compute_rdp_orders(q, noise_multiplier, orders)
    return rdp * steps


def get_privacy_spent(*, orders, rdp, delta):
    r"""epsilon for ``delta`` from RDP values at several orders (Balle et al. 2020, Thm 21):

        epsilon = min_alpha  rdp(alpha) - (log delta + log alpha) / (alpha - 1)
                             + log((alpha - 1) / alpha)

    Args:
        orders (float or sequence): orders alpha.
        rdp (float or sequence): RDP values at those orders (same length).
        delta (float): target delta in (0, 1).
    Returns:
        (epsilon, best order). A warning is given when the best order is the smallest
        or the largest given (a wider range of orders may give a tighter bound).
    """
    orders_vec, rdp_vec = np.atleast_1d(orders), np.atleast_1d(rdp)
    if len(orders_vec) != len(rdp_vec):
        raise ValueError(f"get_privacy_spent: orders and rdp must have the same length, "
                         f"received {len(orders_vec)} orders and {len(rdp_vec)} values")
    if not 0 < delta < 1:
        raise ValueError(f"get_privacy_spent: delta must be in (0, 1), received {delta!r}")
    with np.errstate(invalid="ignore"):
        eps = (rdp_vec - (np.log(delta) + np.log(orders_vec)) / (orders_vec - 1)
               + np.log((orders_vec - 1) / orders_vec))
    if np.isnan(eps).all():
        return np.inf, np.nan           # no privacy at any order
    idx_opt = int(np.nanargmin(eps))
    if idx_opt == 0 or idx_opt == len(eps) - 1:
        extreme = "smallest" if idx_opt == 0 else "largest"
        warnings.warn(f"Optimal order is the {extreme} alpha. Please consider expanding the "
                      f"range of alphas to get a tighter privacy bound.")
    return eps[idx_opt], orders_vec[idx_opt]
