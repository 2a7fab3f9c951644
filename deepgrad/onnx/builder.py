"""``GraphBuilder``: ONNX nodes, initializers and names, for one opset.

The converters never touch ``onnx.helper`` themselves: they call :meth:`GraphBuilder.op`
(any ONNX operator by name) and the few helpers whose form changed between opsets, so the
opset differences live here only:

* ``ReduceMean`` / ``ReduceMax`` / ``ReduceMin`` / ``ReduceProd`` / ``ReduceLogSumExp``
  take ``axes`` as an attribute before opset 18 and as an input from 18 (``ReduceSum``
  from 13);
* ``Squeeze`` / ``Unsqueeze`` take ``axes`` as an input from opset 13 (the oldest opset
  this exporter writes).

``onnx`` is imported when a builder is made, never when :mod:`deepgrad.onnx` is imported.
"""
import numpy as np

MIN_OPSET = 13
DEFAULT_OPSET = 17

_AXES_INPUT_SINCE = {"ReduceSum": 13, "ReduceMean": 18, "ReduceMax": 18, "ReduceMin": 18,
                     "ReduceProd": 18, "ReduceLogSumExp": 18, "ReduceL2": 18}


def import_onnx():
    """The ``onnx`` package, or an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError as e:
        raise ImportError("deepgrad.onnx needs the `onnx` package: pip install "
                          "'deepgrad[onnx]' (or pip install onnx)") from e
    return onnx


class GraphBuilder:
    """Collects the nodes and initializers of one graph.

    Args:
        opset (int): the ONNX opset the nodes are written for.
    """

    def __init__(self, opset):
        self.onnx = import_onnx()
        self.opset = opset
        self.nodes, self.initializers = [], []
        self._used = set()
        self._consts = {}           # cache key -> initializer name (small int64 vectors)

    # ------------------------------------------------------------------ names
    def fresh(self, base):
        """A name not used yet in this graph, from ``base`` (``relu``, ``relu_1``...)."""
        base = str(base) or "t"
        name, k = base, 0
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name

    def reserve(self, name):
        """Claim ``name`` exactly (a graph input or output name); False if taken."""
        if name in self._used:
            return False
        self._used.add(name)
        return True

    # ------------------------------------------------------------------ nodes
    def op(self, op_type, inputs, n_out=1, outputs=None, **attrs):
        """Append one node; return its output name (or the list of them if ``n_out > 1``).

        ``inputs`` are names ('' for an omitted optional input); attributes whose value is
        None are left out.
        """
        if outputs is None:
            outputs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(
            op_type, list(inputs), list(outputs), name=self.fresh("n_" + op_type), **attrs))
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def const(self, array, name=None, dtype=None):
        """An initializer holding ``array`` (in ``dtype`` if given); returns its name."""
        arr = np.asarray(array, dtype=dtype)
        if arr.dtype == np.float16 or arr.dtype.kind not in "fiub":
            raise TypeError(f"onnx export: cannot store a constant of dtype {arr.dtype}")
        name = self.fresh(name or "const")
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(arr),
                                                                   name))
        return name

    def int64s(self, values):
        """A 1-D int64 initializer (shapes, axes, indices), shared by equal values."""
        key = ("i64",) + tuple(int(v) for v in values)
        if key not in self._consts:
            self._consts[key] = self.const(np.asarray(key[1:], np.int64), "ints")
        return self._consts[key]

    def scalar(self, value, dtype):
        """A 0-d initializer of ``dtype`` (shared by equal values)."""
        dtype = np.dtype(dtype)
        key = ("s", dtype.str, float(value))
        if key not in self._consts:
            self._consts[key] = self.const(np.asarray(value, dtype), "scalar")
        return self._consts[key]

    # ------------------------------------------------------------------ opset-aware helpers
    def reduce(self, op_type, x, axes, keepdims):
        """``op_type`` over ``axes`` (None: every axis), axes as attribute or input."""
        keep = int(bool(keepdims))
        if axes is None:
            return self.op(op_type, [x], keepdims=keep)
        axes = [int(a) for a in axes]
        if self.opset >= _AXES_INPUT_SINCE.get(op_type, 10 ** 6):
            return self.op(op_type, [x, self.int64s(axes)], keepdims=keep)
        return self.op(op_type, [x], axes=axes, keepdims=keep)

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", [x, self.int64s(axes)])

    def squeeze(self, x, axes):
        return self.op("Squeeze", [x, self.int64s(axes)])

    def transpose(self, x, perm):
        perm = [int(p) for p in perm]
        if perm == sorted(perm):
            return x
        return self.op("Transpose", [x], perm=perm)

    # ------------------------------------------------------------------ the model
    def value_info(self, name, dtype, dims):
        """A graph input/output description: dims are ints or strings (dynamic axes)."""
        elem = self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return self.onnx.helper.make_tensor_value_info(name, elem, list(dims))

    def model(self, inputs, outputs, graph_name, doc=""):
        """The ModelProto: ``inputs``/``outputs`` are value infos from :meth:`value_info`."""
        helper = self.onnx.helper
        used = {name for node in self.nodes for name in node.input}
        used.update(o.name for o in outputs)
        initializers = [t for t in self.initializers if t.name in used]
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, initializers)
        opsets = [helper.make_opsetid("", self.opset)]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="deepgrad",
                                  doc_string=doc)
        model.ir_version = helper.find_min_ir_version_for(opsets)
        from deepgrad import __version__
        model.producer_version = __version__
        return model
