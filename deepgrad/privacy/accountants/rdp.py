"""``RDPAccountant``: Rényi DP accounting of DP-SGD (Opacus's class and default orders).

epsilon(delta) = min over the orders alpha of the converted sum of every history entry's
RDP, ``num_steps * eps_RDP(q, sigma, alpha)`` (math in
:mod:`deepgrad.privacy.accountants.analysis.rdp`).
"""
from deepgrad.privacy.accountants.accountant import IAccountant
from deepgrad.privacy.accountants.analysis import rdp as privacy_analysis


class RDPAccountant(IAccountant):
    """Rényi DP accountant (Mironov et al.; Balle et al.'s conversion), as Opacus.

    Example:
        >>> acc = RDPAccountant()
        >>> for _ in range(2340):
        ...     acc.step(noise_multiplier=1.1, sample_rate=256 / 60000)
        >>> acc.get_epsilon(delta=1e-5)
    """

    #: Opacus's orders: 1.1, 1.2, ..., 10.9 and 12, 13, ..., 63
    DEFAULT_ALPHAS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))

    def get_privacy_spent(self, *, delta, alphas=None):
        """(epsilon, best alpha) for ``delta``; (0, 0) before any step.

        Args:
            delta (float): target delta.
            alphas (sequence, optional): RDP orders; :attr:`DEFAULT_ALPHAS` by default.
        """
        if not self.history:
            return 0, 0
        if alphas is None:
            alphas = self.DEFAULT_ALPHAS
        rdp = sum(privacy_analysis.compute_rdp(q=q, noise_multiplier=sigma, steps=n,
                                               orders=alphas)
                  for sigma, q, n in self.history)
        eps, best_alpha = privacy_analysis.get_privacy_spent(orders=alphas, rdp=rdp,
                                                             delta=delta)
        return float(eps), float(best_alpha)

    def get_epsilon(self, delta, alphas=None):
        """The epsilon spent so far for ``delta`` (see :meth:`get_privacy_spent`)."""
        eps, _ = self.get_privacy_spent(delta=delta, alphas=alphas)
        return eps

    @classmethod
    def mechanism(cls):
        return "rdp"
