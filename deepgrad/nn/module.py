"""``Module``: the base class of every layer and model (PyTorch's ``nn.Module``).

A module owns parameters (registered by assigning a :class:`Parameter` attribute),
buffers (non-trained state such as running statistics) and sub-modules (registered by
assigning a Module attribute). Calling a module runs ``forward``.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
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

    def __init__(self):
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_modules"] = OrderedDict()
        d["training"] = True

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__})")
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            buffers.pop(name, None), modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None), buffers.pop(name, None)
            modules[name] = value
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                                f"(Tensor or None expected)")
            buffers[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                f"(nn.Parameter or None expected)")
            params[name] = None
        elif name in modules:
            modules.pop(name)
        d[name] = value

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: cannot assign {type(param).__name__} as "
                            f"parameter {name!r} (nn.Parameter or None expected)")
        setattr(self, name, param)
        if param is None:
            self._parameters[name] = None

    def register_buffer(self, name, tensor, persistent=True):
        """Register a non-trained tensor (e.g. running mean) saved in ``state_dict``."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        setattr(self, name, tensor)
        self._buffers[name] = tensor

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        setattr(self, name, module)
        if module is None:
            self._modules[name] = None

    register_module = add_module

    def get_submodule(self, target):
        mod = self
        for item in target.split(".") if target else []:
            mod = mod._modules[item]
        return mod

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix=""):
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if id(mod) in memo:
                continue
            memo.add(id(mod))
            yield name, mod
            children = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, attr, prefix="", recurse=True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, t in getattr(mod, attr).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def named_parameters(self, prefix="", recurse=True):
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Parameters and buffers by dotted name (PyTorch's keys, e.g. ``fc1.weight``)."""
        out = OrderedDict() if destination is None else destination
        for mod_prefix, mod in self.named_modules(prefix=prefix.rstrip(".")):
            for registry in (mod._parameters, mod._buffers):
                for name, t in registry.items():
                    if t is not None:
                        key = f"{mod_prefix}.{name}" if mod_prefix else name
                        out[key] = t if keep_vars else t.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays (Tensors, NumPy arrays or torch tensors) into parameters and buffers.

        Every key, shape and dtype kind is checked before anything is written, so a
        failed load leaves the module unchanged.
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: missing keys "
                               f"{missing}, unexpected keys {unexpected}")
        staged = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            arr = _to_numpy(state_dict[key])
            if arr.shape != target.shape:
                raise RuntimeError(f"load_state_dict for {type(self).__name__}: size mismatch "
                                   f"for {key}: copying a param with shape {arr.shape}, the "
                                   f"shape in the current model is {tuple(target.shape)}")
            staged.append((target, arr))
        for target, arr in staged:
            target.array[...] = arr.astype(target.dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ modes & grads
    def train(self, mode=True):
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.array[...] = 0

    def apply(self, fn):
        for m in list(self.modules())[::-1]:
            fn(m)
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

    def to(self, *args, **kwargs):
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, str) or a is None:
                if a not in (None, "cpu"):
                    raise RuntimeError(f"to: deepgrad runs on the CPU only; received device {a!r}")
            else:
                self._cast(np.dtype(a))
        return self

    def cpu(self):
        return self

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  f"\"forward\" function")

    def __call__(self, *args, **kwargs):
        if args and not isinstance(args[0], Tensor):
            args = tuple(self._convert(a) for a in args)
        return self.forward(*args, **kwargs)

    def _convert(self, a):
        """NumPy arrays become tensors; float arrays take the module's float dtype."""
        if isinstance(a, np.ndarray):
            if a.dtype.kind == "f":
                p = next(self.parameters(), None)
                return Tensor(a.astype(p.dtype if p is not None else np.float32, copy=False))
            return Tensor(a)
        return a

    # ------------------------------------------------------------------ repr
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        main = f"{type(self).__name__}({self.extra_repr()}"
        if lines:
            return main + "\n  " + "\n  ".join(lines) + "\n)"
        return main + ")"

    def __dir__(self):
        return sorted(set(super().__dir__()))


def _to_numpy(value):
    if isinstance(value, Tensor):
        return value.array
    if hasattr(value, "detach") and hasattr(value, "cpu"):      # a torch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)
