"""AdamW: Adam with decoupled weight decay (``torch.optim.AdamW``; Loshchilov & Hutter, 2019)."""
from deepgrad.optim.adam import Adam


class AdamW(Adam):
    r"""Adam whose weight decay shrinks the parameters directly instead of entering the
    gradient (so it is not rescaled by the adaptive denominator): :class:`Adam` with
    ``decoupled_weight_decay=True``, as in PyTorch.

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
        foreach, capturable, differentiable, fused: as for :class:`Adam`.

    Example:
        >>> opt = AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        """As :meth:`Optimizer.load_state_dict`; the decay stays decoupled (as in PyTorch)."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
