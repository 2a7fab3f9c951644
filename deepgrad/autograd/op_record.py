"""Keeping each recorded op's non-tensor arguments, for tools that read a graph back.

The graph that backward walks links every output tensor to its node (``t.grad_fn``) and
every node to its input tensors (``fn.inputs``); what a node does not keep is the
arguments its forward received besides the arrays (axes, strides, epsilon, a slope...):
a ``Function`` saves only what its backward needs. An exporter that turns the graph into
another format (:mod:`deepgrad.onnx`) needs those arguments, so, while a
:class:`record_op_arguments` block is open, ``Function.apply`` stores them by node::

    with record_op_arguments() as arguments:
        y = model(x)                   # x.requires_grad: every op on the way is a node
    arguments[y.grad_fn]               # {'axis': 1} for a softmax, {} for a relu

Only nodes that are recorded in the graph (an input requires grad, grad mode on) are
kept. Outside such a block an op pays one attribute test.
"""


class _Recorder:
    __slots__ = ("arguments",)      # a slot: Function.apply reads it per recorded op

    def __init__(self):
        self.arguments = None       # {node: its keyword arguments} while recording


recorder = _Recorder()


class record_op_arguments:
    """Context manager: ``{node: keyword arguments}`` of every node recorded inside it.

    Blocks do not nest (a second one inside the first raises RuntimeError), so one
    exporter's record never mixes with another's.
    """

    def __enter__(self):
        if recorder.arguments is not None:
            raise RuntimeError("record_op_arguments: already recording (blocks do not nest)")
        recorder.arguments = self.arguments = {}
        return self.arguments

    def __exit__(self, *exc):
        recorder.arguments = None
        return False
