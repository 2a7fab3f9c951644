"""Convolutions -> ONNX Conv / ConvTranspose (1-, 2- and 3-D, both layouts; Keras's
depthwise op as a grouped Conv, its transposed convolution as a ConvTranspose).

ONNX convolutions are channels-first: x (N, C, *S), W (O, C/groups, *K), which is
PyTorch's layout and deepgrad's ``Conv``. Keras's channels-last op (``ConvLast``: x
(N, *S, C), kernel (*K, C, O)) keeps the graph's input and output channels-last:

    y = Transpose(Conv(Transpose(x, (0, C, S...)), W_oihw), (0, S..., C))

with the kernel stored as (O, C, *K) when it is a constant (the usual case) and
transposed by a node otherwise. Padding: deepgrad's ``pads`` are (before_0, after_0,
before_1, after_1, ...), ONNX's [before_0, before_1, ..., after_0, after_1, ...].
"""
import numpy as np

from deepgrad.ops import conv as CV
from deepgrad.ops import conv_depthwise as DW
from deepgrad.ops import conv_transpose_last as TL
from deepgrad.onnx.registry import converts


def onnx_pads(pads):
    """(b0, a0, b1, a1, ...) -> [b0, b1, ..., a0, a1, ...]."""
    pads = [int(p) for p in pads]
    return pads[0::2] + pads[1::2]


def to_channels_first(g, x, ndim):
    return g.transpose(x, (0, ndim - 1) + tuple(range(1, ndim - 1)))


def to_channels_last(g, y, ndim):
    return g.transpose(y, (0,) + tuple(range(2, ndim)) + (1,))


def _bias(ctx, node):
    return [ctx.input(node, 2)] if len(node.inputs) == 3 else []


def _geometry(node):
    p = node.params
    k = node.inputs[1].ndim - 2
    return dict(strides=[int(s) for s in p.get("stride", (1,) * k)],
                pads=onnx_pads(p.get("pads", (0,) * (2 * k))),
                dilations=[int(d) for d in p.get("dilation", (1,) * k)])


@converts(CV.Conv)
def conv(ctx, node):
    w = node.inputs[1]
    return ctx.g.op("Conv", [ctx.input(node, 0), ctx.input(node, 1)] + _bias(ctx, node),
                    kernel_shape=list(w.shape[2:]), group=int(node.params.get("groups", 1)),
                    **_geometry(node))


@converts(CV.ConvLast)
def conv_last(ctx, node):
    g, x, w = ctx.g, node.inputs[0], node.inputs[1]
    k = w.ndim - 2
    perm = (k + 1, k) + tuple(range(k))            # (*K, C, O) -> (O, C, *K)
    if ctx.depends(w):
        kernel = g.transpose(ctx.input(node, 1), perm)
    else:
        kernel = g.const(np.transpose(ctx.const_value(node, 1), perm),
                         ctx.weight_names.get(id(w), "kernel") + "_oihw")
    xf = to_channels_first(g, ctx.input(node, 0), x.ndim)
    y = g.op("Conv", [xf, kernel] + _bias(ctx, node), kernel_shape=list(w.shape[:k]),
             **_geometry(node))
    return to_channels_last(g, y, x.ndim)


@converts(CV.ConvTranspose)
def conv_transpose(ctx, node):
    """W (C_in, O/groups, *K); ONNX's output_padding is what ``full`` adds beyond
    (in - 1) s + d (k - 1) + 1 on each axis."""
    x, w = node.inputs[0], node.inputs[1]
    geo = _geometry(node)
    kernel = w.shape[2:]
    full = node.params.get("full")
    extra = [int(f) - ((n - 1) * s + d * (k - 1) + 1) for f, n, s, d, k in
             zip(full, x.shape[2:], geo["strides"], geo["dilations"], kernel)]
    return ctx.g.op("ConvTranspose", [ctx.input(node, 0), ctx.input(node, 1)] + _bias(ctx, node),
                    kernel_shape=list(kernel), group=int(node.params.get("groups", 1)),
                    output_padding=extra if any(extra) else None, **geo)


@converts(DW.DepthwiseLast)
def depthwise_last(ctx, node):
    """Keras's depthwise op (x (N, H, W, C), kernel (kh, kw, C, M)) as ONNX's grouped Conv:
    weight (C M, 1, kh, kw), group C, between the layout transposes of ``conv_last``."""
    g, w = ctx.g, node.inputs[1]
    kh, kw, C, M = w.shape
    if ctx.depends(w):
        kernel = g.op("Reshape", [g.transpose(ctx.input(node, 1), (2, 3, 0, 1)),
                                  g.int64s([C * M, 1, kh, kw])])
    else:
        kernel = g.const(np.transpose(ctx.const_value(node, 1), (2, 3, 0, 1)).reshape(
            C * M, 1, kh, kw), ctx.weight_names.get(id(w), "depthwise_kernel") + "_oihw")
    xf = to_channels_first(g, ctx.input(node, 0), 4)
    y = g.op("Conv", [xf, kernel] + _bias(ctx, node), kernel_shape=[kh, kw], group=C,
             **_geometry(node))
    return to_channels_last(g, y, 4)


@converts(TL.ConvTransposeLast)
def conv_transpose_last(ctx, node):
    """Keras's channels-last full transposed convolution (kernel (*K, Cout, Cin), 2-D or
    3-D; the bias when the op adds it) as ONNX's ConvTranspose: weight (Cin, Cout, *K),
    between the layout transposes."""
    g, w = ctx.g, node.inputs[1]
    k = w.ndim - 2
    perm = (k + 1, k) + tuple(range(k))
    if ctx.depends(w):
        kernel = g.transpose(ctx.input(node, 1), perm)
    else:
        kernel = g.const(np.transpose(ctx.const_value(node, 1), perm),
                         ctx.weight_names.get(id(w), "kernel") + "_iohw")
    xf = to_channels_first(g, ctx.input(node, 0), k + 2)
    y = g.op("ConvTranspose", [xf, kernel] + _bias(ctx, node), kernel_shape=list(w.shape[:k]),
             strides=[int(s) for s in node.params.get("stride", (1,) * k)],
             dilations=[int(d) for d in node.params.get("dilation", (1,) * k)])
    return to_channels_last(g, y, k + 2)
