"""Adagrad: per-coordinate steps scaled by accumulated squared gradients (``torch.optim.Adagrad``)."""
import numpy as np

from deepgrad.optim import rules
from deepgrad.optim.optimizer import Optimizer, NON_NEGATIVE, effective_grad, flag_checks


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011).

    With learning rate ``gamma``, decay ``eta`` of the learning rate, weight decay
    ``lambda``, ``eps`` and initial accumulator value ``tau``, at step ``t``
    (PyTorch's formulation):

        g_t = grad f(theta_{t-1})                     (negated if maximize)
        g_t = g_t + lambda * theta_{t-1}              if lambda != 0
        gamma_t = gamma / (1 + (t - 1) * eta)
        s_t = s_{t-1} + g_t^2                         with s_0 = tau
        theta_t = theta_{t-1} - gamma_t * g_t / (sqrt(s_t) + eps)

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 1e-2.
        lr_decay (float): learning-rate decay ``eta``. Default 0.
        weight_decay (float): L2 penalty ``lambda``. Default 0.
        initial_accumulator_value (float): ``s_0 = tau``. Default 0.
        eps (float): added to the denominator for stability. Default 1e-10.
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        maximize (bool): maximize ``f`` instead of minimizing it.
        differentiable (bool): only False (the step is not part of the autograd graph).
        fused (bool, optional): PyTorch's kernel choice; any value computes the same here.

    State per parameter (created at construction, as PyTorch does): ``step`` (int) and
    ``sum`` (``s_t``).

    Example:
        >>> opt = Adagrad(model.parameters(), lr=0.1)
    """

    checks = {"lr": NON_NEGATIVE, "lr_decay": NON_NEGATIVE, "weight_decay": NON_NEGATIVE,
              "initial_accumulator_value": NON_NEGATIVE, "eps": NON_NEGATIVE,
              **flag_checks("foreach", "differentiable", "fused")}

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self.init_state(p.array, group)

    def hyperparameters(self, group):
        return (float(group["lr"]), float(group["lr_decay"]), float(group["weight_decay"]),
                float(group["eps"]), bool(group["maximize"]))

    def init_state(self, param, group):
        return {"step": 0,
                "sum": np.full_like(param, float(group["initial_accumulator_value"]))}

    def update_step(self, param, grad, state, hp):
        lr, lr_decay, weight_decay, eps, maximize = hp
        step = state["step"] = state["step"] + 1
        g = effective_grad(param, grad, weight_decay, maximize)
        clr = lr / (1 + (step - 1) * lr_decay)
        rules.adagrad(param, g, state["sum"], clr, eps)
