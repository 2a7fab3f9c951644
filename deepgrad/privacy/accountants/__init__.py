"""Privacy accountants (Opacus's ``opacus.accountants``): RDP, PRV and GDP, the noise for a
target epsilon, and the functional RDP analysis.

For other parts of deepgrad (e.g. user-level DP-FedAvg in ``deepgrad.federated``, where one
round is one step of the sampled Gaussian mechanism over *clients*: sample rate = client
fraction C, noise multiplier z = noise std / update clip norm):

* ``RDPAccountant()``; ``acc.step(noise_multiplier=z, sample_rate=C)`` once per round;
  ``acc.get_epsilon(delta)``;
* functional: ``analysis.rdp.compute_rdp(q=C, noise_multiplier=z, steps=rounds,
  orders=RDPAccountant.DEFAULT_ALPHAS)`` then ``analysis.rdp.get_privacy_spent(orders=...,
  rdp=..., delta=delta)`` -> (epsilon, best order);
* the inverse: ``get_noise_multiplier(target_epsilon=, target_delta=, sample_rate=C,
  steps=rounds, accountant='rdp')`` -> z.
"""
from deepgrad.privacy.accountants.accountant import IAccountant
from deepgrad.privacy.accountants.rdp import RDPAccountant
from deepgrad.privacy.accountants.prv import PRVAccountant
from deepgrad.privacy.accountants.gdp import GaussianAccountant
from deepgrad.privacy.accountants.registry import create_accountant, register_accountant
from deepgrad.privacy.accountants.utils import get_noise_multiplier

__all__ = ["IAccountant", "RDPAccountant", "PRVAccountant", "GaussianAccountant",
           "create_accountant", "register_accountant", "get_noise_multiplier"]
