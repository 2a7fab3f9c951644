"""AdamW: Adam with decoupled weight decay (``torch.optim.AdamW``; Loshchilov & Hutter, 2019)."""
from deepgrad.optim.adam import Adam
from deepgrad.optim.optimizer import effective_grad


class AdamW(Adam):
    r"""Adam whose weight decay shrinks the parameters directly instead of entering the
    gradient (so it is not rescaled by the adaptive denominator).

    Each step first decays, then takes the plain Adam step of :class:`Adam`:

        theta_{t-1} <- theta_{t-1} - gamma * lambda * theta_{t-1}
        theta_t = Adam step from theta_{t-1} with g_t = grad f(theta_{t-1})  (no L2 term)

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 1e-3.
        betas (tuple[float, float]): decay rates of the two moments. Default (0.9, 0.999).
        eps (float): added to the denominator for stability. Default 1e-8.
        weight_decay (float): decoupled decay ``lambda``. Default 1e-2.
        amsgrad (bool): use the running maximum of ``v_t`` (AMSGrad). Default False.
        maximize (bool): maximize ``f`` instead of minimizing it.

    Example:
        >>> opt = AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)

    def decayed_grad(self, param, grad, lr, weight_decay, maximize):
        """Decoupled decay: ``theta *= 1 - gamma * lambda``; the gradient is left as is."""
        if weight_decay:
            param *= 1 - lr * weight_decay
        return effective_grad(param, grad, 0, maximize)
