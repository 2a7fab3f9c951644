"""RMSprop: divide the gradient by a running RMS of its recent values (``torch.optim.RMSprop``)."""
import numpy as np

from deepgrad.optim import rules
from deepgrad.optim.optimizer import (
    Optimizer, CLOSED_UNIT_INTERVAL, NON_NEGATIVE, effective_grad, flag_checks)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum.

    With learning rate ``gamma``, smoothing ``alpha``, ``eps``, momentum ``mu`` and weight
    decay ``lambda``, at step ``t`` (PyTorch's formulation):

        g_t = grad f(theta_{t-1})                        (negated if maximize)
        g_t = g_t + lambda * theta_{t-1}                 if lambda != 0
        v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2      running mean square
        r_t = sqrt(v_t) + eps,  or if centered:
            a_t = alpha * a_{t-1} + (1 - alpha) * g_t    running mean
            r_t = sqrt(v_t - a_t^2) + eps
        b_t = mu * b_{t-1} + g_t / r_t ;  theta_t = theta_{t-1} - gamma * b_t   if mu > 0
        theta_t = theta_{t-1} - gamma * g_t / r_t                               otherwise

    with ``v_0 = a_0 = b_0 = 0``. Note that ``eps`` is added after the square root.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 1e-2.
        alpha (float): smoothing constant in [0, 1]. Default 0.99.
        eps (float): added to the denominator for stability. Default 1e-8.
        weight_decay (float): L2 penalty ``lambda``. Default 0.
        momentum (float): momentum factor ``mu``. Default 0.
        centered (bool): normalize by the estimated variance instead of the raw second
            moment. Default False.
        capturable (bool): only False (deepgrad has no CUDA graphs).
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        maximize (bool): maximize ``f`` instead of minimizing it.
        differentiable (bool): only False (the step is not part of the autograd graph).

    State per parameter: ``step`` (int), ``square_avg`` (``v_t``), ``momentum_buffer``
    (``b_t``, if ``mu > 0``), ``grad_avg`` (``a_t``, if centered).

    Example:
        >>> opt = RMSprop(model.parameters(), lr=1e-3, momentum=0.9, centered=True)
    """

    checks = {"lr": NON_NEGATIVE, "alpha": CLOSED_UNIT_INTERVAL, "eps": NON_NEGATIVE,
              "weight_decay": NON_NEGATIVE, "momentum": NON_NEGATIVE,
              **flag_checks("capturable", "foreach", "differentiable")}

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, capturable=capturable,
                        foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        return (float(group["lr"]), float(group["alpha"]), float(group["eps"]),
                float(group["weight_decay"]), float(group["momentum"]),
                bool(group["centered"]), bool(group["maximize"]))

    def init_state(self, param, group):
        state = {"step": 0, "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def update_step(self, param, grad, state, hp):
        lr, alpha, eps, weight_decay, momentum, centered, maximize = hp
        state["step"] += 1
        g = effective_grad(param, grad, weight_decay, maximize)
        rules.rmsprop(param, g, state["square_avg"], lr, alpha, eps,
                      buf=state["momentum_buffer"] if momentum > 0 else None, momentum=momentum,
                      avg=state["grad_avg"] if centered else None)
