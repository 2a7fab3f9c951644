"""Pooling -> ONNX MaxPool / AveragePool / reductions (channels-first, Keras's channels-last
wrapped in two Transposes as for convolutions).

* max pooling: the op's own pads (``padding`` plus the extension ``ceil_mode`` needs),
  filled with -inf as deepgrad does, so ONNX's MaxPool runs with ceil_mode=0;
* average pooling: y = sum of the window / divisor, the divisor per output position
  counted by deepgrad (``count_include_pad``, ``divisor_override``, ceil_mode's
  extension never counted). ONNX's AveragePool with count_include_pad=1 gives sum / k
  (k = window size), so y = AveragePool(x) * (k / divisor), the factor a constant;
* adaptive average pooling: the op's bin-averaging matrix A_i (out_i, in_i) applied to
  each spatial axis (a MatMul), or one ReduceMean when every axis pools to 1;
* adaptive max pooling: ReduceMax when every axis pools to 1, MaxPool when the bins
  tile the input evenly.
"""
from math import prod

import numpy as np

from deepgrad.ops import pool as PL, pool_adaptive as PA
from deepgrad.onnx.convert_conv import onnx_pads, to_channels_first, to_channels_last
from deepgrad.onnx.registry import converts


@converts(PL.MaxPool, checks=("out",))
def max_pool(ctx, node):
    p, x = node.params, node.inputs[0]
    if p.get("indices_into") is not None:
        raise ctx.unsupported(node, "return_indices=True (max pooling indices) is not "
                                    "exported")
    last = bool(p.get("channels_last", False))
    kernel, stride = list(p["kernel"]), list(p["stride"])
    pads = _pads(ctx, node, p["dilation"], last)
    g, name = ctx.g, ctx.input(node, 0)
    if last:
        name = to_channels_first(g, name, x.ndim)
    y = g.op("MaxPool", [name], kernel_shape=kernel, strides=stride, pads=onnx_pads(pads),
             dilations=None if all(d == 1 for d in p["dilation"]) else list(p["dilation"]))
    return to_channels_last(g, y, x.ndim) if last else y


@converts(PL.AvgPool, checks=("out",))
def avg_pool(ctx, node):
    p, x = node.params, node.inputs[0]
    n = len(p["kernel"])
    last = bool(p.get("channels_last", False))
    pads = _pads(ctx, node, (1,) * n, last)
    g, name = ctx.g, ctx.input(node, 0)
    if last:
        name = to_channels_first(g, name, x.ndim)
    y = g.op("AveragePool", [name], kernel_shape=list(p["kernel"]),
             strides=list(p["stride"]), pads=onnx_pads(pads), count_include_pad=1)
    div = np.asarray(node.fn.div, node.output.dtype)         # the op's divisor, (*out) or ()
    if last and div.ndim:
        div = div[..., 0]                                     # (*out, 1) in channels_last
    factor = prod(p["kernel"]) / div.astype(np.float64)
    if np.all(factor == 1.0):
        return to_channels_last(g, y, x.ndim) if last else y
    if node.params["out"] != ctx.twin_params[node.index]["out"]:
        raise ctx.fail(node, "average pooling whose divisor varies over the output (padding "
                             "not counted, ceil_mode) on spatial axes of dynamic size")
    y = g.op("Mul", [y, g.const(factor.astype(node.output.dtype), "avgpool_factor")])
    return to_channels_last(g, y, x.ndim) if last else y


def _pads(ctx, node, dilation, last):
    """The op's (before, after) pads per axis (``padding`` plus ceil_mode's extension),
    which must be the same in both runs (an extension can follow a dynamic size)."""
    found = []
    for x, p in ((node.inputs[0], node.params), (ctx.twin[id(node.inputs[0])],
                                                  ctx.twin_params[node.index])):
        found.append(PL._ceil_pads(x.array, p["kernel"], p["stride"], p["padding"], dilation,
                                   p["out"], last))
    if tuple(found[0]) != tuple(found[1]):
        raise ctx.fail(node, "ceil_mode pads a spatial axis of dynamic size differently for "
                             "each size; export with that axis fixed")
    return found[0]


@converts(PA.AdaptiveAvgPool)
def adaptive_avg_pool(ctx, node):
    mats = node.params["mats"]
    x = node.inputs[0]
    first = x.ndim - len(mats)
    g, y = ctx.g, ctx.input(node, 0)
    if all(a.shape[0] == 1 for a in mats):
        return g.reduce("ReduceMean", y, list(range(first, x.ndim)), True)
    for i, a in enumerate(mats):
        axis = first + i
        perm = [d for d in range(x.ndim) if d != axis] + [axis]      # the axis last
        back = list(np.argsort(perm))
        y = g.transpose(y, perm)
        y = g.op("MatMul", [y, g.const(np.ascontiguousarray(a.T), "adaptive_bins")])
        y = g.transpose(y, back)
    return y


@converts(PA.AdaptiveMaxPool)
def adaptive_max_pool(ctx, node):
    p, x = node.params, node.inputs[0]
    if p.get("indices_into") is not None:
        raise ctx.unsupported(node, "return_indices=True is not exported")
    index = p["index"]
    n = len(index)
    spatial = x.shape[x.ndim - n:]
    outs = [idx.shape[0] for idx in index]
    if all(o == 1 for o in outs):
        return ctx.g.reduce("ReduceMax", ctx.input(node, 0), list(range(x.ndim - n, x.ndim)),
                            True)
    if all(m % o == 0 for m, o in zip(spatial, outs)):
        kernel = [m // o for m, o in zip(spatial, outs)]
        return ctx.g.op("MaxPool", [ctx.input(node, 0)], kernel_shape=kernel, strides=kernel)
    raise ctx.unsupported(node, f"adaptive max pooling from {tuple(spatial)} to {tuple(outs)} "
                                f"(uneven bins) is not exported")
