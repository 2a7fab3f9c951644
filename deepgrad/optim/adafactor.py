"""Adafactor: factored second moments, relative step sizes (``torch.optim.Adafactor``)."""
import numpy as np

from deepgrad.optim import rules
from deepgrad.optim.optimizer import Optimizer, NON_NEGATIVE, flag_checks


def _valid_eps(eps):
    return len(eps) == 2 and (eps[0] is None or eps[0] >= 0) and eps[1] >= 0


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018), as PyTorch defines it.

    For a parameter with two or more dimensions the second moment of the gradient is kept
    as a row factor ``R`` (mean over the last dim) and a column factor ``C`` (mean over the
    second-to-last dim), so a ``n x m`` matrix costs ``n + m`` numbers instead of ``n m``.
    With ``gamma = lr``, ``tau = beta2_decay``, ``(eps1, eps2) = eps``, clipping threshold
    ``d`` and weight decay ``lambda``, at step ``t`` (PyTorch's formulation):

        G_t = grad f(theta_{t-1})                             (negated if maximize)
        beta2_t = 1 - t^tau
        rho_t = min(gamma, 1 / sqrt(t))
        alpha_t = max(eps2, RMS(theta_{t-1})) * rho_t         RMS(x) = ||x||_2 / sqrt(numel)
        theta_{t-1} <- (1 - gamma lambda) theta_{t-1}
        if dim(G_t) > 1:
            R_t = beta2_t R_{t-1} + (1 - beta2_t) mean_{-1}(G_t^2)        (keepdim)
            C_t = beta2_t C_{t-1} + (1 - beta2_t) mean_{-2}(G_t^2)        (keepdim)
            V_t = (R_t @ C_t) / max(mean_{-2}(R_t), eps1)
        else:
            V_t = beta2_t V_{t-1} + (1 - beta2_t) G_t^2
        U_t = G_t / sqrt(max(V_t, eps1^2))
        theta_t = theta_{t-1} - alpha_t * U_t / max(1, RMS(U_t) / d)

    with ``R_0 = C_0 = V_0 = 0`` (so ``beta2_1 = 0``); ``eps1 = None`` means the machine
    epsilon of the parameter's dtype.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): ``gamma``: cap of the relative step ``rho_t`` and weight-decay scale.
            Default 1e-2.
        beta2_decay (float): ``tau`` (<= 0). Default -0.8.
        eps (tuple): ``(eps1, eps2)``; ``eps1`` floors the variance, ``eps2`` the parameter
            scale. Default (None, 1e-3).
        d (float): clipping threshold of the update's RMS (>= 1). Default 1.0.
        weight_decay (float): decoupled decay ``lambda``. Default 0.
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        maximize (bool): maximize ``f`` instead of minimizing it.

    State per parameter: ``step`` (int) and either ``row_var`` (shape ``(..., n, 1)``) and
    ``col_var`` (shape ``(..., 1, m)``), or ``variance`` (a parameter of dim <= 1).

    Example:
        >>> opt = Adafactor(model.parameters(), lr=1e-2)
    """

    checks = {"lr": NON_NEGATIVE,
              "beta2_decay": (lambda v: v <= 0, "a number <= 0"),
              "eps": (_valid_eps, "a pair (eps1, eps2) with eps1 None or >= 0 and eps2 >= 0"),
              "d": (lambda v: v >= 1, "a number >= 1"),
              "weight_decay": NON_NEGATIVE,
              **flag_checks("foreach")}

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        eps1, eps2 = group["eps"]
        return (float(group["lr"]), float(group["beta2_decay"]),
                None if eps1 is None else float(eps1), float(eps2), float(group["d"]),
                float(group["weight_decay"]), bool(group["maximize"]))

    def init_state(self, param, group):
        if param.ndim > 1:
            return {"step": 0, "row_var": np.zeros(self.state_shape(param, "row_var"),
                                                   param.dtype),
                    "col_var": np.zeros(self.state_shape(param, "col_var"), param.dtype)}
        return {"step": 0, "variance": np.zeros_like(param)}

    def state_shape(self, param, key):
        shape = list(param.shape)
        if key == "row_var":
            shape[-1] = 1
        elif key == "col_var":
            shape[-2] = 1
        return tuple(shape)

    def update_step(self, param, grad, state, hp):
        lr, beta2_decay, eps1, eps2, d, weight_decay, maximize = hp
        if eps1 is None:
            eps1 = float(np.finfo(param.dtype).eps)
        g = np.negative(grad) if maximize else grad
        step = state["step"] = state["step"] + 1
        factored = g.ndim > 1
        rules.adafactor(param, g, state["row_var"] if factored else None,
                        state["col_var"] if factored else None,
                        None if factored else state["variance"], lr, step, beta2_decay, eps1,
                        eps2, d, decay=lr * weight_decay)
