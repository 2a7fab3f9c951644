"""``export``: ``torch.onnx.export``'s signature, for deepgrad's two fronts.

Steps, each finished before the next starts, and nothing written until the last:

1. check every argument (model, inputs, file, names, dynamic axes, opset);
2. put the model in eval mode (an ``nn.Module``: dropout is the identity, batch norm
   uses its running statistics; a Keras model is called with ``training=False``) and
   trace it twice (:mod:`deepgrad.onnx.trace`), then restore each module's mode;
3. convert the graph (:mod:`deepgrad.onnx.context`, the ``convert_*`` families) and
   check the model with ``onnx.checker`` (with shape inference);
4. serialise and write to ``f``.
"""
import inspect
import os

import numpy as np

from deepgrad.onnx import builder as _builder, registry, trace as _trace
from deepgrad.onnx.context import ExportContext
from deepgrad.onnx.errors import OnnxExporterError


def _kind(model):
    """'nn' for an nn.Module, 'keras' for a deepgrad.keras Layer/Model; else TypeError."""
    from deepgrad.nn.module import Module
    if isinstance(model, Module):
        return "nn"
    keras_layer = _keras_layer_class()
    if keras_layer is not None and isinstance(model, keras_layer):
        return "keras"
    raise TypeError(f"onnx export: model must be a deepgrad.nn.Module or a deepgrad.keras "
                    f"Layer/Model, received {type(model).__name__}")


def _keras_layer_class():
    import sys
    if "deepgrad.keras.layers.layer" not in sys.modules:
        return None                 # no Keras model can exist before keras is imported
    return sys.modules["deepgrad.keras.layers.layer"].Layer


def _check_names(what, names):
    if names is None:
        return []
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or not all(
            isinstance(n, str) and n for n in names):
        raise TypeError(f"onnx export: {what} must be a list of non-empty strings, received "
                        f"{names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"onnx export: {what} has repeated names: {list(names)}")
    return list(names)


def _check_opset(opset_version):
    onnx = _builder.import_onnx()
    top = onnx.defs.onnx_opset_version()
    if opset_version is None:
        return min(_builder.DEFAULT_OPSET, top)
    if not isinstance(opset_version, (int, np.integer)) or isinstance(opset_version, bool):
        raise TypeError(f"onnx export: opset_version must be an int, received "
                        f"{opset_version!r}")
    if not _builder.MIN_OPSET <= opset_version <= top:
        raise ValueError(f"onnx export: opset_version must be between {_builder.MIN_OPSET} "
                         f"and {top} (the installed onnx package's newest), received "
                         f"{opset_version}")
    return int(opset_version)


def _check_file(f):
    if f is None or isinstance(f, (str, os.PathLike)) or callable(getattr(f, "write", None)):
        return f
    raise TypeError(f"onnx export: f must be a file path (str or os.PathLike), a writable "
                    f"binary file object, or None, received {type(f).__name__}")


def _split_args(args, kwargs):
    """(positional arguments, keyword arguments): a lone tensor is ``(tensor,)``, a
    trailing dict of a tuple is keyword arguments (torch.onnx's rule)."""
    from deepgrad.autograd.tensor import Tensor
    if isinstance(args, (Tensor, np.ndarray)):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    elif not isinstance(args, tuple):
        raise TypeError(f"onnx export: args must be a Tensor, a NumPy array or a tuple of "
                        f"the model's arguments, received {type(args).__name__}")
    kw = {}
    if args and isinstance(args[-1], dict):
        args, kw = args[:-1], dict(args[-1])
    if kwargs is not None:
        if not isinstance(kwargs, dict):
            raise TypeError(f"onnx export: kwargs must be a dict, received "
                            f"{type(kwargs).__name__}")
        kw.update(kwargs)
    return args, kw


def _arg_names(model, kind, n_args):
    """Default input names: the parameter names of ``forward`` / ``call``."""
    fn = model.forward if kind == "nn" else model.call
    try:
        params = [p for p in inspect.signature(fn).parameters.values()]
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(n_args):
        p = params[i] if i < len(params) else None
        if p is None or p.kind is p.VAR_POSITIONAL:
            star = next((q.name for q in params if q.kind is q.VAR_POSITIONAL), "input")
            names.append(f"{star}_{i}")
        else:
            names.append(p.name)
    return names


def _input_names(model, kind, args_t, kw_t, given):
    """One name per input slot: ``given`` first, then the argument's name (with an index
    inside a list argument)."""
    defaults = []
    arg_names = _arg_names(model, kind, len(args_t))
    for base, value in list(zip(arg_names, args_t)) + list(kw_t.items()):
        n = _count_slots(value)
        defaults += [base] if n == 1 and value is _trace._SLOT else [
            f"{base}_{i}" for i in range(n)]
    if len(given) > len(defaults):
        raise ValueError(f"onnx export: {len(given)} input_names given for a model called "
                         f"with {len(defaults)} tensor inputs: {given}")
    names = list(given)
    for d in defaults[len(given):]:
        name, k = d, 0
        while name in names:
            k += 1
            name = f"{d}.{k}"
        names.append(name)
    return names


def _count_slots(value):
    if value is _trace._SLOT:
        return 1
    if isinstance(value, (list, tuple)):
        return sum(_count_slots(v) for v in value)
    return 0


def _check_dynamic_axes(dynamic_axes):
    """``{name: {axis: axis name}}`` from torch.onnx's dict or list form; list entries get
    torch's names ``<name>_dynamic_axes_<k>`` (k from 1). The names are checked against
    the inputs and outputs by :func:`_check_axes_names` once the outputs are known."""
    if dynamic_axes is None:
        return {}
    if not isinstance(dynamic_axes, dict):
        raise TypeError(f"onnx export: dynamic_axes must be a dict {{name: {{axis: "
                        f"axis_name}}}} or {{name: [axes]}}, received "
                        f"{type(dynamic_axes).__name__}")
    out = {}
    for name, axes in dynamic_axes.items():
        if not isinstance(name, str):
            raise TypeError(f"onnx export: dynamic_axes keys are input or output names, "
                            f"received {name!r}")
        if isinstance(axes, dict):
            pairs = list(axes.items())
        elif isinstance(axes, (list, tuple)):
            pairs = [(a, f"{name}_dynamic_axes_{k + 1}") for k, a in enumerate(axes)]
        else:
            raise TypeError(f"onnx export: dynamic_axes[{name!r}] must be a dict {{axis: "
                            f"axis_name}} or a list of axes, received {axes!r}")
        spec = {}
        for axis, axis_name in pairs:
            if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
                raise TypeError(f"onnx export: dynamic_axes[{name!r}] has axis {axis!r}; "
                                f"axes are ints")
            if not isinstance(axis_name, str) or not axis_name:
                raise TypeError(f"onnx export: dynamic_axes[{name!r}][{axis}] must be a "
                                f"non-empty string, received {axis_name!r}")
            spec[int(axis)] = axis_name
        out[name] = spec
    return out


def _check_axes_names(axes, input_names, output_names):
    for name in axes:
        if name not in input_names and name not in output_names:
            raise ValueError(f"onnx export: dynamic_axes names {name!r}, which is neither an "
                             f"input ({input_names}) nor an output name ({output_names}); "
                             f"name the inputs and outputs with input_names= and "
                             f"output_names=")


def _normalise_axes(spec, name, ndim):
    axes = {}
    for axis, axis_name in spec.items():
        if not -ndim <= axis < ndim:
            raise ValueError(f"onnx export: dynamic_axes[{name!r}] has axis {axis}, out of "
                             f"range for a tensor of {ndim} dimensions")
        axes[axis % ndim] = axis_name
    return axes


def _weight_names(model, kind):
    names = {}
    if kind == "nn":
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            names.setdefault(id(t), name)
    else:
        for v in model.weights:
            names.setdefault(id(v), getattr(v, "path", None) or getattr(v, "name", "weight"))
    return names


class _EvalMode:
    """Eval mode for the export, each module's own flag restored afterwards."""

    def __init__(self, model, kind):
        self.model, self.kind = model, kind

    def __enter__(self):
        if self.kind == "nn":
            self.saved = [(m, m.training) for m in self.model.modules()]
            self.model.eval()
        return self

    def __exit__(self, *exc):
        if self.kind == "nn":
            for m, flag in self.saved:
                m.training = flag
        return False


def export(model, args=(), f=None, *, kwargs=None, input_names=None, output_names=None,
           opset_version=None, dynamic_axes=None):
    """Export ``model`` to ONNX, as ``torch.onnx.export`` does (its TorchScript-era
    arguments: ``input_names``, ``output_names``, ``dynamic_axes``, ``opset_version``).

    The model runs on ``args`` in eval mode, and once more on inputs with other values and
    longer dynamic axes, to check what a trace cannot see (:mod:`deepgrad.onnx.trace`);
    the ops it records become ONNX nodes, its parameters and buffers initializers (named
    ``fc1.weight`` / ``dense/kernel``).

    Args:
        model: a ``deepgrad.nn.Module`` or a ``deepgrad.keras`` Layer/Model (Keras models
            are called with ``training=False`` and keep their channels-last layout).
        args: the example input: a Tensor (or NumPy array), or a tuple of the model's
            positional arguments; Tensors (also inside lists) become graph inputs, in order,
            other values are fixed; a trailing dict holds keyword arguments.
        f: a path or a binary file object to write to; None writes nothing.
        kwargs: more keyword arguments for the model (torch.onnx's ``kwargs``).
        input_names, output_names: names of the graph's inputs and outputs, in order;
            missing ones default to ``forward``'s parameter names and ``output`` /
            ``output_<i>``.
        opset_version (int): ONNX opset, 13 to the installed onnx's newest; default 17.
        dynamic_axes: ``{name: {axis: "axis_name"}}`` or ``{name: [axis, ...]}`` (named
            ``<name>_dynamic_axes_<k>``): axes of inputs and outputs whose size is known only
            at run time, e.g. ``{"x": {0: "batch"}, "y": {0: "batch"}}``. An output axis
            that follows a dynamic input axis is named after it even if not listed.
    Returns:
        onnx.ModelProto: the exported model (also written to ``f`` when given).
    Raises:
        TypeError, ValueError: bad arguments. UnsupportedOperatorError: an op without an
        ONNX converter (named, with its Python class). OnnxExporterError: a model the
        trace cannot express. All are raised before anything is written.
    Example:
        >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        >>> deepgrad.onnx.export(net, deepgrad.randn(2, 4), "net.onnx", input_names=["x"],
        ...                      output_names=["y"], dynamic_axes={"x": {0: "batch"},
        ...                                                        "y": {0: "batch"}})
    """
    kind = _kind(model)
    f = _check_file(f)
    given_in = _check_names("input_names", input_names)
    given_out = _check_names("output_names", output_names)
    opset = _check_opset(opset_version)
    args, kw = _split_args(args, kwargs)
    arrays = []
    args_t = _trace.template(args, arrays)
    kw_t = {k: _trace.template(v, arrays) for k, v in kw.items()}
    if not arrays:
        raise ValueError("onnx export: args holds no Tensor: the graph would have no input")
    for i, a in enumerate(arrays):
        if a.dtype.kind not in "fiub" or a.dtype == np.float16:
            raise TypeError(f"onnx export: input {i} has dtype {a.dtype}; inputs must be "
                            f"float32/float64, integer or bool")
    names_in = _input_names(model, kind, args_t, kw_t, given_in)
    axes = _check_dynamic_axes(dynamic_axes)
    in_axes = [_normalise_axes(axes.get(n, {}), n, a.ndim) for n, a in zip(names_in, arrays)]
    call = _caller(model, kind)
    with _EvalMode(model, kind):
        first = _trace.run(call, arrays, args_t, kw_t)
        second = _second_run(call, arrays, args_t, kw_t, in_axes, names_in)
    _trace.check_same_graph(first, second)
    names_out = _output_names(given_out, len(first.outputs), names_in)
    _check_axes_names(axes, names_in, names_out)
    proto = _build(model, kind, opset, first, second, names_in, names_out, in_axes, axes)
    data = proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    elif f is not None:
        f.write(data)
    return proto


def _second_run(call, arrays, args_t, kw_t, in_axes, names_in):
    """The check run (:func:`deepgrad.onnx.trace.twin_arrays`): dynamic axes grown by
    distinct amounts per axis name, or, if the model needs them equal, all by one."""
    tries = (True, False) if sum(len(a) for a in in_axes) > 1 else (True,)
    for distinct in tries:
        try:
            return _trace.run(call, _trace.twin_arrays(arrays, in_axes, distinct), args_t,
                              kw_t)
        except Exception as e:
            error = e
    grown = {n: sorted(a) for n, a in zip(names_in, in_axes) if a}
    raise OnnxExporterError(
        f"onnx export: the model fails when run again with the dynamic axes {grown} grown "
        f"and other input values ({type(error).__name__}: {error}); those axes cannot "
        f"change size in this model") from error


def _caller(model, kind):
    if kind == "nn":
        return model
    return lambda *a, **k: model(*a, training=False, **k)


def _output_names(given, n, names_in):
    if len(given) > n:
        raise ValueError(f"onnx export: {len(given)} output_names given for a model with {n} "
                         f"outputs: {given}")
    defaults = ["output"] if n == 1 else [f"output_{i}" for i in range(n)]
    names = list(given) + defaults[len(given):]
    clash = set(names) & set(names_in)
    if clash:
        raise ValueError(f"onnx export: {sorted(clash)} name both an input and an output")
    if len(set(names)) != len(names):
        raise ValueError(f"onnx export: output names repeat: {names}")
    return names


def _build(model, kind, opset, first, second, names_in, names_out, in_axes, axes):
    g = _builder.GraphBuilder(opset)
    for name in names_in + names_out:
        g.reserve(name)
    ctx = ExportContext(g, first, second, names_in, _weight_names(model, kind))
    ctx.convert_all(registry.load())
    dim_names = {}
    inputs = []
    for e1, name, spec in zip(first.entries, names_in, in_axes):
        dims = list(e1.shape)
        for ax, (a, b) in enumerate(ctx.dims(e1)):
            if a != b:
                dims[ax] = spec[ax]
                dim_names.setdefault((a, b), spec[ax])
        inputs.append(g.value_info(name, e1.dtype, dims))
    outputs = []
    for t, name in zip(first.outputs, names_out):
        spec = _normalise_axes(axes.get(name, {}), name, t.ndim)
        dims = []
        for ax, (a, b) in enumerate(ctx.dims(t)):
            if ax in spec:
                dims.append(spec[ax])
            elif a != b:
                dims.append(dim_names.get((a, b), f"{name}_dim_{ax}"))
            else:
                dims.append(a)
        g.op("Identity", [ctx.name(t, name)], outputs=[name])
        outputs.append(g.value_info(name, t.dtype, dims))
    proto = g.model(inputs, outputs, graph_name=_graph_name(model),
                    doc=f"exported by deepgrad.onnx from {type(model).__name__}")
    try:
        g.onnx.checker.check_model(proto, full_check=True)
    except Exception as e:          # onnx raises ValidationError / InferenceError
        raise OnnxExporterError(f"onnx export: the exported model fails onnx's checker "
                                f"(a converter bug; please report it): {e}") from e
    return proto


def _graph_name(model):
    return getattr(model, "name", None) or type(model).__name__
