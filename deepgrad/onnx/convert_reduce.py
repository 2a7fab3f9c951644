"""Reductions -> ONNX: sum, mean, max/min, product, log-sum-exp.

``axis=None`` reduces every axis (ONNX's default with no axes). ``torch.max(x, dim)``'s
values are ReduceMax (the indices it returns are not part of the graph).
log-sum-exp is written as deepgrad computes it, shifted by the maximum:

    logsumexp(x) = m + log sum exp(x - m),   m = max(x)
"""
from deepgrad.ops import reduce as RD
from deepgrad.onnx.registry import converts


def _axes(node, key="axis"):
    axis = node.params.get(key)
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return [int(a) for a in axis]
    return [int(axis)]


def _reduce(op_type):
    def convert(ctx, node):
        return ctx.g.reduce(op_type, ctx.input(node, 0), _axes(node),
                            node.params.get("keepdims", False))
    return convert


converts(RD.Sum)(_reduce("ReduceSum"))
converts(RD.Mean)(_reduce("ReduceMean"))
converts(RD.Prod)(_reduce("ReduceProd"))


@converts(RD.Amax)
def amax(ctx, node):
    op = "ReduceMin" if node.params.get("minimum", False) else "ReduceMax"
    return ctx.g.reduce(op, ctx.input(node, 0), _axes(node), node.params.get("keepdims", False))


@converts(RD.MaxAlongAxis, checks=("indices",))
def max_along_axis(ctx, node):
    """``max(x, dim)``'s values: the entries at the argmax are the maximum."""
    return ctx.g.reduce("ReduceMax", ctx.input(node, 0), [int(node.params.get("axis", 0))],
                        node.params.get("keepdims", False))


@converts(RD.LogSumExp)
def logsumexp(ctx, node):
    g, x, axes = ctx.g, ctx.input(node, 0), _axes(node)
    m = g.reduce("ReduceMax", x, axes, True)
    s = g.reduce("ReduceSum", g.op("Exp", [g.op("Sub", [x, m])]), axes, True)
    out = g.op("Add", [g.op("Log", [s]), m])
    if node.params.get("keepdims", False):
        return out
    drop = list(range(node.inputs[0].ndim)) if axes is None else axes
    return g.squeeze(out, drop)
