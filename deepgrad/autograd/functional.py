"""``torch.autograd.functional``: ``jacobian``, ``vjp``, ``jvp``, ``hessian``, ``vhp``, ``hvp``.

For ``y = f(x)`` with Jacobian ``J[j, i] = dy_j / dx_i`` and, for a scalar ``f``, Hessian
``H[i, k] = d^2 f / dx_i dx_k``:

    vjp(f, x, v)   = v^T J     one backward pass
    jacobian(f, x) = J         one backward pass per output element (row j: seed e_j)
    jvp(f, x, v)   = J v       row by row, J[j, :] . v (deepgrad has no forward-mode AD)
    vhp(f, x, v)   = v^T H     the gradient of <grad f, v> (a recorded backward pass)
    hvp(f, x, v)   = H v       = (v^T H)^T: H is symmetric for twice differentiable f
    hessian(f, x)  = H         the Jacobian of grad f

Each input is detached and made to require grad before ``f`` runs, so the results never
carry a graph and the caller's tensors are left alone. The second-order tools need the
ops of ``f`` to support double backward (see :mod:`deepgrad.autograd.higher_order`).
``create_graph=True`` (keeping a graph on the results) is not supported here.
"""
import numpy as np

from deepgrad.autograd import engine
from deepgrad.autograd.gradients import grad
from deepgrad.autograd.grad_mode import enable_grad
from deepgrad.autograd.tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"]


def _as_tuple(x, arg_name, fn_name):
    """(was it a tuple, the tensors as a tuple), with PyTorch's error for anything else."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for el in items:
        if not isinstance(el, Tensor):
            got = type(x if not is_tuple else el)
            where = "" if not is_tuple else " a tuple of"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the given {arg_name} has type{where} {got}.")
    return is_tuple, items


def _grad_inputs(inputs):
    """Fresh leaves sharing the inputs' data, requiring grad."""
    out = []
    for t in inputs:
        if t.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients; "
                               f"received an input of dtype {t.dtype}")
        out.append(Tensor._wrap(t.array).requires_grad_(True))
    return tuple(out)


def _run(func, inputs, fn_name, create_graph):
    if create_graph:
        raise NotImplementedError(f"{fn_name}: create_graph=True is not supported by "
                                  f"deepgrad.autograd.functional (its results never keep a "
                                  f"graph); use autograd.grad(..., create_graph=True)")
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _grad_inputs(inputs)
    with enable_grad():
        outputs = func(*inputs)
    is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                      fn_name)
    return is_in_tuple, inputs, is_out_tuple, outputs


def _check_differentiable(outputs, strict):
    if strict:
        for i, out in enumerate(outputs):
            if not out.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not "
                                   f"require gradients. The outputs must be computed in a "
                                   f"differentiable manner from the input when running in "
                                   f"strict mode.")


def _vectors(v, like, name, fn_name):
    """``v`` as arrays shaped like the tensors ``like`` (None: ones for a 1-element one)."""
    if v is None:
        if len(like) != 1 or like[0].array.size != 1:
            what = ("the user-provided function returns" if name == "outputs"
                    else "the input to the user-provided function is")
            raise RuntimeError(f"The vector v can only be None if {what} a single Tensor with "
                               f"a single element.")
        return [np.ones(like[0].shape, like[0].dtype)]
    _, vs = _as_tuple(v, "v", fn_name)
    if len(vs) != len(like):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got "
                           f"{len(vs)}.")
    for i, (a, t) in enumerate(zip(vs, like)):
        if a.shape != t.shape:
            where = "v" if len(like) == 1 else f"Entry {i} in v"
            raise RuntimeError(f"{where} has invalid size: should be {tuple(t.shape)} but got "
                               f"{tuple(a.shape)}.")
    return [np.asarray(a.array, dtype=t.dtype) for a, t in zip(vs, like)]


def _vjp_arrays(outputs, seeds, inputs, strict, out_index=None):
    """v^T J per input (zeros where an input is not reached; strict raises)."""
    used = [(o, s) for o, s in zip(outputs, seeds) if o.requires_grad]
    grads = [None] * len(inputs)
    if used:
        grads = engine.run_backward([o for o, _ in used], [s for _, s in used], True,
                                    inputs=inputs, capture=True)
    res = []
    for k, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                which = "The output" if out_index is None else f"Output {out_index}"
                raise RuntimeError(f"{which} of the user-provided function is independent of "
                                   f"input {k}. This is not allowed in strict mode.")
            g = np.zeros(x.shape, x.dtype)
        res.append(g)
    return res


def _detached(is_tuple, outputs):
    outs = tuple(Tensor._wrap(o.array) for o in outputs)
    return outs if is_tuple else outs[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Jacobian product v^T J of ``func`` at ``inputs``.

    Args:
        func: takes the input tensors, returns a tensor or a tuple of tensors.
        inputs (Tensor or tuple of Tensors): where to evaluate.
        v (Tensor or tuple of Tensors, optional): shaped like the outputs; may be None only
            for a one-element output.
        create_graph (bool): not supported (raises NotImplementedError).
        strict (bool): raise if an output does not depend on an input (else zeros).
    Returns:
        (func_output, vjp): the outputs (detached) and v^T J shaped like the inputs.
    """
    is_in_tuple, inputs, is_out_tuple, outputs = _run(func, inputs, "vjp", create_graph)
    _check_differentiable(outputs, strict)
    seeds = _vectors(v, outputs, "outputs", "vjp")
    res = tuple(Tensor._wrap(g) for g in _vjp_arrays(outputs, seeds, inputs, strict))
    return _detached(is_out_tuple, outputs), res if is_in_tuple else res[0]


def _jacobian_rows(outputs, inputs, strict):
    """For each output: one array per input, of shape (out.numel(), *input.shape)."""
    rows = []
    for i, out in enumerate(outputs):
        blocks = [np.zeros((out.array.size,) + x.shape, x.dtype) for x in inputs]
        if out.requires_grad:
            for j in range(out.array.size):
                seed = np.zeros(out.shape, out.dtype)
                seed.flat[j] = 1
                for k, g in enumerate(_vjp_arrays((out,), (seed,), inputs, strict, i)):
                    blocks[k][j] = g
        elif strict:
            _check_differentiable((out,), strict)
        rows.append(blocks)
    return rows


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: J[j, i] = d out_j / d in_i.

    Each (output, input) block has shape ``output.shape + input.shape``.

    Args:
        func: takes the input tensors, returns a tensor or a tuple of tensors.
        inputs (Tensor or tuple of Tensors): where to evaluate.
        create_graph (bool): not supported (raises NotImplementedError).
        strict (bool): raise if an output does not depend on an input (else zeros).
        vectorize (bool): PyTorch computes all rows at once with vmap when True; deepgrad
            always computes them one backward pass each, with the same result.
        strategy (str): "reverse-mode" (the only one; "forward-mode" needs forward AD).
    Returns:
        Tensor if inputs and outputs are single tensors; a tuple over whichever is a tuple;
        a tuple (per output) of tuples (per input) when both are.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'jacobian: expected strategy to be either "forward-mode" or '
                         f'"reverse-mode", received {strategy!r}')
    if strategy == "forward-mode":
        raise NotImplementedError('jacobian: strategy="forward-mode" needs forward-mode AD, '
                                  'which deepgrad does not have; use "reverse-mode"')
    if not isinstance(vectorize, bool):
        raise TypeError(f"jacobian: vectorize must be a bool, received "
                        f"{type(vectorize).__name__}")
    is_in_tuple, inputs, is_out_tuple, outputs = _run(func, inputs, "jacobian", create_graph)
    _check_differentiable(outputs, strict)
    rows = _jacobian_rows(outputs, inputs, strict)
    jac = tuple(tuple(Tensor._wrap(b.reshape(out.shape + x.shape))
                      for b, x in zip(blocks, inputs))
                for blocks, out in zip(rows, outputs))
    if is_out_tuple and is_in_tuple:
        return jac
    if is_out_tuple:
        return tuple(j[0] for j in jac)
    return jac[0] if is_in_tuple else jac[0][0]


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Jacobian-vector product J v of ``func`` at ``inputs``.

    Computed row by row (one backward pass per output element): deepgrad has no
    forward-mode AD, so this costs as much as :func:`jacobian`.

    Args:
        func: takes the input tensors, returns a tensor or a tuple of tensors.
        inputs (Tensor or tuple of Tensors): where to evaluate.
        v (Tensor or tuple of Tensors, optional): shaped like the inputs; may be None only
            for a single one-element input.
        create_graph (bool): not supported (raises NotImplementedError).
        strict (bool): raise if an output does not depend on an input (else zeros).
    Returns:
        (func_output, jvp): the outputs (detached) and J v shaped like the outputs.
    """
    is_in_tuple, inputs, is_out_tuple, outputs = _run(func, inputs, "jvp", create_graph)
    vs = _vectors(v, inputs, "inputs", "jvp")
    _check_differentiable(outputs, strict)
    res = []
    for out, blocks in zip(outputs, _jacobian_rows(outputs, inputs, strict)):
        total = sum(b.reshape(out.array.size, -1) @ a.reshape(-1) for b, a in zip(blocks, vs))
        res.append(Tensor._wrap(np.asarray(total, dtype=out.dtype).reshape(out.shape)))
    res = tuple(res)
    return _detached(is_out_tuple, outputs), res if is_out_tuple else res[0]


def _scalar_output(outputs, fn_name):
    is_tuple, outs = outputs
    if is_tuple or len(outs) != 1:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outs[0].array.size != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           f"contain a single element")
    return outs[0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Hessian product v^T H of a scalar ``func`` at ``inputs``.

    Args:
        func: takes the input tensors, returns a one-element tensor.
        inputs (Tensor or tuple of Tensors): where to evaluate.
        v (Tensor or tuple of Tensors, optional): shaped like the inputs; may be None only
            for a single one-element input.
        create_graph (bool): not supported (raises NotImplementedError).
        strict (bool): raise if the output does not depend on an input (else zeros).
    Returns:
        (func_output, vhp): the output (detached) and v^T H shaped like the inputs.
    """
    is_in_tuple, inputs, is_out_tuple, outputs = _run(func, inputs, "vhp", create_graph)
    out = _scalar_output((is_out_tuple, outputs), "vhp")
    vs = _vectors(v, inputs, "inputs", "vhp")
    _check_differentiable((out,), strict)
    res = _second_order(out, inputs, vs, strict)
    res = tuple(Tensor._wrap(r) for r in res)
    return Tensor._wrap(out.array), res if is_in_tuple else res[0]


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Hessian-vector product H v of a scalar ``func`` at ``inputs``.

    Computed as (v^T H)^T, which equals H v because the Hessian of a twice continuously
    differentiable function is symmetric. Arguments and result as :func:`vhp`.
    """
    is_in_tuple, inputs, is_out_tuple, outputs = _run(func, inputs, "hvp", create_graph)
    out = _scalar_output((is_out_tuple, outputs), "hvp")
    vs = _vectors(v, inputs, "inputs", "hvp")
    _check_differentiable((out,), strict)
    res = tuple(Tensor._wrap(r) for r in _second_order(out, inputs, vs, strict))
    return Tensor._wrap(out.array), res if is_in_tuple else res[0]


def _second_order(out, inputs, vs, strict):
    """v^T H as arrays: the gradient of <grad out, v> with respect to the inputs."""
    if not out.requires_grad:
        return [np.zeros(x.shape, x.dtype) for x in inputs]
    with enable_grad():
        first = grad(out, inputs, create_graph=True, allow_unused=True)
    pairs = [(g, v) for g, v in zip(first, vs) if g is not None and g.requires_grad]
    found = [None] * len(inputs)
    if pairs:
        found = engine.run_backward([g for g, _ in pairs], [v for _, v in pairs], False,
                                    inputs=inputs, capture=True)
    res = []
    for k, (g, x) in enumerate(zip(found, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {k}. This is not allowed in strict mode.")
            g = np.zeros(x.shape, x.dtype)
        res.append(g)
    return res


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian H[i, k] = d^2 func / dx_i dx_k of a scalar ``func`` at ``inputs``.

    The Jacobian (:func:`jacobian`) of the gradient of ``func``; each (i, k) block has shape
    ``inputs[i].shape + inputs[k].shape``.

    Args:
        func: takes the input tensors, returns a one-element tensor.
        inputs (Tensor or tuple of Tensors): where to evaluate.
        create_graph (bool): not supported (raises NotImplementedError).
        strict (bool): raise if the gradient does not depend on an input (else zeros).
        vectorize (bool): as for :func:`jacobian` (same result either way).
        outer_jacobian_strategy (str): "reverse-mode" (the only one deepgrad has).
    Returns:
        Tensor for a single input; a tuple (per input) of tuples (per input) for a tuple.
    """
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'hessian: expected outer_jacobian_strategy to be either '
                         f'"forward-mode" or "reverse-mode", received '
                         f'{outer_jacobian_strategy!r}')
    if outer_jacobian_strategy == "forward-mode":
        raise NotImplementedError('hessian: outer_jacobian_strategy="forward-mode" needs '
                                  'forward-mode AD, which deepgrad does not have')
    if create_graph:
        raise NotImplementedError("hessian: create_graph=True is not supported by "
                                  "deepgrad.autograd.functional")
    is_in_tuple, _ = _as_tuple(inputs, "inputs", "hessian")

    def jac_func(*xs):
        out = _scalar_output(_as_tuple(func(*xs), "outputs of the user-provided function",
                                       "hessian"), "hessian")
        if not out.requires_grad:
            if strict:
                _check_differentiable((out,), strict)
            return tuple(Tensor._wrap(np.zeros(x.shape, x.dtype)) for x in xs)
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        res = []
        for k, (g, x) in enumerate(zip(gs, xs)):
            if strict and (g is None or not g.requires_grad):
                raise RuntimeError(f"While computing the hessian, found that the jacobian of "
                                   f"the user-provided function with respect to input {k} is "
                                   f"independent of the input. This is not allowed in strict "
                                   f"mode.")
            res.append(Tensor._wrap(np.zeros(x.shape, x.dtype)) if g is None else g)
        return tuple(res)

    res = jacobian(jac_func, inputs, strict=strict, vectorize=vectorize)
    return res if is_in_tuple else res[0]
