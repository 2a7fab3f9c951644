"""Keras 3's ``model.export(filepath, format="onnx")`` for ``deepgrad.keras`` models.

Keras's rules, as its torch backend applies them (``keras/src/export/onnx.py``):

* ``input_signature`` defaults to the model's inputs with the batch axis unknown
  (``(None, 28, 28, 1)``): a functional model's ``Input`` tensors, a Sequential model's
  input shape, or a subclassed model's shape from its first call; one built but never
  called, or never built, raises ValueError. Given, it is a list of ``InputSpec`` /
  ``KerasTensor`` / tensors (a tensor's batch axis is made unknown), or Keras's form
  ``[[spec, spec]]`` for a model of several inputs;
* an unknown size (None) becomes a dynamic axis of the ONNX input, named ``"batch"``
  for axis 0 and ``"dim_<input>_<axis>"`` otherwise; inputs are named after the specs
  (an ``Input``'s name) or ``"input_<i>"``;
* ``opset_version`` is the only keyword argument of the ONNX format;
* ``verbose`` (None means True) prints ``Saved artifact at '<filepath>'.``

The graph keeps Keras's layout: a Conv2D model takes (N, H, W, C) images in ONNX as in
Keras. The model is traced on example inputs with 2, 3, ... in place of the unknown sizes
(one size per axis name; values drawn from a fixed generator; integer inputs, such as
token ids, get 0 and 1).
"""
import os

import numpy as np

from deepgrad.onnx.export import export

FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")


def export_model(model, filepath, format="tf_saved_model", verbose=None, input_signature=None,
                 **kwargs):
    """Export a ``deepgrad.keras`` model to ``filepath`` as ONNX. See the module docstring.

    Args:
        model: a deepgrad.keras Model.
        filepath (str or path-like): the .onnx file to write.
        format (str): "onnx" (Keras's other formats are refused: NotImplementedError).
        verbose (bool or None): print where the artifact was saved (None: True).
        input_signature: None, or a list of InputSpec / KerasTensor / tensors.
        **kwargs: ``opset_version`` (int) only.
    Returns:
        onnx.ModelProto: the exported model.
    """
    if format not in FORMATS:
        raise ValueError(f"Unrecognized format={format}. Supported formats are: "
                         f"{list(FORMATS)}.")
    if format != "onnx":
        raise NotImplementedError(
            f"Model.export: format={format!r} is not available in deepgrad (it needs "
            f"TensorFlow, OpenVINO, LiteRT or torch.export); use format='onnx'")
    opset_version = kwargs.pop("opset_version", None)
    if kwargs:
        raise TypeError(f"Model.export: unexpected keyword arguments {sorted(kwargs)} for "
                        f"format='onnx' (it accepts opset_version)")
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"Model.export: filepath must be a str or a path, received "
                        f"{type(filepath).__name__}")
    specs = _signature(model, input_signature)
    names, dynamic, arrays, sizes = [], {}, [], {}
    for i, (shape, dtype, name) in enumerate(specs):
        name = name or f"input_{i}"
        while name in names:
            name += "_"
        names.append(name)
        axes = {d: ("batch" if d == 0 else f"dim_{i}_{d}")
                for d, n in enumerate(shape) if n is None}
        if axes:
            dynamic[name] = axes
        for axis_name in axes.values():             # 2, 3, ...: one size per axis name
            sizes.setdefault(axis_name, 2 + len(sizes))
        example = tuple(sizes[axes[d]] if d in axes else n for d, n in enumerate(shape))
        arrays.append(_example(example, dtype, i))
    args = (arrays[0],) if len(arrays) == 1 else (arrays,)
    proto = export(model, args, os.fspath(filepath), input_names=names,
                   dynamic_axes=dynamic or None, opset_version=opset_version)
    if verbose is None or verbose:
        print(f"Saved artifact at '{os.fspath(filepath)}'.")
    return proto


def _signature(model, input_signature):
    """[(shape with None for unknown sizes, dtype, name or None)], one per model input."""
    if input_signature is None:
        return _model_signature(model)
    if not isinstance(input_signature, (list, tuple)) or not input_signature:
        raise TypeError(f"Model.export: input_signature must be a non-empty list of "
                        f"InputSpec, KerasTensor or tensors, received {input_signature!r}")
    specs = input_signature
    if len(specs) == 1 and isinstance(specs[0], (list, tuple)):
        specs = specs[0]                          # Keras's [[spec, spec]] for several inputs
    return [_spec(s, i) for i, s in enumerate(specs)]


def _spec(s, i):
    from deepgrad.autograd.tensor import Tensor
    if isinstance(s, (Tensor, np.ndarray)):
        return (None,) + tuple(s.shape[1:]), np.dtype(s.dtype), None
    shape, dtype = getattr(s, "shape", None), getattr(s, "dtype", None)
    if shape is None or dtype is None:
        raise ValueError(f"Model.export: input_signature[{i}] must give a shape and a dtype "
                         f"(an InputSpec(shape=..., dtype=...), a KerasTensor or a tensor), "
                         f"received {s!r}")
    return tuple(shape), np.dtype(dtype), getattr(s, "name", None)


def _model_signature(model):
    if getattr(model, "_functional", False):
        return [((None,) + tuple(t.shape[1:]), np.dtype(t.dtype), t.name)
                for t in model.inputs]
    if not model.built:
        raise ValueError("The model provided has not yet been built. It must be built "
                         "before export.")
    shape = getattr(model, "_batch_input_shape", None) or getattr(model, "_build_shape", None)
    if shape is None or not isinstance(shape, (tuple, list)) or not all(
            n is None or isinstance(n, (int, np.integer)) for n in shape):
        raise ValueError("The model provided has never called. It must be called at least "
                         "once before export (or pass input_signature=).")
    dtype = np.dtype(getattr(model, "_input_dtype", "float32"))
    return [((None,) + tuple(shape[1:]), dtype, None)]


def _example(shape, dtype, seed):
    """Example values: normal floats from a fixed generator, 0/1 for integers and bools."""
    if dtype.kind == "f":
        return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    values = np.arange(int(np.prod(shape, dtype=np.int64))) % 2
    return values.reshape(shape).astype(dtype)
