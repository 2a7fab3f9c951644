"""Adamax: Adam with an infinity-norm second moment (``torch.optim.Adamax``)."""
import numpy as np

from deepgrad.optim import rules
from deepgrad.optim.optimizer import Optimizer, BETAS, NON_NEGATIVE, effective_grad, flag_checks


class Adamax(Optimizer):
    r"""Adamax, the infinity-norm variant of Adam (Kingma & Ba, 2015, section 7).

    With learning rate ``gamma``, ``(beta1, beta2) = betas``, ``eps`` and weight decay
    ``lambda``, at step ``t`` (PyTorch's formulation):

        g_t = grad f(theta_{t-1})                       (negated if maximize)
        g_t = g_t + lambda * theta_{t-1}                if lambda != 0
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t       first moment
        u_t = max(beta2 * u_{t-1}, |g_t| + eps)         exponentially weighted infinity norm
        theta_t = theta_{t-1} - gamma / (1 - beta1^t) * m_t / u_t

    with ``m_0 = u_0 = 0``. Note that ``eps`` sits inside the maximum.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 2e-3.
        betas (tuple[float, float]): decay rates of ``m`` and ``u``. Default (0.9, 0.999).
        eps (float): floor of ``u``. Default 1e-8.
        weight_decay (float): L2 penalty ``lambda``. Default 0.
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        maximize (bool): maximize ``f`` instead of minimizing it.
        differentiable (bool): only False (the step is not part of the autograd graph).
        capturable (bool): only False (deepgrad has no CUDA graphs).

    State per parameter: ``step`` (int), ``exp_avg`` (``m_t``), ``exp_inf`` (``u_t``).

    Example:
        >>> opt = Adamax(model.parameters(), lr=2e-3)
    """

    checks = {"lr": NON_NEGATIVE, "eps": NON_NEGATIVE, "betas": BETAS,
              "weight_decay": NON_NEGATIVE,
              **flag_checks("foreach", "differentiable", "capturable")}

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        beta1, beta2 = group["betas"]
        return (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]),
                float(group["weight_decay"]), bool(group["maximize"]))

    def init_state(self, param, group):
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_inf": np.zeros_like(param)}

    def update_step(self, param, grad, state, hp):
        lr, beta1, beta2, eps, weight_decay, maximize = hp
        step = state["step"] = state["step"] + 1
        g = effective_grad(param, grad, weight_decay, maximize)
        rules.adamax(param, g, state["exp_avg"], state["exp_inf"], lr, beta1, beta2, eps, step,
                     eps_in_max=True)
