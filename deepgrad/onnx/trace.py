"""Tracing: run the model once on example inputs and read back the graph it recorded.

The exporter runs the model forward with graph recording on, each floating input entering
through an identity node (:class:`Entry`) that requires grad, so every op that the inputs
reach is recorded as a node of the autograd graph, and the op's keyword arguments are kept
by :func:`deepgrad.autograd.op_record.record_op_arguments`. Walking the graph from the
outputs back to the inputs (a loop, not recursion, as the engine's own walk) gives the
ops in an order where every op comes after the ops it reads: the order of the ONNX nodes.

What a trace cannot see it checks with a second run, on inputs whose dynamic axes are one
longer and whose floating values differ: the two graphs must have the same ops, and a
constant that differs between the runs (a value computed from an input by code outside
the graph, or a shape that follows a dynamic axis) is either expressed from the inputs'
runtime shapes or refused (:mod:`deepgrad.onnx.context`).
"""
import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import enable_grad
from deepgrad.autograd.op_record import record_op_arguments
from deepgrad.autograd.tensor import Tensor
from deepgrad.onnx.errors import OnnxExporterError, UnsupportedOperatorError


class Entry(Function):
    """Identity that marks where a graph input enters the model (its output is the input)."""

    def forward(self, x):
        return x

    def backward(self, g):
        return g


class Node:
    """One traced op: the ``Function`` node, its keyword ``params``, its ``inputs`` and
    its ``output`` tensors, and its position ``index`` in the topological order."""

    __slots__ = ("fn", "params", "inputs", "output", "index")

    def __init__(self, fn, params, output, index):
        self.fn, self.params, self.inputs = fn, params, list(fn.inputs)
        self.output, self.index = output, index

    @property
    def op(self):
        return type(self.fn).__name__


class Trace:
    """The result of one run: ``entries`` (the input tensors the model received),
    ``outputs`` (flattened), ``nodes`` (topological order) and their arguments."""

    def __init__(self, entries, outputs, nodes):
        self.entries, self.outputs, self.nodes = entries, outputs, nodes


def _as_tensor(x, i):
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"onnx export: input {i} must be a Tensor or a NumPy array, received "
                    f"{type(x).__name__}")


def _enter(arrays):
    """The tensors handed to the model: float inputs through :class:`Entry` (recorded),
    the others (integer indices) as they are, since they cannot require grad."""
    entries = []
    for a in arrays:
        leaf = Tensor(a)
        if a.dtype.kind == "f":
            leaf.requires_grad_(True)
            entries.append(Entry.apply(leaf))
        else:
            entries.append(leaf)
    return entries


def flatten_outputs(out, where="output"):
    """The model's output as a flat list of tensors (tuples, lists and dict values in
    order, nested), or a TypeError naming what is not a tensor."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        flat = []
        for i, o in enumerate(out):
            flat += flatten_outputs(o, f"{where}[{i}]")
        return flat
    raise TypeError(f"onnx export: the model's {where} is a {type(out).__name__}; "
                    f"expected Tensors (alone or in tuples, lists or dicts)")


def topological(outputs, entries):
    """(tensor, node) pairs from the inputs to ``outputs``, each op after what it reads;
    the walk stops at leaves and at the ``entries``."""
    stop = {id(t) for t in entries}
    order, seen = [], set()
    for root in outputs:
        stack = [(root, False)]
        while stack:
            t, done = stack.pop()
            fn = t._ctx
            if fn is None or id(t) in stop:
                continue
            if done:
                order.append((t, fn))
                continue
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            stack.append((t, True))
            stack.extend((i, False) for i in reversed(fn.inputs))
    return order


_SLOT = object()       # marks where an input tensor goes in the model's arguments


def template(value, arrays):
    """``value`` with every Tensor / ndarray replaced by a slot (their arrays appended to
    ``arrays``), searching lists and tuples; other values are kept (hard-coded)."""
    from deepgrad.autograd.tensor import Tensor as _T
    if isinstance(value, _T):
        arrays.append(value.array)
        return _SLOT
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return _SLOT
    if isinstance(value, (list, tuple)):
        return type(value)(template(v, arrays) for v in value)
    return value


def _fill(value, it):
    if value is _SLOT:
        return next(it)
    if isinstance(value, (list, tuple)):
        return type(value)(_fill(v, it) for v in value)
    return value


def run(call, arrays, args, kwargs):
    """Run ``call`` once on ``arrays`` (one per tensor input) and trace it.

    Args:
        call: ``call(*args, **kwargs)`` runs the model (in eval mode).
        arrays: the example arrays, in input order.
        args, kwargs: the arguments made by :func:`template`; their slots are filled
            with the input tensors in order (positional arguments first).
    Returns:
        Trace.
    """
    entries = _enter(arrays)
    it = iter(entries)
    args = _fill(tuple(args), it)
    kwargs = {k: _fill(v, it) for k, v in kwargs.items()}
    with enable_grad(), record_op_arguments() as arguments:
        out = call(*args, **kwargs)
    outputs = flatten_outputs(out)
    nodes = [Node(fn, arguments.get(fn), t, k)
             for k, (t, fn) in enumerate(topological(outputs, entries))]
    for node in nodes:
        if node.params is None:
            from deepgrad.onnx.registry import describe
            raise UnsupportedOperatorError(
                f"onnx export: the op {describe(type(node.fn))} has no ONNX converter: it "
                f"is a custom autograd.Function (PyTorch's ctx style), whose forward "
                f"deepgrad cannot translate")
    return Trace(entries, outputs, nodes)


def twin_arrays(arrays, dynamic, distinct=True):
    """The second run's inputs: floating values changed (x * 0.75 + 0.125), integer values
    cycled by one position, so that what depends on them changes; and each dynamic axis
    made longer (its first slice repeated): with ``distinct``, by 1 for the first axis name
    of ``dynamic`` (one ``{axis: name}`` per input), 2 for the second, and so on, so that
    two dynamic axes never have the same pair of sizes; else all by 1 (for a model whose
    differently named axes must stay equal, as torch.onnx's list form names them)."""
    growth = {}
    for axes in dynamic:
        for name in axes.values():
            growth.setdefault(name, len(growth) + 1 if distinct else 1)
    out = []
    for a, axes in zip(arrays, dynamic):
        for ax in sorted(axes):
            a = np.concatenate([a, np.take(a, [0] * growth[axes[ax]], axis=ax)], axis=ax)
        if a.dtype.kind == "f":
            a = (a * a.dtype.type(0.75) + a.dtype.type(0.125)).astype(a.dtype)
        elif a.size > 1:
            a = np.roll(a.reshape(-1), 1).reshape(a.shape)
        out.append(np.ascontiguousarray(a))
    return out


def check_same_graph(first, second):
    """Raise unless the two traces ran the same ops in the same order."""
    ops1 = [(n.op, len(n.inputs)) for n in first.nodes]
    ops2 = [(n.op, len(n.inputs)) for n in second.nodes]
    if ops1 == ops2 and len(first.outputs) == len(second.outputs):
        return
    k = next((i for i, (a, b) in enumerate(zip(ops1, ops2)) if a != b), min(len(ops1),
                                                                            len(ops2)))
    what = (f"op {k} is {ops1[k][0] if k < len(ops1) else 'missing'} in the first and "
            f"{ops2[k][0] if k < len(ops2) else 'missing'} in the second")
    raise OnnxExporterError(
        f"onnx export: the model runs different ops when the dynamic axes change size or "
        f"the input values change ({what}); a traced graph cannot follow control flow that "
        f"depends on sizes or values. Export with fixed sizes or make the control flow "
        f"independent of the input")
