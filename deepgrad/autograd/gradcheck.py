"""Gradient checking: analytic gradients against central finite differences, in float64.

For each input x that requires grad and each element x_k:

    dL/dx_k  ~  (L(x + eps e_k) - L(x - eps e_k)) / (2 eps)

with L = sum(f(x) * v) for a fixed random v, so every output element is weighted and
a single backward pass gives the whole vector-Jacobian product to compare.
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when analytic and numerical gradients disagree; says where and by how much."""


def _as_tuple(x):
    return x if isinstance(x, (tuple, list)) else (x,)


def _scalar_objective(fn, inputs, weights):
    outs = _as_tuple(fn(*inputs))
    total = 0.0
    for o, w in zip(outs, weights):
        if w is not None:
            total = (o * Tensor(w)).sum() + total
    return total


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check ``fn``'s gradients with respect to every input that requires grad.

    Args:
        fn: callable taking the tensors of ``inputs`` and returning a tensor (or a tuple).
        inputs: a tensor or a tuple of tensors (and other arguments, passed through).
            Inputs should be float64 for a meaningful check.
        eps: finite-difference step.
        atol, rtol: the check is |analytic - numeric| <= atol + rtol |numeric|.
    Returns:
        True when all gradients match.
    Raises:
        GradcheckError: naming the input, the worst element and both values.
    """
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in diff_idx:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {inputs[i].dtype}; gradcheck needs "
                            f"float64 inputs (use .double())")
    rng = np.random.default_rng(seed)
    outs = _as_tuple(fn(*inputs))
    weights = [rng.standard_normal(o.shape) if isinstance(o, Tensor) and o.requires_grad
               else None for o in outs]
    for i in diff_idx:
        inputs[i].grad = None
    loss = _scalar_objective(fn, inputs, weights)
    if not isinstance(loss, Tensor):
        raise GradcheckError("gradcheck: no output of fn requires grad")
    loss.backward()
    for i in diff_idx:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.array.astype(np.float64)
        numeric = np.zeros(x.shape)
        for k in np.ndindex(x.shape):   # perturb x.array in place, whatever its strides
            orig = x.array[k]
            x.array[k] = orig + eps
            plus = float(_scalar_objective(fn, inputs, weights).array)
            x.array[k] = orig - eps
            minus = float(_scalar_objective(fn, inputs, weights).array)
            x.array[k] = orig
            numeric[k] = (plus - minus) / (2 * eps)
        err = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and (err.max() > 0 or not np.all(np.isfinite(analytic))):
            k = np.unravel_index(int(np.nanargmax(np.where(np.isfinite(err), err, np.inf))), x.shape)
            raise GradcheckError(
                f"gradcheck: gradient of input {i} (shape {tuple(x.shape)}) is wrong at element "
                f"{tuple(int(j) for j in k)}: analytic {analytic[k]:.8g}, numeric {numeric[k]:.8g} "
                f"(atol={atol}, rtol={rtol}); max abs difference "
                f"{np.nanmax(np.abs(analytic - numeric)):.3g}")
    return True
