"""Stochastic gradient descent, with optional (Nesterov) momentum (``torch.optim.SGD``)."""
import numpy as np

from deepgrad.optim import rules
from deepgrad.optim.optimizer import Optimizer, NON_NEGATIVE, effective_grad, flag_checks


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum.

    With learning rate ``gamma``, momentum ``mu``, dampening ``tau`` and weight decay
    ``lambda``, at step ``t`` (PyTorch's formulation):

        g_t = grad f(theta_{t-1})                 (negated if maximize)
        g_t = g_t + lambda * theta_{t-1}          if lambda != 0
        b_t = g_t                                 if t = 1
        b_t = mu * b_{t-1} + (1 - tau) * g_t      if t > 1          } if mu != 0
        g_t = g_t + mu * b_t  (nesterov)  or  g_t = b_t             }
        theta_t = theta_{t-1} - gamma * g_t

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 1e-3.
        momentum (float): momentum factor ``mu``. Default 0.
        dampening (float): dampening ``tau`` of the momentum. Default 0.
        weight_decay (float): L2 penalty ``lambda``. Default 0.
        nesterov (bool): Nesterov momentum (needs ``mu > 0`` and ``tau = 0``).
        maximize (bool): maximize ``f`` instead of minimizing it.
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        differentiable (bool): only False (the step is not part of the autograd graph).
        fused (bool, optional): PyTorch's kernel choice; any value computes the same here.

    State per parameter: ``momentum_buffer`` (``b_t``, a copy of ``g_1`` at the first step),
    only when ``mu != 0``; plain SGD keeps no state, as in PyTorch.

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    """

    checks = {"lr": NON_NEGATIVE, "momentum": NON_NEGATIVE, "weight_decay": NON_NEGATIVE,
              **flag_checks("foreach", "differentiable", "fused")}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        if group.get("nesterov") and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum requires a momentum > 0 and zero "
                             f"dampening; received momentum={group['momentum']!r}, "
                             f"dampening={group['dampening']!r}")

    def hyperparameters(self, group):
        return (float(group["lr"]), float(group["momentum"]), float(group["dampening"]),
                float(group["weight_decay"]), bool(group["nesterov"]), bool(group["maximize"]))

    def init_state(self, param, group):
        return {"momentum_buffer": None} if group["momentum"] else {}

    def update_step(self, param, grad, state, hp):
        lr, momentum, dampening, weight_decay, nesterov, maximize = hp
        g = effective_grad(param, grad, weight_decay, maximize)
        buf, fresh = None, False
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:                          # b_1 = g_1
                buf = state["momentum_buffer"] = np.array(g, copy=True)
                fresh = True
        rules.sgd(param, g, buf, lr, momentum, dampening, nesterov, fresh=fresh)
