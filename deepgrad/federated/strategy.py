"""Server strategies: client sampling and aggregation for FedAvg and FedProx (Flower's
strategy names and arguments where they exist).

One round t of FedAvg (McMahan et al. 2017, Algorithm 1) with K clients::

    m   = max(floor(C K), 1)                    clients S_t drawn without replacement
    w_k = ClientUpdate(k, w_t)                  E local epochs, batches of B (trainer.py)
    D_k = w_k - w_t                             client k's update
    p_k = n_k / sum_{j in S_t} n_j              "num_examples" weighting (the paper's)
          1 / m                                 "uniform" weighting
    D   = sum_k p_k D_k
    w_{t+1} = w_t + eta D                       eta: server_learning_rate (1: the paper)

FedProx (Li et al. 2020) is the same round with the proximal local objective
``F_k(w) + mu/2 ||w - w_t||^2`` (``proximal_mu``; see trainer.py); like Flower's
``FedProx`` it keeps FedAvg's sampling and aggregation.

Per-round diagnostics returned by :meth:`FedAvg.aggregate`:

* ``client_drift = sqrt(sum_k p_k ||D_k - D||^2)``, the weighted spread of the clients'
  models around their average (= sqrt(sum_k p_k ||w_k - wbar||^2)); 0 when every client
  moved alike, large when non-IID clients pull apart;
* ``update_norm = ||D||`` and ``mean_client_update_norm = sum_k p_k ||D_k||``.

Norms run over every floating-point array of the state. Integer arrays (a BatchNorm's
``num_batches_tracked``) are averaged the same way and rounded back to their dtype.
"""
import math

import numpy as np

from deepgrad.federated.trainer import check_local_settings

__all__ = ["FedAvg", "FedProx", "aggregate_updates", "drift_metrics", "update_norms",
           "check_client_weights"]

_WEIGHTINGS = ("num_examples", "uniform")


def check_client_weights(global_weights, client_weights):
    """Raise a ValueError naming the first client whose arrays differ from the global
    model's in number or shape."""
    shapes = [np.shape(w) for w in global_weights]
    for c, weights in enumerate(client_weights):
        if len(weights) != len(shapes):
            raise ValueError(f"Client {c} returned {len(weights)} arrays; the global model "
                             f"has {len(shapes)}")
        for i, (w, s) in enumerate(zip(weights, shapes)):
            if np.shape(w) != s:
                raise ValueError(f"Client {c}: array {i} has shape {np.shape(w)}; the global "
                                 f"model's has shape {s} (clients must share one "
                                 f"architecture)")


def _is_float(a):
    return np.issubdtype(np.asarray(a).dtype, np.floating)


def update_norms(global_weights, client_weights):
    """||w_k - w_t|| per client, over the floating-point arrays (float64)."""
    floats = [i for i, w in enumerate(global_weights) if _is_float(w)]
    norms = []
    for client in client_weights:
        sq = 0.0
        for i in floats:
            d = np.asarray(client[i], dtype=np.float64) - global_weights[i]
            sq += float(np.vdot(d, d))
        norms.append(math.sqrt(sq))
    return np.asarray(norms)


def aggregate_updates(global_weights, client_weights, coefficients, server_learning_rate=1.0):
    """``w_t + eta * sum_k c_k (w_k - w_t)``, array by array, in float64.

    The client updates are formed on the fly (no second copy of every client's state).

    Args:
        global_weights (list of ndarray): w_t.
        client_weights (list of list of ndarray): each client's w_k.
        coefficients (sequence of float): c_k (p_k; for DP-FedAvg's mean of clipped
            updates, the clip factor over m).
        server_learning_rate (float): eta.
    Returns:
        (list of ndarray, list of ndarray): the new weights (the dtypes of
        ``global_weights``) and the combined update D (float64).
    """
    new, combined = [], []
    for i, w in enumerate(global_weights):
        w64 = np.asarray(w, dtype=np.float64)
        d = np.zeros_like(w64)
        for client, c in zip(client_weights, coefficients):
            d += c * (np.asarray(client[i], dtype=np.float64) - w64)
        value = w64 + server_learning_rate * d
        new.append(value.astype(w.dtype) if _is_float(w) else np.rint(value).astype(w.dtype))
        combined.append(d)
    return new, combined


def drift_metrics(global_weights, client_weights, weights, combined, scales=None):
    """client_drift, update_norm and mean_client_update_norm (module docstring), for the
    updates ``s_k (w_k - w_t)`` (``scales`` s_k: DP-FedAvg's clip factors; default 1)."""
    floats = [i for i, w in enumerate(global_weights) if _is_float(w)]
    scales = np.ones(len(client_weights)) if scales is None else scales
    spread, mean_norm = 0.0, 0.0
    for client, p, s in zip(client_weights, weights, scales):
        dev_sq, own_sq = 0.0, 0.0
        for i in floats:
            d = s * (np.asarray(client[i], dtype=np.float64) - global_weights[i])
            own_sq += float(np.vdot(d, d))
            d -= combined[i]
            dev_sq += float(np.vdot(d, d))
        spread += p * dev_sq
        mean_norm += p * math.sqrt(own_sq)
    return {"client_drift": math.sqrt(spread),
            "update_norm": math.sqrt(sum(float(np.vdot(combined[i], combined[i]))
                                         for i in floats)),
            "mean_client_update_norm": mean_norm}


class FedAvg:
    """Federated averaging (McMahan et al. 2017), the formulas in the module docstring.

    Args:
        fraction_fit (float): C in (0, 1], the fraction of clients sampled per round.
        local_epochs (int): E.
        batch_size (int or None): B; None is each client's whole dataset (B = inf).
        server_learning_rate (float): eta > 0 (1.0: plain model averaging).
        weighting (str): ``"num_examples"`` (p_k proportional to n_k, the paper's) or
            ``"uniform"`` (TFF's ``ClientWeighting.UNIFORM``).
    """

    proximal_mu = 0.0
    name = "fedavg"

    def __init__(self, fraction_fit=1.0, local_epochs=1, batch_size=None,
                 server_learning_rate=1.0, weighting="num_examples"):
        fraction_fit = float(fraction_fit)
        if not 0.0 < fraction_fit <= 1.0:
            raise ValueError(f"fraction_fit (C) must be in (0, 1]; received {fraction_fit!r}")
        self.local_epochs, self.batch_size, _ = check_local_settings(local_epochs,
                                                                     batch_size, 0.0)
        eta = float(server_learning_rate)
        if not (math.isfinite(eta) and eta > 0):
            raise ValueError(f"server_learning_rate must be finite and > 0; received "
                             f"{server_learning_rate!r}")
        if weighting not in _WEIGHTINGS:
            raise ValueError(f"weighting must be one of {_WEIGHTINGS}; received {weighting!r}")
        self.fraction_fit, self.server_learning_rate, self.weighting = fraction_fit, eta, weighting

    def __repr__(self):
        extra = f", proximal_mu={self.proximal_mu}" if self.proximal_mu else ""
        return (f"{type(self).__name__}(fraction_fit={self.fraction_fit}, local_epochs="
                f"{self.local_epochs}, batch_size={self.batch_size}, server_learning_rate="
                f"{self.server_learning_rate}, weighting={self.weighting!r}{extra})")

    def num_fit_clients(self, num_clients):
        """m = max(floor(C K), 1) (a tiny tolerance keeps C K = 10 from rounding to 9)."""
        return max(int(math.floor(self.fraction_fit * num_clients + 1e-9)), 1)

    def sample_clients(self, num_clients, rng):
        """The indices of this round's clients: m of K, without replacement, sorted."""
        m = self.num_fit_clients(num_clients)
        return np.sort(rng.choice(num_clients, size=m, replace=False))

    def aggregate(self, global_weights, client_weights, num_examples, rng=None,
                  num_clients=None):
        """The new global weights from the sampled clients' models.

        Args:
            global_weights (list of ndarray): w_t.
            client_weights (list of list of ndarray): each sampled client's w_k.
            num_examples (sequence of int): n_k.
            rng (numpy.random.Generator or None): the round's generator; FedAvg's
                aggregation is deterministic and draws nothing from it (DPFedAvg draws
                its noise from it).
            num_clients (int or None): K; if given, checked to be >= the clients received.
        Returns:
            (list of ndarray, dict): w_{t+1} and the diagnostics.
        Raises:
            ValueError: no clients, or a client whose arrays differ in number or shape.
        """
        if num_clients is not None and len(client_weights) > num_clients:
            raise ValueError(f"{len(client_weights)} client results for a population of "
                             f"{num_clients}")
        if not client_weights:
            raise ValueError("FedAvg needs at least one client's weights to aggregate")
        check_client_weights(global_weights, client_weights)
        n = np.asarray(num_examples, dtype=np.float64)
        if len(n) != len(client_weights) or np.any(n <= 0):
            raise ValueError(f"num_examples must give a positive count per client; received "
                             f"{list(num_examples)} for {len(client_weights)} clients")
        p = n / n.sum() if self.weighting == "num_examples" else np.full(len(n), 1 / len(n))
        new, combined = aggregate_updates(global_weights, client_weights, p,
                                          self.server_learning_rate)
        return new, drift_metrics(global_weights, client_weights, p, combined)


class FedProx(FedAvg):
    """FedProx (Li et al. 2020): FedAvg with the proximal term mu/2 ||w - w_t||^2 in every
    client's local objective (Flower's ``FedProx(proximal_mu=...)``).

    Args:
        proximal_mu (float): mu >= 0 (0 is FedAvg); the paper tries 0.001 to 1.
        fraction_fit, local_epochs, batch_size, server_learning_rate, weighting: as FedAvg.
    """

    name = "fedprox"

    def __init__(self, proximal_mu, fraction_fit=1.0, local_epochs=1, batch_size=None,
                 server_learning_rate=1.0, weighting="num_examples"):
        super().__init__(fraction_fit, local_epochs, batch_size, server_learning_rate,
                         weighting)
        mu = float(proximal_mu)
        if not (math.isfinite(mu) and mu >= 0):
            raise ValueError(f"proximal_mu must be finite and >= 0; received {proximal_mu!r}")
        self.proximal_mu = mu
