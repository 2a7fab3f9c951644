"""Reading and replacing one layer's input or output during a forward pass.

:class:`deepgrad.nn.Module` layers are reached through forward (pre-)hooks; deepgrad.keras
layers through an instance attribute ``call`` that wraps the class's ``call`` for the
duration of the block (nothing of the layer changes afterwards).
"""
import contextlib

from deepgrad.autograd.tensor import Tensor
from deepgrad.interpret import _common
from deepgrad.nn.module import Module


def check_layer(forward_func, layer, method, allow_list=False):
    """The layer must be a module/keras layer and, when the model is known, part of it
    (each of them, for a list where the method takes one)."""
    if isinstance(layer, list):
        if not allow_list:
            raise TypeError(f"{method}: takes one layer, received a list; create one "
                            f"{method} per layer")
        if not layer:
            raise ValueError(f"{method}: the list of layers is empty")
        for one in layer:
            check_layer(forward_func, one, method)
        return
    if not isinstance(layer, Module) and not _common.is_keras_layer(layer):
        raise TypeError(f"{method}: layer must be a deepgrad.nn.Module or a deepgrad.keras "
                        f"layer; received {type(layer).__name__}")
    if isinstance(forward_func, Module):
        inside = any(m is layer for m in forward_func.modules())
    elif _common.is_keras_layer(forward_func):
        inside = any(m is layer for m in forward_func._flatten_layers())
    else:
        return                                   # a plain function: checked when called
    if not inside:
        raise ValueError(f"{method}: the layer {_name(layer)} is not part of the model "
                         f"{type(forward_func).__name__}")


def check_device_ids(device_ids, method):
    if device_ids:
        raise ValueError(f"{method}: device_ids={device_ids!r}, but deepgrad runs on one "
                         f"CPU device; leave device_ids=None")


def _name(layer):
    return getattr(layer, "name", None) or type(layer).__name__


def channel_axis(layer):
    """1 for deepgrad.nn (NCHW), -1 for keras layers unless they say channels_first."""
    if _common.is_keras_layer(layer):
        return 1 if getattr(layer, "data_format", None) == "channels_first" else -1
    return 1


def _split(value):
    """``(tuple of tensors, rebuild)`` for a layer value: a tensor or a flat tuple/list."""
    if isinstance(value, Tensor):
        return (value,), lambda ts: ts[0]
    if isinstance(value, (tuple, list)) and all(isinstance(v, Tensor) for v in value):
        kind = type(value)
        return tuple(value), lambda ts: kind(ts)
    raise TypeError(f"the layer's value is {type(value).__name__} with nested or non-tensor "
                    f"parts; attribution needs a tensor or a flat tuple of tensors")


@contextlib.contextmanager
def tap_all(layers, to_input, fns):
    """:func:`tap` on several layers at once, ``fns[i]`` for ``layers[i]``."""
    with contextlib.ExitStack() as stack:
        for layer, fn in zip(layers, fns):
            stack.enter_context(tap(layer, to_input, fn))
        yield


@contextlib.contextmanager
def tap(layer, to_input, fn):
    """While active, each call of ``layer`` hands its input (``to_input``) or output as a
    tuple of tensors to ``fn``, which returns replacements (a tuple) or None."""
    def apply(value):
        tensors, rebuild = _split(value)
        new = fn(tensors)
        return None if new is None else rebuild(tuple(new))

    if isinstance(layer, Module):
        if to_input:
            def pre_hook(module, args):
                new = apply(args[0] if len(args) == 1 else tuple(args))
                if new is None:
                    return None
                return (new,) if len(args) == 1 else tuple(new)
            handle = layer.register_forward_pre_hook(pre_hook)
        else:
            handle = layer.register_forward_hook(lambda module, args, out: apply(out))
        try:
            yield
        finally:
            handle.remove()
        return
    call = layer.call

    def patched(inputs, *args, **kwargs):
        if to_input:
            new = apply(inputs)
            inputs = inputs if new is None else new
            return call(inputs, *args, **kwargs)
        out = call(inputs, *args, **kwargs)
        new = apply(out)
        return out if new is None else new
    layer.__dict__["call"] = patched
    try:
        yield
    finally:
        layer.__dict__.pop("call", None)


def one_call(calls, layer, method):
    """The single call's tensors; an error when the layer ran zero or several times."""
    if not calls:
        raise ValueError(f"{method}: the layer {_name(layer)} was not called during the "
                         f"forward pass; is it part of the model?")
    if len(calls) > 1:
        raise ValueError(f"{method}: the layer {_name(layer)} was called {len(calls)} times "
                         f"in one forward pass; attribution needs a layer used once")
    return calls[0]
