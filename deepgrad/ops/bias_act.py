"""A dense layer's bias and activation, ``act(P + b)``, in one pass over its product P.

Keras's ``Dense(units, activation=...)`` is y = act(x K + b). As two steps, the bias and
the activation read and write the product twice (``P += b``, then the activation into a
new array). Where the compiled kernels are on (:mod:`deepgrad.kernels.activation`), one
pass reads P and writes y:

    relu:     y_ij = max(P_ij + b_j, 0)
    sigmoid:  y_ij = 1 / (1 + e^-(P_ij + b_j))          (float32)

with the bits of the two steps: the sum rounded as NumPy's add rounds it, then the
activation's own kernel. The autoencoder's output (256 x 784 float32, one thread, AVX2):
NumPy's add 50 us plus the sigmoid 189, fused 205. Without the kernels, for other dtypes
(the sigmoid's float64) or for a P that is not C-contiguous, it is the two steps. Large
products are split by rows over the threads (the same bits at any thread count).

Without an activation (``nn.Linear``, a plain ``Dense``), :func:`bias_add` adds b in
place by a compiled loop: NumPy's row-broadcast add runs at half its speed (the same
256 x 784: 50 against 26 us).

:func:`bias_relu`'s two steps add b to P in place (P is the GEMM's fresh output);
:func:`bias_sigmoid` never writes P (:func:`deepgrad.ops.linalg.dense_sigmoid` keeps it
for the logits).
"""
import numpy as np

from deepgrad import kernels, parallel
from deepgrad.ops.activation import MIN_COMPILED_RELU, SIGMOID_COST, _sigmoid, relu_forward


def bias_add(p, b):
    """p += b in place (a dense layer without an activation); returns p. ``b`` (n,)."""
    k = _kernel("bias_add", p, b) if p.size >= MIN_COMPILED_RELU else None
    if k is None:
        p += b
        return p
    p2 = p.reshape(-1, p.shape[-1])
    _by_rows(lambda i, j: k(p2[i:j], b), p2.shape[0], p.size)
    return p


def bias_rows(p, b):
    """``add(i, j)``: b added in place to rows i:j of p seen as (rows, n), for an op that
    splits p over the threads itself (a channels-last convolution's output, n = O
    channels: NumPy's row-broadcast add runs an inner loop of n per row; cnn_mnist's first
    layer, (21632, 32) float32 in blocks of 4 samples: 290 us, the compiled loop 83)."""
    p2 = p.reshape(-1, p.shape[-1])
    k = _kernel("bias_add", p, b)
    if k is None:
        def add(i, j):
            p2[i:j] += b
    else:
        def add(i, j):
            k(p2[i:j], b)
    return add


def bias_relu(p, b):
    """max(p + b, 0) as a new array; ``p`` (..., n), ``b`` (n,) or None. Without the
    kernel, p += b first (in place)."""
    if b is None:
        return relu_forward(p)
    k = _kernel("bias_relu_forward", p, b) if p.size >= MIN_COMPILED_RELU else None
    if k is None:
        p += b
        return relu_forward(p)
    return _rows(k, p, b, cost=1)


def bias_sigmoid(p, b):
    """1 / (1 + e^-(p + b)) as a new array; ``p`` (..., n), ``b`` (n,) or None."""
    if b is None:
        return _sigmoid(p)
    k = _kernel("bias_sigmoid_forward", p, b) if p.dtype == np.float32 else None
    if k is None:
        return _sigmoid(p + b)
    return _rows(k, p, b, cost=SIGMOID_COST)


def _kernel(name, p, b):
    """The compiled ``name``, or None: kernels off, or operands it does not take."""
    if (p.dtype not in kernels.FLOATS or b.dtype != p.dtype or b.ndim != 1 or p.ndim < 1
            or not p.flags.c_contiguous or not b.flags.c_contiguous or p.size == 0):
        return None
    return kernels.get("activation", name)


def _rows(k, p, b, cost):
    """``k(p, b, y)`` into a new y, over the rows of p seen as (rows, n)."""
    y = np.empty_like(p)
    p2, y2 = p.reshape(-1, p.shape[-1]), y.reshape(-1, p.shape[-1])
    _by_rows(lambda i, j: k(p2[i:j], b, y2[i:j]), p2.shape[0], p.size * cost)
    return y


def _by_rows(chunk, rows, work):
    """``chunk(i, j)`` over rows i:j, split over the threads when the work (elements x
    cost, in units of a memory-bound pass) is large (one call otherwise)."""
    parallel.parallel_for(rows, chunk, work=work, min_work=parallel.MIN_ELEMENTWISE)
