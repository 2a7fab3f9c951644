"""Hook plumbing (PyTorch's ``torch.utils.hooks``): ``RemovableHandle`` and ``BackwardHook``.

A hook is kept in an ordered dict under an integer id; the handle returned at registration
removes it again (``handle.remove()``, or leaving a ``with handle:`` block).

``BackwardHook`` gives a module's full backward hooks their gradients. Around one call of the
module, the tensors of its positional inputs (and then of its outputs) that require grad go
through an identity op, :class:`_Gather`, that sees them as one flat array::

    forward:   p = concat(ravel(x_1), ..., ravel(x_k)),   x_i' = reshape(p[a_i:b_i], shape_i)
    backward:  dL/dx_i = dL/dx_i'   (after the hooks have seen, and may have replaced, them)

Because the engine adds up every gradient reaching ``p`` before it calls ``_Gather.backward``,
that backward holds the gradients of all the group's tensors at once: the output group's
backward is where ``grad_output`` is known (backward pre-hooks run there), the input group's
where ``grad_input`` is (full backward hooks run there).
"""
import warnings
import weakref
from collections import OrderedDict

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import state as _grad_state

__all__ = ["RemovableHandle", "BackwardHook", "unserializable_hook"]


class RemovableHandle:
    """A handle that removes a hook from its dict (and from ``extra_dict``, e.g. the
    with-kwargs flags) when ``remove()`` is called or a ``with`` block is left.

    Args:
        hooks_dict (dict): the ordered dict the hook is stored in, under ``handle.id``.
        extra_dict (dict or list of dicts): more dicts keyed by the same id.
    """

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        extras = [extra_dict] if isinstance(extra_dict, dict) else (extra_dict or [])
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self):
        """Remove the hook; removing twice, or after the module is gone, does nothing."""
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state):
        hooks = state[0] if state[0] is not None else OrderedDict()
        self.hooks_dict_ref = weakref.ref(hooks)
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        extras = state[2] if len(state) > 2 and state[2] is not None else ()
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras if d is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def unserializable_hook(f):
    """Mark ``f`` as a hook that is not meant to be pickled with its tensor or module."""
    f.__torch_unserializable__ = True
    return f


class _Gather(Function):
    """Identity on a group of tensors, seen as one flat array of a common dtype.

    forward: p = concat(ravel(x_1), ..., ravel(x_k)).  backward: the gradient of p, cut
    back into one piece per tensor (its shape and dtype; None for a piece no gradient
    reached), goes through ``self.on_grads`` (set by :class:`BackwardHook`), which
    returns the gradients handed to the inputs.
    """

    def forward(self, *arrays, dtype=None):
        self.shapes = [a.shape for a in arrays]
        self.dtypes = [a.dtype for a in arrays]
        self.reached = set()        # filled by the _Piece nodes' backward
        return np.concatenate([a.astype(dtype, copy=False).ravel() for a in arrays])

    def backward(self, g):
        bounds = np.cumsum([int(np.prod(s)) for s in self.shapes])[:-1]
        pieces = [p.reshape(s).astype(d, copy=False) if i in self.reached else None
                  for i, (p, s, d) in enumerate(zip(np.split(g, bounds), self.shapes,
                                                     self.dtypes))]
        self.reached = set()
        return tuple(self.on_grads(pieces))


class _Piece(Function):
    """x_i' = reshape(p[start:start + size], shape): one tensor of a gathered group.

    backward: dL/dp is dL/dx_i' in the piece's place and zeros elsewhere; it also tells
    the group's :class:`_Gather` node that this piece was reached.
    """

    def forward(self, p, start=0, shape=(), gather=None, index=0):
        self.start, self.total, self.gather, self.index = start, p.size, gather, index
        return p[start:start + int(np.prod(shape))].reshape(shape)

    def backward(self, g):
        self.gather.reached.add(self.index)
        out = np.zeros(self.total, g.dtype)
        out[self.start:self.start + g.size] = g.ravel()
        return out


def _gather(tensors, on_grads):
    """``tensors`` through one :class:`_Gather` node calling ``on_grads``; the new tensors."""
    from deepgrad import ops
    dtype = np.result_type(*[t.dtype for t in tensors])
    packed = _Gather.apply(*tensors, dtype=dtype)
    node = packed._ctx
    node.on_grads = on_grads
    out, start = [], 0
    for i, t in enumerate(tensors):
        piece = _Piece.apply(packed, start=start, shape=t.shape, gather=node, index=i)
        out.append(piece if t.dtype == dtype else ops.cast(piece, t.dtype))
        start += t.array.size
    return out


class BackwardHook:
    """Runs a module's full backward pre-hooks and hooks for one call of the module.

    ``setup_input_hook(args)`` and ``setup_output_hook(result)`` return the arguments and
    the result with their grad-requiring tensors routed through :func:`_gather`. Entries of
    ``grad_input``/``grad_output`` are None for non-tensors, for tensors that do not
    require grad and for tensors no gradient reached (an output the loss does not use).

    Args:
        module: the module the hooks belong to (their first argument).
        user_hooks: ``hook(module, grad_input, grad_output) -> new grad_input or None``.
        user_pre_hooks: ``hook(module, grad_output) -> new grad_output or None``.
    """

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks, self.user_pre_hooks = list(user_hooks), list(user_pre_hooks)
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_tensors_index = self.output_tensors_index = None
        self.input_specs = self.output_specs = ()   # (shape, dtype) per position, or None

    # ------------------------------------------------------------------ wiring
    def _apply_on_tensors(self, on_grads, args):
        """(args with their grad-requiring tensors gathered, indices of those tensors,
        (shape, dtype) of each position's tensor or None)."""
        from deepgrad.autograd.tensor import Tensor
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not idx or not _grad_state.enabled:
            return args, None, (None,) * len(args)
        new = _gather([args[i] for i in idx], on_grads)
        out, specs = list(args), [None] * len(args)
        for i, t in zip(idx, new):
            out[i], specs[i] = t, (t.shape, t.dtype)
        out = tuple(out) if type(args) is tuple else type(args)(*out)    # a namedtuple stays
        return out, idx, tuple(specs)

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        res, self.input_tensors_index, self.input_specs = self._apply_on_tensors(
            self._on_input_grads, args)
        return res

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        self.n_outputs = len(args)
        res, self.output_tensors_index, self.output_specs = self._apply_on_tensors(
            self._on_output_grads, args)
        return res if is_tuple else res[0]

    # ------------------------------------------------------------------ backward side
    def _on_output_grads(self, pieces):
        grads = _pack_with_none(self.output_tensors_index, pieces, self.n_outputs)
        for hook in self.user_pre_hooks:
            new = hook(self.module, grads)
            if new is not None:
                grads = _checked(new, self.output_specs, "Backward pre hook", "grad_output",
                                 self.module)
        self.grad_outputs = grads
        if self.input_tensors_index is None:       # no input requires grad: fire here
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients",
                          stacklevel=2)
            none = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, none, grads)
                if res is not None and not (isinstance(res, tuple)
                                            and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return _unpack(self.output_tensors_index, grads)

    def _on_input_grads(self, pieces):
        if self.grad_outputs is None:   # the gradient did not come through the outputs
            return pieces
        grads = _pack_with_none(self.input_tensors_index, pieces, self.n_inputs)
        for hook in self.user_hooks:
            new = hook(self.module, grads, self.grad_outputs)
            if new is not None:
                grads = _checked(new, self.input_specs, "Backward hook", "grad_input",
                                 self.module)
        self.grad_outputs = None
        return _unpack(self.input_tensors_index, grads)


def _pack_with_none(indices, arrays, size):
    from deepgrad.autograd.tensor import Tensor
    res = [None] * size
    for i, a in zip(indices, arrays):
        res[i] = None if a is None else Tensor._wrap(a)
    return tuple(res)


def _checked(new, specs, who, what, module):
    """A hook's replacement gradients, checked against ``specs`` ((shape, dtype) of each
    position's tensor, None where the position holds no tensor requiring grad)."""
    from deepgrad.autograd.tensor import Tensor
    name = type(module).__name__
    if isinstance(new, Tensor) and len(specs) == 1:
        new = (new,)
    if not isinstance(new, (tuple, list)) or len(new) != len(specs):
        got = len(new) if isinstance(new, (tuple, list)) else type(new).__name__
        raise RuntimeError(f"{who} of {name} returned an invalid number of {what}, got {got}, "
                           f"but expected {len(specs)}")
    out = []
    for i, (g, spec) in enumerate(zip(new, specs)):
        if g is not None:
            arr = g.array if isinstance(g, Tensor) else np.asarray(g)
            if spec is None:
                raise RuntimeError(f"{who} of {name} returned a gradient for {what}[{i}], "
                                   f"which is not a tensor that requires grad (expected None)")
            if arr.shape != spec[0]:
                raise RuntimeError(f"{who} of {name} returned {what}[{i}] of shape "
                                   f"{arr.shape}, expected the shape {tuple(spec[0])}")
            g = Tensor._wrap(arr.astype(spec[1], copy=False))
        out.append(g)
    return tuple(out)


def _unpack(indices, grads):
    """The arrays to hand back to the gathered tensors (None where a hook gave None)."""
    return [None if grads[i] is None else grads[i].array for i in indices]
