"""Adam: adaptive moment estimation (``torch.optim.Adam``; Kingma & Ba, 2015)."""
import numpy as np

from deepgrad.optim import rules
from deepgrad.optim.optimizer import Optimizer, BETAS, NON_NEGATIVE, effective_grad, flag_checks


class Adam(Optimizer):
    r"""Adam, optionally with the AMSGrad variant.

    With learning rate ``gamma``, ``(beta1, beta2) = betas``, ``eps`` and weight decay
    ``lambda``, at step ``t`` (PyTorch's formulation):

        g_t = grad f(theta_{t-1})                     (negated if maximize)
        g_t = g_t + lambda * theta_{t-1}              if lambda != 0   (L2, "coupled")
        theta_{t-1} <- (1 - gamma * lambda) theta_{t-1}   instead, if decoupled_weight_decay
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t     first moment
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2   second moment
        v_hat = max(v_hat, v_t)  if amsgrad  else  v_t
        theta_t = theta_{t-1} - gamma / (1 - beta1^t) * m_t
                                 / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)

    with ``m_0 = v_0 = 0``; the ``1 - beta^t`` factors undo the bias of that start.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 1e-3.
        betas (tuple[float, float]): decay rates of the two moments. Default (0.9, 0.999).
        eps (float): added to the denominator for stability. Default 1e-8.
        weight_decay (float): L2 penalty ``lambda`` added to the gradient. Default 0.
        amsgrad (bool): use the running maximum of ``v_t`` (AMSGrad). Default False.
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        maximize (bool): maximize ``f`` instead of minimizing it.
        capturable (bool): only False (deepgrad has no CUDA graphs).
        differentiable (bool): only False (the step is not part of the autograd graph).
        fused (bool, optional): PyTorch's kernel choice; any value computes the same here.
        decoupled_weight_decay (bool): shrink ``theta`` by ``gamma * lambda`` directly instead
            of adding ``lambda * theta`` to the gradient (then Adam is :class:`AdamW`).

    State per parameter: ``step`` (int), ``exp_avg`` (``m_t``), ``exp_avg_sq`` (``v_t``),
    ``max_exp_avg_sq`` (AMSGrad only).

    Example:
        >>> opt = Adam(model.parameters(), lr=1e-3)
    """

    checks = {"lr": NON_NEGATIVE, "eps": NON_NEGATIVE, "betas": BETAS,
              "weight_decay": NON_NEGATIVE,
              **flag_checks("foreach", "capturable", "differentiable", "fused")}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        beta1, beta2 = group["betas"]
        return (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]),
                float(group["weight_decay"]), bool(group["amsgrad"]), bool(group["maximize"]),
                bool(group.get("decoupled_weight_decay", False)))

    def init_state(self, param, group):
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def update_step(self, param, grad, state, hp):
        lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled = hp
        step = state["step"] = state["step"] + 1
        if decoupled and weight_decay:           # theta *= 1 - gamma lambda; g untouched
            rules.decay_(param, lr * weight_decay)
            weight_decay = 0
        g = effective_grad(param, grad, weight_decay, maximize)
        rules.adam(param, g, state["exp_avg"], state["exp_avg_sq"], lr, beta1, beta2, eps, step,
                   v_max=state["max_exp_avg_sq"] if amsgrad else None)
