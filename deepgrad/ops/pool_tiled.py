"""Max pooling's backward over 2 x 2 windows that tile the plane, and PyTorch's NaN rule.

``MaxPool2d(2)`` / Keras's ``MaxPooling2D((2, 2))`` (kernel == stride == 2, no padding,
dilation 1) is the common case; each input position is in at most one window, so
backward need not accumulate. View dL/dx as tiles, (N, C, Ho, 2, Wo, 2) for NCHW or
(N, Ho, 2, Wo, 2, C) for NHWC (rows and columns past 2 Ho, 2 Wo are in no window, floor
mode, and get 0), and write, for each kernel position k = 2 p + q (row-major),

    dL/dx[tile (i, j), position (p, q)] = g[i, j] [arg[i, j] == k]

straight into the tile view: every input position is written exactly once, with no
zero fill, no temporary and no read-modify-write. ``arg`` is the generic forward's
winner (first maximum in row-major kernel order, as PyTorch's), so the result is the
generic backward's, bit for bit (tests/ops/test_ops_pool_tiled.py).

Measured, one thread (cnn_cifar's two pools, NCHW and NHWC): backward 30-45 % less CPU
time than the generic accumulate-per-position loop. A two-stage forward (max within each
row pair of columns, then between rows) was tried and was slower than the generic
running max on three of the four shapes of the seeds (numpy's per-inner-loop overhead on
the interleaved views), so forward stays generic.

NaN: ``np.maximum`` propagates it, so a window holding a NaN has y = NaN; its winner is
set to its last NaN position (PyTorch's ``val > max or isnan(val)``) by
:func:`nan_winners`, so backward and ``return_indices`` agree with PyTorch there too.

Blocks of samples of about ``BLOCK_BYTES`` keep each block's passes in cache; blocks are
split over the thread pool by sample, each element computed alone, so the bits do not
depend on the thread count.
"""
import numpy as np

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


def backward(g, arg, in_shape, channels_last):
    """dL/dx (``in_shape``): g at each window's winner (``arg``, y's shape, kernel position
    0..3 row-major), 0 elsewhere; each position written once."""
    kernel = (2, 2)
    g = np.ascontiguousarray(g)
    out = g.shape[1:3] if channels_last else g.shape[-2:]
    gx = np.empty(in_shape, g.dtype)
    tiles, prow, qcol = _tiles(gx, kernel, out, channels_last)
    _zero_edges(gx, kernel, out, channels_last)
    per = max(1, BLOCK_BYTES // max(1, gx[:1].nbytes))
    mask = np.empty(g.shape, bool)

    def chunk(a, z):
        for s in range(a, z, per):
            e = min(s + per, z)
            gb, ab, mb, tb = g[s:e], arg[s:e], mask[s:e], tiles[s:e]
            for k in range(4):
                dst = _position(tb, prow, qcol, divmod(k, 2))
                np.multiply(gb, np.equal(ab, k, out=mb), out=dst)

    parallel_for(g.shape[0], chunk, work=gx.size)
    return gx


def _zero_edges(gx, kernel, out, channels_last):
    """Zero the rows and columns past the last window (floor mode's leftover)."""
    h0, w0 = out[0] * kernel[0], out[1] * kernel[1]
    lead = (slice(None),) if channels_last else (slice(None),) * (gx.ndim - 2)
    gx[lead + (slice(h0, None),)] = 0
    gx[lead + (slice(None, h0), slice(w0, None))] = 0


def nan_winners(y, arg, positions):
    """Where a window holds a NaN (y is NaN there), make its winner its last NaN position,
    as PyTorch's max pooling (``val > max or isnan(val)``). ``positions[k]``: the values at
    kernel position k, shaped as y. Costs one max of y when there is no NaN."""
    if y.dtype.kind != "f" or not y.size or not np.isnan(np.max(y)):
        return
    hit = np.isnan(y)
    for k, v in enumerate(positions):
        np.copyto(arg, k, where=hit & np.isnan(v), casting="unsafe")
