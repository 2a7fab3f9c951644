"""NAdam: Adam with Nesterov momentum (``torch.optim.NAdam``; Dozat, 2016)."""
import numpy as np

from deepgrad.optim import rules
from deepgrad.optim.optimizer import Optimizer, BETAS, NON_NEGATIVE, effective_grad, flag_checks


class NAdam(Optimizer):
    r"""NAdam: Adam whose first moment looks one step ahead, with a momentum schedule.

    With learning rate ``gamma``, ``(beta1, beta2) = betas``, ``eps``, weight decay
    ``lambda`` and momentum decay ``psi``, at step ``t`` (PyTorch's formulation):

        g_t = grad f(theta_{t-1})                          (negated if maximize)
        theta_{t-1} <- (1 - gamma lambda) theta_{t-1}      if decoupled_weight_decay,
        g_t = g_t + lambda * theta_{t-1}                   otherwise (if lambda != 0)
        mu_t = beta1 * (1 - 0.96^(t psi) / 2)              momentum schedule
        P_t = mu_1 mu_2 ... mu_t                           (state ``mu_product``)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        D_t = sqrt(v_t / (1 - beta2^t)) + eps
        theta_t = theta_{t-1} - gamma (1 - mu_t) / (1 - P_t) * g_t / D_t
                              - gamma mu_{t+1} / (1 - P_t mu_{t+1}) * m_t / D_t

    with ``m_0 = v_0 = 0`` and ``P_0 = 1``.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 2e-3.
        betas (tuple[float, float]): decay rates of the two moments. Default (0.9, 0.999).
        eps (float): added to the denominator for stability. Default 1e-8.
        weight_decay (float): weight decay ``lambda``. Default 0.
        momentum_decay (float): ``psi`` of the momentum schedule. Default 4e-3.
        decoupled_weight_decay (bool): decay ``theta`` directly (NAdamW) instead of adding
            ``lambda * theta`` to the gradient. Default False.
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        maximize (bool): maximize ``f`` instead of minimizing it.
        capturable (bool): only False (deepgrad has no CUDA graphs).
        differentiable (bool): only False (the step is not part of the autograd graph).

    State per parameter: ``step`` (int), ``mu_product`` (float ``P_t``), ``exp_avg``
    (``m_t``), ``exp_avg_sq`` (``v_t``).

    Example:
        >>> opt = NAdam(model.parameters(), lr=2e-3)
    """

    checks = {"lr": NON_NEGATIVE, "eps": NON_NEGATIVE, "betas": BETAS,
              "weight_decay": NON_NEGATIVE, "momentum_decay": NON_NEGATIVE,
              **flag_checks("foreach", "capturable", "differentiable")}
    scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        beta1, beta2 = group["betas"]
        return (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]),
                float(group["weight_decay"]), float(group["momentum_decay"]),
                bool(group["decoupled_weight_decay"]), bool(group["maximize"]))

    def init_state(self, param, group):
        return {"step": 0, "mu_product": 1.0, "exp_avg": np.zeros_like(param),
                "exp_avg_sq": np.zeros_like(param)}

    def update_step(self, param, grad, state, hp):
        lr, beta1, beta2, eps, weight_decay, psi, decoupled, maximize = hp
        step = state["step"] = state["step"] + 1
        if decoupled and weight_decay:
            rules.decay_(param, lr * weight_decay)
            weight_decay = 0
        g = effective_grad(param, grad, weight_decay, maximize)
        mu = rules.nadam_momentum(beta1, step, psi)
        mu_next = rules.nadam_momentum(beta1, step + 1, psi)
        mu_product = state["mu_product"] = state["mu_product"] * mu
        rules.nadam(param, g, state["exp_avg"], state["exp_avg_sq"], lr, beta1, beta2, eps, step,
                    mu, mu_next, mu_product)
