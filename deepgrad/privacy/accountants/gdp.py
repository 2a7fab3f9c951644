"""``GaussianAccountant``: Gaussian DP accounting (CLT approximation), as Opacus's; the math
is in :mod:`deepgrad.privacy.accountants.analysis.gdp`."""
import warnings

from deepgrad.privacy.accountants.accountant import IAccountant
from deepgrad.privacy.accountants.analysis import gdp as privacy_analysis


class GaussianAccountant(IAccountant):
    """mu-GDP accountant. Experimental, as in Opacus: the CLT can underestimate epsilon.
    The noise multiplier and sample rate must stay constant."""

    def __init__(self):
        warnings.warn("GDP accounting is experimental and can underestimate privacy "
                      "expenditure.Proceed with caution. More details: "
                      "https://arxiv.org/pdf/2106.02848.pdf")
        super().__init__()

    def step(self, *, noise_multiplier, sample_rate):
        if self.history:
            sigma, q, n = self.history[-1]
            if sigma != noise_multiplier or q != sample_rate:
                raise ValueError("Noise multiplier and sample rate have to stay constant in "
                                 f"GaussianAccountant (history has sigma={sigma}, q={q}; "
                                 f"received sigma={noise_multiplier}, q={sample_rate}).")
            self.history = [(sigma, q, n + 1)]
        else:
            super().step(noise_multiplier=noise_multiplier, sample_rate=sample_rate)

    def get_epsilon(self, delta, poisson=True):
        """epsilon spent for ``delta``; ``poisson``: batches were Poisson sampled (else
        uniformly)."""
        if not self.history:
            return 0.0
        compute = (privacy_analysis.compute_eps_poisson if poisson
                   else privacy_analysis.compute_eps_uniform)
        sigma, q, n = self.history[-1]
        return compute(steps=n, noise_multiplier=sigma, sample_rate=q, delta=delta)

    @classmethod
    def mechanism(cls):
        return "gdp"
