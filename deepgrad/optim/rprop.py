"""Rprop: resilient backpropagation, steps set by gradient signs (``torch.optim.Rprop``)."""
import numpy as np

from deepgrad.optim.optimizer import Optimizer, NON_NEGATIVE, flag_checks


def _valid_etas(etas):
    return len(etas) == 2 and 0.0 < etas[0] < 1.0 < etas[1]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993): each coordinate keeps its own step size, grown
    while the gradient keeps its sign and shrunk when the sign flips.

    With ``(eta_minus, eta_plus) = etas``, ``(s_min, s_max) = step_sizes`` and the
    initial step size ``gamma`` (``lr``), at step ``t``, per coordinate (PyTorch's
    formulation, the "Rprop-" variant that skips the update after a sign change):

        g_t = grad f(theta_{t-1})                        (negated if maximize)
        k_t = eta_plus   if g_t g_{t-1} > 0
              eta_minus  if g_t g_{t-1} < 0
              1          otherwise
        s_t = clip(k_t * s_{t-1}, s_min, s_max)
        g_t = 0          where k_t = eta_minus   (and this g_t is remembered as g_{t-1})
        theta_t = theta_{t-1} - sign(g_t) * s_t

    with ``s_0 = gamma`` and ``g_0 = 0``.

    Args:
        params (iterable): parameters or parameter groups (see :class:`Optimizer`).
        lr (float): initial step size ``gamma``. Default 1e-2.
        etas (tuple[float, float]): ``(eta_minus, eta_plus)`` with
            ``0 < eta_minus < 1 < eta_plus``. Default (0.5, 1.2).
        step_sizes (tuple[float, float]): bounds ``(s_min, s_max)``. Default (1e-6, 50).
        capturable (bool): only False (deepgrad has no CUDA graphs).
        foreach (bool, optional): PyTorch's kernel choice; any value computes the same here.
        maximize (bool): maximize ``f`` instead of minimizing it.
        differentiable (bool): only False (the step is not part of the autograd graph).

    State per parameter: ``step`` (int), ``prev`` (``g_{t-1}``), ``step_size`` (``s_t``).

    Example:
        >>> opt = Rprop(model.parameters(), lr=0.01)
    """

    checks = {"lr": NON_NEGATIVE,
              "etas": (_valid_etas, "a pair (eta_minus, eta_plus) with "
                                    "0 < eta_minus < 1 < eta_plus"),
              "step_sizes": (lambda s: len(s) == 2 and 0 <= s[0] <= s[1],
                             "a pair (min_step, max_step) with 0 <= min_step <= max_step"),
              **flag_checks("capturable", "foreach", "differentiable")}

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def hyperparameters(self, group):
        eta_minus, eta_plus = group["etas"]
        s_min, s_max = group["step_sizes"]
        return (float(eta_minus), float(eta_plus), float(s_min), float(s_max),
                bool(group["maximize"]))

    def init_state(self, param, group):
        return {"step": 0, "prev": np.zeros_like(param),
                "step_size": np.full_like(param, float(group["lr"]))}

    def update_step(self, param, grad, state, hp):
        eta_minus, eta_plus, s_min, s_max, maximize = hp
        state["step"] += 1
        g = np.negative(grad) if maximize else np.array(grad, copy=True)
        prev, step_size = state["prev"], state["step_size"]
        product = g * prev
        factor = np.where(product > 0, eta_plus, np.where(product < 0, eta_minus, 1.0))
        step_size *= factor.astype(step_size.dtype, copy=False)
        np.clip(step_size, s_min, s_max, out=step_size)
        g[product < 0] = 0                       # after a sign change: no step, forget g
        param -= np.sign(g) * step_size
        prev[...] = g
