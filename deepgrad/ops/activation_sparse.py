"""The sparse and smooth-ReLU activations Keras 3 adds (``keras.ops.sparse_plus``, ...).

Compositions of primitives (no backward of their own; the engine differentiates them):

    sparse_plus(x)    = 0 (x <= -1),  (x + 1)^2 / 4 (-1 < x < 1),  x (x >= 1)
                        d/dx: 0, (x + 1) / 2, 1                 (continuous at +-1)
    sparse_sigmoid(x) = clip((x + 1) / 2, 0, 1)
                        d/dx: 1/2 on (-1, 1), 0 outside
    squareplus(x, b)  = (x + sqrt(x^2 + b)) / 2,   b >= 0
                        d/dx: (1 + x / sqrt(x^2 + b)) / 2
    sparsemax(x)      = max(x - tau, 0) along ``axis``, the Euclidean projection of x onto
                        the probability simplex (Martins & Astudillo, 2016): with z sorted
                        in decreasing order and k the largest index such that
                        1 + k z_(k) > sum_{j <= k} z_(j),  tau = (sum_{j <= k} z_(j) - 1) / k.
                        d/dx on the support S: I - 1 1^T / |S|; 0 off it.
"""
import numpy as np

from deepgrad.autograd.function import to_tensor
from deepgrad.ops.activation import relu
from deepgrad.ops.elementwise import add, clip, div, mul, sqrt, sub, where
from deepgrad.ops.reduce import sum as _sum


def sparse_plus(x):
    """Keras's ``sparse_plus`` (module docstring). Shape: any, kept."""
    x = to_tensor(x)
    mid = mul(mul(add(x, 1.0), add(x, 1.0)), 0.25)
    a = x.array
    return where(to_tensor(a <= -1), to_tensor(np.zeros((), x.dtype)),
                 where(to_tensor(a >= 1), x, mid))


def sparse_sigmoid(x):
    """``clip((x + 1) / 2, 0, 1)``. Shape: any, kept."""
    return clip(mul(add(to_tensor(x), 1.0), 0.5), 0.0, 1.0)


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2`` (``b >= 0``). Shape: any, kept."""
    if b < 0:
        raise ValueError(f"squareplus: b must be >= 0, received {b}")
    x = to_tensor(x)
    return mul(add(x, sqrt(add(mul(x, x), float(b)))), 0.5)


def sparsemax(x, axis=-1):
    """The projection of ``x`` onto the simplex along ``axis`` (module docstring); the
    support is found on the values, the output differentiates through ``x - tau``.
    Shape: any, kept; the entries along ``axis`` sum to 1."""
    x = to_tensor(x)
    z = np.moveaxis(x.array, axis, -1)
    zs = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    support = 1 + k * zs > np.cumsum(zs, -1)
    kz = support.sum(-1, keepdims=True)
    kth = np.take_along_axis(zs, kz - 1, -1)
    mask = np.moveaxis(z >= kth, -1, axis).astype(x.dtype)      # the support S
    count = np.moveaxis(kz, -1, axis).astype(x.dtype)           # |S|
    tau = div(sub(_sum(mul(x, to_tensor(mask)), axis, True), 1.0), to_tensor(count))
    return relu(sub(x, tau))
