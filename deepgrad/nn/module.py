"""``Module``: the base class of every layer and model (PyTorch's ``nn.Module``).

A module owns parameters (registered by assigning a :class:`Parameter` attribute),
buffers (non-trained state such as running statistics, :meth:`Module.register_buffer`)
and sub-modules (registered by assigning a Module attribute). Calling a module runs
``forward``, with its hooks around it when any exist (:mod:`deepgrad.nn.hooks`).

Each registered object is kept in its registry (``_parameters``, ``_buffers``,
``_modules``, as PyTorch), a :class:`~deepgrad.nn.module_registry.Registry` that mirrors every entry into the instance
``__dict__``: reading ``self.weight`` in a forward is then a plain attribute read. (PyTorch
finds them with ``__getattr__``; a class that defines ``__getattr__`` makes every attribute
read of its instances slower, measurably so for a small model's forward.)
"""
import weakref
from collections import OrderedDict

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.nn import hooks as _hooks
from deepgrad.nn.hooks import (  # noqa: F401  (PyTorch's torch.nn.modules.module names)
    HOOKS, HookDict, add_hook, register_module_buffer_registration_hook,
    register_module_forward_hook, register_module_forward_pre_hook,
    register_module_full_backward_hook, register_module_full_backward_pre_hook,
    register_module_module_registration_hook, register_module_parameter_registration_hook)
from deepgrad.nn.module_registry import Registry, check_name as _check_name, typename as _typename
from deepgrad.nn.module_state import IncompatibleKeys, ModuleStateDict  # noqa: F401
from deepgrad.nn.parameter import Buffer, Parameter
from deepgrad.utils.hooks import RemovableHandle  # noqa: F401

_HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
               "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
               "_load_state_dict_post_hooks")
_FLAG_DICTS = ("_forward_hooks_with_kwargs", "_forward_hooks_always_called",
               "_forward_pre_hooks_with_kwargs")


class Module(ModuleStateDict):
    """Base class for layers and models.

    Subclasses create their parameters and sub-modules in ``__init__`` (after calling
    ``super().__init__()``) and write ``forward``. Example::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(784, 10)
            def forward(self, x):
                return self.fc(x)
    """

    call_super_init = False
    dump_patches = False
    training: bool

    def __init__(self, *args, **kwargs):
        if kwargs and not self.call_super_init:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if args and not self.call_super_init:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument "
                            f"but {len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = Registry(self)
        d["_buffers"] = Registry(self)
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = Registry(self)
        d["_is_full_backward_hook"] = None
        for name in _HOOK_DICTS:
            d[name] = HookDict()
        for name in _FLAG_DICTS:
            d[name] = OrderedDict()
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if params is None:
            if name == "__dict__":                 # e.g. copying a module's state wholesale
                return object.__setattr__(self, name, value)
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__})")
        if isinstance(value, Parameter):
            self._forget(name, "_buffers", "_modules")
            self.register_parameter(name, value)
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                f"(nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._forget(name, "_parameters", "_buffers")
            d["_modules"][name] = _hooks.run_registration_hooks(
                _hooks._global_module_registration_hooks, self, name, value)
        elif name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                f"(nn.Module or None expected)")
            d["_modules"][name] = None
        elif name in d["_buffers"] or isinstance(value, Buffer):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                f"(nn.Buffer, Tensor or None expected)")
            persistent = (value.persistent if isinstance(value, Buffer)
                          else name not in d["_non_persistent_buffers_set"])
            self.register_buffer(name, value, persistent)
        else:
            object.__setattr__(self, name, value)      # honours properties with setters

    def _forget(self, name, *registries):
        """Drop ``name`` from the instance dict and the given registries (each of which
        drops its mirror entry too)."""
        d = self.__dict__
        d.pop(name, None)
        for registry in registries:
            d[registry].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __delattr__(self, name):
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in d[registry]:
                del d[registry][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def _attr_exists(self, name, registry):
        """Is ``name`` taken by something other than an entry of ``registry``? (A plain
        attribute set to None may be replaced, as in ``self.bias = None`` followed by
        ``register_parameter('bias', None)``.)"""
        d = self.__dict__
        if name in d[registry] or (name in d and d[name] is None):
            return False
        return hasattr(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one) under ``name``.

        Raises:
            KeyError: the name is empty, has a dot, or is already a non-parameter attribute.
            TypeError: ``param`` is neither a Parameter nor None.
            ValueError: ``param`` is not a leaf (computed from other tensors).
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name)
        if self._attr_exists(name, "_parameters"):
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(f"cannot assign '{_typename(param)}' object to parameter "
                                f"'{name}' (nn.Parameter or None required)")
            if param._ctx is not None:
                raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                                 f"parameters must be created explicitly. To express '{name}' "
                                 f"as a function of another Tensor, compute the value in the "
                                 f"forward() method.")
            param = _hooks.run_registration_hooks(
                _hooks._global_parameter_registration_hooks, self, name, param)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a non-trained tensor (e.g. running mean) under ``name``.

        Args:
            name (str): attribute name.
            tensor (Tensor or None): the buffer; None registers an absent buffer.
            persistent (bool): whether it is part of ``state_dict``.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name)
        if self._attr_exists(name, "_buffers"):
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            f"(Tensor or None required)")
        tensor = _hooks.run_registration_hooks(
            _hooks._global_buffer_registration_hooks, self, name, tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register ``module`` (a Module or None) as the child ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name("module", name)
        if self._attr_exists(name, "_modules"):
            raise KeyError(f"attribute '{name}' already exists")
        module = _hooks.run_registration_hooks(
            _hooks._global_module_registration_hooks, self, name, module)
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias for :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` (``""`` is the module itself).

        Raises:
            AttributeError: a step of the path does not exist or is not a Module.
        """
        mod = self
        for item in target.split(".") if target else []:
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def set_submodule(self, target, module, strict=False):
        """Set the submodule at the dotted path ``target`` (its parent must exist; with
        ``strict=True`` the submodule itself must exist too)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target):
        """The Parameter at the dotted path ``target`` (e.g. ``"fc1.weight"``)."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at the dotted path ``target`` (e.g. ``"bn.running_mean"``)."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(mod, name)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module and every descendant, depth first, each module
        once (unless ``remove_duplicate=False``); names are dotted paths after ``prefix``."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if mod in memo:
                continue
            if remove_duplicate:
                memo.add(mod)
            yield name, mod
            children = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self, remove_duplicate=True):
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_children(self):
        """(name, child) for the direct children, each child module once."""
        memo = set()
        for name, m in self._modules.items():
            if m is not None and m not in memo:
                memo.add(m)
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                if recurse else [(prefix, self)])
        for mod_prefix, mod in mods:
            for name, t in get_members(mod):
                if t is None or t in seen:
                    continue
                if remove_duplicate:
                    seen.add(t)
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) for this module's parameters (and its descendants'
        when ``recurse``); a parameter shared by several modules is listed once unless
        ``remove_duplicate=False``."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer) as :meth:`named_parameters`, non-persistent buffers
        included."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes & grads
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on this module and,
        through each child's own ``train``, on every descendant."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, received {mode!r}")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        """``train(False)``: dropout off, batch norm on its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (e.g. to freeze a part of a model)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to None (default) or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.requires_grad = False
                p.grad.array[...] = 0

    def apply(self, fn):
        """Call ``fn(module)`` on every child (recursively, children first) and then on
        this module, as in ``model.apply(init_weights)``."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _cast(self, dtype):
        for m in self.modules():
            for registry in (m._parameters, m._buffers):
                for t in registry.values():
                    if t is not None and t.array.dtype.kind == "f":
                        t.array = t.array.astype(dtype)
                        if t.grad is not None:
                            t.grad = Tensor._wrap(t.grad.array.astype(dtype))
        return self

    def float(self):
        """Cast floating parameters and buffers to float32, in place."""
        return self._cast(np.float32)

    def double(self):
        """Cast floating parameters and buffers to float64, in place."""
        return self._cast(np.float64)

    def half(self):
        """Cast floating parameters and buffers to float16, in place."""
        return self._cast(np.float16)

    def to(self, *args, **kwargs):
        """Move/cast parameters and buffers in place; returns ``self``, as PyTorch::

            to(device=None, dtype=None, non_blocking=False)
            to(dtype, non_blocking=False)
            to(tensor, non_blocking=False)
            to(memory_format=deepgrad.channels_last)

        Only floating parameters and buffers are cast (integer buffers such as
        ``num_batches_tracked`` keep their dtype) and ``dtype`` must be floating. The
        device must be the CPU (``"cpu"``, ``"cpu:0"``, ``deepgrad.device("cpu")``);
        any other raises a ``RuntimeError`` naming the devices that exist.
        """
        from deepgrad.autograd.tensor_attributes import parse_to
        dtype, copy, memory_format = parse_to(args, dict(kwargs), "Module.to")
        if copy:
            raise RuntimeError("Module.to does not accept the copy argument (it converts the "
                               "module's tensors in place)")
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to only accepts floating point dtypes, but got desired "
                            f"dtype={dtype}")
        if memory_format is not None:
            for t in self._all_tensors():
                if t.array.ndim in (4, 5):
                    t.array = t.to(memory_format=memory_format).array
        return self if dtype is None else self._cast(dtype)

    def _all_tensors(self):
        for m in self.modules():
            for registry in (m._parameters, m._buffers):
                yield from (t for t in registry.values() if t is not None)

    def type(self, dst_type):
        """Cast ALL parameters and buffers (integer ones too) to ``dst_type``, in place."""
        from deepgrad.dtypes import as_dtype, dtype_from_type_string
        dtype = dtype_from_type_string(dst_type, "Module.type") if isinstance(dst_type, str) \
            else as_dtype(dst_type, "Module.type")
        for t in self._all_tensors():
            t.array = t.array.astype(dtype)
            if t.grad is not None:
                t.grad = Tensor._wrap(t.grad.array.astype(dtype))
        return self

    def cpu(self):
        """``self``: parameters and buffers are on the CPU already."""
        return self

    def cuda(self, device=None):
        """Refused: deepgrad has no CUDA device (``deepgrad.cuda.is_available()`` is False)."""
        from deepgrad.device import no_such_device
        raise no_such_device("cuda" if device is None else str(device), "Module.cuda")

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  f"\"forward\" function")

    def __call__(self, *args, **kwargs):
        if args and not isinstance(args[0], Tensor):
            args = tuple(self._convert(a) for a in args)
        if HOOKS.active:        # one flag read: a model without hooks pays nothing more
            return _hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def _convert(self, a):
        """NumPy arrays become tensors; float arrays take the module's float dtype."""
        if isinstance(a, np.ndarray):
            if a.dtype.kind == "f":
                p = next(self.parameters(), None)
                return Tensor(a.astype(p.dtype if p is not None else np.float32, copy=False))
            return Tensor(a)
        return a

    # ------------------------------------------------------------------ forward hooks
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Register ``hook(module, args) -> None or new args`` to run before ``forward``.

        Args:
            hook: the callable; a non-tuple result is wrapped into a 1-tuple.
            prepend (bool): run it before this module's other pre-hooks.
            with_kwargs (bool): call ``hook(module, args, kwargs)``, which returns None or
                a tuple ``(new_args, new_kwargs)``.
        Returns:
            RemovableHandle: ``handle.remove()`` unregisters it.
        """
        flags = self._forward_pre_hooks_with_kwargs
        return add_hook(self._forward_pre_hooks, hook, prepend, flags,
                         [(flags, with_kwargs)])

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """Register ``hook(module, args, output) -> None or new output`` to run after
        ``forward``.

        Args:
            hook: the callable; a non-None result replaces the output.
            prepend (bool): run it before this module's other forward hooks.
            with_kwargs (bool): call ``hook(module, args, kwargs, output)``.
            always_call (bool): run it even when ``forward`` raised.
        Returns:
            RemovableHandle.
        """
        extra = [self._forward_hooks_with_kwargs, self._forward_hooks_always_called]
        return add_hook(self._forward_hooks, hook, prepend, extra,
                         [(extra[0], with_kwargs), (extra[1], always_call)])

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Register ``hook(module, grad_output) -> None or new grad_output``, called when the
        gradients with respect to the module's outputs are known.

        ``grad_output`` is a tuple with one entry per output (None for non-tensors and
        outputs that do not require grad). A returned tuple must have the same length
        and shapes; it replaces ``grad_output`` from there on.
        """
        return add_hook(self._backward_pre_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        """PyTorch's deprecated non-full backward hook, whose ``grad_input`` are the inputs of
        the module's last autograd node (not the module's inputs). deepgrad does not
        implement it; :meth:`register_full_backward_hook` gives the documented behaviour."""
        raise RuntimeError("Module.register_backward_hook (deprecated in PyTorch) is not "
                           "implemented by deepgrad: use register_full_backward_hook(hook), "
                           "whose grad_input are the gradients of the module's inputs")

    def register_full_backward_hook(self, hook, prepend=False):
        """Register ``hook(module, grad_input, grad_output) -> None or new grad_input``,
        called when the gradients with respect to the module's positional inputs are known
        (with respect to its outputs, with ``grad_input`` all None, when no input requires
        grad).

        ``grad_input`` has one entry per positional argument (None for non-tensors and
        inputs that do not require grad); keyword arguments are not included. A returned
        tuple must have the same length and shapes and replaces the gradients the inputs
        receive. Inside ``forward`` the inputs are identity copies of the tensors passed,
        and the caller receives identity copies of the outputs.
        """
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward "
                               "hooks on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = True
        return add_hook(self._backward_hooks, hook, prepend)

    # ------------------------------------------------------------------ repr & pickling
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside ``Name(...)``; layers return their settings (one or more lines)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_addindent(repr(m), 2)}" for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self):
        keys = (dir(type(self)) + list(self.__dict__) + list(self._parameters)
                + list(self._modules) + list(self._buffers))
        return sorted(set(k for k in keys if not k[0].isdigit()))

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)
        d = self.__dict__
        for name in ("_parameters", "_buffers", "_modules"):     # re-link the mirrors
            registry = d.get(name)
            if isinstance(registry, Registry):
                registry.owner = weakref.ref(self)
            else:
                d[name] = Registry(self, (registry or {}).items())
        for name in _HOOK_DICTS:                # modules pickled by an older deepgrad
            d.setdefault(name, HookDict())
        for name in _FLAG_DICTS:
            d.setdefault(name, OrderedDict())
        d.setdefault("_non_persistent_buffers_set", set())
        d.setdefault("_is_full_backward_hook", None)


def _addindent(s, n):
    first, *rest = s.split("\n")
    return "\n".join([first] + [" " * n + line for line in rest])
