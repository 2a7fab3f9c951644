"""The registries a :class:`~deepgrad.nn.module.Module` keeps its parameters, buffers and
sub-modules in (``_parameters``, ``_buffers``, ``_modules``, as PyTorch).

A :class:`Registry` is an ordered dict that mirrors every entry into its owner's instance
``__dict__``, so that reading ``self.weight`` in a forward is a plain attribute read
(PyTorch finds registered objects with ``__getattr__``, which slows every attribute read).
"""
import weakref
from collections import OrderedDict


def typename(value):
    return type(value).__name__


def check_name(kind, name):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')


class Registry(OrderedDict):
    """A module's parameters, buffers or submodules by name, each entry mirrored into the
    owning module's ``__dict__`` (also when code writes into ``module._parameters``
    directly, as PyTorch code may). The owner is held weakly and re-linked on unpickling."""

    _MISSING = object()

    def __init__(self, owner=None, items=()):
        super().__init__()
        self.owner = None if owner is None else weakref.ref(owner)
        for key, value in items:
            self[key] = value

    def _owner_dict(self):
        owner = None if self.owner is None else self.owner()
        return None if owner is None else owner.__dict__

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        d = self._owner_dict()
        if d is not None:
            d[key] = value

    def __delitem__(self, key):
        super().__delitem__(key)
        d = self._owner_dict()
        if d is not None:
            d.pop(key, None)

    def pop(self, key, default=_MISSING):
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default is Registry._MISSING:
            raise KeyError(key)
        return default

    def popitem(self, last=True):
        if not self:
            raise KeyError("dictionary is empty")
        key = next(reversed(self)) if last else next(iter(self))
        return key, self.pop(key)

    def clear(self):
        for key in list(self):
            del self[key]

    def copy(self):
        return OrderedDict(self)

    def __reduce__(self):
        return (Registry, (None, list(self.items())))
