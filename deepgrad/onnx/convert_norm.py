"""Normalisation -> ONNX.

* batch norm (eval: the running statistics) -> BatchNormalization, which computes
  y = (x - mean) / sqrt(var + eps) * gamma + beta over axis 1 as deepgrad's op (a
  channels-last batch norm wrapped in two Transposes, as for convolutions);
* ``Normalize`` (the xhat of layer, group and instance norm; gamma and beta are separate
  Mul / Add nodes) -> the formula deepgrad computes, with reductions over ``axes``:

      d = x - mean(x),  xhat = d / sqrt(mean(d^2) + eps)

* ``RMSNormalize``: xhat = x / sqrt(mean(x^2) + eps).

A batch norm recorded with batch statistics (training mode) is refused: an exported
model is an inference graph.
"""
import numpy as np

from deepgrad.ops import normalization as N
from deepgrad.onnx.convert_conv import to_channels_first, to_channels_last
from deepgrad.onnx.registry import converts


@converts(N.BatchNorm, checks=("mean", "var"))
def batch_norm(ctx, node):
    p = node.params
    if p.get("batch_stats", True):
        raise ctx.fail(node, "batch norm ran with batch statistics (training mode); export "
                             "in eval mode (model.eval(), or Keras training=False) so that it "
                             "uses the running statistics")
    x, gamma, beta = ctx.inputs(node)
    last, ndim = bool(p.get("channels_last", False)), node.inputs[0].ndim
    mean = ctx.param_tensor(node, "mean", "running_mean")
    var = ctx.param_tensor(node, "var", "running_var")
    if last:
        x = to_channels_first(ctx.g, x, ndim)
    y = ctx.g.op("BatchNormalization", [x, gamma, beta, mean, var],
                 epsilon=float(p.get("eps", 1e-5)))
    return to_channels_last(ctx.g, y, ndim) if last else y


def _eps(ctx, node, default):
    return ctx.g.scalar(node.params.get("eps", default), node.output.dtype)


def _axes(node):
    return [int(a) for a in np.atleast_1d(node.params.get("axes", (-1,)))]


@converts(N.Normalize)
def normalize(ctx, node):
    g, x, axes = ctx.g, ctx.input(node, 0), _axes(node)
    d = g.op("Sub", [x, g.reduce("ReduceMean", x, axes, True)])
    var = g.reduce("ReduceMean", g.op("Mul", [d, d]), axes, True)
    return g.op("Div", [d, g.op("Sqrt", [g.op("Add", [var, _eps(ctx, node, 1e-5)])])])


@converts(N.RMSNormalize)
def rms_normalize(ctx, node):
    g, x, axes = ctx.g, ctx.input(node, 0), _axes(node)
    ms = g.reduce("ReduceMean", g.op("Mul", [x, x]), axes, True)
    return g.op("Div", [x, g.op("Sqrt", [g.op("Add", [ms, _eps(ctx, node, 1e-6)])])])
