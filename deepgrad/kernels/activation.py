"""ReLU's and the logistic sigmoid's forward and backward, one loop each over the
flattened arrays; and the forward of a dense layer's bias and activation together.

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

In place (the output array is an input: a backward into the engine's free g), a kernel
runs a loop over the one array. A loop reading x and writing y gets a runtime overlap
check from LLVM's vectorizer, and x is y fails it: the scalar loop ran, 2-3x slower
(200,704 float32, one thread, AVX2: ReLU's backward into g 75 -> 31 us, the sigmoid's
78 -> 31). ReLU's forward is not run in place by the ops (``Dense(activation="relu")``
writes a new array): there LLVM turns "store x back, or store 0" into a masked store of
the zeros (``vmaskmovps``, microcoded on AMD: 100 us against 22 for the loop into a new
array), and no form of the select that passes NaN bit for bit avoids it.
"""
import numpy as np

from deepgrad.kernels._jit import jit, kernel


@jit
def same(a, b):
    """Whether two 1-D arrays start at the same address (an in-place call: ``out is g``)."""
    return a.ctypes.data == b.ctypes.data


@kernel("F[::1], F[::1]")
def relu_forward(x, y):
    """Not for in place (x is y): the loop would store only the zeros, by a masked store
    (see the module's note)."""
    zero = y.dtype.type(0)
    for i in range(x.shape[0]):
        v = x[i]
        y[i] = v if (v > zero or v != v) else zero      # v != v: NaN passes, as np.maximum


@kernel("F[::1], F[::1], F[::1]")
def relu_backward(g, y, gx):
    zero, one = gx.dtype.type(0), gx.dtype.type(1)
    if same(g, gx):                 # into g (the engine's free g): see the module's note
        for i in range(g.shape[0]):
            g[i] = g[i] * (one if y[i] > zero else zero)
    else:
        for i in range(g.shape[0]):
            gx[i] = g[i] * (one if y[i] > zero else zero)


# ---------------------------------------------------------------------- sigmoid
# sigma(x) = 1 / (1 + e^-x), computed from e = e^-|x| in (0, 1] (no overflow):
#     sigma(x) = 1 / (1 + e)   for x >= 0,      e / (1 + e)   for x < 0
# e^a for a <= 0 as Cephes' expf does it: a = n ln2 + r with n = round(a / ln2) and
# |r| <= ln2 / 2 (ln2 split in two parts so that r is exact), e^r by its degree-7
# polynomial, and p 2^n as (p 2^(n + 64)) 2^-64: the first product is exact (n >= -150, so
# 2^(n + 64) is normal) and the second rounds once, so results down to the subnormals
# come out correctly rounded (the bits of p 2^(n - n//2) 2^(n//2), four instructions
# fewer: the loop is bound by their issue, 0.95 -> 0.88 ns a value, AVX2). Branch-free,
# so that the loop vectorizes (NumPy's float32 exp cannot be called from compiled code,
# and the libm expf that numba would call is scalar: 4.8 ns a value).
_LOG2E, _LN2_HI, _LN2_LO = np.float32(1.44269504088896341), np.float32(0.693359375), \
    np.float32(-2.12194440e-4)
_E1, _E2, _E3, _E4, _E5, _E6 = (np.float32(c) for c in (
    1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
    5.0000001201e-1))
_A_MIN = np.float32(-104.0)         # e^-104 < half the smallest subnormal: rounds to 0
_TWO_M64 = np.float32(2.0 ** -64)


@jit
def _pow2(n):
    """2^n as float32 for an integer -126 <= n <= 127, from its exponent bits."""
    return np.int32((n + 127) << 23).view(np.float32)


@jit
def sigmoid32(v):
    """sigma(v) for a float32 ``v``, within 2.5 ulp (tests/kernels); NaN stays NaN."""
    a = max(-abs(v), _A_MIN)
    n = np.float32(np.floor(a * _LOG2E + np.float32(0.5)))
    r = a - n * _LN2_HI - n * _LN2_LO
    p = _E1 * r + _E2
    p = p * r + _E3
    p = p * r + _E4
    p = p * r + _E5
    p = p * r + _E6
    p = p * r * r + r + np.float32(1)
    e = p * _pow2(np.int32(n) + 64) * _TWO_M64
    one = np.float32(1)
    s = (e if v < 0 else one) / (one + e)
    return v if v != v else s


@kernel("F[::1], F[::1]", floats=("float32",))
def sigmoid_forward(x, y):
    for i in range(x.shape[0]):
        y[i] = sigmoid32(x[i])


@kernel("F[::1], F[::1], F[::1]")
def sigmoid_backward(g, s, gx):
    """gx = g s (1 - s), in that order: the bits of ``g * s * (1 - s)``."""
    one = gx.dtype.type(1)
    if same(g, gx):
        for i in range(g.shape[0]):
            g[i] = g[i] * s[i] * (one - s[i])
    else:
        for i in range(g.shape[0]):
            gx[i] = g[i] * s[i] * (one - s[i])


# ------------------------------------------- a dense layer's bias and activation, one pass
# y_ij = act(p_ij + b_j) for the product p = x K (rows of p, b along them): the bits of
# the add (rounded to F, as NumPy's) and then the kernel above, in one read of p and one
# write of y where the ops make two of each (deepgrad.ops.bias_act). Each row is a call
# of its own loop: written as a loop nested in the rows' loop, the sigmoid's ran 59
# instructions per 8 values instead of 42 (LLVM reloaded its constants inside it) and
# was slower than the add and the flat kernel apart (256 x 784 float32: 250 us against
# 205 for the calls per row and 189 for the flat kernel alone).
@jit
def _bias_relu_row(p, b, y):
    zero = y.dtype.type(0)
    for j in range(p.shape[0]):
        v = p[j] + b[j]
        y[j] = v if (v > zero or v != v) else zero


@kernel("F[:, ::1], F[::1], F[:, ::1]")
def bias_relu_forward(p, b, y):
    """Not for in place (p is y): see the module's note on the masked store."""
    for i in range(p.shape[0]):
        _bias_relu_row(p[i], b, y[i])


@jit
def _bias_sigmoid_row(p, b, y):
    for j in range(p.shape[0]):
        y[j] = sigmoid32(p[j] + b[j])


@kernel("F[:, ::1], F[::1], F[:, ::1]", floats=("float32",))
def bias_sigmoid_forward(p, b, y):
    for i in range(p.shape[0]):
        _bias_sigmoid_row(p[i], b, y[i])


@jit
def _bias_add_row(p, b):
    for j in range(p.shape[0]):
        p[j] = p[j] + b[j]


@kernel("F[:, ::1], F[::1]")
def bias_add(p, b):
    """p += b in place, row by row (a dense layer without an activation): the bits of
    NumPy's add, whose row-broadcast add runs at half this loop's speed (256 x 784
    float32, one thread: 50 against 26 us). In place is safe here: one array, each
    element read and written at the same index."""
    for i in range(p.shape[0]):
        _bias_add_row(p[i], b)
