"""Activations -> ONNX. One ONNX operator where ONNX has the same formula (Relu,
Sigmoid, Tanh, LeakyRelu, Elu, Selu, Celu, Softmax, LogSoftmax, HardSigmoid, Shrink,
PRelu, Clip for hardtanh); the others written out with the formula deepgrad computes:

    gelu(x)       = x (1 + erf(x / sqrt 2)) / 2
                    ('tanh': x (1 + tanh(k (x + 0.044715 x^3))) / 2, k = sqrt(2 / pi))
    silu(x)       = x sigmoid(x)
    softplus(x)   = x where beta x > threshold, else (max(bx, 0) + log(1 + e^{-|bx|})) / beta
    mish(x)       = x tanh(softplus(x))
    logsigmoid(x) = min(x, 0) - log(1 + e^{-|x|})
    hardswish(x)  = x hardsigmoid(x),  threshold(x) = x where x > t, else v

The softplus form max(z, 0) + log(1 + e^{-|z|}) never overflows, as deepgrad's logaddexp.
"""
import math

import numpy as np

from deepgrad.ops import activation as A, activation_piecewise as AP
from deepgrad.ops import activation_softmax as AS
from deepgrad.onnx.registry import converts


def _x(ctx, node):
    return ctx.input(node, 0)


def _c(ctx, node, value):
    return ctx.g.scalar(value, node.output.dtype)


@converts(A.ReLU)
def relu(ctx, node):
    return ctx.g.op("Relu", [_x(ctx, node)])


@converts(A.Sigmoid)
def sigmoid(ctx, node):
    return ctx.g.op("Sigmoid", [_x(ctx, node)])


@converts(A.Tanh)
def tanh(ctx, node):
    return ctx.g.op("Tanh", [_x(ctx, node)])


@converts(A.LeakyReLU)
def leaky_relu(ctx, node):
    return ctx.g.op("LeakyRelu", [_x(ctx, node)], alpha=float(node.params.get("slope", 0.01)))


@converts(A.ELU)
def elu(ctx, node):
    """ELU (alpha, 1, 1) -> Elu; SELU (alpha, scale, 1) -> Selu; CELU (alpha, 1, 1/alpha)
    -> Celu; any other (alpha, scale, s): scale * where(x > 0, x, alpha (e^{s min(x,0)} - 1))."""
    p = node.params
    alpha, scale, s = (float(p.get("alpha", 1.0)), float(p.get("scale", 1.0)),
                       float(p.get("input_scale", 1.0)))
    x = _x(ctx, node)
    if s == 1.0 and scale == 1.0:
        return ctx.g.op("Elu", [x], alpha=alpha)
    if s == 1.0:
        return ctx.g.op("Selu", [x], alpha=alpha, gamma=scale)
    if scale == 1.0 and alpha != 0 and abs(s * alpha - 1.0) < 1e-12:
        return ctx.g.op("Celu", [x], alpha=alpha)
    g = ctx.g
    neg = g.op("Min", [x, _c(ctx, node, 0)])
    neg = g.op("Mul", [_c(ctx, node, alpha), g.op("Sub", [
        g.op("Exp", [g.op("Mul", [neg, _c(ctx, node, s)])]), _c(ctx, node, 1)])])
    out = g.op("Where", [g.op("Greater", [x, _c(ctx, node, 0)]), x, neg])
    return out if scale == 1.0 else g.op("Mul", [out, _c(ctx, node, scale)])


@converts(A.GELU)
def gelu(ctx, node):
    g, x = ctx.g, _x(ctx, node)
    half = _c(ctx, node, 0.5)
    if node.params.get("approximate", "none") == "tanh":
        cube = g.op("Mul", [g.op("Mul", [x, x]), x])
        inner = g.op("Add", [x, g.op("Mul", [cube, _c(ctx, node, 0.044715)])])
        t = g.op("Tanh", [g.op("Mul", [inner, _c(ctx, node, math.sqrt(2 / math.pi))])])
    else:
        t = g.op("Erf", [g.op("Div", [x, _c(ctx, node, math.sqrt(2))])])
    return g.op("Mul", [g.op("Mul", [x, half]), g.op("Add", [t, _c(ctx, node, 1)])])


def _log1p_exp_neg_abs(ctx, node, z):
    """log(1 + e^{-|z|})."""
    g = ctx.g
    e = g.op("Exp", [g.op("Neg", [g.op("Abs", [z])])])
    return g.op("Log", [g.op("Add", [e, _c(ctx, node, 1)])])


def _softplus(ctx, node, z):
    """max(z, 0) + log(1 + e^{-|z|}) = log(1 + e^z), overflow-free."""
    return ctx.g.op("Add", [ctx.g.op("Relu", [z]), _log1p_exp_neg_abs(ctx, node, z)])


@converts(A.Softplus)
def softplus(ctx, node):
    g, x = ctx.g, _x(ctx, node)
    beta = float(node.params.get("beta", 1.0))
    threshold = float(node.params.get("threshold", 20.0))
    bx = x if beta == 1.0 else g.op("Mul", [x, _c(ctx, node, beta)])
    soft = _softplus(ctx, node, bx)
    if beta != 1.0:
        soft = g.op("Div", [soft, _c(ctx, node, beta)])
    return g.op("Where", [g.op("Greater", [bx, _c(ctx, node, threshold)]), x, soft])


@converts(A.SiLU)
def silu(ctx, node):
    x = _x(ctx, node)
    return ctx.g.op("Mul", [x, ctx.g.op("Sigmoid", [x])])


@converts(A.Mish)
def mish(ctx, node):
    x = _x(ctx, node)
    return ctx.g.op("Mul", [x, ctx.g.op("Tanh", [_softplus(ctx, node, x)])])


@converts(A.LogSigmoid)
def log_sigmoid(ctx, node):
    g, x = ctx.g, _x(ctx, node)
    return g.op("Sub", [g.op("Min", [x, _c(ctx, node, 0)]), _log1p_exp_neg_abs(ctx, node, x)])


@converts(AS.Softmax)
def softmax(ctx, node):
    return ctx.g.op("Softmax", [_x(ctx, node)], axis=int(node.params.get("axis", -1)))


@converts(AS.LogSoftmax)
def log_softmax(ctx, node):
    return ctx.g.op("LogSoftmax", [_x(ctx, node)], axis=int(node.params.get("axis", -1)))


@converts(AP.Hardtanh)
def hardtanh(ctx, node):
    lo, hi = node.params.get("lo", -1.0), node.params.get("hi", 1.0)
    dtype = node.output.dtype
    return ctx.g.op("Clip", [_x(ctx, node), ctx.g.const(np.asarray(lo, dtype), "lo"),
                             ctx.g.const(np.asarray(hi, dtype), "hi")])


@converts(AP.Hardsigmoid)
def hardsigmoid(ctx, node):
    """clip(x + 3, 0, 6) / 6 = HardSigmoid(alpha=1/6, beta=1/2)."""
    return ctx.g.op("HardSigmoid", [_x(ctx, node)], alpha=1 / 6, beta=0.5)


@converts(AP.Hardswish)
def hardswish(ctx, node):
    x = _x(ctx, node)
    return ctx.g.op("Mul", [x, ctx.g.op("HardSigmoid", [x], alpha=1 / 6, beta=0.5)])


@converts(AP.Threshold)
def threshold(ctx, node):
    g, x = ctx.g, _x(ctx, node)
    t, v = node.params.get("threshold", 0.0), node.params.get("value", 0.0)
    return g.op("Where", [g.op("Greater", [x, _c(ctx, node, t)]), x, _c(ctx, node, v)])


@converts(AP.Shrink)
def shrink(ctx, node):
    lambd = float(node.params.get("lambd", 0.5))
    bias = lambd if node.params.get("soft", False) else 0.0
    return ctx.g.op("Shrink", [_x(ctx, node)], lambd=lambd, bias=bias)


@converts(AP.PReLU)
def prelu(ctx, node):
    return ctx.g.op("PRelu", [_x(ctx, node), ctx.input(node, 1)])
