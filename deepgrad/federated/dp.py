"""Client-level differential privacy: DP-FedAvg (McMahan, Ramage, Talwar and Zhang 2018,
"Learning Differentially Private Recurrent Language Models", Algorithm 1, flat clipping,
fixed-denominator estimator, uniform client weights).

One round with K clients, sampling rate q (``fraction_fit``), clip norm S
(``clipping_norm``) and noise multiplier z (``noise_multiplier``)::

    S_t  = {k : u_k < q},  u_k ~ U(0, 1) i.i.d.           Poisson sampling of users
    D_k  = w_k - w_t                                      (ClientUpdate, as FedAvg)
    D~_k = D_k * min(1, S / ||D_k||)                      ||D~_k|| <= S
    D    = (sum_{k in S_t} D~_k + N(0, z^2 S^2 I)) / (q K)
    w_{t+1} = w_t + eta D

Adding or removing one user changes the sum by at most S, so every round is the sampled
Gaussian mechanism with sampling rate q and noise multiplier z over *users*; dividing by
the fixed q K and scaling by eta are post-processing. After T rounds the guarantee is
user-level (epsilon, delta)-DP, with epsilon from an accountant of
:mod:`deepgrad.privacy.accountants` (the ones DP-SGD uses, Rényi by default; one
``step(noise_multiplier=z, sample_rate=q)`` per round): adjacent datasets differ in all the
data of one client. To plan a run for a budget, the noise multiplier comes from the
inverse, ``get_noise_multiplier(target_epsilon=, target_delta=, sample_rate=q,
steps=rounds)`` of the same module.

Norms run over every floating-point array of the client's state (integer arrays, such
as BatchNorm's ``num_batches_tracked``, keep the global value: they would carry
unclipped information). Noise comes from the simulation's NumPy generator, which is not
a cryptographically secure source (as Opacus with ``secure_mode=False``).
"""
import math

import numpy as np

from deepgrad.federated.strategy import (FedAvg, _is_float, aggregate_updates,
                                         check_client_weights, drift_metrics, update_norms)

__all__ = ["DPFedAvg"]

class DPFedAvg(FedAvg):
    """FedAvg (or FedProx) with client-level DP: Poisson sampling of clients, update
    clipping, Gaussian noise and user-level accounting (formulas in the module docstring).

    Args:
        noise_multiplier (float): z >= 0, the noise std over the clip norm.
        clipping_norm (float): S > 0, the L2 bound on each client's update.
        fraction_fit (float): q in (0, 1], each client's probability of joining a round
            (the expected number of clients per round is q K).
        local_epochs (int), batch_size (int or None), server_learning_rate (float): as
            :class:`~deepgrad.federated.FedAvg`.
        proximal_mu (float): FedProx's mu for the local objective (0: FedAvg).
        accountant (str): ``"rdp"`` (Rényi), ``"prv"`` or ``"gdp"``: the accountants of
            :mod:`deepgrad.privacy.accountants` (Opacus's names).
        delta (float or None): if given, each round's metrics include the epsilon spent so
            far at this delta.

    Every sampled client weighs the same (the sensitivity bound needs it), so there is
    no ``weighting`` argument.

    Example:
        >>> dp = DPFedAvg(noise_multiplier=1.0, clipping_norm=0.5, fraction_fit=0.1,
        ...               local_epochs=1, batch_size=10, delta=1e-3)
        >>> history = simulate(model, clients, dp, num_rounds=50, ...)
        >>> dp.get_epsilon(1e-3)
    """

    name = "dp-fedavg"

    def __init__(self, noise_multiplier, clipping_norm, fraction_fit=1.0, local_epochs=1,
                 batch_size=None, server_learning_rate=1.0, proximal_mu=0.0,
                 accountant="rdp", delta=None):
        super().__init__(fraction_fit, local_epochs, batch_size, server_learning_rate,
                         weighting="uniform")
        z, s, mu = float(noise_multiplier), float(clipping_norm), float(proximal_mu)
        if not (math.isfinite(z) and z >= 0):
            raise ValueError(f"noise_multiplier must be finite and >= 0; received "
                             f"{noise_multiplier!r}")
        if not (math.isfinite(s) and s > 0):
            raise ValueError(f"clipping_norm must be finite and > 0; received "
                             f"{clipping_norm!r}")
        if not (math.isfinite(mu) and mu >= 0):
            raise ValueError(f"proximal_mu must be finite and >= 0; received {proximal_mu!r}")
        if delta is not None and not 0 < float(delta) < 1:
            raise ValueError(f"delta must be in (0, 1); received {delta!r}")
        from deepgrad.privacy.accountants import create_accountant
        self.accountant = create_accountant(accountant)
        self.noise_multiplier, self.clipping_norm, self.proximal_mu = z, s, mu
        self.delta = None if delta is None else float(delta)

    def __repr__(self):
        return (f"DPFedAvg(noise_multiplier={self.noise_multiplier}, clipping_norm="
                f"{self.clipping_norm}, fraction_fit={self.fraction_fit}, local_epochs="
                f"{self.local_epochs}, batch_size={self.batch_size}, server_learning_rate="
                f"{self.server_learning_rate}, proximal_mu={self.proximal_mu})")

    def sample_clients(self, num_clients, rng):
        """Poisson sampling: each of the K clients joins independently with probability q
        (the round may have no client at all; it then applies noise only)."""
        return np.flatnonzero(rng.random(num_clients) < self.fraction_fit)

    def aggregate(self, global_weights, client_weights, num_examples, rng=None,
                  num_clients=None):
        """Clip, sum, add noise, divide by q K; record one accountant step.

        Args:
            global_weights, client_weights, num_examples: as :meth:`FedAvg.aggregate`
                (``num_examples`` is only checked: clients weigh the same).
            rng (numpy.random.Generator): the noise's generator (required when z > 0).
            num_clients (int): K, the population the round sampled from (required).
        Returns:
            (list of ndarray, dict): w_{t+1} and the diagnostics (drift of the clipped
            updates, ``clipped_fraction`` and, with ``delta``, ``epsilon``).
        """
        if num_clients is None or num_clients < max(len(client_weights), 1):
            raise ValueError(f"DPFedAvg.aggregate needs num_clients (K >= the "
                             f"{len(client_weights)} sampled); received {num_clients!r}")
        if self.noise_multiplier > 0 and rng is None:
            raise ValueError("DPFedAvg.aggregate needs rng (a numpy Generator) for its noise")
        check_client_weights(global_weights, client_weights)
        if len(num_examples) != len(client_weights):
            raise ValueError(f"num_examples has {len(num_examples)} counts for "
                             f"{len(client_weights)} clients")
        m = len(client_weights)
        floats = [_is_float(w) for w in global_weights]
        clients = [[c if f else g for c, f, g in zip(client, floats, global_weights)]
                   for client in client_weights]          # integer arrays: kept global
        norms = update_norms(global_weights, clients)
        factors = np.minimum(1.0, self.clipping_norm / np.maximum(norms, 1e-300))
        if m:       # mean of the clipped updates, and its spread (the drift)
            _, mean = aggregate_updates(global_weights, clients, factors / m)
            metrics = drift_metrics(global_weights, clients, np.full(m, 1.0 / m), mean,
                                    factors)
        else:
            mean = [np.zeros(np.shape(w)) for w in global_weights]
            metrics = {"client_drift": float("nan"), "mean_client_update_norm": float("nan")}
        denominator = self.fraction_fit * num_clients
        sigma = self.noise_multiplier * self.clipping_norm      # noise std on the sum
        new, update_sq = [], 0.0
        for w, d, is_float in zip(global_weights, mean, floats):
            w = np.asarray(w)
            if not is_float:
                new.append(w.copy())
                continue
            total = m * d + (rng.normal(0.0, sigma, size=d.shape) if sigma > 0 else 0.0)
            d = total / denominator
            update_sq += float(np.vdot(d, d))
            new.append((w.astype(np.float64) + self.server_learning_rate * d).astype(w.dtype))
        self.accountant.step(noise_multiplier=self.noise_multiplier,
                             sample_rate=self.fraction_fit)
        metrics["update_norm"] = math.sqrt(update_sq)
        metrics["clipped_fraction"] = float(np.mean(norms > self.clipping_norm)) if m else 0.0
        if self.delta is not None:
            metrics["epsilon"] = self.get_epsilon(self.delta)
        return new, metrics

    def get_epsilon(self, delta):
        """The user-level epsilon spent so far for ``delta`` (the chosen accountant)."""
        return float(self.accountant.get_epsilon(delta))
