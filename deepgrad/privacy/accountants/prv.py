"""``PRVAccountant``: accounting by numerical composition of privacy loss random variables
(Gopi et al. 2021), as Opacus's; the math is in
:mod:`deepgrad.privacy.accountants.analysis.prv`.

Tighter than RDP (it computes delta(epsilon) of the composition up to a chosen error
instead of bounding it), at the cost of an FFT over a grid whose size grows with the
number of steps.
"""
import numpy as np

from deepgrad.privacy.accountants.accountant import IAccountant
from deepgrad.privacy.accountants.analysis.prv import (
    Domain, PoissonSubsampledGaussianPRV, TruncatedPrivacyRandomVariable, compose_heterogeneous,
    compute_safe_domain_size, discretize)


class PRVAccountant(IAccountant):
    """Privacy loss random variable accountant (Opacus's ``PRVAccountant``).

    Example:
        >>> acc = PRVAccountant()
        >>> acc.history = [(1.1, 256 / 60000, 2340)]
        >>> acc.get_epsilon(delta=1e-5)            # an upper bound, within eps_error
    """

    def get_epsilon(self, delta, *, eps_error=0.01, delta_error=None):
        """An upper bound on the epsilon spent so far for ``delta``.

        Args:
            delta (float): target delta.
            eps_error (float): allowed error of the epsilon estimate (added to the bound).
            delta_error (float, optional): allowed error in delta; ``delta / 1000`` by
                default.
        """
        if not self.history:
            return 0.0
        if eps_error <= 0:
            raise ValueError(f"PRVAccountant.get_epsilon: eps_error must be > 0, received "
                             f"{eps_error!r}")
        if delta_error is None:
            delta_error = delta / 1000
        dprv = self._get_dprv(eps_error=eps_error, delta_error=delta_error)
        _, _, eps_upper = dprv.compute_epsilon(delta, delta_error, eps_error)
        return eps_upper

    def _get_dprv(self, eps_error, delta_error):
        """The composed discrete PRV of the whole history."""
        prvs = [PoissonSubsampledGaussianPRV(q, sigma) for sigma, q, _ in self.history]
        counts = [n for _, _, n in self.history]
        domain = self._get_domain(prvs, counts, eps_error, delta_error)
        dprvs = [discretize(TruncatedPrivacyRandomVariable(prv, domain.t_min, domain.t_max),
                            domain) for prv in prvs]
        return compose_heterogeneous(dprvs=dprvs, num_self_compositions=counts)

    @staticmethod
    def _get_domain(prvs, num_self_compositions, eps_error, delta_error):
        """[-L, L] (L from :func:`compute_safe_domain_size`) with mesh
        eps_error / sqrt(N log(12 / delta_error) / 2), N the total number of steps."""
        total = sum(num_self_compositions)
        L = compute_safe_domain_size(prvs=prvs, max_self_compositions=num_self_compositions,
                                     eps_error=eps_error, delta_error=delta_error)
        mesh_size = eps_error / np.sqrt(total * np.log(12 / delta_error) / 2)
        return Domain.create_aligned(-L, L, mesh_size)

    @classmethod
    def mechanism(cls):
        return "prv"
