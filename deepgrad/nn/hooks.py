"""Module hooks: the global registries (PyTorch's ``register_module_*_hook``) and the path a
module call takes once any hook exists.

A module call without hooks is ``forward(*args)`` and nothing else: ``Module.__call__``
reads one flag, ``HOOKS.active``, which turns True the first time a hook is stored
anywhere (in a module's hook dict or a global one) and stays True. From then on each call
goes through :func:`call_with_hooks`, which runs, in PyTorch's order:

1. forward pre-hooks (global ones first): ``hook(module, args)`` or, registered
   ``with_kwargs``, ``hook(module, args, kwargs)``; a non-None result replaces the input;
2. when full backward (pre-)hooks exist, the positional tensor inputs are routed through
   :class:`deepgrad.utils.hooks.BackwardHook`;
3. ``forward``;
4. forward hooks: ``hook(module, args, output)`` (``with_kwargs``: ``hook(module, args,
   kwargs, output)``); a non-None result replaces the output. A hook registered with
   ``always_call=True`` also runs when ``forward`` raised;
5. the outputs are routed through the BackwardHook.
"""
import warnings
from collections import OrderedDict

from deepgrad.utils.hooks import BackwardHook, RemovableHandle


class _HookState:
    def __init__(self):
        self.active = False     # True once any hook has been stored anywhere


HOOKS = _HookState()


class HookDict(OrderedDict):
    """An ordered dict of hooks by id; storing a hook switches module calls to the hooked
    path (also when a module is copied or unpickled with its hooks)."""

    def __setitem__(self, key, value):
        HOOKS.active = True
        super().__setitem__(key, value)


_global_forward_pre_hooks = HookDict()
_global_forward_hooks = HookDict()
_global_forward_hooks_with_kwargs = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()
_global_backward_pre_hooks = HookDict()
_global_backward_hooks = HookDict()
_global_buffer_registration_hooks = OrderedDict()
_global_module_registration_hooks = OrderedDict()
_global_parameter_registration_hooks = OrderedDict()


def add_hook(hooks, hook, prepend=False, extra=None, flags=()):
    """Store ``hook`` in ``hooks`` under a new handle's id (first when ``prepend``); set
    ``flag_dict[id] = True`` for each ``(flag_dict, on)`` of ``flags`` that is on."""
    handle = RemovableHandle(hooks, extra_dict=extra)
    hooks[handle.id] = hook
    for flag_dict, on in flags:
        if on:
            flag_dict[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_module_forward_pre_hook(hook):
    """Register ``hook(module, args) -> None or new args`` before every module's forward.

    Global hooks run before the module's own. Returns a :class:`RemovableHandle`.
    """
    return add_hook(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """Register ``hook(module, args, output) -> None or new output`` after every module's
    forward (``with_kwargs=True``: ``hook(module, args, kwargs, output)``); ``always_call``
    runs it even when forward raised. Returns a :class:`RemovableHandle`."""
    extra = [_global_forward_hooks_with_kwargs, _global_forward_hooks_always_called]
    return add_hook(_global_forward_hooks, hook, False, extra,
                    [(extra[0], with_kwargs), (extra[1], always_call)])


def register_module_full_backward_pre_hook(hook):
    """Register ``hook(module, grad_output) -> None or new grad_output`` on every module."""
    return add_hook(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    """Register ``hook(module, grad_input, grad_output) -> None or new grad_input`` on every
    module."""
    return add_hook(_global_backward_hooks, hook)


def register_module_buffer_registration_hook(hook):
    """Register ``hook(module, name, buffer) -> None or new buffer``, run by every
    ``register_buffer``."""
    return add_hook(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook):
    """Register ``hook(module, name, submodule) -> None or new submodule``, run whenever a
    submodule is registered."""
    return add_hook(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook):
    """Register ``hook(module, name, param) -> None or new param``, run by every
    ``register_parameter``."""
    return add_hook(_global_parameter_registration_hooks, hook)


def run_registration_hooks(hooks, module, name, value):
    for hook in hooks.values():
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value


def call_with_hooks(module, args, kwargs):
    """``module.forward(*args, **kwargs)`` with every hook that applies to ``module``."""
    d = module.__dict__
    fwd_pre, fwd = d["_forward_pre_hooks"], d["_forward_hooks"]
    bw, bw_pre = d["_backward_hooks"], d["_backward_pre_hooks"]
    if not (fwd_pre or fwd or bw or bw_pre or _global_forward_pre_hooks or _global_forward_hooks
            or _global_backward_hooks or _global_backward_pre_hooks):
        return module.forward(*args, **kwargs)
    called, result = set(), None
    try:
        args, kwargs = _run_pre_hooks(module, args, kwargs)
        bw_hook = None
        if bw or bw_pre or _global_backward_hooks or _global_backward_pre_hooks:
            bw_hook = BackwardHook(module, [*_global_backward_hooks.values(), *bw.values()],
                                   [*_global_backward_pre_hooks.values(), *bw_pre.values()])
            args = bw_hook.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        result = _run_forward_hooks(module, args, kwargs, result, called)
        if bw_hook is not None:
            result = bw_hook.setup_output_hook(result)
        return result
    except Exception:
        _run_always_called(module, args, kwargs, result, called)
        raise


def _run_pre_hooks(module, args, kwargs):
    with_kwargs = module._forward_pre_hooks_with_kwargs
    for hook_id, hook in (*_global_forward_pre_hooks.items(),
                          *module._forward_pre_hooks.items()):
        if hook_id in with_kwargs:
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {res}.")
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    return args, kwargs


def _hook_items(module):
    return (*_global_forward_hooks.items(), *module._forward_hooks.items())


def _with_kwargs(module, hook_id):
    return (hook_id in module._forward_hooks_with_kwargs
            or hook_id in _global_forward_hooks_with_kwargs)


def _run_forward_hooks(module, args, kwargs, result, called):
    for hook_id, hook in _hook_items(module):
        if (hook_id in module._forward_hooks_always_called
                or hook_id in _global_forward_hooks_always_called):
            called.add(hook_id)
        if _with_kwargs(module, hook_id):
            res = hook(module, args, kwargs, result)
        else:
            res = hook(module, args, result)
        if res is not None:
            result = res
    return result


def _run_always_called(module, args, kwargs, result, called):
    """After forward raised: the ``always_call`` forward hooks that have not run yet."""
    for hook_id, hook in _hook_items(module):
        if hook_id in called or not (hook_id in module._forward_hooks_always_called
                                     or hook_id in _global_forward_hooks_always_called):
            continue
        try:
            if _with_kwargs(module, hook_id):
                res = hook(module, args, kwargs, result)
            else:
                res = hook(module, args, result)
            if res is not None:
                result = res
        except Exception as e:
            warnings.warn(f"module forward hook with ``always_call=True`` raised an exception "
                          f"that was silenced as another error was raised in forward: {e}",
                          stacklevel=2)
