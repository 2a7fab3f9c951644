"""L-BFGS: limited-memory quasi-Newton steps (``torch.optim.LBFGS``; after minFunc)."""
import numpy as np

from deepgrad.autograd import enable_grad
from deepgrad.autograd.version_counter import bump
from deepgrad.optim.line_search import strong_wolfe
from deepgrad.optim.optimizer import Optimizer, NON_NEGATIVE

POSITIVE_INT = (lambda v: int(v) == v and v >= 1, "an int >= 1")
LINE_SEARCHES = (None, "strong_wolfe")


class LBFGS(Optimizer):
    r"""L-BFGS (Nocedal, 1980; Liu & Nocedal, 1989), as PyTorch defines it.

    All parameters form one vector ``x``; each ``step(closure)`` runs up to ``max_iter``
    iterations of

        g_k = grad f(x_k)
        d_k = -H_k g_k                 two-loop recursion over the last ``history_size``
                                       pairs (s_i, y_i), H_0 = (s^T y / y^T y) I
        x_{k+1} = x_k + t_k d_k

    where ``s_i = x_{i+1} - x_i``, ``y_i = g_{i+1} - g_i`` (a pair is kept only when
    ``y^T s > 1e-10``), and ``t_k`` is ``lr`` (``min(1, 1 / ||g_0||_1) * lr`` at the very
    first iteration), or the step found by a strong-Wolfe line search
    (``line_search_fn="strong_wolfe"``: sufficient decrease with ``c1 = 1e-4`` and
    curvature ``|g(t)^T d| <= 0.9 |g^T d|``, by bracketing and cubic interpolation).

    The iterations stop early when ``max|g| <= tolerance_grad``, when the directional
    derivative ``g^T d > -tolerance_change``, when ``max|t d| <= tolerance_change``, when
    the loss changes by less than ``tolerance_change``, or after ``max_eval`` evaluations
    of ``f``. The history persists across ``step`` calls.

    Args:
        params (iterable): parameters (a single group; per-group options are refused).
        lr (float): step length ``t``. Default 1.
        max_iter (int): iterations per ``step``. Default 20.
        max_eval (int, optional): function evaluations per ``step``. Default
            ``max_iter * 5 // 4``.
        tolerance_grad (float): first-order optimality tolerance. Default 1e-7.
        tolerance_change (float): tolerance on function value / parameter changes.
            Default 1e-9.
        history_size (int): number of ``(s, y)`` pairs kept. Default 100.
        line_search_fn (str, optional): ``None`` or ``"strong_wolfe"``.

    State (kept for the first parameter, as PyTorch does): ``func_evals``, ``n_iter``,
    ``d``, ``t``, ``old_dirs`` (``y_i``), ``old_stps`` (``s_i``), ``ro`` (``1 / y^T s``),
    ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``.

    Example:
        >>> opt = LBFGS(model.parameters(), lr=1, line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = loss_fn(model(x), y)
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
    """

    checks = {"lr": NON_NEGATIVE, "max_iter": POSITIVE_INT, "max_eval": POSITIVE_INT,
              "tolerance_grad": NON_NEGATIVE, "tolerance_change": NON_NEGATIVE,
              "history_size": POSITIVE_INT,
              "line_search_fn": (lambda v: v in LINE_SEARCHES, "None or 'strong_wolfe'")}

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"LBFGS doesn't support per-parameter options (parameter "
                             f"groups); received {len(self.param_groups)} groups")
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def state_shape(self, param, key):
        return None                              # flat vectors and histories

    # ------------------------------------------------------------------ flat views
    def _gather_flat_grad(self):
        return np.concatenate([np.zeros(p.array.size, p.dtype) if p.grad is None
                               else p.grad.array.reshape(-1) for p in self._params])

    def _add_grad(self, step_size, update):
        """``x <- x + step_size * update`` for the flat vector ``update``."""
        offset = 0
        for p in self._params:
            n = p.array.size
            p.array += step_size * update[offset:offset + n].reshape(p.array.shape)
            bump(p.array)
            offset += n

    def _set_param(self, values):
        for p, value in zip(self._params, values):
            p.array[...] = value
            bump(p.array)

    def _directional_evaluate(self, closure, x, t, d):
        """``f`` and its flat gradient at ``x + t d``; the parameters are left at ``x``."""
        self._add_grad(t, d)
        with enable_grad():
            loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ step
    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations.

        Args:
            closure (callable): clears the gradients, computes the loss, calls
                ``backward`` and returns the loss. Required: L-BFGS evaluates ``f``
                several times per step.

        Returns:
            the loss of the first evaluation (at the parameters before the step).
        """
        if closure is None or not callable(closure):
            raise TypeError(f"LBFGS.step needs a closure that re-evaluates the model and "
                            f"returns the loss; received {closure!r}")
        group = self.param_groups[0]
        self._validate(group)
        lr, max_iter, max_eval = float(group["lr"]), int(group["max_iter"]), group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        history_size = group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        opt_cond = np.abs(flat_grad).max(initial=0) <= tolerance_grad
        if opt_cond:                             # already optimal
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:             # steepest descent to start
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = np.dot(y, s)
                if ys > 1e-10:                   # keep the pair only with positive curvature
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / np.dot(y, y)
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = np.dot(flat_grad, d)           # directional derivative
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                x_init = [p.array.copy() for p in self._params]

                def obj_func(x, step, direction):
                    return self._directional_evaluate(closure, x, step, direction)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:           # the last one is not re-evaluated
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss


def _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, al):
    """``-H g`` by L-BFGS's two-loop recursion, with ``al`` as the scratch list."""
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = np.dot(old_stps[i], q) * ro[i]
        q += -al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = np.dot(old_dirs[i], r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r
