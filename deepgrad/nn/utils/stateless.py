"""Calling a module with other parameters and buffers (PyTorch's
``torch.func.functional_call``; also ``torch.nn.utils.stateless.functional_call``).

For the duration of the call each named tensor replaces the module's own (a plain Tensor,
for example one computed from other tensors, may stand in for a Parameter, so gradients
flow to whatever it was computed from); the module's own tensors are put back afterwards,
even if the call raises.
"""
from contextlib import contextmanager

from deepgrad.autograd.tensor import Tensor

__all__ = ["functional_call"]


def _owner(module, dotted):
    path, _, name = dotted.rpartition(".")
    return module.get_submodule(path), name


def _swap(module, name, tensor):
    """Put ``tensor`` at ``module.<name>`` (registry and attribute); return what was there."""
    d = module.__dict__
    for registry in (d["_parameters"], d["_buffers"]):
        if name in registry:
            old = registry[name]
            registry[name] = tensor             # the registry mirrors it into __dict__
            return old
    old = getattr(module, name)
    if old is not None and not isinstance(old, Tensor):
        raise TypeError(f"functional_call: attribute `{name}` of {module._get_name()} is not a "
                        f"tensor")
    object.__setattr__(module, name, tensor)
    return old


def _untie(module, tensors):
    """With tied weights, a value given under one name is used under all its names."""
    names_of = {}
    for named in (module.named_parameters(remove_duplicate=False),
                  module.named_buffers(remove_duplicate=False)):
        for name, t in named:
            names_of.setdefault(id(t), set()).add(name)
    out = dict(tensors)
    for names in names_of.values():
        given = [n for n in names if n in tensors]
        if len(names) < 2 or not given:
            continue
        if len({id(tensors[n]) for n in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             f"which are tied. Consider using tie_weights=False")
        out.update({n: tensors[given[0]] for n in names})
    return out


@contextmanager
def _reparametrize_module(module, tensors, tie_weights=False, strict=False):
    if tie_weights:
        tensors = _untie(module, tensors)
    if strict:
        own = {n for n, _ in module.named_parameters(remove_duplicate=False)} | \
            {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(own - set(tensors)), sorted(set(tensors) - own)
        msgs = ([f"Unexpected key(s): {', '.join(map(repr, unexpected))}."] if unexpected else
                []) + ([f"Missing key(s): {', '.join(map(repr, missing))}."] if missing else [])
        if msgs:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                               + "\n\t".join(msgs))
    for name, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"functional_call: the value for {name!r} is a "
                            f"{type(t).__name__}, not a Tensor")
    owners = {name: _owner(module, name) for name in tensors}   # raises before any swap
    saved = []
    try:
        for name, t in tensors.items():
            mod, attr = owners[name]
            saved.append((mod, attr, _swap(mod, attr, t)))
        yield
    finally:
        for mod, attr, old in reversed(saved):
            _swap(mod, attr, old)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the given tensors in place of its own.

    Args:
        module (Module): the module to call.
        parameter_and_buffer_dicts (dict or tuple of dicts): dotted name -> Tensor
            (e.g. ``{"fc.weight": w}``); names not given keep the module's tensors.
        args: one positional argument or a tuple of them.  kwargs (dict): keyword ones.
        tie_weights (bool): a tensor shared under several names takes the given value under
            all of them.
        strict (bool): require exactly the module's parameter and buffer names.
    Returns:
        What ``module`` returns.
    """
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        tensors = dicts
    elif isinstance(dicts, (list, tuple)):
        tensors = {}
        for d in dicts:
            dup = set(tensors) & set(d)
            if dup:
                raise ValueError(f"{sorted(dup)} appeared in multiple dictionaries; behavior "
                                 f"of functional call is ambiguous")
            tensors.update(d)
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                         f"of dicts, but got {type(dicts)}")
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    with _reparametrize_module(module, tensors, tie_weights=tie_weights, strict=strict):
        return module(*args, **(kwargs or {}))
