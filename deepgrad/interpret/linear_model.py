"""Weighted linear models solved in NumPy: the surrogates of Lime and KernelShap.

They follow scikit-learn's estimator API (``fit(X, y, sample_weight)``, ``coef_``,
``intercept_``, ``predict``) and its objectives, so a scikit-learn estimator can be used
in their place. With sample weights ``w`` (normalised ``v = w / sum(w)``), the intercept
is handled by centring with the weighted means ``x_bar = sum_i v_i x_i`` and
``y_bar = sum_i v_i y_i``, then ``intercept_ = y_bar - x_bar . coef_``.
"""
import warnings

import numpy as np


def _prepare(X, y, sample_weight, fit_intercept):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"fit: expected X of shape (n_samples, n_features) and y of shape "
                         f"(n_samples,), received {X.shape} and {y.shape}")
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight,
                                                                  dtype=np.float64).reshape(-1)
    if w.shape != y.shape or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"fit: sample_weight must hold {len(y)} non-negative weights with a "
                         f"positive sum")
    if fit_intercept:
        x_mean, y_mean = w @ X / w.sum(), w @ y / w.sum()
    else:
        x_mean, y_mean = np.zeros(X.shape[1]), 0.0
    return X - x_mean, y - y_mean, w, x_mean, y_mean


class _Linear:
    coef_ = None
    intercept_ = 0.0

    def predict(self, X):
        """``X @ coef_ + intercept_``."""
        if self.coef_ is None:
            raise RuntimeError(f"{type(self).__name__}: call fit before predict")
        return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_

    def _finish(self, coef, x_mean, y_mean):
        self.coef_ = coef
        self.intercept_ = float(y_mean - x_mean @ coef) if self.fit_intercept else 0.0
        return self


class LinearRegression(_Linear):
    r"""Weighted least squares (KernelShap's surrogate; scikit-learn's LinearRegression):

        min_b  sum_i w_i (y_i - x_i . b - c)^2

    solved by ``np.linalg.lstsq`` on ``sqrt(w) * (X - x_bar)``; when the system is
    underdetermined (fewer samples than features) the minimum-norm solution is returned,
    as scikit-learn's does.

    Args:
        fit_intercept (bool): fit ``c`` (True) or fix it at 0.
    """

    def __init__(self, *, fit_intercept=True):
        self.fit_intercept = bool(fit_intercept)

    def fit(self, X, y, sample_weight=None):
        Xc, yc, w, x_mean, y_mean = _prepare(X, y, sample_weight, self.fit_intercept)
        root = np.sqrt(w)
        coef = np.linalg.lstsq(Xc * root[:, None], yc * root, rcond=None)[0]
        return self._finish(coef, x_mean, y_mean)


class Ridge(_Linear):
    r"""Weighted ridge regression (scikit-learn's Ridge objective):

        min_b  sum_i w_i (y_i - x_i . b - c)^2 + alpha ||b||_2^2

    solved in closed form, ``b = (Xc^T W Xc + alpha I)^-1 Xc^T W yc``.

    Args:
        alpha (float): the L2 penalty (> 0).
        fit_intercept (bool): fit ``c``.
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True):
        if not alpha > 0:
            raise ValueError(f"Ridge: alpha must be positive, received {alpha!r}")
        self.alpha = float(alpha)
        self.fit_intercept = bool(fit_intercept)

    def fit(self, X, y, sample_weight=None):
        Xc, yc, w, x_mean, y_mean = _prepare(X, y, sample_weight, self.fit_intercept)
        gram = Xc.T @ (w[:, None] * Xc) + self.alpha * np.eye(Xc.shape[1])
        coef = np.linalg.solve(gram, Xc.T @ (w * yc))
        return self._finish(coef, x_mean, y_mean)


class Lasso(_Linear):
    r"""Weighted Lasso (Lime's default surrogate, ``alpha=0.01`` there), with
    scikit-learn's objective (its weights rescaled to sum to ``n``):

        min_b  1/(2 sum(w)) sum_i w_i (y_i - x_i . b - c)^2 + alpha ||b||_1

    solved by cyclic coordinate descent: with ``v = w / sum(w)``, ``z_j = sum_i v_i x_ij^2``
    and the residual ``r``,

        b_j <- S(sum_i v_i x_ij r_i + z_j b_j, alpha) / z_j,   S(a, t) = sign(a) max(|a| - t, 0)

    until the duality gap falls below ``tol * sum_i v_i yc_i^2``. The default tolerance is
    much tighter than scikit-learn's (1e-4), so the result is the optimum itself rather
    than a point where the solver happened to stop.

    Args:
        alpha (float): the L1 penalty (>= 0).
        fit_intercept (bool): fit ``c`` (it is not penalised).
        max_iter (int): sweeps over the coordinates before giving up (with a warning).
        tol (float): relative duality-gap tolerance.
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, max_iter=100000, tol=1e-12):
        if not alpha >= 0:
            raise ValueError(f"Lasso: alpha must be non-negative, received {alpha!r}")
        self.alpha, self.tol = float(alpha), float(tol)
        self.fit_intercept, self.max_iter = bool(fit_intercept), int(max_iter)
        self.n_iter_ = 0

    def fit(self, X, y, sample_weight=None):
        Xc, yc, w, x_mean, y_mean = _prepare(X, y, sample_weight, self.fit_intercept)
        v = w / w.sum()
        A = Xc * np.sqrt(v)[:, None]                   # 0.5 ||A b - c||^2 + alpha ||b||_1
        c = yc * np.sqrt(v)
        z = (A * A).sum(0)
        coef = np.zeros(A.shape[1])
        r = c.copy()
        scale = max(float(c @ c), np.finfo(float).tiny)
        for sweep in range(1, self.max_iter + 1):
            for j in np.flatnonzero(z > 0):
                old = coef[j]
                rho = A[:, j] @ r + z[j] * old
                new = np.sign(rho) * max(abs(rho) - self.alpha, 0.0) / z[j]
                if new != old:
                    r -= A[:, j] * (new - old)
                    coef[j] = new
            if self._gap(A, c, r, coef) <= self.tol * scale:
                break
        else:
            warnings.warn(f"Lasso: coordinate descent did not reach tol={self.tol} in "
                          f"{self.max_iter} sweeps", RuntimeWarning, stacklevel=2)
        self.n_iter_ = sweep
        return self._finish(coef, x_mean, y_mean)

    def _gap(self, A, c, r, coef):
        """Primal minus dual objective at the scaled residual (the Lasso duality gap)."""
        corr = np.abs(A.T @ r).max(initial=0.0)
        s = min(1.0, self.alpha / corr) if corr > 0 else 1.0
        theta = s * r
        primal = 0.5 * r @ r + self.alpha * np.abs(coef).sum()
        dual = c @ theta - 0.5 * theta @ theta
        return primal - dual
