"""How ``Module.load_state_dict`` loads: check the whole tree, then write.

PyTorch's walk is kept (every module's ``_load_from_state_dict``, which subclasses may
override, then its children with the keys under their prefix), but the copies are staged:
``_load_from_state_dict`` records each write in ``LOADING.staged`` and
:func:`load_state_dict` performs them only after every key, type and shape of the tree
has been checked, so a load that raises leaves the model as it was.
"""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
import weakref

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.autograd.version_counter import bump
from deepgrad.nn.hooks import add_hook
from deepgrad.nn.parameter import Parameter, is_lazy

EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class ModuleStateDict:
    """The state-dict half of :class:`deepgrad.nn.Module`: ``state_dict``,
    ``load_state_dict``, their hooks and the extra-state protocol (PyTorch's names)."""

    _version = 1            # saved in state_dict metadata, read by _load_from_state_dict

    def get_extra_state(self):
        """Override (with :meth:`set_extra_state`) to save extra state in ``state_dict``
        under ``<prefix>_extra_state``."""
        raise RuntimeError("Module.get_extra_state() is only called when a subclass "
                           "overrides it")

    def set_extra_state(self, state):
        """Override (with :meth:`get_extra_state`) to restore the extra state."""
        raise RuntimeError("Module.set_extra_state() is only called when a subclass "
                           "overrides it")
    # ------------------------------------------------------------------ state
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """Put this module's own parameters and persistent buffers (not its children's)
        into ``destination`` under ``prefix + name``."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not ModuleStateDict.get_extra_state:
            destination[prefix + EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name (PyTorch's keys and order: a
        module's own entries, then each child's), as tensors sharing their memory.

        A submodule registered under two names appears under both. The returned
        OrderedDict carries ``_metadata`` (``{module prefix: {"version": _version}}``).

        Args:
            destination (dict): filled and returned instead of a new OrderedDict.
            prefix (str): prepended to every key.
            keep_vars (bool): return the Parameters themselves rather than detached tensors.
        """
        if args:    # PyTorch's deprecated positional form: (destination, prefix, keep_vars)
            destination, prefix, keep_vars = (list(args) + [destination, prefix, keep_vars]
                                              [len(args):])[:3]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Load this module's own entries (not its children's) from ``state_dict``.

        Runs the load pre-hooks, checks each entry's type and shape (errors go to
        ``error_msgs``) and stages the copy, which ``load_state_dict`` performs once the
        whole tree has been checked. Subclasses may override it (PyTorch's contract).
        """
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)
        local = {k: v for k, v in self._parameters.items() if v is not None}
        local.update((k, v) for k, v in self._buffers.items()
                     if v is not None and k not in self._non_persistent_buffers_set)
        assign = local_metadata.get("assign_to_params_buffers", False)
        stage_entries(self, state_dict, prefix, local, assign, strict, missing_keys,
                      error_msgs)
        extra_key = prefix + EXTRA_STATE_KEY_SUFFIX
        if type(self).set_extra_state is not ModuleStateDict.set_extra_state:
            if extra_key in state_dict:
                stage(self.set_extra_state, state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    head, *rest = key[len(prefix):].split(".", 1)
                    if (head not in self._modules) if rest else (head not in local):
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` (Tensors, NumPy arrays or torch
        tensors, by PyTorch's keys) into this module and its descendants.

        Every key, type and shape is checked before anything is written, so a load that
        raises leaves the module unchanged (unless load post-hooks are registered: they
        run after the copy and may clear the missing/unexpected lists, so then the strict
        check comes after the copy, as in PyTorch).

        Args:
            state_dict (Mapping): the entries; ``_metadata`` is honoured if present.
            strict (bool): raise when keys are missing or unexpected.
            assign (bool): assign the given tensors instead of copying into the existing
                ones (parameters stay Parameters, with their ``requires_grad``).
        Returns:
            IncompatibleKeys(missing_keys, unexpected_keys).
        """
        return load_state_dict(self, state_dict, strict, assign)

    # ------------------------------------------------------------------ state-dict hooks
    def register_state_dict_pre_hook(self, hook):
        """Register ``hook(module, prefix, keep_vars) -> None``, run before ``state_dict``."""
        return add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """Register ``hook(module, state_dict, prefix, local_metadata) -> None``, run after
        this module's entries are in ``state_dict`` (it may edit them in place)."""
        hook._from_public_api = True
        return add_hook(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook):
        """PyTorch's older post-hook: like :meth:`register_state_dict_post_hook`, but a
        returned dict replaces the state dict."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook "
                               "that was previously registered via "
                               "register_state_dict_post_hook")
        return add_hook(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook):
        """Register ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs) -> None``, run before this module's entries load (it
        may edit ``state_dict``, e.g. rename old keys)."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """As :meth:`register_load_state_dict_pre_hook`; without ``with_module`` the hook
        is called without the module argument."""
        return add_hook(self._load_state_dict_pre_hooks,
                        WrappedHook(hook, self if with_module else None))

    def register_load_state_dict_post_hook(self, hook):
        """Register ``hook(module, incompatible_keys) -> None``, run after
        ``load_state_dict`` copied the entries; clearing ``incompatible_keys``'s lists in
        place avoids the strict error."""
        return add_hook(self._load_state_dict_post_hooks, hook)


class _LoadState:
    staged = None       # during load_state_dict: the writes waiting for the checks to pass


LOADING = _LoadState()


def load_state_dict(module, state_dict, strict, assign):
    """``Module.load_state_dict``: walk, check, then write (see the module docstring)."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    missing, unexpected, errors, with_post_hooks = [], [], [], []
    metadata = getattr(state_dict, "_metadata", None)
    state_dict = OrderedDict(state_dict)
    if metadata is not None:
        state_dict._metadata = metadata

    def load(mod, local_state, prefix=""):
        local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
        if assign:
            local_metadata["assign_to_params_buffers"] = True
        mod._load_from_state_dict(local_state, prefix, local_metadata, True, missing,
                                  unexpected, errors)
        for name, child in mod._modules.items():
            if child is not None:
                child_prefix = prefix + name + "."
                load(child, {k: v for k, v in local_state.items()
                             if k.startswith(child_prefix)}, child_prefix)
        if mod._load_state_dict_post_hooks:
            with_post_hooks.append(mod)

    outer, LOADING.staged = LOADING.staged, []
    try:
        load(module, state_dict)
        writes = LOADING.staged
    finally:
        LOADING.staged = outer
    if errors or (strict and (missing or unexpected) and not with_post_hooks):
        _raise_load_errors(module, strict, missing, unexpected, errors)
    for write in writes:
        write()
    keys = IncompatibleKeys(missing, unexpected)
    for mod in with_post_hooks:
        for hook in mod._load_state_dict_post_hooks.values():
            if hook(mod, keys) is not None:
                raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook``"
                                     " are not expected to return new values, if "
                                     "incompatible_keys need to be modified, it should be done "
                                     "inplace.")
    if strict and (missing or unexpected):
        _raise_load_errors(module, strict, missing, unexpected, errors)
    return keys


def stage_entries(module, state_dict, prefix, local, assign, strict, missing_keys, error_msgs):
    """Check and stage the loads of ``local`` ({name: tensor}, the module's own entries)."""
    for name, param in local.items():
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        if is_lazy(param) and is_lazy(state_dict[key]):
            continue                    # uninitialized into uninitialized: nothing to copy
        value = _to_array(state_dict[key])
        if value is None:
            error_msgs.append(f'While copying the parameter named "{key}", expected a Tensor '
                              f'or array from checkpoint but received {type(state_dict[key])}')
            continue
        if is_lazy(param) or is_lazy(state_dict[key]):
            error_msgs.append(f"While copying the parameter named \"{key}\": one of the model's "
                              f"and the checkpoint's tensors is uninitialized (run a forward "
                              f"through the lazy module first)")
            continue
        if param.ndim == 0 and value.shape == (1,):         # PyTorch 0.3 checkpoints
            value = value.reshape(())
        if value.shape != param.shape:
            error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                              f"{tuple(value.shape)} from checkpoint, the shape in current "
                              f"model is {tuple(param.shape)}.")
            continue
        stage(_write, module, name, param, value, assign)


def stage(fn, *args):
    """Run ``fn(*args)`` now, or after the checks when ``load_state_dict`` is running."""
    if LOADING.staged is None:
        fn(*args)
    else:
        LOADING.staged.append(lambda: fn(*args))


def _to_array(value):
    """A checkpoint entry as an ndarray (Tensor, ndarray, torch tensor), or None."""
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()         # a torch tensor
    if isinstance(value, (np.generic, int, float, bool)):
        return np.asarray(value)
    return None


def _write(module, name, param, value, assign):
    if not assign:
        param.array[...] = value
        bump(param.array)               # a graph recorded before refuses to backward
        return
    t = Tensor._wrap(value)
    if isinstance(param, Parameter):
        t = Parameter(t, requires_grad=param.requires_grad)
    setattr(module, name, t)


def _raise_load_errors(module, strict, missing, unexpected, errors):
    msgs = list(errors)
    if strict and unexpected:
        msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
            ", ".join(f'"{k}"' for k in unexpected)))
    if strict and missing:
        msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
            ", ".join(f'"{k}"' for k in missing)))
    raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
        type(module).__name__, "\n\t".join(msgs)))


class WrappedHook:
    """A load-state-dict pre-hook, called with its module first when it was registered
    ``with_module`` (the module is held weakly, as in PyTorch)."""

    def __init__(self, hook, module=None):
        self.hook = hook
        self.with_module = module is not None
        if self.with_module:
            self.module = weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if not self.with_module:
            return self.hook(*args, **kwargs)
        module = self.module()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        return self.hook(module, *args, **kwargs)

    def __getstate__(self):
        state = {"hook": self.hook, "with_module": self.with_module}
        if self.with_module:
            state["module"] = self.module()
        return state

    def __setstate__(self, state):
        self.hook, self.with_module = state["hook"], state["with_module"]
        if self.with_module:
            if state["module"] is None:
                raise RuntimeError("You are trying to revive the hook of a dead Module!")
            self.module = weakref.ref(state["module"])
