"""ASGD: averaged stochastic gradient descent (``torch.optim.ASGD``; Polyak & Juditsky, 1992)."""
import numpy as np

from deepgrad.optim.optimizer import Optimizer, NON_NEGATIVE, effective_grad, flag_checks


class ASGD(Optimizer):
    r"""Averaged SGD: decaying steps, plus a running average of the iterates from ``t0`` on.

    With learning rate ``gamma``, decay term ``lambd``, power ``alpha``, averaging start
    ``t0`` and weight decay ``lambda``, at step ``t`` (PyTorch's formulation):

        g_t = grad f(theta_{t-1})                          (negated if maximize)
        g_t = g_t + lambda * theta_{t-1}                   if lambda != 0
        theta_t = (1 - lambd * eta_{t-1}) theta_{t-1} - eta_{t-1} g_t
        ax_t = ax_{t-1} + mu_{t-1} (theta_t - ax_{t-1})    (ax_t = theta_t when mu = 1)
        eta_t = gamma / (1 + lambd * gamma * t)^alpha
        mu_t = 1 / max(1, t - t0)

    with ``eta_0 = gamma``, ``mu_0 = 1`` and ``ax_0 = 0``. The average ``ax`` (state
    ``"ax"``) is the estimate ASGD is about; the parameters themselves follow SGD.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 1e-2.
        lambd (float): decay term. Default 1e-4.
        alpha (float): power of the step-size decay. Default 0.75.
        t0 (float): step at which averaging starts. Default 1e6.
        weight_decay (float): L2 penalty ``lambda``. Default 0.
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        maximize (bool): maximize ``f`` instead of minimizing it.
        differentiable (bool): only False (the step is not part of the autograd graph).
        capturable (bool): only False (deepgrad has no CUDA graphs).

    State per parameter: ``step`` (int), ``eta`` (float), ``mu`` (float), ``ax`` (array).

    Example:
        >>> opt = ASGD(model.parameters(), lr=0.01, t0=100)
    """

    checks = {"lr": NON_NEGATIVE, "weight_decay": NON_NEGATIVE,
              **flag_checks("foreach", "differentiable", "capturable")}
    scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        return (float(group["lr"]), float(group["lambd"]), float(group["alpha"]),
                float(group["t0"]), float(group["weight_decay"]), bool(group["maximize"]))

    def init_state(self, param, group):
        return {"step": 0, "eta": float(group["lr"]), "mu": 1.0, "ax": np.zeros_like(param)}

    def update_step(self, param, grad, state, hp):
        lr, lambd, alpha, t0, weight_decay, maximize = hp
        step = state["step"] = state["step"] + 1
        g = effective_grad(param, grad, weight_decay, maximize)
        eta, mu = state["eta"], state["mu"]
        param *= 1 - lambd * eta                 # decay, then the SGD step
        param += -eta * g
        ax = state["ax"]
        if mu != 1:                              # ax += mu (theta - ax)
            diff = param - ax
            diff *= mu
            ax += diff
        else:
            ax[...] = param
        state["eta"] = lr / ((1 + lambd * lr * step) ** alpha)
        state["mu"] = 1 / max(1, step - t0)
