"""ONNX export (``torch.onnx``'s names): ``deepgrad.onnx.export(model, args, f, ...)``.

A model of either front (``deepgrad.nn.Module`` or ``deepgrad.keras`` Model) is run once
on example inputs in eval mode; the ops it records in the autograd graph become ONNX
nodes (one converter per op family, ``convert_*.py``), its weights initializers. The
result runs in any ONNX runtime; the tests check onnxruntime's outputs against deepgrad's.
Keras models also export through Keras 3's ``model.export(path, format="onnx")``
(:mod:`deepgrad.onnx.keras_export`).

Modules: :mod:`~deepgrad.onnx.export` (arguments, the steps), :mod:`~deepgrad.onnx.trace`
(running and reading the graph), :mod:`~deepgrad.onnx.context` (names, constants, dynamic
sizes), :mod:`~deepgrad.onnx.builder` (nodes, opset differences), :mod:`~deepgrad.onnx.
registry` (op -> converter).

The ``onnx`` package (``pip install 'deepgrad[onnx]'``) is imported on the first export,
never by ``import deepgrad``.
"""
from deepgrad.onnx.errors import OnnxExporterError, UnsupportedOperatorError
from deepgrad.onnx import registry
from deepgrad.onnx.export import export


def supported_ops():
    """Names of the deepgrad ops (``Function`` classes) that have an ONNX converter."""
    return sorted(cls.__name__ for cls in registry.load())


__all__ = ["export", "supported_ops", "OnnxExporterError", "UnsupportedOperatorError"]
