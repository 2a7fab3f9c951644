"""ReLU's forward and backward as one loop each over the flattened arrays.

The formulas of :class:`deepgrad.ops.activation.ReLU`, element by element:

    y = max(x, 0)       as ``np.maximum(x, 0)`` does it: x where x > 0, x itself where x is
                        NaN, +0 elsewhere (-0 included)

    dL/dx = g [y > 0]   as ``g * (y > 0)``: g times 1 where y > 0, g times 0 elsewhere
                        (y <= 0 or NaN; a negative g gives -0 there, an infinite or NaN g
                        gives NaN, as the product does)

One read of g and y and one write of dL/dx, where the NumPy path also writes and reads a
boolean mask (two passes): cnn_cifar's first ReLU (64 x 32 x 30 x 30 float32, one
thread) 2.9 -> 2.1 ms. The results equal the NumPy path bit for bit
(tests/kernels/test_kernels_activation.py). Arrays are 1-D, C-contiguous, one dtype.

The forward is one pass in NumPy too, but NumPy's ``maximum`` against a scalar runs far
below the memory's speed on some CPUs: cnn_cifar's first ReLU (1.84 M float32, one thread,
caches flushed between calls) 948 -> 516 us on an AMD EPYC (Zen 4; NumPy 2.4, whose
``maximum`` is 3.4x slower than a copy there with the data in cache). An earlier machine
measured 1.51 -> 1.44 ms. Same bits as ``np.maximum``
(tests/kernels/test_kernels_activation.py).
"""
from deepgrad.kernels._jit import kernel


@kernel("F[::1], F[::1]")
def relu_forward(x, y):
    zero = y.dtype.type(0)
    for i in range(x.shape[0]):
        v = x[i]
        y[i] = v if (v > zero or v != v) else zero      # v != v: NaN passes, as np.maximum


@kernel("F[::1], F[::1], F[::1]")
def relu_backward(g, y, gx):
    zero, one = gx.dtype.type(0), gx.dtype.type(1)
    for i in range(g.shape[0]):
        gx[i] = g[i] * (one if y[i] > zero else zero)
