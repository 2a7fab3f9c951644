"""Max pooling over 2 x 2 windows that tile the plane, and PyTorch's NaN rule.

``MaxPool2d(2)`` / Keras's ``MaxPooling2D((2, 2))`` (kernel == stride == 2, no padding,
dilation 1) is the common case. :class:`deepgrad.ops.pool.MaxPool` sends it here; the
results are the generic path's, bit for bit (values, winners, gradients; tested in
tests/ops/test_ops_pool_tiled.py). View x as tiles, (N, C, Ho, 2, Wo, 2) for NCHW or
(N, Ho, 2, Wo, 2, C) for NHWC, kernel row p and column q of each window at the two 2-axes
(rows and columns past 2 Ho, 2 Wo are in no window, floor mode).

Forward, two stages:

    stage 1 (within each kernel row p):  r[p] = max(x[p, 0], x[p, 1]),  c[p] = [x[p, 1] > x[p, 0]]
    stage 2 (between the rows):          y = max(r[0], r[1]),           w = [r[1] > r[0]]
    winner (row-major kernel position):  arg = 2 w + c[w]

Four passes over strided views of x (stage 1), the rest over contiguous y-sized arrays,
against the generic running max's copy plus six strided passes.

``arg`` is the first maximum in row-major kernel order (PyTorch's rule, and the generic
running max's). Proof: let (p*, q*) be the first position, row-major, holding the window
max M. Row p* reaches M and no row p < p* does (it would hold an earlier M), so the
first row reaching y = M is p*, and the strict ``>`` of w keeps row 0 on a tie: w = p*.
Within row p*, the first column holding M is q* (row-major order within one row is
column order), and the strict ``>`` of c keeps column 0 on a tie: c[p*] = q*. So ties,
for example the all-zero windows after a ReLU, go to the first position, as PyTorch's.
The values are the same maxima as the running max's, NaN included (``np.maximum``
propagates it); a window holding NaN then gets its winner from :func:`nan_winners`.

Backward: for each kernel position k = 2 p + q,

    dL/dx[tile (i, j), position (p, q)] = g[i, j] if arg[i, j] == k else +0

(as PyTorch and TensorFlow route it: a negative, infinite or NaN g stays at its winner).
Both paths write every input position once; the NumPy path multiplies g's bits, as
unsigned integers, by [arg == k].

NaN: a window holding a NaN has y = NaN; its winner is set to its last NaN position
(PyTorch's ``val > max or isnan(val)``) by :func:`nan_winners`, which the generic path
applies too, so backward and ``return_indices`` agree with PyTorch there.

Blocks of samples of about ``BLOCK_BYTES`` keep each block's passes in cache; blocks are
split over the thread pool by sample, each element computed alone, so the bits do not
depend on the thread count.
"""
import numpy as np

from deepgrad import kernels
from deepgrad.ops.activation import relu_backward
from deepgrad.ops.layout import contiguous
from deepgrad.parallel import parallel_for

#: Bytes of input per block of samples (a block's passes then run in the core's L2).
BLOCK_BYTES = 1 << 19


def applies(kernel, stride, dilation, pads):
    """True for 2 x 2 windows that tile the (cropped) plane: stride 2, dilation 1, no
    padding (``pads``: padding plus ceil_mode's extension, before and after each axis)."""
    return (tuple(kernel) == (2, 2) and tuple(stride) == (2, 2)
            and tuple(dilation) == (1, 1) and not any(pads))


def _tiles(x, kernel, out, channels_last):
    """The (cropped) tile view of x and the axes of kernel row p and column q in it."""
    (kh, kw), (ho, wo) = kernel, out
    if channels_last:
        x = x[:, :ho * kh, :wo * kw]
        return x.reshape(x.shape[0], ho, kh, wo, kw, x.shape[-1]), 2, 4
    x = x[..., :ho * kh, :wo * kw]
    return x.reshape(x.shape[:-2] + (ho, kh, wo, kw)), x.ndim - 1, x.ndim + 1


def _at(axis, i, ndim):
    """Index tuple taking position i of ``axis``."""
    return (slice(None),) * axis + (i,) + (slice(None),) * (ndim - axis - 1)


def _position(tiles, prow, qcol, pq):
    """Kernel position (p, q) of every tile, shaped as y."""
    v = tiles[_at(prow, pq[0], tiles.ndim)]
    return v[_at(qcol - 1, pq[1], v.ndim)]


def forward(x, out, channels_last):
    """(y, arg): the 2 x 2 window maxima and each window's winner (uint8, row-major kernel
    position 0..3), both shaped as the generic path's (N, C, Ho, Wo) or (N, Ho, Wo, C)."""
    shape = (x.shape[0],) + ((out[0], out[1], x.shape[-1]) if channels_last
                             else x.shape[1:-2] + tuple(out))
    y, arg = np.empty(shape, x.dtype), np.empty(shape, np.uint8)
    if _compiled(x, y, arg, "forward", channels_last):
        return y, arg
    tiles, prow, qcol = _tiles(x, (2, 2), out, channels_last)
    per = max(1, BLOCK_BYTES // max(1, x[:1].nbytes))

    def chunk(a, z):
        # y-sized temporaries, one set per chunk, reused by each of its blocks
        block = y[a:min(a + per, z)].shape
        r1, w = np.empty(block, x.dtype), np.empty(block, bool)
        c0, c1, new = (np.empty(block, np.uint8) for _ in range(3))
        for s in range(a, z, per):
            e = min(s + per, z)
            t, b, yb = tiles[s:e], e - s, y[s:e]
            (x00, x01), (x10, x11) = [[_position(t, prow, qcol, (p, q)) for q in (0, 1)]
                                      for p in (0, 1)]
            # stage 1, row by row: r0 (into y), r1; c[p] = [x[p, 1] > x[p, 0]]
            np.maximum(x00, x01, out=yb)
            np.greater(x01, x00, out=c0[:b].view(bool))
            np.maximum(x10, x11, out=r1[:b])
            np.greater(x11, x10, out=c1[:b].view(bool))
            # stage 2: w = [row 1 wins], y = max(r0, r1)
            np.greater(r1[:b], yb, out=w[:b])
            np.maximum(yb, r1[:b], out=yb)
            # arg = 2 w + c[w] = c0 + w (2 + c1 - c0)   (uint8 wraps; the result is exact)
            np.subtract(c1[:b], c0[:b], out=new[:b])
            new[:b] += np.uint8(2)
            np.multiply(new[:b], w[:b], out=new[:b])
            np.add(c0[:b], new[:b], out=arg[s:e])

    parallel_for(x.shape[0], chunk, work=x.size)
    nan_winners(y, arg, [_position(tiles, prow, qcol, divmod(k, 2)) for k in range(4)])
    return y, arg


def backward(g, arg, in_shape, channels_last, relu_out=None, free=False):
    """dL/dx (``in_shape``): g at each window's winner (``arg``, y's shape, kernel position
    0..3 row-major), 0 elsewhere; each position written once. ``relu_out``: the pool's
    output y, after a ReLU (``MaxPool``'s "After a ReLU"): g [y > 0] at the winner, in
    the same pass where the kernels are on (:mod:`deepgrad.kernels.pool`'s ``relu``
    kernels, g read as stored: nn's cnn_cifar reads the NCHW view of its second
    convolution's channels-last input gradient without a transposing copy; on the NumPy
    path the mask is written into g when ``free``, the engine's ``grad_free``)."""
    kernel = (2, 2)
    out = g.shape[1:3] if channels_last else g.shape[-2:]
    gx = np.empty(in_shape, g.dtype)
    if relu_out is not None:
        if _compiled_relu(g, relu_out, arg, gx, channels_last):
            return gx
        g = relu_backward(g, relu_out, free)
    # the channels-last kernels read a strided g as it is: a Dense layer's transposed
    # input gradient (see ops.linalg._gemm) in the order that keeps its reads in cache
    # (cnn_mnist's pool after a ReLU, one thread: 200 us; a copy alone costs 270)
    if not channels_last:
        g = contiguous(g)
    if _compiled(g, arg, gx, "backward", channels_last,
                 strided=channels_last):                   # zeroes the leftovers itself
        return gx
    g = contiguous(g)                                      # (a no-op when it already is)
    if tuple(in_shape[1:3] if channels_last else in_shape[-2:]) != (2 * out[0], 2 * out[1]):
        # a cropped plane's leftover rows/columns must be 0: a zeroed array (calloc)
        # measured cheaper, for this op and the next, than zeroing the strided edge
        gx = np.zeros(in_shape, g.dtype)
    tiles, prow, qcol = _tiles(gx, kernel, out, channels_last)
    bits = np.dtype(f"u{g.dtype.itemsize}")
    per = max(1, BLOCK_BYTES // max(1, gx[:1].nbytes))
    mask = np.empty(g.shape, bool)

    def chunk(a, z):
        for s in range(a, z, per):
            e = min(s + per, z)
            gb, ab, mb, tb = g[s:e], arg[s:e], mask[s:e], tiles[s:e]
            for k in range(4):
                dst = _position(tb, prow, qcol, divmod(k, 2))
                # g's bits times [arg == k]: g's exact bits at the winner, +0 elsewhere
                # (a float product would put -0 or NaN there for a negative or
                # non-finite g); as fast as the float product, 5x faster than copyto
                np.multiply(gb.view(bits), np.equal(ab, k, out=mb), out=dst.view(bits))

    parallel_for(g.shape[0], chunk, work=gx.size)
    return gx


def _compiled(a, b, c, direction, channels_last, strided=False):
    """Run the compiled kernel (:mod:`deepgrad.kernels.pool`) on (a, b, c) over the pool's
    chunks of samples, if kernels are on and the arrays suit it (``a`` C-contiguous unless
    ``strided``); False otherwise."""
    if a.dtype not in kernels.FLOATS or not (strided or a.flags.c_contiguous) or not a.size:
        return False
    layout = "nhwc" if channels_last else "nchw"
    k = kernels.get("pool", f"max2x2_{direction}_{layout}")
    if k is None:
        return False
    if not channels_last:                         # (N, ..., H, W) -> (N, B, H, W)
        a, b, c = (v.reshape(v.shape[0], -1, *v.shape[-2:]) for v in (a, b, c))

    def chunk(s, e):
        if channels_last and direction == "backward":       # + C elements of work space
            k(a[s:e], b[s:e], c[s:e], np.empty(a.shape[-1], c.dtype))
        elif channels_last:
            k(a[s:e], b[s:e], c[s:e])
        else:                                     # the kernel's (B, H, W): samples' planes
            k(*(v[s:e].reshape(-1, *v.shape[-2:]) for v in (a, b, c)))

    parallel_for(a.shape[0], chunk, work=max(a.size, c.size))
    return True


def _compiled_relu(g, y, arg, gx, channels_last):
    """Run the ``max2x2_backward_relu`` kernel on 4-D arrays over the pool's chunks of
    samples, if kernels are on and the arrays suit it; False otherwise."""
    if g.dtype not in kernels.FLOATS or y.dtype != g.dtype or g.ndim != 4 or not g.size \
            or not (y.flags.c_contiguous and arg.flags.c_contiguous):
        return False
    k = kernels.get("pool", f"max2x2_backward_relu_{'nhwc' if channels_last else 'nchw'}")
    if k is None:
        return False
    if channels_last:                                       # + C elements of work space
        parallel_for(g.shape[0], lambda s, e: k(g[s:e], y[s:e], arg[s:e], gx[s:e],
                                                 np.empty(g.shape[-1], gx.dtype)),
                     work=gx.size)
    else:
        parallel_for(g.shape[0], lambda s, e: k(g[s:e], y[s:e], arg[s:e], gx[s:e]),
                     work=gx.size)
    return True


def nan_winners(y, arg, positions):
    """Where a window holds a NaN (y is NaN there), make its winner its last NaN position,
    as PyTorch's max pooling (``val > max or isnan(val)``). ``positions[k]``: the values at
    kernel position k, shaped as y. Costs one max of y when there is no NaN."""
    if y.dtype.kind != "f" or not y.size or not np.isnan(np.max(y)):
        return
    hit = np.isnan(y)
    for k, v in enumerate(positions):
        np.copyto(arg, k, where=hit & np.isnan(v), casting="unsafe")
