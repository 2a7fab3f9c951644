r"""Privacy loss random variables (PRVs) and their numerical composition (Gopi, Lee and
Wutschitz 2021, "Numerical Composition of Differential Privacy"), Opacus's
``opacus.accountants.analysis.prv`` names, on NumPy alone.

A mechanism M with neighbouring outputs distributed as P and Q has the privacy loss
random variable Y = log(P(o) / Q(o)), o ~ P; for every epsilon

    delta(epsilon) = E[(1 - e^(epsilon - Y))_+].

Composing mechanisms adds their PRVs, so the composed PRV's density is the convolution of
the densities. For the Poisson subsampled Gaussian (sample rate q, noise sigma), with
z(t) = log((e^t + q - 1) / q) for t > log(1 - q) (propositions B1 and B4 of the paper):

    pdf(t) = sigma e^(-sigma^2 z^2 / 2 - 1/(8 sigma^2) + 2t)
             / (sqrt(2 pi) (e^t + q - 1) sqrt((e^t + q - 1) / q))
    cdf(t) = 1 - q erfc((2 z sigma^2 - 1) / (2 sqrt2 sigma)) / 2
               - (1 - q) erfc((2 z sigma^2 + 1) / (2 sqrt2 sigma)) / 2

The PRV is truncated to a safe domain [-L, L] (L from an RDP bound, remark 5.6),
discretised on a mesh of width dt (each point gets the mass of its cell, and the whole
grid is shifted so that the discrete mean equals the continuous one), composed with itself
by FFT (pmf^(*k) = irfft(rfft(pmf)^k)) and across different PRVs by convolution. From the
composed pmf p on grid t, delta(epsilon) = sum_{t >= epsilon} p(t) (1 - e^(epsilon - t)),
inverted for epsilon on the grid; the returned bound adds the error budget ``eps_error``.
"""
import math
from dataclasses import dataclass

import numpy as np

from deepgrad.ops._special_kernels import erfc
from deepgrad.privacy.accountants.analysis import rdp as _rdp
from deepgrad.privacy.accountants.analysis._numeric import quad
from deepgrad.privacy.accountants.rdp import RDPAccountant

SQRT2 = math.sqrt(2)


@dataclass
class Domain:
    """A grid of ``size`` (even) points from ``t_min`` to ``t_max``; ``shifts`` records how
    far it has been moved from its creation."""

    t_min: float
    t_max: float
    size: int
    shifts: float = 0.0

    def __post_init__(self):
        if not isinstance(self.size, int):
            raise TypeError(f"Domain: `size` must be an integer, received {self.size!r}")
        if self.size % 2 != 0:
            raise ValueError(f"Domain: `size` must be even, received {self.size}")

    @classmethod
    def create_aligned(cls, t_min, t_max, dt):
        """The grid of step ``dt`` on multiples of dt covering [t_min, t_max] (even size)."""
        t_min = np.floor(t_min / dt) * dt
        t_max = np.ceil(t_max / dt) * dt
        size = int(np.round((t_max - t_min) / dt)) + 1
        if size % 2 == 1:
            size += 1
            t_max += dt
        domain = cls(float(t_min), float(t_max), size)
        if abs(domain.dt - dt) / dt >= 1e-8:
            raise RuntimeError(f"Domain.create_aligned: mesh {domain.dt} differs from the "
                               f"requested {dt}")
        return domain

    def shift_right(self, dt):
        return Domain(self.t_min + dt, self.t_max + dt, self.size, self.shifts + dt)

    @property
    def dt(self):
        return (self.t_max - self.t_min) / (self.size - 1)

    @property
    def ts(self):
        return np.linspace(self.t_min, self.t_max, self.size)

    def __getitem__(self, i):
        return self.t_min + i * self.dt


class PoissonSubsampledGaussianPRV:
    """The PRV of one step of the Poisson subsampled Gaussian mechanism (module docstring).

    Args:
        sample_rate (float): q in (0, 1].
        noise_multiplier (float): sigma > 0.
    """

    def __init__(self, sample_rate, noise_multiplier):
        self.sample_rate = sample_rate
        self.noise_multiplier = noise_multiplier

    def pdf(self, t):
        q, sigma = self.sample_rate, self.noise_multiplier
        t = np.asarray(t, np.float64)
        inside = t > np.log(1 - q) if q < 1 else np.ones(t.shape, bool)
        u = np.where(inside, np.exp(t) + q - 1, q)         # e^t + q - 1 (> 0 inside)
        z = np.log(u / q)
        val = (sigma * np.exp(-(sigma ** 2) * z ** 2 / 2 - 1 / (8 * sigma ** 2) + 2 * t)
               / (SQRT2 * math.sqrt(math.pi) * u * np.sqrt(u / q)))
        return np.where(inside, val, 0.0)

    def cdf(self, t):
        q, sigma = self.sample_rate, self.noise_multiplier
        t = np.asarray(t, np.float64)
        inside = t > np.log(1 - q) if q < 1 else np.ones(t.shape, bool)
        z = np.log(np.where(inside, (np.exp(t) + q - 1) / q, 1))
        val = (1.0 - q * erfc((2 * z * sigma ** 2 - 1) / (2 * SQRT2 * sigma)) / 2
               - (1 - q) * erfc((2 * z * sigma ** 2 + 1) / (2 * SQRT2 * sigma)) / 2)
        return np.where(inside, val, 0.0)

    def rdp(self, alpha):
        return _rdp._compute_rdp(self.sample_rate, self.noise_multiplier, alpha)


class TruncatedPrivacyRandomVariable:
    """A PRV conditioned on [t_min, t_max)."""

    def __init__(self, prv, t_min, t_max):
        self._prv, self.t_min, self.t_max = prv, t_min, t_max
        self._remaining_mass = float(prv.cdf(t_max) - prv.cdf(t_min))

    def pdf(self, t):
        t = np.asarray(t, np.float64)
        return np.where((t >= self.t_min) & (t < self.t_max),
                        self._prv.pdf(t) / self._remaining_mass, 0.0)

    def cdf(self, t):
        t = np.asarray(t, np.float64)
        mid = (self._prv.cdf(t) - self._prv.cdf(self.t_min)) / self._remaining_mass
        return np.where(t < self.t_min, 0.0, np.where(t < self.t_max, mid, 1.0))

    def mean(self):
        """E[Y] = [t F(t)] - integral of F over [t_min, t_max], by quadrature on pieces
        refined near 0 (where the mass concentrates)."""
        lower = int(np.log10(np.abs(self.t_min)))
        upper = int(np.log10(self.t_max))
        points = np.concatenate([[self.t_min], -np.logspace(lower, -5, num=10), [0],
                                 np.logspace(-5, upper, num=10), [self.t_max]])
        mean = 0.0
        for left, right in zip(points[:-1], points[1:]):
            integral, _ = quad(self.cdf, left, right, limit=500)
            mean += right * float(self.cdf(right)) - left * float(self.cdf(left)) - integral
        return mean


@dataclass
class DiscretePRV:
    """A PRV on a grid: probability mass ``pmf[i]`` at ``domain[i]``."""

    pmf: np.ndarray
    domain: Domain

    def __len__(self):
        if len(self.pmf) != self.domain.size:
            raise ValueError(f"DiscretePRV: pmf has {len(self.pmf)} entries but the domain "
                             f"{self.domain.size} points")
        return len(self.pmf)

    def compute_epsilon(self, delta, delta_error, eps_error):
        """(lower bound, estimate, upper bound) of epsilon for ``delta``: the estimate
        inverts delta(eps) on the grid; the bounds invert it at delta -+ delta_error and
        move by eps_error (the discretisation's error budget)."""
        if delta <= 0:
            return (float("inf"),) * 3
        if np.finfo(np.longdouble).eps * self.domain.size > delta - delta_error:
            raise ValueError("Floating point errors will dominate for such small values of "
                             "delta. Increase delta or reduce domain size.")
        t, p = self.domain.ts, self.pmf
        d1 = np.flip(np.flip(p).cumsum())                   # P(Y >= t_i)
        d2 = np.flip(np.flip(p * np.exp(-t)).cumsum())      # E[e^-Y; Y >= t_i]
        ndelta = np.exp(t) * d2 - d1                        # -delta(t_i)

        def find_epsilon(delta_target):
            i = np.searchsorted(ndelta, -delta_target, side="left")
            if i <= 0:
                raise RuntimeError("Cannot compute epsilon")
            return float(np.log((d1[i] - delta_target) / d2[i]))

        eps_upper = find_epsilon(delta - delta_error) + eps_error
        eps_lower = find_epsilon(delta + delta_error) - eps_error
        return eps_lower, find_epsilon(delta), eps_upper

    def compute_delta_estimate(self, eps):
        """delta(eps) = sum_{t >= eps} p(t) (1 - e^(eps - t))."""
        ts = self.domain.ts
        return float(np.where(ts >= eps, self.pmf * (1.0 - np.exp(eps) * np.exp(-ts)),
                              0.0).sum())


def discretize(prv, domain):
    """The mass of each grid cell [t - dt/2, t + dt/2), the grid shifted so that the
    discrete mean equals the continuous one."""
    tc = domain.ts
    pmf = prv.cdf(tc + domain.dt / 2) - prv.cdf(tc - domain.dt / 2)
    mean_shift = prv.mean() - float(np.dot(tc, pmf))
    if abs(mean_shift) >= domain.dt / 2:
        raise RuntimeError("Discrete mean differs significantly from continuous mean.")
    return DiscretePRV(pmf=pmf, domain=domain.shift_right(mean_shift))


def compute_safe_domain_size(prvs, max_self_compositions, eps_error, delta_error):
    """L such that truncating every PRV to [-L, L] costs at most the error budget: the RDP
    epsilon of the whole composition at delta_error / 4, and of each single step at
    delta_error / (8 * total steps), plus 3 (remark 5.6 as in the paper's code)."""
    total = sum(max_self_compositions)
    acc = RDPAccountant()
    acc.history = [(prv.noise_multiplier, prv.sample_rate, k)
                   for prv, k in zip(prvs, max_self_compositions)]
    l_max = acc.get_epsilon(delta_error / 4)
    for prv in prvs:
        single = RDPAccountant()
        single.history = [(prv.noise_multiplier, prv.sample_rate, 1)]
        l_max = max(l_max, single.get_epsilon(delta=delta_error / (8 * total)))
    return max(l_max, eps_error) + 3


def _compose_fourier(dprv, num_self_composition):
    """``dprv`` composed with itself k times: irfft(rfft(pmf)^k), re-centred."""
    if len(dprv) % 2 != 0:
        raise ValueError("Can only compose evenly sized discrete PRVs")
    pmf = np.fft.irfft(np.fft.rfft(dprv.pmf) ** num_self_composition, n=len(dprv.pmf))
    m = num_self_composition - 1
    if num_self_composition % 2 == 0:
        m += len(pmf) // 2
    pmf = np.roll(pmf, m)
    return DiscretePRV(pmf=pmf, domain=dprv.domain.shift_right(
        dprv.domain.shifts * (num_self_composition - 1)))


def _convolve_same(a, b):
    """``scipy.signal.convolve(a, b, mode='same')``: the full convolution's centred
    len(a) entries, by FFT."""
    n = len(a) + len(b) - 1
    full = np.fft.irfft(np.fft.rfft(a, n) * np.fft.rfft(b, n), n)
    start = (len(b) - 1) // 2
    return full[start:start + len(a)]


def _compose_two(left, right):
    return DiscretePRV(pmf=_convolve_same(left.pmf, right.pmf),
                       domain=left.domain.shift_right(right.domain.shifts))


def compose_heterogeneous(dprvs, num_self_compositions):
    """Compose PRVs with multiplicities: each with itself by FFT, then neighbours pairwise
    until one is left (the approach of microsoft/prv_accountant)."""
    if len(dprvs) != len(num_self_compositions):
        raise ValueError(f"compose_heterogeneous: {len(dprvs)} PRVs but "
                         f"{len(num_self_compositions)} composition counts")
    dprvs = [_compose_fourier(d, k) for d, k in zip(dprvs, num_self_compositions)]
    while len(dprvs) > 1:
        merged = [dprvs.pop()] if len(dprvs) % 2 == 1 else []
        merged += [_compose_two(a, b) for a, b in zip(dprvs[:-1:2], dprvs[1::2])]
        dprvs = merged
    return dprvs[0]
