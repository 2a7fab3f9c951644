"""Winograd F(2x2, 3x3) convolution (Lavin & Gray, 2016) for 3x3, stride-1 convolutions.

The output is cut into 2x2 tiles; tile (t, u) reads the 4x4 input patch d starting at
(2t, 2u) of the padded input. With the transforms

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    G   = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

the 2x2 output tile of the 3x3 cross-correlation is exactly

    y_tile = A^T [ (G W G^T) (*) (B^T d B) ] A          ((*): elementwise over the 4x4)

and the channel sum moves inside: with V[e] = (B^T d B)[e] (N T, C), one row per tile of
the batch, and U[e] = (G W G^T)[e] (C, O) for each of the 16 positions e = 4 a + b of the
4x4 transformed tile,

    M[e] = V[e] @ U[e]          (16 GEMMs (N T, C) @ (C, O))
    y = A^T M A                 (per tile, written into y's layout)

16 multiplies per output tile instead of 36 (2.25x fewer GEMM flops). Backward is the exact
adjoint of these linear maps, again 16 GEMMs each way. With Mg = A G_y A^T (the adjoint of
the output transform applied to G_y = dL/dy, per tile):

    dL/dU[e] = V[e]^T @ Mg[e]     -> dL/dW = G^T dL/dU G
    dL/dV[e] = Mg[e] @ U[e]^T     -> dL/dx = B dL/dV B^T per tile, tiles added where they
                                     overlap (each input row is in two tiles)
    dL/db    = 1^T G_y

Everything here is channels-last: x (N, H, W, C), W (3, 3, C, O), y (N, Ho, Wo, O). An
NCHW :class:`~deepgrad.ops.conv.Conv` passes its NHWC views (one transposing copy of x
unless x is already stored channels-last) and keeps y stored channels-last
(:mod:`deepgrad.ops.layout`). The NumPy transforms run in a spatial-first layout (H, W, n,
C) (one cheap copy per block), where every slice is a long contiguous run.

Saved for backward: V (16 C N T values, about 4/9 of the im2col matrix) and U. Everything
runs over fixed blocks of :data:`BLOCK` samples (temporaries stay in cache), the blocks
split over the threads (:func:`parallel_for`); dL/dU and dL/db are summed per block, then
over the blocks in order, so no value is summed in an order that depends on the threads.

With deepgrad's compiled kernels on (:mod:`deepgrad.kernels.winograd`), the four tile
transforms run as single loops that read x, g and dV channels-last and write V, Mg, y and
dL/dx directly (no spatial-first copies), with the same GEMMs between them: the same
bits, but dL/db, which is then 1^T Mg[5] (Mg[5] = A G_y A^T at (1, 1) is the sum of each
G_y tile, 4x fewer rows than the padded copy of g) and so summed in another order.

Used by :class:`~deepgrad.ops.conv.Conv` and ``ConvLast`` where :func:`chosen` says so.
"""
import numpy as np

from deepgrad import kernels
from deepgrad.autograd.grad_mode import is_grad_enabled
from deepgrad.parallel import parallel_for

#: Samples per block inside a chunk (keeps M and the transform temporaries in cache).
BLOCK = 8

#: Winograd is used from this many input and output channels up: below, the (N T, C) @
#: (C, O) GEMMs are too thin and the transforms cost more than the flops saved. Measured,
#: NCHW forward + backward at one thread, im2col -> Winograd: 3 -> 32 channels on 64 x 32 x
#: 32, 4.6 -> 18.1 ms; 16 -> 32 on 64 x 16 x 16, 8.9 -> 7.1 ms; 32 -> 64 on 64 x 15 x 15,
#: 24.2 -> 17.9 ms; 64 -> 64 on 32 x 16 x 16, 26.4 -> 15.5 ms.
MIN_CHANNELS = 16


def suits(C, O, kernel, stride, dilation, groups, dtype, padded):
    """Is Winograd F(2x2, 3x3) the faster algorithm for this convolution (``padded``: the
    padded input's spatial size)? Its saved V (16 values per 2x2 output tile and input
    channel) must also be no bigger than the im2col matrix (9 per output and channel),
    which rules out outputs one pixel high (or wide) and an odd number wide (or high)."""
    if not (tuple(kernel) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1)
            and groups == 1 and min(C, O) >= MIN_CHANNELS
            and np.dtype(dtype) in (np.float32, np.float64)):
        return False
    Ho, Wo = padded[0] - 2, padded[1] - 2
    return 16 * ((Ho + 1) // 2) * ((Wo + 1) // 2) <= 9 * Ho * Wo


def chosen(x, w, C, O, kernel, stride, dilation, groups, padded):
    """Run Winograd for this call? Where it measured faster: a 2-D convolution that
    :func:`suits` and that is recorded for backward (Winograd's forward alone is slower
    than im2col's; its backward is much faster, and it reuses the forward's V)."""
    return (len(kernel) == 2 and is_grad_enabled() and (x.requires_grad or w.requires_grad)
            and suits(C, O, kernel, stride, dilation, groups, np.result_type(x.dtype, w.dtype),
                      padded))


def function_backward(fn, g):
    """Backward of a :class:`~deepgrad.ops.conv.Conv` / ``ConvLast`` that ran Winograd
    (``fn.wino`` saved by :func:`forward`): (dL/dx, dL/dW, dL/db)."""
    return backward(g, fn.wino, *(tuple(fn.needs_grad) + (False,))[:3])


def _g(k):
    """G along the first axis, (3, ...) -> (4, ...): k0, (k0 + k1 + k2)/2, (k0 - k1 + k2)/2, k2
    (elementwise: no tiny BLAS calls, which cost most at two BLAS threads)."""
    h, m = 0.5 * (k[0] + k[2]), 0.5 * k[1]
    return np.stack([k[0], h + m, h - m, k[2]])


def _gt(d):
    """G^T along the first axis (the adjoint of :func:`_g`), (4, ...) -> (3, ...)."""
    h = 0.5 * (d[1] + d[2])
    return np.stack([d[0] + h, 0.5 * (d[1] - d[2]), d[3] + h])


def transform_weight(w):
    """U = G W G^T per (c, o): W (3, 3, C, O) -> U (16, C, O), position e = 4 a + b of the
    4x4 tile."""
    U = _g(_g(w).transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)       # (4, 4, C, O)
    return np.ascontiguousarray(U.reshape((16,) + U.shape[2:]))


def weight_grad(dU):
    """Adjoint of :func:`transform_weight`: dL/dW = G^T dL/dU G, dU (16, C, O) -> (3, 3, C, O)."""
    d = dU.reshape((4, 4) + dU.shape[1:])
    return _gt(_gt(d).transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def _every2(x, axis, start, count):
    """x[..., start : start + 2 count : 2 (along axis), ...] (a view)."""
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(start, start + 2 * count, 2)
    return x[tuple(idx)]


def _bt(x, axis, T, outs):
    """B^T along ``axis`` for T tiles (tile t reads x[2t : 2t + 4]): 4 outputs
    d0 - d2, d1 + d2, d2 - d1, d1 - d3 written into ``outs``."""
    d0, d1, d2, d3 = (_every2(x, axis, r, T) for r in range(4))
    np.subtract(d0, d2, out=outs[0])
    np.add(d1, d2, out=outs[1])
    np.subtract(d2, d1, out=outs[2])
    np.subtract(d1, d3, out=outs[3])


def _bt_adjoint(v, axis, T, out):
    """Adjoint of :func:`_bt` with the overlapping tiles added: v = 4 arrays of T tiles
    along ``axis`` -> ``out`` (2 T + 2 along axis), out[2t + r] += (B v)[r] of tile t."""
    e0, e1, e2, e3 = (_every2(out, axis, r, T) for r in range(4))
    np.copyto(e0, v[0])                               # rows 2t get v0 of tile t ...
    np.subtract(v[1], v[2], out=e1)                   # rows 2t + 1: v1 - v2 + v3
    e1 += v[3]
    tail = [slice(None)] * out.ndim
    tail[axis] = slice(2 * T, 2 * T + 2)
    out[tuple(tail)] = 0
    e2 += v[1]                                        # ... and -v0 + v1 + v2 of tile t - 1
    e2 += v[2]
    e2 -= v[0]
    e3 -= v[3]                                        # rows 2t + 3: -v3 of tile t - 1


#: x[s:e].transpose(SPATIAL_FIRST) is (H, W, n, C), the layout the NumPy transforms run
#: in (every slice a long contiguous run); y[s:e] is the (Ho, Wo, n, O) result transposed
#: by FROM_SPATIAL_FIRST.
SPATIAL_FIRST, FROM_SPATIAL_FIRST = (1, 2, 0, 3), (2, 0, 1, 3)


def _spatial_first(a, s, e, lead, shape):
    """a[s:e] (n, H, W, K) as (*shape, n, K): the spatial axes first, placed at offset
    ``lead`` (top, left) in zeros of that spatial shape."""
    src = a[s:e].transpose(SPATIAL_FIRST)
    out = np.empty(shape + src.shape[2:], a.dtype)
    (t, l), (h, w) = lead, src.shape[:2]
    out[:t] = 0
    out[t + h:] = 0
    out[t:t + h, :l] = 0
    out[t:t + h, l + w:] = 0
    out[t:t + h, l:l + w] = src
    return out


def _input_transform(xt, V):
    """V (16, Th, Tw, n, C) <- (B^T d B)[e] of every tile d of xt (2 Th + 2, 2 Tw + 2, n, C)."""
    Th, Tw = V.shape[1], V.shape[2]
    rows = np.empty((4, Th) + xt.shape[1:], V.dtype)  # B^T along rows: rows[a]
    _bt(xt, 0, Th, rows)
    _bt(rows, 2, Tw, [V[b::4] for b in range(4)])     # along columns: V[4 a + b], all a at once


def _output_transform(M, yt):
    """yt (2 Th, 2 Tw, n, O) <- A^T M A of every tile, M (16, Th, Tw, n, O)."""
    Mab = M.reshape((4, 4) + M.shape[1:])
    s = np.empty((4, 2) + M.shape[1:], M.dtype)       # A^T along rows: s[b, i]
    np.add(Mab[1], Mab[2], out=s[:, 0])
    s[:, 0] += Mab[0]
    np.subtract(Mab[1], Mab[2], out=s[:, 1])
    s[:, 1] -= Mab[3]
    y6 = yt.reshape((M.shape[1], 2, M.shape[2], 2) + M.shape[3:])
    for j, dst in enumerate((y6[:, :, :, 0], y6[:, :, :, 1])):
        dst = dst.transpose(1, 0, 2, 3, 4)            # A^T along columns: (i, Th, Tw, n, O)
        if j == 0:
            np.add(s[0], s[1], out=dst)
            dst += s[2]
        else:
            np.subtract(s[1], s[2], out=dst)
            dst -= s[3]


def _grad_transform(gt, Mg):
    """Mg (16, Th, Tw, n, O) <- (A G_y A^T)[e] of every tile, the adjoint of
    :func:`_output_transform`; gt (2 Th, 2 Tw, n, O) is dL/dy, zero past (Ho, Wo)."""
    g0, g1 = gt[0::2], gt[1::2]
    h = np.empty((4,) + g0.shape, Mg.dtype)           # A along rows: h[a]
    np.copyto(h[0], g0)
    np.add(g0, g1, out=h[1])
    np.subtract(g0, g1, out=h[2])
    np.negative(g1, out=h[3])
    c0, c1 = h[:, :, 0::2], h[:, :, 1::2]             # A along columns: Mg[4 a + b]
    np.copyto(Mg[0::4], c0)
    np.add(c0, c1, out=Mg[1::4])
    np.subtract(c0, c1, out=Mg[2::4])
    np.negative(c1, out=Mg[3::4])


def _input_grad(dV, pads, in_size):
    """dL/dx of one block, (H, W, n, C), from dV (16, Th, Tw, n, C): B dV B^T per tile,
    overlapping tiles added, the padding cut off."""
    _, Th, Tw, n, C = dV.shape
    rows = np.empty((4, Th, 2 * Tw + 2, n, C), dV.dtype)
    _bt_adjoint([dV[b::4] for b in range(4)], 2, Tw, rows)
    full = np.empty((2 * Th + 2, 2 * Tw + 2, n, C), dV.dtype)
    _bt_adjoint(rows, 0, Th, full)
    return full[pads[0]:pads[0] + in_size[0], pads[2]:pads[2] + in_size[1]]


def _compiled(names, dtype, *arrays):
    """The kernels ``names`` of :mod:`deepgrad.kernels.winograd`, or None: kernels off, or
    an array (None: skipped) not C-contiguous or not of ``dtype`` (float32/float64)."""
    if dtype not in kernels.FLOATS or any(
            a is not None and (a.dtype != dtype or not a.flags.c_contiguous) for a in arrays):
        return None
    found = [kernels.get("winograd", name) for name in names]
    return None if found[0] is None else found


def _over_blocks(N, block, work):
    """block(s, e) for s = 0, BLOCK, 2 BLOCK, ...: whole blocks split over the threads."""
    def chunk(a, z):
        for k in range(a, z):
            block(k * BLOCK, min(k * BLOCK + BLOCK, N))
    parallel_for(-(-N // BLOCK), chunk, work=work)


def forward(x, w, b, pads):
    """The 3x3 stride-1 convolution of x padded by pads (top, bottom, left, right),
    channels-last (an NCHW :class:`~deepgrad.ops.conv.Conv` passes its NHWC views).

    Args:
        x: (N, H, W, C).
        w: Keras's (3, 3, C, O).
        b: (O,) or None.
    Returns:
        y (N, Ho, Wo, O), and what :func:`backward` needs (V (16, N T, C), U, the geometry).
    """
    N, (H, W), C, O = x.shape[0], x.shape[1:3], w.shape[-2], w.shape[-1]
    Ho, Wo = H + pads[0] + pads[1] - 2, W + pads[2] + pads[3] - 2
    Th, Tw = (Ho + 1) // 2, (Wo + 1) // 2
    T = Th * Tw
    dtype = np.result_type(x.dtype, w.dtype)
    U = transform_weight(w.astype(dtype, copy=False))
    V = np.empty((16, N * T, C), dtype)
    y = np.empty((N, Ho, Wo, O), dtype)
    ks = _compiled(("input_transform", "output_transform"), dtype, x, b)

    def compiled_block(s, e):
        ks[0](x, V, np.empty((e - s, 4, 2 * Tw + 2, C), dtype), s, e, pads[0], pads[2], Th,
              Tw)
        M = np.matmul(V[:, s * T:e * T], U)
        ks[1](M, np.empty(0, dtype) if b is None else b, b is not None, y,
              np.empty((4, 2, Tw, e - s, O), dtype), np.empty((2, 2 * Tw, O), dtype), s, Th, Tw)

    def block(s, e):
        n = e - s
        xt = _spatial_first(x, s, e, (pads[0], pads[2]), (2 * Th + 2, 2 * Tw + 2))
        _input_transform(xt, V[:, s * T:e * T].reshape(16, Th, Tw, n, C))
        M = np.matmul(V[:, s * T:e * T], U).reshape(16, Th, Tw, n, O)
        if b is not None:              # A^T e_5 A = ones((2, 2)): + b on position (1, 1)
            M[5] += b
        yt = np.empty((2 * Th, 2 * Tw, n, O), dtype)
        _output_transform(M, yt)
        y[s:e] = yt[:Ho, :Wo].transpose(FROM_SPATIAL_FIRST)

    _over_blocks(N, block if ks is None else compiled_block, V.size + y.size)
    return y, (V, U, pads, (H, W))


def backward(g, saved, want_x, want_w, want_b=False):
    """(dL/dx, dL/dW, dL/db) (None where not wanted) from g = dL/dy (N, Ho, Wo, O), in the
    layouts of :func:`forward`."""
    V, U, pads, in_size = saved
    N = g.shape[0]
    C, O = U.shape[1], U.shape[2]
    Ho, Wo = g.shape[1:3]
    Th, Tw = (Ho + 1) // 2, (Wo + 1) // 2
    T = Th * Tw
    dtype = np.result_type(g.dtype, V.dtype)
    gx = np.empty((N,) + tuple(in_size) + (C,), dtype) if want_x else None
    dUs = np.empty((-(-N // BLOCK), 16, O, C), dtype) if want_w else None
    dbs = np.empty((-(-N // BLOCK), O), g.dtype) if want_b else None
    Ut = U.transpose(0, 2, 1)
    ks = _compiled(("grad_transform", "input_grad"), dtype, g, V)

    def compiled_block(s, e):
        n = e - s
        mg = np.empty((16, n * T, O), dtype)
        ks[0](g, mg, np.empty((n, 2, 2 * Tw, O), dtype), s, Th, Tw)
        if want_b:                     # 1^T Mg[5]: each tile's sum of G_y
            np.matmul(np.ones(n * T, dtype), mg[5], out=dbs[s // BLOCK])
        if want_w:
            np.matmul(mg.transpose(0, 2, 1), V[:, s * T:e * T], out=dUs[s // BLOCK])
        if want_x:
            ks[1](np.matmul(mg, Ut), gx, np.empty((2, 4, 2 * Tw + 2, n, C), dtype),
                  np.empty((in_size[1], C), dtype), s, pads[0], pads[2], Th, Tw)

    def block(s, e):
        n = e - s
        gt = _spatial_first(g, s, e, (0, 0), (2 * Th, 2 * Tw))
        if want_b:                     # 1^T G over the block (faster than g.sum)
            np.matmul(np.ones(4 * T * n, g.dtype), gt.reshape(-1, O), out=dbs[s // BLOCK])
        mg = np.empty((16, n * T, O), dtype)
        _grad_transform(gt, mg.reshape(16, Th, Tw, n, O))
        if want_w:                     # this block's dL/dU[e] = Mg[e]^T V[e] (transposed)
            np.matmul(mg.transpose(0, 2, 1), V[:, s * T:e * T], out=dUs[s // BLOCK])
        if want_x:
            dV = np.matmul(mg, Ut).reshape(16, Th, Tw, n, C)
            gx[s:e] = _input_grad(dV, pads, in_size).transpose(FROM_SPATIAL_FIRST)

    _over_blocks(N, block if ks is None else compiled_block, V.size * 2 + g.size)
    gw = gb = None
    if want_w:                         # the blocks' sum, in block order
        gw = weight_grad(dUs.sum(axis=0).transpose(0, 2, 1))
    if want_b:
        gb = dbs.sum(axis=0)
    return gx, gw, gb
