"""Integrated Gradients and the quadrature rules of its path integral."""
import warnings

import numpy as np

import deepgrad
from deepgrad.interpret import _common
from deepgrad.interpret.attribution import GradientAttribution

SUPPORTED_RIEMANN_METHODS = ["riemann_left", "riemann_right", "riemann_middle",
                             "riemann_trapezoid"]
SUPPORTED_METHODS = SUPPORTED_RIEMANN_METHODS + ["gausslegendre"]


def approximation_parameters(method):
    r"""``(step_sizes(n), alphas(n))`` of a quadrature rule on [0, 1], as Captum's:

        int_0^1 g(a) da  ~  sum_k step_k * g(alpha_k)

    * ``riemann_left``:   alpha_k = k/n,            step_k = 1/n   (k = 0..n-1)
    * ``riemann_right``:  alpha_k = (k+1)/n,        step_k = 1/n
    * ``riemann_middle``: alpha_k = (k+1/2)/n,      step_k = 1/n
    * ``riemann_trapezoid``: alpha_k = k/(n-1), step_k = 1/n with the first and last
      halved. These are Captum's weights, kept so results agree with Captum; they sum to
      1 - 1/n (a true trapezoid rule on this grid would use 1/(n-1)), so this rule
      under-counts the integral by that factor: prefer ``gausslegendre`` or
      ``riemann_middle``.
    * ``gausslegendre``: the n-point Gauss-Legendre nodes and weights mapped from [-1, 1]
      to [0, 1] (exact for polynomials of degree 2n-1).

    Riemann rules need ``n >= 2`` and Gauss-Legendre ``n >= 1`` (Captum's limits).
    """
    if method not in SUPPORTED_METHODS:
        raise ValueError(f"method: expected one of {SUPPORTED_METHODS}, received {method!r}")
    if method == "gausslegendre":
        def step_sizes(n):
            return list(0.5 * np.polynomial.legendre.leggauss(n)[1])

        def alphas(n):
            return list(0.5 * (1 + np.polynomial.legendre.leggauss(n)[0]))
        return step_sizes, alphas
    kind = method.split("_")[1]

    def riemann_steps(n):
        deltas = [1.0 / n] * n
        if kind == "trapezoid":
            deltas[0] /= 2
            deltas[-1] /= 2
        return deltas

    def riemann_alphas(n):
        grid = {"trapezoid": (0.0, 1.0), "left": (0.0, 1 - 1 / n),
                "middle": (1 / (2 * n), 1 - 1 / (2 * n)), "right": (1 / n, 1.0)}[kind]
        return list(np.linspace(grid[0], grid[1], n))
    return riemann_steps, riemann_alphas


def check_steps(n_steps, method):
    _common.check_positive_int(n_steps, "n_steps",
                               1 if method == "gausslegendre" else 2)


def integrate(grad_fn, inputs, baselines, target, extra, n_steps, method,
              internal_batch_size=None, multiply=True):
    """The IG sum for ``inputs``/``baselines`` (tuples of tensors, baselines may be
    numbers), evaluating ``grad_fn(scaled, target, extra)`` on chunks of steps.

    Args:
        grad_fn: ``(scaled inputs tuple, expanded target, expanded extra) -> grads tuple``.
        internal_batch_size: at most this many rows per evaluation (``None``: all steps).
    """
    step_sizes_fn, alphas_fn = approximation_parameters(method)
    steps, alphas = step_sizes_fn(n_steps), alphas_fn(n_steps)
    num = inputs[0].shape[0]
    per_chunk = n_steps
    if internal_batch_size is not None:
        _common.check_positive_int(internal_batch_size, "internal_batch_size")
        if internal_batch_size < num:
            warnings.warn(f"internal_batch_size={internal_batch_size} is less than the "
                          f"number of examples ({num}); using {num}", stacklevel=3)
        per_chunk = max(1, internal_batch_size // num)
    total = None
    for start in range(0, n_steps, per_chunk):
        part = _integrate_chunk(grad_fn, inputs, baselines, target, extra,
                                steps[start:start + per_chunk],
                                alphas[start:start + per_chunk])
        total = part if total is None else tuple(t + p for t, p in zip(total, part))
    if not multiply:
        return total
    return tuple(g * (x - b) for g, x, b in zip(total, inputs, baselines))


def _integrate_chunk(grad_fn, inputs, baselines, target, extra, steps, alphas):
    k = len(alphas)
    scaled = tuple(deepgrad.cat([(x - b) * a + b for a in alphas])
                   for x, b in zip(inputs, baselines))
    grads = grad_fn(scaled, _common.expand_target(target, k),
                    _common.expand_additional_args(extra, k))
    out = []
    for g in grads:
        w = deepgrad.tensor(np.asarray(steps), dtype=g.dtype).reshape(k, *([1] * g.ndim))
        out.append((g.reshape(k, -1, *g.shape[1:]) * w).sum(0))
    return tuple(out)


class IntegratedGradients(GradientAttribution):
    r"""Integrated Gradients (Sundararajan et al., 2017, https://arxiv.org/abs/1703.01365).

    Along the straight path from the baseline ``x'`` to the input ``x``:

        IG_i(x) = (x_i - x'_i) * int_0^1 dF(x' + a (x - x')) / dx_i da
               ~ (x_i - x'_i) * sum_k step_k * dF(x' + alpha_k (x - x')) / dx_i

    with the quadrature of :func:`approximation_parameters`.

    Guarantee (completeness): the exact integral satisfies
    ``sum_i IG_i(x) = F(x) - F(x')``; ``return_convergence_delta=True`` returns the gap
    ``sum_i IG_i - (F(x) - F(x'))`` of the approximation per example, which shrinks as
    ``n_steps`` grows (Gauss-Legendre converges fastest for smooth models).

    Args:
        forward_func: the model or function to explain.
        multiply_by_inputs (bool): multiply by ``(x - x')`` (global attribution, True) or
            return the path-averaged gradient (local attribution).
    """

    def __init__(self, forward_func, multiply_by_inputs=True):
        super().__init__(forward_func)
        self._multiply_by_inputs = bool(multiply_by_inputs)

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  n_steps=50, method="gausslegendre", internal_batch_size=None,
                  return_convergence_delta=False):
        """Args:
            inputs (Tensor, array or tuple): the batch to explain.
            baselines: the path's start ``x'``: None (zeros), a number, a tensor of the
                inputs' shape or of shape ``(1, ...)``, or a tuple of those per input.
            target: which output to explain.
            additional_forward_args: extra model arguments (tensors are repeated per step).
            n_steps (int): quadrature points.
            method (str): ``"riemann_left"``, ``"riemann_right"``, ``"riemann_middle"``,
                ``"riemann_trapezoid"`` or ``"gausslegendre"``.
            internal_batch_size (int): evaluate at most this many rows at once.
            return_convergence_delta (bool): also return the completeness gap.
        Returns:
            attributions (the inputs' shapes), and the deltas of shape ``(N,)`` when asked.
        """
        xs, is_tuple, as_numpy = _common.format_inputs(inputs)
        _common.check_float_inputs(xs, "IntegratedGradients")
        base = _common.format_baselines(baselines, xs)
        if method not in SUPPORTED_METHODS:
            raise ValueError(f"method: expected one of {SUPPORTED_METHODS}, received "
                             f"{method!r}")
        check_steps(n_steps, method)
        _common.check_target(target, xs[0].shape[0])
        extra = _common.format_additional_args(additional_forward_args)

        def grad_fn(scaled, tgt, args):
            return self.gradient_func(self.forward_func, scaled, tgt, args)
        attrs = integrate(grad_fn, xs, base, target, extra, n_steps, method,
                          internal_batch_size, self._multiply_by_inputs)
        result = _common.format_output(attrs, is_tuple, as_numpy)
        if not return_convergence_delta:
            return result
        delta = _common.convergence_delta(self.forward_func, attrs, base, xs, target, extra)
        return result, _common.format_values(delta, as_numpy)

    def has_convergence_delta(self):
        return True

    @property
    def multiplies_by_inputs(self):
        return self._multiply_by_inputs
