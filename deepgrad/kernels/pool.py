"""Max pooling over 2 x 2 windows that tile the plane, as one loop per layout.

The formula of :mod:`deepgrad.ops.pool_tiled` (which documents it): for each window, in
row-major kernel order k = 2 p + q,

    y = the window's maximum,   arg = PyTorch's winner: the first maximum, or, when the
                                      window holds a NaN, its last NaN (y is then NaN)

computed by pool_tiled's two stages, element by element (y the same chain of
``np.maximum``: at a tie of -0 and +0, the same zero), with a NaN window's winner then
set to its last NaN, as ``pool_tiled.nan_winners``. Backward: g at each window's
winner (arg == k), +0 at its other positions, as PyTorch and TensorFlow route it (an
infinite or NaN g stays at its winner; g itself, so a -0 stays -0 where their scatter-add
into zeros gives +0), and 0 on the rows/columns past 2 Ho, 2 Wo that no window covers.
NCHW: each row pair of dL/dx is zero-filled, then g stored at the winners: no branch
and no product per position (cnn_cifar's first pool, one thread: 0.52 ms, against 1.4 for
``g * (arg == k)`` at the four positions and 2.5 for a select). Channels-last: each
position's C values stored whole by a vectorised select, no zero fill first
(``_backward_nhwc``). Forward: one read of x and one write of y and arg, where the NumPy
path makes eleven passes. Results equal the NumPy path's bit for bit
(tests/kernels/test_kernels_pool.py).

Arrays are C-contiguous (but g of the nhwc and the ``relu`` backward kernels, read as
stored; the nhwc backward kernels also take ``v``, C elements of work space). ``nchw``: x
(B, H, W) with B = N C, y and arg (B, Ho, Wo). ``nhwc``: x (N, H, W, C), y and arg
(N, Ho, Wo, C).
"""
import numpy as np

from deepgrad.kernels._jit import jit, kernel


@jit
def _max(p, q):
    """``np.maximum(p, q)``: NaN if either is NaN (the first one), else q unless p > q
    (so a tie of -0 and +0 gives q, as NumPy's)."""
    return p if (p > q) | (p != p) else q


@jit
def _window(a, b, c, d):
    """(y, arg) of the window (a, b; c, d) by pool_tiled's two stages: y the chain
    max(max(a, b), max(c, d)), arg = 2 w + c[w] (the first maximum; for a window
    without NaN, as written branch-free so the loop vectorises)."""
    r0, r1 = _max(a, b), _max(c, d)
    w = r1 > r0
    return _max(r0, r1), np.uint8(2 * w + ((d > c) if w else (b > a)))


@jit
def _last_nan(a, b, c, d):
    """PyTorch's winner of a window holding NaN: its last NaN (row-major)."""
    return np.uint8(3 if d != d else 2 if c != c else 1 if b != b else 0)


@kernel("F[:, :, ::1], F[:, :, ::1], uint8[:, :, ::1]")
def max2x2_forward_nchw(x, y, arg):
    for b in range(y.shape[0]):
        for i in range(y.shape[1]):
            r0, r1, yr, ar = x[b, 2 * i], x[b, 2 * i + 1], y[b, i], arg[b, i]
            nan = False
            for j in range(y.shape[2]):
                v, k = _window(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1])
                yr[j], ar[j] = v, k
                nan |= v != v
            if nan:                                   # rare: fix the NaN windows' winners
                for j in range(y.shape[2]):
                    if yr[j] != yr[j]:
                        ar[j] = _last_nan(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1])


@kernel("F[:, :, :, ::1], F[:, :, :, ::1], uint8[:, :, :, ::1]")
def max2x2_forward_nhwc(x, y, arg):
    for n in range(y.shape[0]):
        for i in range(y.shape[1]):
            r0, r1, yr, ar = x[n, 2 * i], x[n, 2 * i + 1], y[n, i], arg[n, i]
            for j in range(y.shape[2]):
                nan = False
                for c in range(y.shape[3]):
                    v, k = _window(r0[2 * j, c], r0[2 * j + 1, c], r1[2 * j, c],
                                   r1[2 * j + 1, c])
                    yr[j, c], ar[j, c] = v, k
                    nan |= v != v
                if nan:
                    for c in range(y.shape[3]):
                        if yr[j, c] != yr[j, c]:
                            ar[j, c] = _last_nan(r0[2 * j, c], r0[2 * j + 1, c],
                                                 r1[2 * j, c], r1[2 * j + 1, c])


@kernel("F[:, :, ::1], uint8[:, :, ::1], F[:, :, ::1]")
def max2x2_backward_nchw(g, arg, gx):
    zero = gx.dtype.type(0)
    for b in range(g.shape[0]):
        for i in range(g.shape[1]):
            gx[b, 2 * i:2 * i + 2, :] = zero           # the window row pair, then g to
            for j in range(g.shape[2]):                 # each winner: no branch, no product
                k = arg[b, i, j]
                gx[b, 2 * i + (k >> 1), 2 * j + (k & 1)] = g[b, i, j]
        for i in range(2 * g.shape[1], gx.shape[1]):          # the row no window covers
            gx[b, i, :] = zero


@kernel("F[:, :, :, ::1], uint8[:, :, :, ::1], F[:, :, :, ::1], F[::1]",
        "F[:, :, :, :], uint8[:, :, :, ::1], F[:, :, :, ::1], F[::1]")
def max2x2_backward_nhwc(g, arg, gx, v):
    """Channels-last backward (x (N, H, W, C)); ``v``: C elements of work space."""
    _backward_nhwc(g, g, arg, gx, v, False)


@kernel("F[:, :, :, :], F[:, :, :, ::1], uint8[:, :, :, ::1], F[:, :, :, ::1]")
def max2x2_backward_relu_nchw(g, y, arg, gx):
    """The backward of max pooling after a ReLU, NCHW (x (N, C, H, W)): g [y > 0] at the
    winner, as ``activation.relu_backward`` then ``max2x2_backward_nchw``, in one pass; g
    read as stored (an NCHW view of a channels-last array, say)."""
    zero, one = gx.dtype.type(0), gx.dtype.type(1)
    for n in range(g.shape[0]):
        for c in range(g.shape[1]):
            for i in range(g.shape[2]):
                gx[n, c, 2 * i:2 * i + 2, :] = zero
                for j in range(g.shape[3]):
                    k = arg[n, c, i, j]
                    gx[n, c, 2 * i + (k >> 1), 2 * j + (k & 1)] = \
                        g[n, c, i, j] * (one if y[n, c, i, j] > zero else zero)
            for i in range(2 * g.shape[2], gx.shape[2]):
                gx[n, c, i, :] = zero


@kernel("F[:, :, :, ::1], F[:, :, :, ::1], uint8[:, :, :, ::1], F[:, :, :, ::1], F[::1]",
        "F[:, :, :, :], F[:, :, :, ::1], uint8[:, :, :, ::1], F[:, :, :, ::1], F[::1]")
def max2x2_backward_relu_nhwc(g, y, arg, gx, v):
    """As ``max2x2_backward_relu_nchw``, channels-last (x (N, H, W, C)); ``v``: C
    elements of work space."""
    _backward_nhwc(g, y, arg, gx, v, True)


@jit
def _backward_nhwc(g, y, arg, gx, v, relu):
    """dL/dx of channels-last 2 x 2 max pooling: per window, v = g (relu: g [y > 0]) over
    the channels, then each of the four positions stored whole, v where the winner is
    that position, +0 elsewhere: four contiguous, vectorised stores of C values, no zero
    fill first and no scatter (the scatter into a zeroed row pair: cnn_mnist's pool,
    (32, 13, 13, 32), one thread, 340 us, against 130 for this).

    g is read as stored. A Dense layer's input gradient, reshaped by Flatten, is stored
    transposed (samples fastest, see ``ops.linalg._gemm``); the windows are then visited
    position by position, all samples at each, so the C x N block of g one position
    reads stays in cache (sample by sample it reads one value per cache line; the same
    pool: 430 -> 260 us). The loop nests are written out twice, not shared: an array
    passed to a jitted helper per window costs reference counting in every call (this
    kernel took 2.5x as long so), and one nest over a window counter, its order picked by
    g's strides, costs a division per window (1.5-1.8x as long on the same pools).
    """
    zero, one = gx.dtype.type(0), gx.dtype.type(1)
    N, Ho, Wo, C = g.shape
    if g.strides[0] >= g.strides[3]:                  # g as stored by a sample's rows
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    a, yy = arg[n, i, j], y[n, i, j]
                    if relu:
                        for c in range(C):
                            v[c] = g[n, i, j, c] * (one if yy[c] > zero else zero)
                    else:
                        for c in range(C):
                            v[c] = g[n, i, j, c]
                    for k in range(4):
                        d = gx[n, 2 * i + (k >> 1), 2 * j + (k & 1)]
                        for c in range(C):
                            d[c] = v[c] if a[c] == k else zero
    else:                                             # g transposed: samples fastest
        for i in range(Ho):
            for j in range(Wo):
                for n in range(N):
                    a, yy = arg[n, i, j], y[n, i, j]
                    if relu:
                        for c in range(C):
                            v[c] = g[n, i, j, c] * (one if yy[c] > zero else zero)
                    else:
                        for c in range(C):
                            v[c] = g[n, i, j, c]
                    for k in range(4):
                        d = gx[n, 2 * i + (k >> 1), 2 * j + (k & 1)]
                        for c in range(C):
                            d[c] = v[c] if a[c] == k else zero
    for n in range(N):                                # what no window covers: 0
        for i in range(2 * Ho):
            gx[n, i, 2 * Wo:] = zero
        gx[n, 2 * Ho:] = zero
