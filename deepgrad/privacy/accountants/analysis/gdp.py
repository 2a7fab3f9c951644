r"""Gaussian differential privacy of iterated subsampled Gaussian mechanisms (Dong, Roth and
Su 2019; Bu et al. 2020), Opacus's ``opacus.accountants.analysis.gdp`` names.

By the central limit theorem, T steps of the subsampled Gaussian mechanism with sample
rate q and noise sigma are approximately mu-GDP with

    Poisson sampling:  mu = q sqrt(T (e^(1/sigma^2) - 1))
    uniform sampling:  mu = sqrt2 q sqrt(T) sqrt(e^(1/sigma^2) Phi(1.5/sigma)
                                               + 3 Phi(-0.5/sigma) - 2)

and mu-GDP is (epsilon, delta)-DP for every epsilon with the dual

    delta(epsilon) = Phi(-epsilon/mu + mu/2) - e^epsilon Phi(-epsilon/mu - mu/2),

inverted for epsilon by Brent's method on [0, 500]. The CLT makes this an approximation
that can *under*estimate the privacy spent (hence Opacus's warning).
"""
import numpy as np

from deepgrad.privacy.accountants.analysis._numeric import brentq, ndtr


def compute_mu_uniform(*, steps, noise_multiplier, sample_rate):
    """mu of ``steps`` uniformly subsampled Gaussian steps (module docstring)."""
    c = sample_rate * np.sqrt(steps)
    return float(np.sqrt(2) * c * np.sqrt(
        np.exp(noise_multiplier ** (-2)) * ndtr(1.5 / noise_multiplier)
        + 3 * ndtr(-0.5 / noise_multiplier) - 2))


def compute_mu_poisson(*, steps, noise_multiplier, sample_rate):
    """mu of ``steps`` Poisson subsampled Gaussian steps (module docstring)."""
    return float(np.sqrt(np.exp(noise_multiplier ** (-2)) - 1) * np.sqrt(steps) * sample_rate)


def delta_eps_mu(*, eps, mu):
    """delta(epsilon) of mu-GDP."""
    return ndtr(-eps / mu + mu / 2) - np.exp(eps) * ndtr(-eps / mu - mu / 2)


def eps_from_mu(*, mu, delta):
    """epsilon with delta_eps_mu(epsilon, mu) = delta (Brent's method on [0, 500]); 0 when
    mu-GDP already gives delta at epsilon = 0."""
    if delta_eps_mu(eps=0.0, mu=mu) <= delta:
        return 0.0
    return brentq(lambda x: delta_eps_mu(eps=x, mu=mu) - delta, 0, 500)


def compute_eps_uniform(*, steps, noise_multiplier, sample_rate, delta):
    """epsilon for ``delta`` after ``steps`` uniformly subsampled steps."""
    return eps_from_mu(mu=compute_mu_uniform(steps=steps, noise_multiplier=noise_multiplier,
                                             sample_rate=sample_rate), delta=delta)


def compute_eps_poisson(*, steps, noise_multiplier, sample_rate, delta):
    """epsilon for ``delta`` after ``steps`` Poisson subsampled steps."""
    return eps_from_mu(mu=compute_mu_poisson(steps=steps, noise_multiplier=noise_multiplier,
                                             sample_rate=sample_rate), delta=delta)
