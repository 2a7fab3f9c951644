"""Gradient checking: analytic Jacobians against central finite differences, in float64.

For ``y = f(x)`` the numerical Jacobian column of input element x_k is

    J[:, k]  ~  (f(x + eps e_k) - f(x - eps e_k)) / (2 eps)

and the analytic row of output element y_j is one backward pass seeded with e_j. Every
(output, input) block must satisfy ``|analytic - numeric| <= atol + rtol |numeric|``
elementwise, as ``torch.autograd.gradcheck`` (slow mode). ``fast_mode=True`` compares
instead, per block, the scalar u^T J v for random unit vectors u (outputs) and v
(inputs): one directional difference and one backward pass.

Besides the Jacobians, as in PyTorch: backward must be reentrant (two runs agree within
``nondet_tol``), must be linear in the output gradient (zero in, zero out), and with
``check_undefined_grad`` a PyTorch-style custom function that passes ``None`` for
gradients it did not receive (``ctx.set_materialize_grads(False)``) must then return zero
or no gradient. Only outputs that require grad are checked.
"""
import warnings

import numpy as np

from deepgrad.autograd import engine
from deepgrad.autograd.custom_function import BackwardCFunction, _OutputSlot
from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised when analytic and numerical gradients disagree; says where and by how much."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _tensor_outputs(func, inputs):
    return [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]


def _evaluate(func, inputs, mask):
    """The outputs selected by ``mask``, as float64 arrays (grad mode stays on: ``func``
    may itself differentiate, as in :func:`gradgradcheck`)."""
    outs = _tensor_outputs(func, inputs)
    return [o.array.astype(np.float64) for o, k in zip(outs, mask) if k]


def _numerical(func, inputs, diff_idx, eps, mask):
    """blocks[i][j]: (numel of input j, numel of output i) finite-difference Jacobian^T."""
    blocks = None
    for jj, j in enumerate(diff_idx):
        x = inputs[j]
        for k, idx in enumerate(np.ndindex(x.shape)):   # perturb in place, whatever the strides
            orig = x.array[idx]
            x.array[idx] = orig + eps
            plus = _evaluate(func, inputs, mask)
            x.array[idx] = orig - eps
            minus = _evaluate(func, inputs, mask)
            x.array[idx] = orig
            if blocks is None:
                blocks = [[np.zeros((inputs[i].array.size, p.size)) for i in diff_idx]
                          for p in plus]
            for i, (p, m) in enumerate(zip(plus, minus)):
                blocks[i][jj][k] = ((p - m) / (2 * eps)).ravel()
    if blocks is None:                  # every differentiable input is empty
        outs = _evaluate(func, inputs, mask)
        blocks = [[np.zeros((0, o.size)) for _ in diff_idx] for o in outs]
    return blocks


def _analytical(outs, inputs, diff_idx):
    """blocks[i][j]: (numel of input j, numel of output i) Jacobian^T by backward passes."""
    xs = [inputs[j] for j in diff_idx]
    blocks, dtypes_ok = [], True
    for out in outs:
        per_input = [np.zeros((x.array.size, out.array.size)) for x in xs]
        for r in range(out.array.size):
            seed = np.zeros(out.shape, out.dtype)
            seed.flat[r] = 1
            grads = engine.run_backward((out,), (seed,), True, inputs=xs, capture=True)
            for jj, (g, x) in enumerate(zip(grads, xs)):
                if g is not None:
                    dtypes_ok &= g.dtype == x.dtype and g.shape == x.shape
                    per_input[jj][:, r] = g.ravel()
        blocks.append(per_input)
    return blocks, dtypes_ok


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _mismatch(i, j, numeric, analytic, atol, rtol):
    err = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    k = np.unravel_index(int(np.argmax(np.where(np.isfinite(err), err, np.inf))), err.shape)
    return (f"Jacobian mismatch for output {i} with respect to input {j},\n"
            f"numerical:{numeric.T}\nanalytical:{analytic.T}\n"
            f"worst element: d output[{k[1]}] / d input[{k[0]}] (flattened): analytic "
            f"{analytic[k]:.8g}, numeric {numeric[k]:.8g} (atol={atol}, rtol={rtol})")


def _undefined_ok(outs, diff_idx, inputs):
    """PyTorch-style nodes that pass None for missing gradients return zero or None then."""
    for out in outs:
        node = out._ctx
        if isinstance(node, _OutputSlot):
            node = node.inputs[0]._ctx
        if not isinstance(node, BackwardCFunction) or node.materialize_grads:
            continue
        with no_grad():
            res = node._check(node._forward_cls.backward(node, *([None] * node._n_out)),
                              False)
        if any(g is not None and np.any(g.array) for g in res):
            return False
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """Check ``func``'s gradients against finite differences (``torch.autograd.gradcheck``).

    Args:
        func: takes ``inputs`` and returns a tensor or a tuple of tensors.
        inputs: a tensor or a tuple (tensors that require grad are checked; anything else is
            passed through). Use float64 inputs: other dtypes get a warning, as in PyTorch.
        eps: finite-difference step.
        atol, rtol: the check is |analytic - numeric| <= atol + rtol |numeric|.
        raise_exception (bool): raise :class:`GradcheckError` (True) or return False.
        nondet_tol (float): how far two backward runs may differ.
        check_undefined_grad (bool): check custom functions given None output gradients.
        check_grad_dtypes (bool): check that each gradient has its input's dtype and shape.
        fast_mode (bool): compare u^T J v for random u, v instead of whole Jacobians.
        check_batched_grad, check_batched_forward_grad, check_forward_ad: need vmap or
            forward-mode AD, which deepgrad does not have; True raises.
        check_backward_ad (bool): must be True (it is the only check available).
        masked: sparse-tensor semantics; only None/False are accepted.
    Returns:
        True when every check passes (False instead of raising with raise_exception=False).
    Raises:
        GradcheckError: naming the output, the input and the worst element.
    """
    for flag, what in ((check_batched_grad, "check_batched_grad (vmap)"),
                       (check_batched_forward_grad, "check_batched_forward_grad (vmap)"),
                       (check_forward_ad, "check_forward_ad (forward-mode AD)")):
        if flag:
            raise NotImplementedError(f"gradcheck: {what} is not supported by deepgrad")
    if not check_backward_ad:
        raise ValueError("gradcheck: expected at least one of check_forward_ad or "
                         "check_backward_ad to be True; deepgrad has only backward AD")
    if masked:
        raise NotImplementedError("gradcheck: masked=True concerns sparse tensors, which are "
                                  "out of scope in deepgrad")
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    for i in diff_idx:
        if inputs[i].dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision "
                          f"floating point. This check will likely fail if all the inputs "
                          f"are not of double precision floating point.", stacklevel=2)
    all_outs = _tensor_outputs(func, inputs)
    mask = [o.requires_grad for o in all_outs]
    outs = tuple(o for o in all_outs if o.requires_grad)
    if not outs:
        for per_input in _numerical(func, inputs, diff_idx, eps, [True] * len(all_outs)):
            if any(np.any(np.abs(b) > atol) for b in per_input):
                return _fail("Numerical gradient for function expected to be zero",
                             raise_exception)
        return True
    check = _fast if fast_mode else _slow
    if not check(func, inputs, outs, mask, diff_idx, eps, atol, rtol, nondet_tol,
                 check_grad_dtypes, raise_exception):
        return False
    xs = [inputs[j] for j in diff_idx]
    zero = engine.run_backward(outs, [np.zeros(o.shape, o.dtype) for o in outs], True,
                               inputs=xs, capture=True)
    if any(g is not None and np.any(g) for g in zero):
        return _fail("backward not multiplied by grad_output", raise_exception)
    if check_undefined_grad and not _undefined_ok(outs, diff_idx, inputs):
        return _fail("Expected all input grads to be undefined or zero when all output grads "
                     "are undefined or zero.", raise_exception)
    return True


def _slow(func, inputs, outs, mask, diff_idx, eps, atol, rtol, nondet_tol, check_dtypes,
          raise_exc):
    numeric = _numerical(func, inputs, diff_idx, eps, mask)
    analytic, dtypes_ok = _analytical(outs, inputs, diff_idx)
    again, _ = _analytical(outs, inputs, diff_idx)
    if check_dtypes and not dtypes_ok:
        return _fail("Gradient has dtype mismatch", raise_exc)
    for i, (n_blocks, a_blocks, b_blocks) in enumerate(zip(numeric, analytic, again)):
        for jj, (n, a, b) in enumerate(zip(n_blocks, a_blocks, b_blocks)):
            if not np.allclose(a, n, rtol=rtol, atol=atol) or not np.all(np.isfinite(a)):
                return _fail(_mismatch(i, diff_idx[jj], n, a, atol, rtol), raise_exc)
            if np.max(np.abs(a - b), initial=0.0) > nondet_tol:
                return _fail(f"Backward is not reentrant, i.e., running backward with same "
                             f"input and grad_output multiple times gives different values, "
                             f"although analytical gradient matches numerical gradient. The "
                             f"tolerance for nondeterminism was {nondet_tol}.", raise_exc)
    return True


def _fast(func, inputs, outs, mask, diff_idx, eps, atol, rtol, nondet_tol, check_dtypes,
          raise_exc):
    rng = np.random.default_rng(0)
    us = [_unit(rng, o.shape) for o in outs]
    xs = [inputs[j] for j in diff_idx]
    seeds = [u.astype(o.dtype) for u, o in zip(us, outs)]
    for jj, j in enumerate(diff_idx):
        x = inputs[j]
        v = _unit(rng, x.shape)
        orig = x.array.copy()
        x.array[...] = orig + eps * v
        plus = _evaluate(func, inputs, mask)
        x.array[...] = orig - eps * v
        minus = _evaluate(func, inputs, mask)
        x.array[...] = orig
        jv = [(p - m) / (2 * eps) for p, m in zip(plus, minus)]
        for i, (out, u) in enumerate(zip(outs, us)):
            g = engine.run_backward((out,), (seeds[i],), True, inputs=xs, capture=True)[jj]
            g2 = engine.run_backward((out,), (seeds[i],), True, inputs=xs, capture=True)[jj]
            if check_dtypes and g is not None and g.dtype != x.dtype:
                return _fail("Gradient has dtype mismatch", raise_exc)
            analytic = 0.0 if g is None else float(np.sum(g * v))
            again = 0.0 if g2 is None else float(np.sum(g2 * v))
            numeric = float(np.sum(u.ravel() * jv[i].ravel()))
            if not np.isclose(analytic, numeric, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {i} with respect to input {j},\n"
                             f"numerical:{numeric}\nanalytical:{analytic}\n\nThe above "
                             f"quantities relating the numerical and analytical jacobians "
                             f"are computed in fast mode (u^T J v for random unit u, v).",
                             raise_exc)
            if abs(analytic - again) > nondet_tol:
                return _fail(f"Backward is not reentrant (fast mode): two runs gave "
                             f"{analytic!r} and {again!r}; the tolerance for nondeterminism "
                             f"was {nondet_tol}.", raise_exc)
    return True


def _unit(rng, shape):
    v = rng.standard_normal(shape)
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives: :func:`gradcheck` of the gradient of ``func``.

    The function checked is ``(inputs, v) -> autograd.grad(func(inputs), inputs, v,
    create_graph=True)``, with ``v`` random (or ``grad_outputs``) and itself differentiated,
    as ``torch.autograd.gradgradcheck``. ``func`` must use ops that support double backward
    (see :mod:`deepgrad.autograd.higher_order`).

    Args:
        func, inputs, eps, atol, rtol, raise_exception, nondet_tol, check_undefined_grad,
        check_grad_dtypes, fast_mode: as :func:`gradcheck`.
        grad_outputs (Tensor or tuple, optional): the ``v`` above (they should require
            grad); default random float64 values in [-1, 1).
        gen_non_contig_grad_outputs (bool): make the random ``v`` non-contiguous.
        check_batched_grad, check_fwd_over_rev: need vmap or forward-mode AD; True raises.
        check_rev_over_rev (bool): must be True (the check this function makes).
        masked (bool): sparse semantics; only False is accepted.
    Returns:
        True when the check passes (False instead of raising with raise_exception=False).
    """
    from deepgrad.autograd.gradients import grad
    if check_batched_grad or check_fwd_over_rev:
        raise NotImplementedError("gradgradcheck: check_batched_grad needs vmap and "
                                  "check_fwd_over_rev forward-mode AD; deepgrad has neither")
    if not check_rev_over_rev:
        raise ValueError("gradgradcheck: expected check_rev_over_rev=True (reverse-over-reverse "
                         "is the only check deepgrad can make)")
    if masked:
        raise NotImplementedError("gradgradcheck: masked=True concerns sparse tensors, which "
                                  "are out of scope in deepgrad")
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = [o for o in _tensor_outputs(func, inputs) if o.requires_grad]
        grad_outputs = tuple(_random_like(rng, o, gen_non_contig_grad_outputs) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)

    def new_func(*args):
        input_args, vs = args[:-n_out], args[-n_out:]
        outputs = [o for o in _tensor_outputs(func, input_args) if o.requires_grad]
        diff = [x for x in input_args if isinstance(x, Tensor) and x.requires_grad]
        grads = grad(outputs, diff, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, fast_mode=fast_mode)


def _random_like(rng, t, non_contiguous):
    values = rng.uniform(-1, 1, t.shape).astype(np.float64)
    if non_contiguous and values.ndim:
        wide = np.empty(values.shape[:-1] + (2 * values.shape[-1],), np.float64)
        wide[..., ::2] = values
        values = wide[..., ::2]             # a strided view: not contiguous
    return Tensor(values, dtype=t.dtype if t.dtype.kind == "f" else np.float64,
                  requires_grad=True)
