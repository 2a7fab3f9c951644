"""Matrix products: ``matmul`` and the dense layer's affine map ``linear``.

For Y = X W^T + b (seed 001, section 3.1: y = f(Wx + b)), with G = dL/dY:

    dL/dX = G W        dL/dW = G^T X        dL/db = sum over rows of G
"""
import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops._util import operands


class MatMul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.matmul(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:                     # dot product
            return (g * b if self.needs_grad[0] else None, g * a if self.needs_grad[1] else None)
        if self.needs_grad[0]:
            if b.ndim == 1:                                 # (.., n, k) @ (k,) -> (.., n)
                ga = np.expand_dims(g, -1) * b
            else:
                ga = np.matmul(g if a.ndim > 1 else np.expand_dims(g, -2), np.swapaxes(b, -1, -2))
                if a.ndim == 1:
                    ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if self.needs_grad[1]:
            if a.ndim == 1:                                 # (k,) @ (.., k, m) -> (.., m)
                gb = np.expand_dims(a, -1) * np.expand_dims(g, -2)
            else:
                a2 = np.swapaxes(a, -1, -2)
                gb = np.matmul(a2, g if b.ndim > 1 else np.expand_dims(g, -1))
                if b.ndim == 1:
                    gb = gb[..., 0]
            if a.ndim > 2 and b.ndim == 2:                  # batch of a, one b: sum over batch
                gb = gb.reshape(-1, *gb.shape[-2:]).sum(axis=0)
        return ga, gb


class Linear(Function):
    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        out = np.matmul(x, w.T)
        if b is not None:
            out += b
        return out

    def backward(self, g):
        x, w = self.x, self.w
        gx = np.matmul(g, w) if self.needs_grad[0] else None
        g2 = g.reshape(-1, g.shape[-1])
        gw = np.matmul(g2.T, x.reshape(-1, x.shape[-1])) if self.needs_grad[1] else None
        if len(self.needs_grad) == 3:
            gb = g2.sum(axis=0) if self.needs_grad[2] else None
            return gx, gw, gb
        return gx, gw


class Dense(Function):
    """y = x K + b with Keras's kernel layout K (in, out): dX = G K^T, dK = X^T G, db = sum G."""

    def forward(self, x, k, b=None):
        self.x, self.k = x, k
        out = np.matmul(x, k)
        if b is not None:
            out += b
        return out

    def backward(self, g):
        x, k = self.x, self.k
        gx = np.matmul(g, k.T) if self.needs_grad[0] else None
        g2 = g.reshape(-1, g.shape[-1])
        gk = np.matmul(x.reshape(-1, x.shape[-1]).T, g2) if self.needs_grad[1] else None
        if len(self.needs_grad) == 3:
            return gx, gk, (g2.sum(axis=0) if self.needs_grad[2] else None)
        return gx, gk


def matmul(a, b):
    """Matrix product with NumPy's rules (1-D operands, batched broadcasting).

    d/dA = G B^T,  d/dB = A^T G (summed over broadcast batch axes).
    """
    a, b = operands("matmul", a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, received "
                           f"shapes {tuple(a.shape)} and {tuple(b.shape)}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"multiplied ({ka} columns in the first, {kb} rows in the second)")
    return MatMul.apply(a, b)


def _affine(op, name, input, weight, bias, weight_name, in_axis, out_axis, error):
    """Check the shapes of an affine map and apply ``op``: ``weight`` is 2-D, its axis
    ``in_axis`` matches the input's last axis, and ``bias`` is None or of shape
    (``weight.shape[out_axis]``,). Mismatches raise ``error`` naming ``name``."""
    x, w = operands(name, input, weight)
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[in_axis]:
        raise error(f"{name}: input of shape {tuple(x.shape)} does not match {weight_name} of "
                    f"shape {tuple(w.shape)} (expected input (*, {w.shape[in_axis]}))")
    if bias is None:
        return op.apply(x, w)
    _, b = operands(name, x, bias)
    if b.shape != (w.shape[out_axis],):
        raise error(f"{name}: bias of shape {tuple(b.shape)} does not match {weight_name} of "
                    f"shape {tuple(w.shape)} (expected ({w.shape[out_axis]},))")
    return op.apply(x, w, b)


def linear(input, weight, bias=None):
    """y = x W^T + b, as ``torch.nn.functional.linear``.

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or None.
    Returns:
        (*, out_features).
    """
    return _affine(Linear, "linear", input, weight, bias, "weight", in_axis=-1, out_axis=0,
                   error=RuntimeError)


def dense(input, kernel, bias=None):
    """y = x K + b, the Keras ``Dense`` layout: kernel (in_features, out_features).

    The same affine map as :func:`linear` with K = W^T; one fused op so that Keras-style
    models pay no transpose.
    """
    return _affine(Dense, "dense", input, kernel, bias, "kernel", in_axis=0, out_axis=1,
                   error=ValueError)
