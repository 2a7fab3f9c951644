r"""TF Privacy's ``compute_dp_sgd_privacy``: the epsilon of a DP-SGD run from its
hyperparameters, by the RDP of the Poisson subsampled Gaussian mechanism
(:mod:`deepgrad.privacy.accountants.analysis.rdp`) over TF Privacy's orders

    1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, 5, 6, ..., 63, 128, 256, 512

with q = batch_size / n, steps = ceil(epochs * n / batch_size), and the conversion of
``dp_accounting`` (the one Opacus uses, Balle et al. 2020), per order alpha:

    epsilon(alpha) = rdp(alpha) + log(1 - 1/alpha) - log(delta * alpha) / (alpha - 1)

(0 where rdp(alpha) < 0 or delta^2 + e^(-rdp) > 1; infinite for alpha <= 1.01), minimised
over the orders and floored at 0. Like TF Privacy's, it assumes Poisson sampling and
does not double the sensitivity for microbatches.
"""
import math

import numpy as np

from deepgrad.privacy.accountants.analysis.rdp import compute_rdp

TF_PRIVACY_ORDERS = ([1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5] + list(range(5, 64))
                     + [128, 256, 512])


def _epsilon(orders, rdp, delta):
    eps = []
    for a, r in zip(orders, rdp):
        if r < 0 or delta ** 2 + math.expm1(-r) > 0:
            eps.append(0.0)
        elif a > 1.01:
            eps.append(r + math.log1p(-1 / a) - math.log(delta * a) / (a - 1))
        else:
            eps.append(np.inf)
    i = int(np.argmin(eps))
    return max(0.0, float(eps[i])), orders[i]


def compute_dp_sgd_privacy(n, batch_size, noise_multiplier, epochs, delta):
    """(epsilon, optimal RDP order) of DP-SGD on ``n`` examples, Poisson batches of mean
    size ``batch_size``, ``noise_multiplier`` sigma, for ``epochs`` epochs, at ``delta``.

    Example:
        >>> compute_dp_sgd_privacy(n=60000, batch_size=256, noise_multiplier=1.2,
        ...                        epochs=10, delta=1e-5)        # TF Privacy's MNIST run
        (0.93176..., 14)
    """
    if not (isinstance(n, (int, np.integer)) and n > 0):
        raise ValueError(f"compute_dp_sgd_privacy: n must be a positive int, received {n!r}")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size > 0):
        raise ValueError(f"compute_dp_sgd_privacy: batch_size must be a positive int, "
                         f"received {batch_size!r}")
    q = batch_size / n
    if q > 1:
        raise ValueError(f"compute_dp_sgd_privacy: n must be larger than the batch size "
                         f"(received n={n}, batch_size={batch_size})")
    if noise_multiplier < 0:
        raise ValueError(f"compute_dp_sgd_privacy: noise_multiplier must be >= 0, received "
                         f"{noise_multiplier!r}")
    if not epochs > 0:
        raise ValueError(f"compute_dp_sgd_privacy: epochs must be > 0, received {epochs!r}")
    if not 0 < delta < 1:
        raise ValueError(f"compute_dp_sgd_privacy: delta must be in (0, 1), received {delta!r}")
    steps = int(math.ceil(epochs * n / batch_size))
    rdp = compute_rdp(q=q, noise_multiplier=noise_multiplier, steps=steps,
                      orders=TF_PRIVACY_ORDERS)
    return _epsilon(TF_PRIVACY_ORDERS, rdp, delta)
