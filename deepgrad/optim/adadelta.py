"""Adadelta: steps scaled by running RMS of gradients and updates (``torch.optim.Adadelta``)."""
import numpy as np

from deepgrad.optim import rules
from deepgrad.optim.optimizer import (
    Optimizer, CLOSED_UNIT_INTERVAL, NON_NEGATIVE, effective_grad, flag_checks)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012).

    With learning rate ``gamma``, decay ``rho``, ``eps`` and weight decay ``lambda``, at
    step ``t`` (PyTorch's formulation):

        g_t = grad f(theta_{t-1})                           (negated if maximize)
        g_t = g_t + lambda * theta_{t-1}                    if lambda != 0
        v_t = rho * v_{t-1} + (1 - rho) * g_t^2             running mean square of g
        Delta_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
        u_t = rho * u_{t-1} + (1 - rho) * Delta_t^2         running mean square of updates
        theta_t = theta_{t-1} - gamma * Delta_t

    with ``v_0 = u_0 = 0``. The ratio of the two RMS values gives the update the units of
    ``theta``, so ``gamma = 1`` (the default) is the paper's method.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): scale ``gamma`` of the update. Default 1.0.
        rho (float): decay of the running averages, in [0, 1]. Default 0.9.
        eps (float): added inside both square roots. Default 1e-6.
        weight_decay (float): L2 penalty ``lambda``. Default 0.
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        capturable (bool): only False (deepgrad has no CUDA graphs).
        maximize (bool): maximize ``f`` instead of minimizing it.
        differentiable (bool): only False (the step is not part of the autograd graph).

    State per parameter: ``step`` (int), ``square_avg`` (``v_t``), ``acc_delta`` (``u_t``).

    Example:
        >>> opt = Adadelta(model.parameters(), lr=1.0)
    """

    checks = {"lr": NON_NEGATIVE, "rho": CLOSED_UNIT_INTERVAL, "eps": NON_NEGATIVE,
              "weight_decay": NON_NEGATIVE,
              **flag_checks("foreach", "capturable", "differentiable")}

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        return (float(group["lr"]), float(group["rho"]), float(group["eps"]),
                float(group["weight_decay"]), bool(group["maximize"]))

    def init_state(self, param, group):
        return {"step": 0, "square_avg": np.zeros_like(param),
                "acc_delta": np.zeros_like(param)}

    def update_step(self, param, grad, state, hp):
        lr, rho, eps, weight_decay, maximize = hp
        state["step"] += 1
        g = effective_grad(param, grad, weight_decay, maximize)
        rules.adadelta(param, g, state["square_avg"], state["acc_delta"], lr, rho, eps)
