"""Parametrizations (PyTorch's ``torch.nn.utils.parametrize``): a module attribute computed
from stored tensors on every access.

After ``register_parametrization(module, "weight", P)``::

    module.weight  ==  P(module.parametrizations.weight.original)

The stored tensor ``original`` is what the optimizer trains; ``module.weight`` is
recomputed (differentiably) at each read, or once per ``with cached():`` block. If ``P`` has
``right_inverse``, registration stores ``right_inverse(weight)`` as ``original`` (several
tensors become ``original0``, ``original1``, ...), and assigning ``module.weight = X`` stores
``right_inverse(X)``. As in PyTorch the module's class is replaced by a subclass
``Parametrized<Class>`` carrying one property per parametrized name; removing the last
parametrization restores the class. Such a module deep-copies, and saves through
``state_dict()`` (keys ``parametrizations.weight.original``); pickling it whole is refused.
"""
import copy
from contextlib import contextmanager

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.containers import ModuleDict, ModuleList
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
           "remove_parametrizations", "type_before_parametrizations",
           "transfer_parametrizations_and_params"]


class _Cache:
    depth = 0           # nesting of ``cached()`` blocks
    values = {}         # (id(module), name) -> tensor


_CACHE = _Cache()


@contextmanager
def cached():
    """Compute each parametrized tensor once inside the block (e.g. a weight used at every
    time step of an RNN) instead of at every access."""
    _CACHE.depth += 1
    try:
        yield
    finally:
        _CACHE.depth -= 1
        if not _CACHE.depth:
            _CACHE.values = {}


def _set_data(dest, src):
    """``dest.set_(src)``: ``dest`` (same object) now holds ``src``'s values and shape."""
    dest.array = src.array if isinstance(src, Tensor) else np.asarray(src)


def _register_tensor(module, name, tensor):
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _check_result(what, value, shape, dtype, where):
    if not isinstance(value, Tensor):
        raise ValueError(f"{where}: {what} must return a tensor, received "
                         f"{type(value).__name__}")
    if value.dtype != dtype:
        raise ValueError(f"{where}: {what} may not change the dtype of the tensor (unless "
                         f"unsafe=True): expected {dtype}, received {value.dtype}")
    if tuple(value.shape) != tuple(shape):
        raise ValueError(f"{where}: {what} may not change the shape of the tensor (unless "
                         f"unsafe=True): expected {tuple(shape)}, received {tuple(value.shape)}")


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the stored ``original``
    (or ``original0``, ``original1``, ... when the first ``right_inverse`` returns several
    tensors).

    Args:
        modules (sequence of Modules): the parametrizations.
        original (Parameter or Tensor): the tensor being parametrized.
        unsafe (bool): skip the checks that the parametrization keeps shape and dtype.
    """

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = tuple(original.shape), original.dtype
        with no_grad():
            new = original
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (Tensor, list, tuple)):
            raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of tensors "
                             f"(list, tuple...). Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if new.dtype != dtype:
                raise ValueError(f"When `right_inverse` outputs one tensor, it may not change "
                                 f"the dtype.\noriginal.dtype: {dtype}\nright_inverse("
                                 f"original).dtype: {new.dtype}")
            _set_data(original, new)
            _register_tensor(self, "original", original)
        else:
            for i, piece in enumerate(new):
                if not isinstance(piece, Tensor):
                    raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of "
                                     f"tensors; element {i} is a {type(piece).__name__}")
                if isinstance(original, Parameter):
                    piece = Parameter(piece.detach(), original.requires_grad)
                else:
                    piece = piece.detach().requires_grad_(original.requires_grad)
                _register_tensor(self, f"original{i}", piece)
        if not self.unsafe:
            _check_result("the parametrization", self(), shape, dtype,
                          "register_parametrization")

    def right_inverse(self, value):
        """Store ``right_inverse(value)`` of each parametrization (last first) as original."""
        with no_grad():
            for module in reversed(self):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       f"implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor) or value.dtype != self.original.dtype:
                    raise ValueError(f"`right_inverse` should return a tensor of dtype "
                                     f"{self.original.dtype}, received {value!r}")
                _set_data(self.original, value)
            else:
                if not isinstance(value, (list, tuple)) or len(value) != self.ntensors:
                    raise ValueError(f"'right_inverse' must return a sequence of "
                                     f"{self.ntensors} tensors, received {value!r}")
                for i, t in enumerate(value):
                    _set_data(getattr(self, f"original{i}"), t)

    def forward(self):
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _parametrized_property(name):
    def get(self):
        plist = self.parametrizations[name]
        if not _CACHE.depth:
            return plist()
        key = (id(self), name)
        if key not in _CACHE.values:
            _CACHE.values[key] = plist()
        return _CACHE.values[key]

    def set(self, value):
        self.parametrizations[name].right_inverse(value)
    return property(get, set)


def _refuse_pickle(self):
    raise RuntimeError("Serialization of parametrized modules is only supported through "
                       "state_dict().")


def _deepcopy(self, memo):
    if id(self) in memo:
        return memo[id(self)]
    replica = self.__new__(type(self))
    memo[id(self)] = replica
    replica.__dict__ = copy.deepcopy(self.__dict__, memo)
    return replica


def _inject_new_class(module):
    """Give ``module`` a class of its own, so that properties can be added to it."""
    cls = type(module)
    attrs = {"__getstate__": _refuse_pickle, "__deepcopy__": _deepcopy}
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), attrs)


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has a parametrization (on ``tensor_name``, if given)."""
    plists = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Register ``parametrization`` (a Module) on the parameter or buffer ``tensor_name``.

    Args:
        module (Module): the owner of the tensor.
        tensor_name (str): a parameter, buffer, or an already parametrized name (the new
            parametrization is then applied after the existing ones).
        parametrization (Module): ``forward(X) -> Y``; optionally ``right_inverse(Y) -> X``
            (or a tuple of tensors, which ``forward`` then takes as arguments).
        unsafe (bool): skip the checks that shape and dtype are kept.
    Returns:
        Module: ``module``.

    Example:
        >>> class Symmetric(nn.Module):
        ...     def forward(self, X):
        ...         return X.triu() + X.triu(1).transpose(-1, -2)
        >>> parametrize.register_parametrization(layer, "weight", Symmetric())
    """
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: the parametrization must be an nn.Module, "
                        f"received {type(parametrization).__name__}")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            _check_result("the new parametrization", x, y.shape, y.dtype,
                          "register_parametrization")
            if hasattr(parametrization, "right_inverse"):
                z = parametrization.right_inverse(x)
                _check_result("right_inverse", z, y.shape, y.dtype, "register_parametrization")
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
        return module
    if tensor_name not in module._buffers and tensor_name not in module._parameters:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    original = getattr(module, tensor_name)
    if original is None:
        raise ValueError(f"register_parametrization: '{tensor_name}' of {module._get_name()} "
                         f"is None")
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_new_class(module)
        module.parametrizations = ModuleDict()
    setattr(type(module), tensor_name, _parametrized_property(tensor_name))
    module.parametrizations[tensor_name] = plist
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Remove the parametrizations on ``tensor_name``; the attribute becomes a plain
    parameter (or buffer) again, holding the current parametrized value
    (``leave_parametrized=True``) or the stored original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                _set_data(original, getattr(module, tensor_name))
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                             "that is parametrized in terms of a sequence of tensors.")
        with no_grad():
            t = getattr(module, tensor_name)
        original = Parameter(t.detach(), plist.original0.requires_grad) \
            if isinstance(plist.original0, Parameter) else t.detach()
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register_tensor(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module):
    """The module's class before parametrizations were registered."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Register ``from_module``'s parametrizations (all, or those of ``tensor_name``) on
    ``to_module``, with copies of their original tensors. Returns ``to_module``."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        if name not in from_module.parametrizations:
            raise ValueError(f"transfer_parametrizations_and_params: {name!r} is not "
                             f"parametrized on {from_module._get_name()}")
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
        for p in from_module.parametrizations[name]:
            register_parametrization(to_module, name, p)
        source, target = from_module.parametrizations[name], to_module.parametrizations[name]
        with no_grad():
            keys = ["original"] if source.is_tensor else \
                [f"original{i}" for i in range(source.ntensors)]
            for key in keys:
                _set_data(getattr(target, key), getattr(source, key).array.copy())
    return to_module
