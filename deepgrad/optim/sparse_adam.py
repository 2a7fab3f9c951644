"""SparseAdam: Adam applied only where the gradient has entries (``torch.optim.SparseAdam``)."""
import math

import numpy as np

from deepgrad.optim.optimizer import Optimizer, BETAS

POSITIVE = (lambda v: v > 0, "a number > 0")


class SparseAdam(Optimizer):
    r"""Masked Adam, for gradients that touch few entries (embedding rows, say).

    Adam's moment and parameter updates are applied only to the entries ``i`` in the
    gradient's support ``S_t = {i : g_t[i] != 0}``; the other entries keep their moments
    and values. With learning rate ``gamma``, ``(beta1, beta2) = betas`` and ``eps``, at
    step ``t`` of a parameter (PyTorch's formulation), for ``i`` in ``S_t``:

        g_t = grad f(theta_{t-1})                        (negated if maximize)
        m_t[i] = m_{t-1}[i] + (1 - beta1) (g_t[i] - m_{t-1}[i])
        v_t[i] = v_{t-1}[i] + (1 - beta2) (g_t[i]^2 - v_{t-1}[i])
        theta_t[i] = theta_{t-1}[i] - gamma sqrt(1 - beta2^t) / (1 - beta1^t)
                                     * m_t[i] / (sqrt(v_t[i]) + eps)

    ``t`` counts every step in which the parameter had a gradient, even an all-zero one
    (which changes nothing else).

    Dense gradients: deepgrad has no sparse tensor layout, so the gradient is a dense array
    and its support is its nonzero entries. PyTorch's SparseAdam refuses dense gradients
    and takes the stored entries of a sparse one as the support; the two agree whenever the
    stored entries are the nonzero ones (``dense.to_sparse()``, or an embedding row whose
    gradient has no exact zeros). An exact zero inside a stored sparse row is the one
    difference: PyTorch decays its moments, deepgrad leaves them.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma`` (> 0). Default 1e-3.
        betas (tuple[float, float]): decay rates of the two moments. Default (0.9, 0.999).
        eps (float): added to the denominator (> 0). Default 1e-8.
        maximize (bool): maximize ``f`` instead of minimizing it.

    State per parameter: ``step`` (int), ``exp_avg`` (``m_t``), ``exp_avg_sq`` (``v_t``).

    Example:
        >>> emb = deepgrad.nn.Embedding(10000, 64)
        >>> opt = SparseAdam(emb.parameters(), lr=1e-3)
    """

    checks = {"lr": POSITIVE, "eps": POSITIVE, "betas": BETAS}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        beta1, beta2 = group["betas"]
        return (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]),
                bool(group["maximize"]))

    def init_state(self, param, group):
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def update_step(self, param, grad, state, hp):
        lr, beta1, beta2, eps, maximize = hp
        step = state["step"] = state["step"] + 1
        support = grad != 0
        if not support.any():
            return
        g = grad[support]
        if maximize:
            g = -g
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m_old, v_old = m[support], v[support]
        m_new = (g - m_old) * (1 - beta1)        # m += (1 - beta1)(g - m)   on the support
        m[support] += m_new
        m_new += m_old
        v_new = (g * g - v_old) * (1 - beta2)    # v += (1 - beta2)(g^2 - v) on the support
        v[support] += v_new
        v_new += v_old
        denom = np.sqrt(v_new)
        denom += eps
        step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        param[support] += -step_size * (m_new / denom)
