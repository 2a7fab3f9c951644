"""Elementwise ops -> ONNX: arithmetic, powers and logs, clipping, selection, casts.

NumPy's broadcasting and ONNX's multidirectional broadcasting are the same rule, so a
binary op maps to one ONNX node with no reshaping. Formulas that ONNX lacks are written
out: log2 x = ln x / ln 2, expm1 x = e^x - 1, rsqrt x = 1 / sqrt x.
"""
import math

import numpy as np

from deepgrad.ops import elementwise as E, pointwise as P, special as S, trig as T
from deepgrad.onnx.registry import converts

_UNARY = {E.Neg: "Neg", E.Exp: "Exp", E.Log: "Log", E.Sqrt: "Sqrt", E.Abs: "Abs",
          E.Clone: "Identity", P.Reciprocal: "Reciprocal", S.Erf: "Erf",
          T.Sin: "Sin", T.Cos: "Cos", T.Tan: "Tan", T.Asin: "Asin", T.Acos: "Acos",
          T.Atan: "Atan", T.Sinh: "Sinh", T.Cosh: "Cosh", T.Asinh: "Asinh",
          T.Acosh: "Acosh", T.Atanh: "Atanh"}
_BINARY = {E.Add: "Add", E.Sub: "Sub", E.Mul: "Mul", E.Div: "Div", E.Pow: "Pow",
           E.Maximum: "Max"}


def _unary(ctx, node):
    return ctx.g.op(_UNARY[type(node.fn)], [ctx.input(node, 0)])


def _binary(ctx, node):
    a, b = ctx.inputs(node)
    return ctx.g.op(_BINARY[type(node.fn)], [a, b])


for _cls in _UNARY:
    converts(_cls)(_unary)
for _cls in _BINARY:
    converts(_cls)(_binary)


def _scaled_log(ctx, node, op, base):
    """op(x) / ln(base): log2 and log10 from the natural log."""
    x = ctx.input(node, 0)
    dtype = node.output.dtype
    return ctx.g.op("Div", [ctx.g.op(op, [x]), ctx.g.scalar(math.log(base), dtype)])


@converts(P.Log2)
def log2(ctx, node):
    return _scaled_log(ctx, node, "Log", 2.0)


@converts(P.Log10)
def log10(ctx, node):
    return _scaled_log(ctx, node, "Log", 10.0)


@converts(P.Log1p)
def log1p(ctx, node):
    x = ctx.input(node, 0)
    return ctx.g.op("Log", [ctx.g.op("Add", [x, ctx.g.scalar(1, node.output.dtype)])])


@converts(P.Expm1)
def expm1(ctx, node):
    x = ctx.input(node, 0)
    return ctx.g.op("Sub", [ctx.g.op("Exp", [x]), ctx.g.scalar(1, node.output.dtype)])


@converts(P.Exp2)
def exp2(ctx, node):
    x = ctx.input(node, 0)
    return ctx.g.op("Pow", [ctx.g.scalar(2, node.output.dtype), x])


@converts(P.Rsqrt)
def rsqrt(ctx, node):
    return ctx.g.op("Reciprocal", [ctx.g.op("Sqrt", [ctx.input(node, 0)])])


@converts(E.Clip)
def clip(ctx, node):
    """clip(x, lo, hi) with either bound None (ONNX Clip takes optional bounds)."""
    dtype = node.output.dtype
    lo, hi = node.params.get("lo"), node.params.get("hi")
    bounds = ["" if v is None else ctx.g.const(np.asarray(v, dtype), "clip_bound")
              for v in (lo, hi)]
    while bounds and bounds[-1] == "":
        bounds.pop()
    return ctx.g.op("Clip", [ctx.input(node, 0)] + bounds)


@converts(E.ClampTensor)
def clamp_tensor(ctx, node):
    """min(max(x, lo), hi) with tensor bounds (or one bound, ``which``)."""
    which = node.params.get("which")
    x, a = ctx.input(node, 0), ctx.input(node, 1)
    if which is None:
        return ctx.g.op("Min", [ctx.g.op("Max", [x, a]), ctx.input(node, 2)])
    return ctx.g.op("Max" if which == "min" else "Min", [x, a])


@converts(E.Where, checks=("cond",))
def where(ctx, node):
    """where(cond, a, b): the condition is an argument (an input, or a constant mask)."""
    cond = ctx.param_tensor(node, "cond", "where_cond")
    if np.asarray(node.params["cond"]).dtype != np.bool_:
        cond = ctx.cast(cond, np.bool_)
    return ctx.g.op("Where", [cond, ctx.input(node, 0), ctx.input(node, 1)])


@converts(E.Cast)
def cast(ctx, node):
    return ctx.cast(ctx.input(node, 0), node.output.dtype)
