"""Reverse-mode backpropagation: walk the graph once, output to inputs, in a loop.

For every node ``y = f(x1, ..., xk)`` met in reverse topological order the chain rule

    dL/dx_i += dL/dy * dy/dx_i        (``Function.backward``)

is applied, and gradients reaching the same tensor by several paths are added. The
order comes from an iterative depth-first search (no recursion: a chain of 10,000 ops
is fine). Once a node has passed its gradient on, its saved arrays are released, so a
training loop keeps a flat memory footprint.
"""
import numpy as np

from deepgrad.autograd import function
from deepgrad.autograd.function import unbroadcast


def _topological_order(root_fn):
    """Nodes reachable from ``root_fn``, each after all nodes that feed it."""
    order, visited = [], set()
    stack = [(root_fn, False)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        if fn.inputs is None:
            raise RuntimeError(
                "backward: trying to backward through the graph a second time (or directly "
                "access saved tensors after they have already been freed). Saved "
                "intermediate values of the graph are freed when you call .backward(); "
                "pass retain_graph=True to the first backward if you need to call it twice.")
        visited.add(id(fn))
        stack.append((fn, True))
        for t in fn.inputs:
            parent = t._ctx
            if parent is not None and id(parent) not in visited:
                stack.append((parent, False))
    return order


def _accumulate_leaf(t, g, handed):
    """Add gradient ``g`` into leaf ``t.grad``, copying when ``g`` may be shared."""
    if t.grad is None:
        base = g if g.base is None else g.base
        if g.base is not None or id(base) in handed or not g.flags.writeable:
            g = g.copy()
        handed.add(id(g))
        t.grad = function._Tensor._wrap(g)   # a plain Tensor, even for a Parameter
    else:
        acc = t.grad.array
        if acc.shape != g.shape:
            raise RuntimeError(f"backward: existing .grad of shape {acc.shape} does not match "
                               f"the new gradient of shape {g.shape}")
        np.add(acc, g, out=acc)


def backward(root, grad, retain_graph=False):
    """Accumulate d(root)/d(leaf) * grad into ``leaf.grad`` for every leaf needing it.

    Args:
        root (Tensor): the tensor to differentiate.
        grad (ndarray): dL/d(root), same shape as ``root``.
        retain_graph (bool): keep the saved arrays so backward can run again.
    """
    if root._ctx is None:          # a leaf: its gradient is the seed itself
        _accumulate_leaf(root, grad, set())
        return
    order = _topological_order(root._ctx)
    grads = {id(root._ctx): grad}
    handed = {id(grad)}
    for fn in reversed(order):
        g = grads.pop(id(fn), None)
        if g is None:
            if not retain_graph:
                fn.release()
            continue
        results = fn.backward(g)
        if not isinstance(results, tuple):
            results = (results,)
        for t, gi, need in zip(fn.inputs, results, fn.needs_grad):
            if not need or gi is None:
                continue
            if type(gi) is not np.ndarray:
                gi = np.asarray(gi)     # NumPy hands back 0-d results as scalars
            if gi.shape != t.array.shape:
                gi = unbroadcast(gi, t.array.shape)
            parent = t._ctx
            if parent is None:
                _accumulate_leaf(t, gi, handed)
            else:
                key = id(parent)
                prev = grads.get(key)
                if prev is None:
                    handed.add(id(gi) if gi.base is None else id(gi.base))
                    grads[key] = gi
                else:
                    grads[key] = prev + gi
        if not retain_graph:
            fn.release()
