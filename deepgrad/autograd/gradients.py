"""``autograd.grad`` and ``autograd.backward``: PyTorch's functional entry points to backward.

``grad(outputs, inputs)`` returns d(outputs)/d(inputs) (weighted by ``grad_outputs``)
without touching any ``.grad``; ``backward(tensors, grad_tensors)`` accumulates into the
leaves' ``.grad`` as ``tensor.backward()`` does, for several roots at once, optionally
only into ``inputs``. Both walk only the part of the graph that leads to the inputs.

With ``create_graph=True`` the backward pass is itself recorded, so the gradients can be
differentiated again; this covers custom Functions and the ops listed in
:mod:`deepgrad.autograd.higher_order` (any other op on the way raises
``NotImplementedError`` naming it).
"""
import warnings

import numpy as np

from deepgrad.autograd import engine
from deepgrad.autograd.tensor import Tensor



def _as_tensors(x, what, where):
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, (tuple, list)) and all(isinstance(t, Tensor) for t in x):
        return tuple(x)
    got = type(x).__name__ if not isinstance(x, (tuple, list)) else \
        f"a {type(x).__name__} holding {sorted({type(t).__name__ for t in x})}"
    raise TypeError(f"{where}: {what} must be a Tensor or a sequence of Tensors, received {got}")


def _seeds(outputs, grad_outputs, where, graph=False):
    """dL/d(output), one per output: given, or ones for a one-element output. Arrays; with
    ``graph`` tensors (a given tensor is kept, with its graph)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    elif not isinstance(grad_outputs, (tuple, list)):
        raise TypeError(f"{where}: grad_outputs must be a Tensor, a sequence of Tensors (or "
                        f"None) or None, received {type(grad_outputs).__name__}")
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{where}: grad_outputs has {len(grad_outputs)} entries, expected "
                           f"one per output ({len(outputs)})")
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               f"have a grad_fn")
        if g is None:
            if out.array.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; "
                                   f"output {i} has shape {tuple(out.shape)}")
            one = np.ones(out.array.shape, out.array.dtype)
            seeds.append(Tensor._wrap(one) if graph else one)
            continue
        arr = np.asarray(g.array if isinstance(g, Tensor) else g)
        if arr.shape != out.array.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{arr.shape} and output[{i}] has a shape of {out.array.shape}.")
        if not graph:
            seeds.append(np.array(arr, dtype=out.array.dtype))
        elif isinstance(g, Tensor):
            from deepgrad import ops
            seeds.append(ops.cast(g, out.array.dtype))
        else:
            seeds.append(Tensor(arr, dtype=out.array.dtype))
    return seeds


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``.

    Computes sum_i grad_tensors[i] . d(tensors[i])/d(leaf) for every leaf that requires grad
    (or only for ``inputs``), and adds it into ``leaf.grad``.

    Args:
        tensors (Tensor or sequence): the roots.
        grad_tensors (Tensor or sequence, optional): dL/d(root) per root; None entries (or
            None) stand for 1 and are allowed only for one-element roots.
        retain_graph (bool, optional): keep the graph for another backward; default
            ``create_graph``.
        create_graph (bool): record the backward pass, so that ``.grad`` can be
            differentiated again (see module doc).
        grad_variables: the old name of ``grad_tensors``.
        inputs (Tensor or sequence, optional): accumulate only into these tensors (leaves,
            or non-leaves, whose ``.grad`` is then retained); the rest of the graph is not
            walked.
    """
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError("backward: pass grad_tensors or grad_variables, not both")
        warnings.warn("'grad_variables' is deprecated. Use 'grad_tensors' instead.",
                      stacklevel=2)
        grad_tensors = grad_variables
    tensors = _as_tensors(tensors, "tensors", "backward")
    if inputs is not None:
        inputs = _as_tensors(inputs, "inputs", "backward")
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            if t._ctx is not None:
                t.retain_grad()
            elif not t.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    seeds = _seeds(tensors, grad_tensors, "backward", graph=create_graph)
    retain = create_graph if retain_graph is None else bool(retain_graph)
    engine.run_backward(tensors, seeds, retain, inputs=inputs, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``; no ``.grad`` is touched.

    Returns sum_i grad_outputs[i] . d(outputs[i])/d(input) for each input.

    Args:
        outputs (Tensor or sequence): tensors to differentiate.
        inputs (Tensor, sequence or dict of name -> Tensor): leaves or intermediate
            tensors that require grad.
        grad_outputs (Tensor or sequence, optional): dL/d(output) per output; None (or a
            None entry) stands for 1 and is allowed only for one-element outputs.
        retain_graph (bool, optional): keep the graph; default ``create_graph``.
        create_graph (bool): record the backward pass, so that the returned gradients can be
            differentiated again (see module doc).
        only_inputs (bool): deprecated by PyTorch and ignored there too (with a warning).
        allow_unused (bool, optional): allow inputs the outputs do not depend on (their
            gradient is None). Default: ``materialize_grads``.
        is_grads_batched (bool): vmap over the first dimension of grad_outputs; not
            supported (raises).
        materialize_grads (bool): zeros instead of None for unused inputs.
    Returns:
        tuple of Tensor (or None), one per input; a dict with the same keys for a dict.

    Example:
        >>> x = deepgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> deepgrad.autograd.grad((x ** 3).sum(), x)       # 3 x^2
        (tensor([ 3., 12.]),)
    """
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched=True needs vmap, which "
                                  "deepgrad does not have (functional transforms are out of "
                                  "scope); loop over the batch of grad_outputs instead")
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to "
                      "True). To accumulate gradient for other parts of the graph, please "
                      "use torch.autograd.backward.", stacklevel=2)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    keys = None
    if isinstance(inputs, dict):
        keys, inputs = list(inputs), list(inputs.values())
    outputs = _as_tensors(outputs, "outputs", "autograd.grad")
    inputs = _as_tensors(inputs, "inputs", "autograd.grad")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    seeds = _seeds(outputs, grad_outputs, "autograd.grad", graph=create_graph)
    retain = create_graph if retain_graph is None else bool(retain_graph)
    found = engine.run_backward(outputs, seeds, retain, inputs=inputs, capture=True,
                                create_graph=create_graph)
    result = []
    for i, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if materialize_grads:
                g = np.zeros(t.array.shape, t.array.dtype)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not "
                                   f"have been used in the graph. Set allow_unused=True if "
                                   f"this is the desired behavior.")
        result.append(g if g is None or isinstance(g, Tensor) else Tensor._wrap(g))
    return dict(zip(keys, result)) if keys is not None else tuple(result)
