"""RAdam: Adam with a rectified adaptive learning rate (``torch.optim.RAdam``; Liu et al., 2020)."""
import numpy as np

from deepgrad.optim.optimizer import Optimizer, BETAS, NON_NEGATIVE, effective_grad, flag_checks
from deepgrad.optim.rules import lerp_


class RAdam(Optimizer):
    r"""RAdam: Adam that falls back to momentum SGD while the variance of its adaptive
    rate is not yet tractable (the first steps), then rectifies that variance.

    With learning rate ``gamma``, ``(beta1, beta2) = betas``, ``eps`` and weight decay
    ``lambda``, at step ``t`` (PyTorch's formulation):

        g_t = grad f(theta_{t-1})                          (negated if maximize)
        theta_{t-1} <- (1 - gamma lambda) theta_{t-1}      if decoupled_weight_decay,
        g_t = g_t + lambda * theta_{t-1}                   otherwise (if lambda != 0)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        m_hat = m_t / (1 - beta1^t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)      length of the approximated SMA
        if rho_t > 5:
            l_t = sqrt(1 - beta2^t) / (sqrt(v_t) + eps)    adaptive rate
            r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            theta_t = theta_{t-1} - gamma * m_hat * l_t * r_t
        else:
            theta_t = theta_{t-1} - gamma * m_hat

    with ``m_0 = v_0 = 0``.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 1e-3.
        betas (tuple[float, float]): decay rates of the two moments. Default (0.9, 0.999).
        eps (float): added to the denominator for stability. Default 1e-8.
        weight_decay (float): weight decay ``lambda``. Default 0.
        decoupled_weight_decay (bool): decay ``theta`` directly (RAdamW) instead of adding
            ``lambda * theta`` to the gradient. Default False.
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        maximize (bool): maximize ``f`` instead of minimizing it.
        capturable (bool): only False (deepgrad has no CUDA graphs).
        differentiable (bool): only False (the step is not part of the autograd graph).

    State per parameter: ``step`` (int), ``exp_avg`` (``m_t``), ``exp_avg_sq`` (``v_t``).

    Example:
        >>> opt = RAdam(model.parameters(), lr=1e-3)
    """

    checks = {"lr": NON_NEGATIVE, "eps": NON_NEGATIVE, "betas": BETAS,
              "weight_decay": NON_NEGATIVE,
              **flag_checks("foreach", "capturable", "differentiable")}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        beta1, beta2 = group["betas"]
        return (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]),
                float(group["weight_decay"]), bool(group["decoupled_weight_decay"]),
                bool(group["maximize"]))

    def init_state(self, param, group):
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def update_step(self, param, grad, state, hp):
        lr, beta1, beta2, eps, weight_decay, decoupled, maximize = hp
        step = state["step"] = state["step"] + 1
        if decoupled and weight_decay:
            param *= 1 - lr * weight_decay
            weight_decay = 0
        g = effective_grad(param, grad, weight_decay, maximize)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        lerp_(m, g, 1 - beta1)                   # m = beta1 m + (1 - beta1) g
        v *= beta2                               # v = beta2 v + (1 - beta2) g^2
        v += (1 - beta2) * g * g
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        update = m / bias_correction1            # m_hat
        update *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            denom = np.sqrt(v)                   # l = sqrt(bc2) / (sqrt(v) + eps)
            denom += eps
            update *= bias_correction2 ** 0.5 / denom
            update *= rect
        param -= update
