"""Gradients of gradients: ``create_graph=True`` for a subset of the ops.

Every built-in op's ``backward`` works on NumPy arrays, so the first-order backward pass
records nothing. With ``create_graph=True`` the engine walks the graph with
:class:`GraphMath` instead: gradients are tensors, and each node's backward is rewritten
with differentiable deepgrad ops (the table below), so the gradient carries a graph of its
own and can be differentiated again (``autograd.grad`` of a gradient, gradient penalties,
Hessian-vector products, ``gradgradcheck``).

Covered: PyTorch-style custom Functions (their ``backward`` is already written with
tensor ops; it runs with grad mode on, as in PyTorch), and the primitives of MLP-style
models: add, sub, mul, div, neg, pow, exp, log, sqrt, abs, clamp/clip, maximum, where,
cast, clone, matmul, linear, sum, mean, reshape, permute, expand, indexing, cat, stack,
relu, leaky_relu, sigmoid, tanh. Any other op met on the way raises
``NotImplementedError`` naming it (its backward has no differentiable form here yet).

Each rule is the op's derivative written in tensor ops, with ``g`` = dL/d(output)::

    mul:     (g b, g a)            tanh:   g (1 - tanh(x)^2)
    matmul:  (g B^T, A^T g)        sum:    g expanded back over the reduced axes
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.custom_function import BackwardCFunction, _OutputSlot, _PLACEHOLDER
from deepgrad.autograd.function import Function


class GraphMath:
    """The engine's arithmetic for ``create_graph=True``: tensors, recorded backward."""

    @staticmethod
    def seed(g):
        return g if isinstance(g, _fn._Tensor) else _fn._Tensor._wrap(g)

    @staticmethod
    def node_backward(fn, g):
        return graph_backward(fn, g)

    @staticmethod
    def fit(gi, shape):
        return gi if gi.shape == shape else sum_to(gi, shape)

    def keep(self, gi):
        pass

    @staticmethod
    def own(g):
        return g

    @staticmethod
    def accumulate(t, g):
        t.grad = g if t.grad is None else t.grad + g     # out of place: keeps the graph

    @staticmethod
    def values(g):
        return g.array


def sum_to(t, shape):
    """``t`` summed over the axes broadcasting added or stretched (differentiable)."""
    from deepgrad import ops
    lead = t.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and t.shape[lead + i] != 1)
    if axes:
        t = ops.sum(t, dim=axes, keepdim=True)
    return ops.reshape(t, shape)


def graph_backward(fn, g):
    """One node's backward as differentiable tensor ops: one Tensor (or None) per input."""
    if isinstance(fn, BackwardCFunction):
        return fn.graph_backward(g)
    if isinstance(fn, _OutputSlot):
        fn.inputs[0]._ctx._pending[fn.index] = g
        return (_fn._Tensor._wrap(_PLACEHOLDER),)
    rule = _rules().get(type(fn))
    if rule is None:
        raise NotImplementedError(
            f"create_graph=True: the backward of {fn.name()} cannot be differentiated again "
            f"in deepgrad (double backward covers custom Functions and {', '.join(_NAMES)}).")
    out = rule(fn, g)
    return out if isinstance(out, tuple) else (out,)


class _Scatter(Function):
    """The backward of indexing: ``g`` placed at ``index`` in zeros of ``shape``."""

    def forward(self, g, shape=None, index=None):
        self.index = index
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, index, g)
        return out

    def backward(self, g):
        return g[self.index]


class _Masked(Function):
    """``g * factor`` for a constant ``factor`` read off the inputs ``connect`` (relu's
    ``x > 0``, abs's ``sign(x)``). Its derivative with respect to ``connect`` is zero, but
    they stay connected to the graph, so they receive zero gradients, as in PyTorch."""

    def forward(self, g, *connect, factor=None):
        self.factor = factor
        self.shapes = [c.shape for c in connect]
        return g * factor

    def backward(self, gg):
        return (gg * self.factor,) + tuple(np.zeros(s, gg.dtype) for s in self.shapes)


def _masked(g, x, factor):
    return _Masked.apply(g, x, factor=np.asarray(factor, dtype=g.dtype))


def _const(array, like):
    return _fn._Tensor._wrap(np.asarray(array, dtype=like.dtype))


def _matmul(fn, g):
    from deepgrad import ops
    a, b = fn.inputs
    if a.ndim == 1 and b.ndim == 1:
        return g * b, g * a
    a2 = ops.reshape(a, (1,) + a.shape) if a.ndim == 1 else a
    b2 = ops.reshape(b, b.shape + (1,)) if b.ndim == 1 else b
    g2 = ops.reshape(g, ops.matmul(a2.detach(), b2.detach()).shape)
    ga = sum_to(ops.matmul(g2, ops.transpose(b2, -1, -2)), a2.shape)
    gb = sum_to(ops.matmul(ops.transpose(a2, -1, -2), g2), b2.shape)
    return ops.reshape(ga, a.shape), ops.reshape(gb, b.shape)


def _linear(fn, g):
    """Both layouts (PyTorch's W, Keras's kernel K = W^T) and the fused activations: for
    a ReLU g [Y > 0] first (the mask's derivative is zero), for a sigmoid g S (1 - S) with
    S recomputed from the inputs (its derivative depends on them); then dX = G W or
    G K^T, dW = G^T X or dK = X^T G, db = the rows of G summed."""
    from deepgrad import ops
    x, w = fn.inputs[0], fn.inputs[1]
    activation = fn.__dict__.get("activation")
    if activation == "relu":
        g = g * _const(fn.out > 0, g)
    elif activation == "sigmoid":
        b = fn.inputs[2] if len(fn.inputs) == 3 else None
        s = ops.sigmoid(ops.dense(x, w, b) if fn.kernel else ops.linear(x, w, b))
        g = g * s * (1 - s)
    g2 = ops.reshape(g, (-1, g.shape[-1]))
    x2 = ops.reshape(x, (-1, x.shape[-1]))
    if fn.kernel:
        out = (ops.matmul(g, ops.transpose(w, 0, 1)), ops.matmul(ops.transpose(x2, 0, 1), g2))
    else:
        out = (ops.matmul(g, w), ops.matmul(ops.transpose(g2, 0, 1), x2))
    return out + (ops.sum(g2, dim=0),) if len(fn.inputs) == 3 else out


def _reduction(fn, g, scale=None):
    from deepgrad import ops
    shape = fn.shape
    axes = range(len(shape)) if fn.axis is None else \
        [a % len(shape) for a in (fn.axis if isinstance(fn.axis, tuple) else (fn.axis,))]
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    g = ops.expand(ops.reshape(g, kept), shape)
    return g if scale is None else g * scale


def _pow(fn, g):
    from deepgrad import ops
    a, b = fn.inputs
    zero = _const(0, g)
    safe_a = ops.where(a.array > 0, a, _const(1, a))
    ga = g * ops.where(b.array == 0, zero, b * a ** (b - 1))
    gb = ops.where(a.array > 0, g * a ** b * ops.log(safe_a), zero)
    return ga, gb


def _cat(fn, g):
    from deepgrad import ops
    axis = fn.axis % g.ndim
    edges = [0] + list(fn.bounds) + [g.shape[axis]]
    return tuple(ops.getitem(g, (slice(None),) * axis + (slice(lo, hi),))
                 for lo, hi in zip(edges[:-1], edges[1:]))


def _stack(fn, g):
    from deepgrad import ops
    axis = fn.axis % g.ndim
    return tuple(ops.getitem(g, (slice(None),) * axis + (k,)) for k in range(g.shape[axis]))


def _rules():
    """{op class: rule(node, g)}; built on first use (the ops import the engine)."""
    global _RULES
    if _RULES is None:
        from deepgrad import ops
        from deepgrad.ops import activation as act, elementwise as el, linalg, reduce, shape
        _RULES = {
            el.Add: lambda fn, g: (g, g),
            el.Sub: lambda fn, g: (g, -g),
            el.Mul: lambda fn, g: (g * fn.inputs[1], g * fn.inputs[0]),
            el.Div: lambda fn, g: (g / fn.inputs[1],
                                   -g * fn.inputs[0] / (fn.inputs[1] * fn.inputs[1])),
            el.Neg: lambda fn, g: -g,
            el.Pow: _pow,
            el.Exp: lambda fn, g: g * ops.exp(fn.inputs[0]),
            el.Log: lambda fn, g: g / fn.inputs[0],
            el.Sqrt: lambda fn, g: g / (2 * ops.sqrt(fn.inputs[0])),
            el.Abs: lambda fn, g: _masked(g, fn.inputs[0], np.sign(fn.inputs[0].array)),
            el.Clip: lambda fn, g: g * _const(fn.mask, g),
            el.Maximum: lambda fn, g: _maximum(fn, g),
            el.Where: lambda fn, g: (ops.where(fn.cond, g, _const(0, g)),
                                     ops.where(fn.cond, _const(0, g), g)),
            el.Cast: lambda fn, g: ops.cast(g, fn.src),
            el.Clone: lambda fn, g: g,
            linalg.MatMul: _matmul,
            linalg.Linear: _linear,
            reduce.Sum: lambda fn, g: _reduction(fn, g),
            reduce.Mean: lambda fn, g: _reduction(fn, g, _const(1.0 / fn.n, g)),
            shape.Reshape: lambda fn, g: ops.reshape(g, fn.shape),
            shape.Permute: lambda fn, g: ops.permute(g, fn.inverse),
            shape.Expand: lambda fn, g: g,
            shape.GetItem: lambda fn, g: _Scatter.apply(g, shape=fn.shape, index=fn.index),
            shape.Concatenate: _cat,
            shape.Stack: _stack,
            _Scatter: lambda fn, g: ops.getitem(g, fn.index),
            _Masked: lambda fn, g: (g * _const(fn.factor, g),),
            act.ReLU: lambda fn, g: _masked(g, fn.inputs[0], fn.out > 0),
            act.LeakyReLU: lambda fn, g: _masked(g, fn.inputs[0],
                                                 np.where(fn.mask, 1, fn.slope)),
            act.Sigmoid: lambda fn, g: _sigmoid(fn, g),
            act.Tanh: lambda fn, g: g * (1 - ops.tanh(fn.inputs[0]) ** 2),
        }
    return _RULES


def _maximum(fn, g):
    a, b = fn.inputs
    w = (a.array > b.array) + 0.5 * (a.array == b.array)
    return g * _const(w, g), g * _const(1 - w, g)


def _sigmoid(fn, g):
    from deepgrad import ops
    s = ops.sigmoid(fn.inputs[0])
    return g * s * (1 - s)


_RULES = None
_NAMES = ("add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "clamp",
          "maximum", "where", "cast", "clone", "matmul", "linear", "sum", "mean", "reshape",
          "permute", "expand", "indexing", "cat", "stack", "relu", "leaky_relu", "sigmoid",
          "tanh")
