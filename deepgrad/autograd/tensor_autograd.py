"""Tensor methods that drive autograd: gradient hooks, ``retain_grad``, ``detach_``, inference.

What a tensor asks of backward (hooks on its gradient, keeping its gradient, hooks after
accumulation) lives in one :class:`GradHooks` object, created on first use; tensors that
never ask pay nothing. For a leaf it hangs on the tensor (``t._meta``), for a non-leaf on
the node that made it (``t._ctx._meta``), where the engine finds it when the tensor's
total gradient is known.
"""
from collections import OrderedDict
import weakref

import numpy as np

from deepgrad.autograd import engine


class GradHooks:
    """A tensor's gradient hooks, its ``retain_grad`` flag and post-accumulate hooks."""

    __slots__ = ("hooks", "post_hooks", "retains_grad", "tensor_ref")

    def __init__(self, tensor):
        self.hooks = OrderedDict()         # handle id -> hook(grad) -> new grad or None
        self.post_hooks = OrderedDict()    # handle id -> hook(tensor) -> None
        self.retains_grad = False
        self.tensor_ref = weakref.ref(tensor)

    def run_hooks(self, g):
        """``g`` after every hook, in registration order (a hook may return a new one).

        ``g`` is an ndarray (returned as one) or, under ``create_graph``, a Tensor.
        """
        is_array = isinstance(g, np.ndarray)
        cur = engine.function._Tensor._wrap(g) if is_array else g
        for hook in tuple(self.hooks.values()):
            new = hook(cur)
            if new is not None:
                arr = getattr(new, "array", None)
                if not isinstance(arr, np.ndarray):
                    raise TypeError(f"hook {_name(hook)!r} returned a "
                                    f"{type(new).__name__}; expected a Tensor or None")
                if arr.shape != cur.array.shape:
                    raise RuntimeError(f"hook {_name(hook)!r} has changed the size of value: "
                                       f"expected shape {cur.array.shape}, got {arr.shape}")
                if arr.dtype != cur.array.dtype:
                    raise RuntimeError(f"hook {_name(hook)!r} has changed the type of value: "
                                       f"expected {cur.array.dtype}, got {arr.dtype}")
                cur = new
        return cur.array if is_array else cur

    def retain(self, g, accumulate):
        """Accumulate ``g`` into the (non-leaf) tensor's ``.grad`` if it retains it."""
        if self.retains_grad:
            t = self.tensor_ref()
            if t is not None:
                accumulate(t, g)

    def run_post_accumulate(self, t):
        for hook in tuple(self.post_hooks.values()):
            hook(t)


def _name(hook):
    return getattr(hook, "__name__", type(hook).__name__)


class TensorAutograd:
    __slots__ = ()

    def _grad_hooks(self):
        """This tensor's :class:`GradHooks`, created on first use."""
        meta = getattr(self, "_meta", None)
        if meta is None:
            meta = self._meta = GradHooks(self)
            engine.hooked.any = True
        if self._ctx is not None:
            self._ctx._meta = meta
        return meta

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time the gradient of this tensor is computed.

        The hook may return a tensor of the same shape and dtype, which replaces the
        gradient from there on (for a leaf: what accumulates into ``.grad``). A leaf's hook
        sees the total gradient of one backward pass.

        Returns:
            RemovableHandle: ``handle.remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if not callable(hook):
            raise TypeError(f"register_hook: expected a callable, received "
                            f"{type(hook).__name__}")
        from deepgrad.utils.hooks import RemovableHandle
        hooks = self._grad_hooks().hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after backward accumulated into this leaf's ``.grad``.

        Returns:
            RemovableHandle: ``handle.remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self._ctx is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if not callable(hook):
            raise TypeError(f"register_post_accumulate_grad_hook: expected a callable, "
                            f"received {type(hook).__name__}")
        from deepgrad.utils.hooks import RemovableHandle
        hooks = self._grad_hooks().post_hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in ``.grad`` (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            self._grad_hooks().retains_grad = True

    @property
    def retains_grad(self):
        """True for a non-leaf tensor whose ``.grad`` backward fills (see :meth:`retain_grad`)."""
        meta = getattr(self, "_meta", None)
        return self._ctx is not None and meta is not None and meta.retains_grad

    def detach_(self):
        """Detach this tensor from the graph in place: it becomes a leaf without grad."""
        self._ctx = None
        self.requires_grad = False
        return self

    def is_inference(self):
        """True for a tensor made inside ``inference_mode()``."""
        return getattr(self, "_inference", False)
