"""One registry: the ``Function`` class of an op -> the function that writes its ONNX nodes.

A converter is ``convert(ctx, node) -> name``: ``node`` is one traced op
(:class:`deepgrad.onnx.trace.Node`: its ``fn``, keyword ``params``, ``inputs`` and
``output`` tensors) and ``ctx`` the :class:`deepgrad.onnx.context.ExportContext`, which
hands out the ONNX names of the inputs and emits nodes. The converter returns the ONNX
name of the op's output. Converters live in one file per op family (``convert_*.py``),
each registering its ops with :func:`converts`; :func:`load` imports them all.
"""
import importlib

CONVERTERS = {}

_FAMILIES = ("convert_elementwise", "convert_activation", "convert_linalg", "convert_shape",
             "convert_reduce", "convert_conv", "convert_pool", "convert_norm", "convert_rnn",
             "convert_misc")


def converts(*classes, checks=()):
    """Decorator: register the decorated converter for each ``Function`` class given.

    ``checks`` names the op's arguments that the converter itself reads in both runs (a
    size that follows a dynamic axis, an array that may be an input); every other
    argument must be the same in both runs, or the export stops (see ``ExportContext``).
    """
    def register(convert):
        convert.checks = frozenset(checks)
        for cls in classes:
            CONVERTERS[cls] = convert
        return convert
    return register


def load():
    """Import every converter family once (each registers its ops on import)."""
    for name in _FAMILIES:
        importlib.import_module(f"deepgrad.onnx.{name}")
    return CONVERTERS


def describe(fn_class):
    """``'Softplus (deepgrad.ops.activation.Softplus)'``: an op's name and Python class."""
    return f"{fn_class.__name__} ({fn_class.__module__}.{fn_class.__qualname__})"
