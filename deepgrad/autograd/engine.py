"""Reverse-mode backpropagation: walk the graph once, output to inputs, in a loop.

For every node ``y = f(x1, ..., xk)`` met in reverse topological order the chain rule

    dL/dx_i += dL/dy * dy/dx_i        (``Function.backward``)

is applied, and gradients reaching the same tensor by several paths are added. The
order comes from an iterative depth-first search (no recursion: a chain of 10,000 ops
is fine). Once a node has passed its gradient on, its saved arrays are released, so a
training loop keeps a flat memory footprint.

Two loops share this module:

* :func:`backward` is ``loss.backward()`` of a training loop: one root, every leaf that
  requires grad accumulates into ``.grad``; nothing else is looked at.
* :func:`run_backward` is the general walk behind ``autograd.grad``,
  ``autograd.backward``, ``backward(inputs=...)``, tensor hooks, ``retain_grad``, anomaly
  detection and ``create_graph``. :func:`backward` hands over to it as soon as any hook
  has been registered in the process or anomaly detection is on. Its arithmetic is a
  small strategy object: :class:`ArrayMath` (ndarrays, first order) or, with
  ``create_graph``, ``higher_order.GraphMath`` (tensors whose backward is recorded).
"""
from sys import getrefcount

import numpy as np

from deepgrad.autograd import function
from deepgrad.autograd.anomaly_mode import anomaly, check_backward
from deepgrad.autograd.function import unbroadcast
from deepgrad.autograd.version_counter import check_saved, clock


#: ``getrefcount(g)`` of an array held only by :func:`backward`'s local ``g`` (that
#: local and the call's argument). A larger count means something else holds g or a view
#: of it: another node's pending gradient (an addition hands one array to both of its
#: inputs), a leaf's ``.grad``, a saved array, the caller's seed. Then nobody may write
#: into it, and ``fn.grad_free`` is False. The same test as NumPy's own reuse of
#: temporaries; an interpreter that counts differently only loses the reuse.
FREE_REFS = 2


class _Hooked:
    #: becomes True (for good) when a tensor hook or ``retain_grad`` is first registered
    any = False


hooked = _Hooked()


def _topological_order(root_fns):
    """Nodes reachable from ``root_fns``, each after all nodes that feed it."""
    order, visited = [], set()
    stack = [(fn, False) for fn in reversed(root_fns)]
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
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(); pass retain_graph=True to the first backward if you need "
                "to call it twice.")
        visited.add(id(fn))
        stack.append((fn, True))
        for t in fn.inputs:
            parent = t._ctx
            if parent is not None and id(parent) not in visited:
                stack.append((parent, False))
    return order


#: ``getrefcount(base)`` in :func:`_owned` of a view's base that nothing but the view
#: holds (the view's own reference, the local and the call's argument): a node's fresh
#: product handed on transposed, as :class:`deepgrad.ops.linalg.Linear` hands a Fortran-
#: ordered weight its gradient. Such a view becomes the leaf's ``.grad`` as it is when it
#: is laid out as the leaf is (same strides); any other view is copied, in the leaf's
#: order. Compared for equality, as :data:`FREE_REFS`.
SOLE_BASE_REFS = 3


def _owned(g, handed, like=None):
    """``g``, or a copy of it when it may be shared with the graph or the caller.
    ``like``: the leaf's array, for a leaf's ``.grad`` (see :data:`SOLE_BASE_REFS`)."""
    base = g if g.base is None else g.base
    if id(base) in handed or not g.flags.writeable or (g.base is not None and not (
            like is not None and g.strides == like.strides and type(base) is np.ndarray
            and base.base is None and base.size == g.size
            and getrefcount(base) == SOLE_BASE_REFS)):
        fortran = like is not None and like.flags.f_contiguous and not like.flags.c_contiguous
        g = g.copy(order="F" if fortran else "C")
    handed.add(id(g))
    return g


def _accumulate_leaf(t, g, handed):
    """Add gradient ``g`` into leaf ``t.grad``, copying when ``g`` may be shared."""
    if t.grad is None:
        # a plain Tensor, even for a Parameter
        t.grad = function._Tensor._wrap(_owned(g, handed, t.array))
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
    if hooked.any or anomaly.enabled:
        run_backward((root,), (grad,), retain_graph)
        return
    if root._ctx is None:          # a leaf: its gradient is the seed itself
        _accumulate_leaf(root, grad, set())
        return
    order = _topological_order([root._ctx])
    grads = {id(root._ctx): grad}
    handed = {id(grad)}
    now = clock.now                 # no hook runs in this loop: nothing writes meanwhile
    for fn in reversed(order):
        g = grads.pop(id(fn), None)
        if g is None:
            if not retain_graph:
                fn.release()
            continue
        if fn._t < now:                 # something was written in place since fn was made
            check_saved(fn)
        # g is this loop's alone (no view, no other holder: see FREE_REFS): the node may
        # write its input gradient into it (ReLU does) instead of a new array
        fn.grad_free = (g.base is None and getrefcount(g) == FREE_REFS
                        and g.flags.writeable)
        results = fn.backward(g)
        fn.grad_free = False            # a node kept (retain_graph) for another walk
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
        results = gi = prev = g = None  # no reference left over to the next node's g


def _reaching(order, target_nodes, target_leaves):
    """ids of the nodes whose backward leads to a target (a tensor in ``inputs``)."""
    reach = set()
    for fn in order:                       # inputs before the nodes they feed
        for t in fn.inputs:
            p = t._ctx
            if (id(t) in target_leaves if p is None
                    else id(p) in target_nodes or id(p) in reach):
                reach.add(id(fn))
                break
    return reach


class ArrayMath:
    """First-order gradients: ndarrays, each node's own ``backward``, in-place accumulation."""

    def __init__(self):
        self.handed = set()        # ids of arrays the graph or the caller may still hold

    def seed(self, g):
        self.handed.add(id(g))
        return g

    def node_backward(self, fn, g):
        out = fn.backward(g)
        return out if isinstance(out, tuple) else (out,)

    def fit(self, gi, shape):
        if type(gi) is not np.ndarray:
            gi = np.asarray(gi)     # NumPy hands back 0-d results as scalars
        return gi if gi.shape == shape else unbroadcast(gi, shape)

    def keep(self, gi):
        self.handed.add(id(gi) if gi.base is None else id(gi.base))

    def own(self, g):
        return _owned(g, self.handed)

    def accumulate(self, t, g):
        _accumulate_leaf(t, g, self.handed)

    @staticmethod
    def values(g):
        return g


def run_backward(roots, seeds, retain_graph=False, inputs=None, capture=False,
                 create_graph=False):
    """The general backward walk: many roots, tensor hooks, targets, captured gradients.

    Args:
        roots (sequence of Tensor): tensors to differentiate (each requires grad).
        seeds (sequence): dL/d(root), one per root, of the root's shape (ndarrays; Tensors
            with ``create_graph``).
        retain_graph (bool): keep the saved arrays so backward can run again.
        inputs (sequence of Tensor, optional): when given, only the graph leading to these
            tensors is walked, and only they receive gradients.
        capture (bool): False: gradients accumulate into ``.grad`` (of every leaf when
            ``inputs`` is None, else of the ``inputs``, leaves or not). True (needs
            ``inputs``): nothing accumulates; the gradients are returned.
        create_graph (bool): record the backward pass itself, so that the gradients can be
            differentiated again (see :mod:`deepgrad.autograd.higher_order`).
    Returns:
        with ``capture``: a list, per input, of its gradient (ndarray, or Tensor with
        ``create_graph``) or None if unreached.
    """
    if create_graph:
        from deepgrad.autograd import higher_order
        from deepgrad.autograd.grad_mode import enable_grad
        with enable_grad():
            return _walk(roots, seeds, retain_graph, inputs, capture, higher_order.GraphMath())
    return _walk(roots, seeds, retain_graph, inputs, capture, ArrayMath())


def _walk(roots, seeds, retain_graph, inputs, capture, math):
    grads, leaf_grads, root_fns = {}, {}, []
    for t, g in zip(roots, seeds):
        g = math.seed(g)
        if t._ctx is None:
            if inputs is None or any(t is x for x in inputs):
                _add(leaf_grads, id(t), t, g)
        else:
            key = id(t._ctx)
            grads[key] = g if key not in grads else grads[key] + g
            root_fns.append(t._ctx)
    order = _topological_order(root_fns)
    targets = reach = None
    if inputs is not None:
        targets = {}                      # id(node) or id(leaf) -> position in inputs
        for i, t in enumerate(inputs):
            targets.setdefault(id(t if t._ctx is None else t._ctx), i)
        reach = _reaching(order, targets, targets)
    results = [None] * len(inputs) if capture else None
    check_nan = anomaly.enabled and anomaly.check_nan
    pending = _hooked_leaf_edges(order) if targets is None else None
    for fn in reversed(order):
        key = id(fn)
        g = grads.pop(key, None)
        if g is None or (reach is not None and key not in reach and key not in targets):
            if pending:
                _settle_leaves(fn, pending, leaf_grads, math)
            if not retain_graph and reach is None:
                fn.release()
            continue
        i = None if targets is None else targets.get(key)
        if capture and i is not None:
            results[i] = math.own(g)              # before the tensor's hooks, as PyTorch
        meta = fn._meta
        if meta is not None:
            g = meta.run_hooks(g)
            meta.retain(g, math.accumulate)
        if reach is not None and key not in reach:
            if not retain_graph:
                fn.release()
            continue
        if fn._t < clock.now:
            check_saved(fn)
        out = math.node_backward(fn, g)
        if check_nan:
            check_backward(fn, math.values(g), [None if gi is None else math.values(gi)
                                                for gi in out])
        for t, gi, need in zip(fn.inputs, out, fn.needs_grad):
            if not need or gi is None:
                continue
            gi = math.fit(gi, t.array.shape)
            parent = t._ctx
            if parent is None:
                if targets is None and getattr(t, "_meta", None) is None:
                    math.accumulate(t, gi)
                elif targets is None or id(t) in targets:
                    _add(leaf_grads, id(t), t, gi)
            elif reach is None or id(parent) in reach or id(parent) in targets:
                pk = id(parent)
                prev = grads.get(pk)
                if prev is None:
                    math.keep(gi)
                    grads[pk] = gi
                else:
                    grads[pk] = prev + gi
        if pending:
            _settle_leaves(fn, pending, leaf_grads, math)
        if not retain_graph:
            fn.release()
    for t, g in leaf_grads.values():      # leaves with hooks, or targets: their total now
        meta = getattr(t, "_meta", None)
        if meta is not None:
            g = meta.run_hooks(g)
        if capture:
            results[targets[id(t)]] = math.own(g)
        else:
            math.accumulate(t, g)
            if meta is not None:
                meta.run_post_accumulate(t)
    return results


def _hooked_leaf_edges(order):
    """``{id(leaf): edges into it}`` for the leaves with hooks (``_meta``) in ``order``.

    A leaf's gradient is complete once the last node feeding it has been walked; its
    hooks then run at once, in the middle of the walk, as PyTorch runs a leaf's
    ``AccumulateGrad`` node (what lets DistributedDataParallel start reducing a
    gradient while backward goes on).
    """
    edges = {}
    for fn in order:
        for t, need in zip(fn.inputs, fn.needs_grad):
            if need and t._ctx is None and getattr(t, "_meta", None) is not None:
                edges[id(t)] = edges.get(id(t), 0) + 1
    return edges


def _settle_leaves(fn, pending, leaf_grads, math):
    """Count ``fn``'s edges into hooked leaves as walked; a leaf with none left gets its
    total gradient now: hooks, accumulation into ``.grad``, post-accumulate hooks."""
    for t, need in zip(fn.inputs, fn.needs_grad):
        left = pending.get(id(t)) if need else None
        if left is None:
            continue
        pending[id(t)] = left - 1
        if left == 1:
            entry = leaf_grads.pop(id(t), None)
            if entry is not None:
                meta = t._meta
                math.accumulate(t, meta.run_hooks(entry[1]))
                meta.run_post_accumulate(t)


def _add(table, key, t, g):
    entry = table.get(key)
    if entry is None:
        table[key] = [t, g]
    else:
        entry[1] = entry[1] + g
