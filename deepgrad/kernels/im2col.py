"""The 2-D im2col copy and its adjoint col2im, as one loop per layout (and the 3-D
channels-last pair, ``im2col_ndhwc`` / ``col2im_ndhwc``, the same loops with depth).

The formulas of :mod:`deepgrad.ops.im2col` for two spatial axes, stride (sh, sw),
dilation (dh, dw), on the already padded input x:

    im2col   cols[b, p, q, i, j]    = x[b, sh i + dh p, sw j + dw q]          (nchw)
             cols[n, i, j, p, q, c] = x[n, sh i + dh p, sw j + dw q, c]       (nhwc)
    col2im   dx[b, sh i + dh p, sw j + dw q]    += g[b, p, q, i, j]
             dx[n, sh i + dh p, sw j + dw q, c] += g[n, i, j, p, q, c]

im2col is a copy (equal bits). col2im adds into ``dx`` (zeros from the op) kernel
position by kernel position, (p, q) in row-major order as the outer loops, as the NumPy
path's ``for pos in np.ndindex(*kernel): out[dst] += gcols[pos]``: every element of dx
receives its terms in the same order, so the sums equal the NumPy path's bit for bit
(tests/kernels/test_kernels_im2col.py).

The NumPy path copies the strided window view with runs of Wo (nchw) or C (nhwc)
elements; here the nhwc copy runs over kw C contiguous elements per window row when
dw = 1 (9 = 3 x 3 for cnn_cifar's first layer, against runs of C = 3). Measured at one
thread, float32, 3 x 3 windows (interleaved, CPU ms, NumPy -> compiled): cnn_cifar's
64 x 3 x 32 x 32 input: im2col 0.68 -> 0.46 (nchw), 2.13 -> 1.28 (nhwc); col2im
3.6 -> 1.1 (nchw), 20.3 -> 4.6 (nhwc); 64 x 32 x 15 x 15: col2im 14.9 -> 2.5 and
8.1 -> 2.1. col2im_nhwc is not used for C = 1 (runs of one element: 32 x 28 x 28 x 1
measured 0.60 -> 0.68, slower), the op keeps NumPy there.

Arrays are C-contiguous. ``nchw``: x (B, Hp, Wp) with B = N C, cols and g
(B, kh, kw, Ho, Wo), dx (B, Hp, Wp). ``nhwc``: x and dx (N, Hp, Wp C) (the last two axes
merged), cols and g (N, Ho, Wo, kh, kw C) (likewise).
"""
from numba import uint64 as u

from deepgrad.kernels._jit import kernel

# The loops index flat views with unsigned offsets: numba then skips its negative-index
# wraparound, and the runs over Wo (nchw) or kw C (nhwc) vectorise (2-3x faster).


@kernel("F[:, :, ::1], F[:, :, :, :, ::1], int64, int64, int64, int64")
def im2col_nchw(x, cols, sh, sw, dh, dw):
    B, kh, kw, ho, wo = cols.shape
    H, W = x.shape[1], x.shape[2]
    xf, cf = x.reshape(-1), cols.reshape(-1)
    for b in range(B):
        for p in range(kh):
            for q in range(kw):
                for i in range(ho):
                    s = u((b * H + sh * i + dh * p) * W + dw * q)
                    d = u((((b * kh + p) * kw + q) * ho + i) * wo)
                    if sw == 1:
                        for j in range(u(wo)):
                            cf[d + j] = xf[s + j]
                    else:
                        for j in range(u(wo)):
                            cf[d + j] = xf[s + u(sw) * j]


@kernel("F[:, :, ::1], F[:, :, :, :, ::1], int64, int64, int64, int64, int64")
def im2col_nhwc(x, cols, C, sh, sw, dh, dw):
    N, ho, wo, kh, kwc = cols.shape
    H, WC = x.shape[1], x.shape[2]
    xf, cf = x.reshape(-1), cols.reshape(-1)
    for n in range(N):
        for i in range(ho):
            for j in range(wo):
                for p in range(kh):
                    r = u((n * H + sh * i + dh * p) * WC + sw * j * C)
                    d = u((((n * ho + i) * wo + j) * kh + p) * kwc)
                    if dw == 1:                       # the window row: kw C in one run
                        for t in range(u(kwc)):
                            cf[d + t] = xf[r + t]
                    else:
                        for q in range(kwc // C):
                            s, e = r + u(dw * q * C), d + u(q * C)
                            for c in range(u(C)):
                                cf[e + c] = xf[s + c]


@kernel("F[:, :, :, :, ::1], F[:, :, ::1], int64, int64, int64, int64")
def col2im_nchw(g, dx, sh, sw, dh, dw):
    B, kh, kw, ho, wo = g.shape
    H, W = dx.shape[1], dx.shape[2]
    gf, xf = g.reshape(-1), dx.reshape(-1)
    for b in range(B):
        for p in range(kh):
            for q in range(kw):
                for i in range(ho):
                    d = u((b * H + sh * i + dh * p) * W + dw * q)
                    s = u((((b * kh + p) * kw + q) * ho + i) * wo)
                    if sw == 1:
                        for j in range(u(wo)):
                            xf[d + j] += gf[s + j]
                    else:
                        for j in range(u(wo)):
                            xf[d + u(sw) * j] += gf[s + j]


@kernel("F[:, :, :, :, ::1], F[:, :, ::1], int64, int64, int64, int64, int64")
def col2im_nhwc(g, dx, C, sh, sw, dh, dw):
    N, ho, wo, kh, kwc = g.shape
    H, WC = dx.shape[1], dx.shape[2]
    gf, xf = g.reshape(-1), dx.reshape(-1)
    for n in range(N):
        for p in range(kh):
            for q in range(kwc // C):
                for i in range(ho):
                    r = u((n * H + sh * i + dh * p) * WC + dw * q * C)
                    s0 = u((((n * ho + i) * wo) * kh + p) * kwc + q * C)
                    for j in range(u(wo)):
                        d, s = r + j * u(sw * C), s0 + j * u(kh * kwc)
                        for c in range(u(C)):
                            xf[d + c] += gf[s + c]


# ------------------------------------------------------------- volumes, channels-last
# The 2-D nhwc loops with a depth loop added; their inner loops are written out again, not
# shared through a jit helper: as a helper they measured slower (im2col_nhwc, C = 1 and 32,
# JIT: 0.25 -> 0.61 and 0.5 -> 0.8 ms), the loop no longer compiled in place.
@kernel("F[:, :, :, ::1], F[:, :, :, :, :, :, ::1], int64, int64, int64, int64, int64, int64, "
        "int64")
def im2col_ndhwc(x, cols, C, sd, sh, sw, dd, dh, dw):
    """cols[n, t, i, j, r, p, q, c] = x[n, sd t + dd r, sh i + dh p, sw j + dw q, c]:
    x (N, Dp, Hp, Wp C), cols (N, Do, Ho, Wo, kd, kh, kw C); im2col_nhwc with depth."""
    N, do, ho, wo, kd, kh, kwc = cols.shape
    D, H, WC = x.shape[1], x.shape[2], x.shape[3]
    xf, cf = x.reshape(-1), cols.reshape(-1)
    for n in range(N):
        for t in range(do):
            for i in range(ho):
                for j in range(wo):
                    for r in range(kd):
                        for p in range(kh):
                            s = u(((n * D + sd * t + dd * r) * H + sh * i + dh * p) * WC
                                  + sw * j * C)
                            d = u((((((n * do + t) * ho + i) * wo + j) * kd + r) * kh + p)
                                  * kwc)
                            if dw == 1:               # the window row: kw C in one run
                                for e in range(u(kwc)):
                                    cf[d + e] = xf[s + e]
                            else:
                                for q in range(kwc // C):
                                    a, b = s + u(dw * q * C), d + u(q * C)
                                    for c in range(u(C)):
                                        cf[b + c] = xf[a + c]


@kernel("F[:, :, :, :, :, :, ::1], F[:, :, :, ::1], int64, int64, int64, int64, int64, int64, "
        "int64")
def col2im_ndhwc(g, dx, C, sd, sh, sw, dd, dh, dw):
    """dx[n, sd t + dd r, sh i + dh p, sw j + dw q, c] += g[n, t, i, j, r, p, q, c], kernel
    positions (r, p, q) in row-major order as the outer loops (the NumPy path's order):
    g (N, Do, Ho, Wo, kd, kh, kw C), dx (N, Dp, Hp, Wp C)."""
    N, do, ho, wo, kd, kh, kwc = g.shape
    D, H, WC = dx.shape[1], dx.shape[2], dx.shape[3]
    gf, xf = g.reshape(-1), dx.reshape(-1)
    for n in range(N):
        for r in range(kd):
            for p in range(kh):
                for q in range(kwc // C):
                    for t in range(do):
                        for i in range(ho):
                            a = u(((n * D + sd * t + dd * r) * H + sh * i + dh * p) * WC
                                  + dw * q * C)
                            b0 = u(((((n * do + t) * ho + i) * wo * kd + r) * kh + p) * kwc
                                   + q * C)
                            for j in range(u(wo)):
                                d, s = a + j * u(sw * C), b0 + j * u(kd * kh * kwc)
                                for c in range(u(C)):
                                    xf[d + c] += gf[s + c]
