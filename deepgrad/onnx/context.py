"""``ExportContext``: from the traced nodes to ONNX names, constants and runtime shapes.

Every tensor of the first trace gets one ONNX name:

* a graph **input** (an entry) its input name;
* the output of an op that depends on an input: what the op's converter emits;
* everything else is a **constant**, folded to an initializer holding the traced value:
  parameters and buffers (named by their module path, ``fc1.weight``, or Keras variable
  path, ``dense/kernel``), constants made inside ``forward``, and the outputs of ops that
  read constants only (a transposed Keras kernel is stored transposed).

A constant is checked against the second trace (:mod:`deepgrad.onnx.trace`): equal there,
it is an initializer; of another size along dynamic axes and filled with one value (the
zero initial state of an RNN), it becomes ``ConstantOfShape`` of a shape computed from
the inputs' runtime shapes; otherwise it was computed from an input by code the graph
does not record (a comparison, ``.numpy()``, an index built from values) and the export
stops with an error naming the op that reads it. An array argument of an op (an
embedding's indices) that *is* an input's array, or equals it cast, is that input.
"""
import numpy as np

from deepgrad.onnx.errors import OnnxExporterError, UnsupportedOperatorError
from deepgrad.onnx.registry import describe


def _arrays_in(value, path=()):
    """(path, array) for every ndarray in a parameter value (tuples and lists searched)."""
    if isinstance(value, np.ndarray):
        yield path, value
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from _arrays_in(v, path + (i,))


def _at(value, path):
    for i in path:
        value = value[i]
    return value


def _same(a, b):
    """Equal values (arrays by shape and content, slices by their bounds, recursively)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
            a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, slice) and isinstance(b, slice):
        return (a.start, a.stop, a.step) == (b.start, b.stop, b.step)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b) or (a is b)
    except (TypeError, ValueError):
        return a is b


def _uniform(a):
    """The one value that fills array ``a``, or None."""
    if a.size == 0:
        return None
    first = a.reshape(-1)[0]
    return first if np.all(a == first) else None


class ExportContext:
    """Names, constants and shapes for the converters. See the module docstring.

    Args:
        builder: the :class:`~deepgrad.onnx.builder.GraphBuilder`.
        first, second: the two :class:`~deepgrad.onnx.trace.Trace` runs.
        input_names: one ONNX name per entry.
        weight_names: ``{id(tensor): name}`` for the model's parameters and buffers.
    """

    def __init__(self, builder, first, second, input_names, weight_names):
        self.g = builder
        self.first, self.second = first, second
        self.weight_names = weight_names
        self.names = {}                      # id(tensor) -> ONNX name
        self.folded = {}                     # id(tensor) -> node: op outputs folded
        self.dependent = set()               # id(tensor) of tensors computed from inputs
        self.twin = {}                       # id(first-run tensor) -> second-run tensor
        self.twin_params = {}                # first-run node index -> second-run params
        self.array_names = {}                # id(array) -> ONNX name, for input arrays
        self._cache = {}                     # runtime sizes and casts, made once
        self.sources = []                    # (name, axis, size1, size2) of dynamic axes
        for e1, e2, name in zip(first.entries, second.entries, input_names):
            self.names[id(e1)] = name
            self.dependent.add(id(e1))
            self.array_names[id(e1.array)] = name
            self.twin[id(e1)] = e2
            for ax, (a, b) in enumerate(zip(e1.shape, e2.shape)):
                if a != b:
                    self.sources.append((name, ax, a, b))
        for n1, n2 in zip(first.nodes, second.nodes):
            self.twin[id(n1.output)] = n2.output
            self.twin_params[n1.index] = n2.params
            for t1, t2 in zip(n1.inputs, n2.inputs):
                self.twin.setdefault(id(t1), t2)
        for t1, t2 in zip(first.outputs, second.outputs):
            self.twin.setdefault(id(t1), t2)

    # ------------------------------------------------------------------ converting
    def convert_all(self, converters):
        """Name every node's output: fold it or run its converter, in graph order."""
        for node in self.first.nodes:
            out = node.output
            if not self._node_depends(node):
                self.folded[id(out)] = node     # a constant, emitted when first read
                continue
            convert = converters.get(type(node.fn))
            if convert is None:
                raise self.unsupported(node)
            self._check_params(node, convert.checks)
            name = convert(self, node)
            self.names[id(out)] = name
            self.dependent.add(id(out))
            self.array_names.setdefault(id(out.array), name)

    def _check_params(self, node, checked):
        """Every argument the converter does not read in both runs must be the same in
        both: a traced graph holds one value for it."""
        twin = self.twin_params[node.index]
        for key, value in node.params.items():
            if key not in checked and not _same(value, twin.get(key)):
                raise self.fail(node, f"its argument {key!r} changes when the dynamic axes "
                                      f"change size or the input values change; the traced "
                                      f"graph can hold only one value. Export with fixed "
                                      f"sizes (no dynamic_axes on the axes it reads)")

    def unsupported(self, node, detail=""):
        fn = type(node.fn)
        return _unsupported(describe(fn), self.g.opset, detail)

    def fail(self, node, message):
        """An OnnxExporterError about ``node`` (its op and Python class named)."""
        return OnnxExporterError(f"onnx export: op {describe(type(node.fn))}: {message}")

    def _node_depends(self, node):
        if any(self.depends(t) for t in node.inputs):
            return True
        twin = tuple(self.twin_params[node.index].values())
        return any(self._match(arr, _at(twin, path)) is not None
                   for path, arr in _arrays_in(tuple(node.params.values())))

    def depends(self, t):
        """True when tensor ``t`` is computed from an input (emits nothing)."""
        if id(t) in self.dependent:
            return True
        if id(t) in self.names or t._ctx is not None:
            return False
        return self._match(t.array, self._twin_array(t)) is not None

    # ------------------------------------------------------------------ names of tensors
    def name(self, t, hint="const"):
        """The ONNX name of tensor ``t`` (an input, an op output or a constant)."""
        key = id(t)
        if key in self.names:
            return self.names[key]
        folded = self.folded.get(key)
        source = None if folded is not None else self._source(t.array, self._twin_array(t))
        if source is not None:
            name = source
            self.dependent.add(key)
        elif folded is not None:
            name = self._constant(t.array, self._twin_array(t), folded.op.lower(), folded)
        else:
            name = self._constant(t.array, self._twin_array(t),
                                  self.weight_names.get(key, hint))
        self.names[key] = name
        return name

    def input(self, node, i):
        return self.name(node.inputs[i], f"{node.op.lower()}_in{i}")

    def inputs(self, node):
        return [self.input(node, i) for i in range(len(node.inputs))]

    def const_value(self, node, i, what="this input"):
        """The traced value of input ``i`` of ``node``, which must not depend on an input
        (the weights of an RNN, a kernel): an OnnxExporterError otherwise."""
        t = node.inputs[i]
        if self.depends(t):
            raise self.fail(node, f"{what} is computed from the model's input; the ONNX "
                                  f"operator needs it as a constant")
        return t.array

    def param_tensor(self, node, key, hint=None):
        """The ONNX name of the array argument ``key`` of ``node``: an input, if it is one
        (or one cast), else a constant checked against the second trace."""
        return self.array(node.params[key], self.twin_params[node.index].get(key),
                          hint or key, node)

    def array(self, arr, arr2, hint, node=None):
        """The ONNX name of an array whose values were ``arr`` and ``arr2`` in the two
        runs: an input (or one cast) if it is one, else a checked constant."""
        source = self._source(arr, arr2)
        if source is not None:
            return source
        return self._constant(arr, arr2, hint, node)

    # ------------------------------------------------------------------ sources and constants
    def _twin_array(self, t):
        t2 = self.twin.get(id(t))
        return None if t2 is None else t2.array

    def _match(self, arr, arr2):
        """(input name, dtype) when ``arr`` is an input's array, or equals it cast to
        ``dtype`` in both runs; else None. Emits nothing."""
        if not isinstance(arr, np.ndarray):
            return None
        if id(arr) in self.array_names:
            return self.array_names[id(arr)], None
        for e1 in self.first.entries:
            a1, a2 = e1.array, self.twin[id(e1)].array
            if arr.shape != a1.shape or arr2 is None or arr2.shape != a2.shape:
                continue
            if np.array_equal(arr, a1.astype(arr.dtype)) and np.array_equal(
                    arr2, a2.astype(arr.dtype)):
                return self.names[id(e1)], (None if arr.dtype == a1.dtype else arr.dtype)
        return None

    def _source(self, arr, arr2):
        """The ONNX name that gives ``arr`` at run time when it is an input (cast if need
        be), else None."""
        found = self._match(arr, arr2)
        if found is None:
            return None
        name, dtype = found
        if dtype is None:
            return name
        key = ("cast", name, np.dtype(dtype).str)
        if key not in self._cache:
            self._cache[key] = self.cast(name, dtype)
        return self._cache[key]

    def cast(self, name, dtype):
        to = self.g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return self.g.op("Cast", [name], to=int(to))

    def _constant(self, arr, arr2, hint, node=None):
        """An initializer for ``arr``; ``ConstantOfShape`` when its size follows a dynamic
        axis and one value fills it; an error when it changes with the input's values."""
        arr = np.asarray(arr)
        if arr.dtype == np.float16:
            raise OnnxExporterError("onnx export: float16 tensors are not exported")
        if arr2 is None:
            return self.g.const(arr, hint)
        arr2 = np.asarray(arr2)
        if arr.shape == arr2.shape:
            if np.array_equal(arr, arr2, equal_nan=arr.dtype.kind == "f"):
                return self.g.const(arr, hint)
            raise self._hidden(node, hint)
        v1, v2 = _uniform(arr), _uniform(arr2)
        if arr.ndim != arr2.ndim or v1 is None or v2 is None or v1 != v2:
            raise self._hidden(node, hint, sized=True)
        shape = self.shape_tensor(list(zip(arr.shape, arr2.shape)))
        value = self.g.onnx.numpy_helper.from_array(np.asarray([v1], arr.dtype), "value")
        return self.g.op("ConstantOfShape", [shape], value=value)

    def _hidden(self, node, hint, sized=False):
        where = (f"op {describe(type(node.fn))}" if node is not None
                 else f"the constant {hint!r}")
        what = ("it differs between the two runs (its size follows a dynamic axis, and it "
                "is not filled with one value that ConstantOfShape could make)"
                if sized else "it changes with the input's values")
        return OnnxExporterError(
            f"onnx export: {where} reads a value that the trace cannot follow: {what}. It was "
            f"computed from an input by code the autograd graph does not record (a "
            f"comparison, .numpy()/.item(), an index built from values, a NumPy "
            f"computation) and would be frozen into the graph as the example's value")

    # ------------------------------------------------------------------ runtime shapes
    def dims(self, t):
        """[(size in the first run, size in the second run)] per axis of ``t``."""
        t2 = self.twin.get(id(t))
        s2 = t.shape if t2 is None else t2.shape
        return list(zip(t.shape, s2))

    def dynamic_axes(self, t):
        return [ax for ax, (a, b) in enumerate(self.dims(t)) if a != b]

    def dim(self, pair):
        """A 1-D int64 tensor [n] holding a dynamic size at run time, from the input axis
        of the same sizes in both runs (or a multiple or a fraction of one)."""
        if pair in self._cache:
            return self._cache[pair]
        a, b = pair
        for name, ax, s1, s2 in self.sources:
            if (s1, s2) == pair:
                found = self._input_dim(name, ax)
            elif a % s1 == 0 and b % s2 == 0 and a // s1 == b // s2:
                found = self.g.op("Mul", [self._input_dim(name, ax), self.g.int64s([a // s1])])
            elif s1 % a == 0 and s2 % b == 0 and s1 // a == s2 // b:
                found = self.g.op("Div", [self._input_dim(name, ax), self.g.int64s([s1 // a])])
            else:
                continue
            self._cache[pair] = found
            return found
        raise OnnxExporterError(
            f"onnx export: a size that is {a} in the example and {b} when the dynamic axes "
            f"grow by one is not an input's dynamic axis, nor a multiple or fraction of one")

    def _input_dim(self, name, axis):
        key = ("input", name, axis)
        if key not in self._cache:
            shape = self.g.op("Shape", [name])
            self._cache[key] = self.g.op("Gather", [shape, self.g.int64s([axis])], axis=0)
        return self._cache[key]

    def shape_tensor(self, pairs):
        """A 1-D int64 tensor of the runtime shape with these (first, second) sizes."""
        parts, static = [], []
        for a, b in pairs:
            if a == b:
                static.append(a)
                continue
            if static:
                parts.append(self.g.int64s(static))
                static = []
            parts.append(self.dim((a, b)))
        if static:
            parts.append(self.g.int64s(static))
        if len(parts) == 1:
            return parts[0]
        return self.g.op("Concat", parts, axis=0)


def _unsupported(what, opset, detail):
    return UnsupportedOperatorError(
        f"onnx export: the op {what} has no ONNX converter (opset {opset})"
        + (f": {detail}" if detail else "")
        + ". Supported ops are listed in deepgrad.onnx.supported_ops()")
