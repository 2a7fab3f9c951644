"""The channels-last depthwise convolution (:mod:`deepgrad.ops.conv_depthwise`, whose
docstring has the formulas) as direct loops: one read of each window value per kernel
position and one write of each output, where the NumPy path makes two passes per
position and per filter.

Arrays (C-contiguous): xp (N, Hp, Wp, C) the padded input, k (kh, kw, C M) and y, g
(N, Ho, Wo, C M) with the filters of a channel side by side (index c M + m, as Keras
lays them out). With M > 1 the op hands forward and the kernel gradient the input with
each channel repeated M times, so that every inner loop runs over contiguous channels
(and vectorises). Every sum runs in the NumPy path's order:

* y: the kernel positions (p, q) in row-major order, the first one assigned;
* dL/dx: per input element, the positions in row-major order, and within a position the
  filters m in order (the NumPy path's ``contrib``), added to the zeroed gxp;
* dL/dK: per sample, the outputs (i, j) in row-major order (NumPy's row-by-row
  ``sum(axis=1)``), into gk (N, kh kw, C M) (``kh``, ``kw`` given).

So the results equal the NumPy path's, up to the sign of a zero sum
(tests/kernels/test_kernels_depthwise.py).
"""
from deepgrad.kernels._jit import kernel


@kernel("F[:, :, :, ::1], F[:, :, ::1], F[:, :, :, ::1], int64, int64, int64, int64")
def forward(xp, k, y, s0, s1, d0, d1):
    """y (N, Ho, Wo, K) from xp (N, Hp, Wp, K) and k (kh, kw, K): one filter per channel
    (the op repeats each input channel M times first when M > 1)."""
    kh, kw, K = k.shape
    for n in range(y.shape[0]):
        for i in range(y.shape[1]):
            for j in range(y.shape[2]):
                out = y[n, i, j]
                for p in range(kh):
                    for q in range(kw):
                        xv, kv = xp[n, s0 * i + d0 * p, s1 * j + d1 * q], k[p, q]
                        if p == 0 and q == 0:
                            for c in range(K):
                                out[c] = xv[c] * kv[c]
                        else:
                            for c in range(K):
                                out[c] += xv[c] * kv[c]


@kernel("F[:, :, :, :, ::1], F[:, :, :, ::1], F[:, :, :, ::1], F[::1], int64, int64, int64, int64")
def backward_input(g, k, gxp, buf, s0, s1, d0, d1):
    """gxp (N, Hp, Wp, C) += the input gradient, from g (N, Ho, Wo, M, C) and k
    (kh, kw, M, C) (filter-major: the op transposes them when M > 1); ``buf`` (C,) holds
    one window's sum over the filters, added in the NumPy path's order."""
    kh, kw, M, C = k.shape
    for n in range(g.shape[0]):
        for p in range(kh):
            for q in range(kw):
                kv = k[p, q]
                for i in range(g.shape[1]):
                    for j in range(g.shape[2]):
                        dst, gv = gxp[n, s0 * i + d0 * p, s1 * j + d1 * q], g[n, i, j]
                        if M == 1:
                            g0, k0 = gv[0], kv[0]
                            for c in range(C):
                                dst[c] += g0[c] * k0[c]
                        else:
                            g0, k0 = gv[0], kv[0]
                            for c in range(C):
                                buf[c] = g0[c] * k0[c]
                            for m in range(1, M):
                                gm, km = gv[m], kv[m]
                                for c in range(C):
                                    buf[c] += gm[c] * km[c]
                            for c in range(C):
                                dst[c] += buf[c]


@kernel("F[:, :, :, ::1], F[:, :, :, ::1], F[:, :, ::1], int64, int64, int64, int64, int64, int64")
def backward_kernel(xp, g, gk, kh, kw, s0, s1, d0, d1):
    """gk (N, kh kw, K): per sample, sum over (i, j) of X_pq G (xp (N, Hp, Wp, K), the
    input repeated M times per channel when M > 1)."""
    K = gk.shape[2]
    for n in range(g.shape[0]):
        for p in range(kh):
            for q in range(kw):
                acc = gk[n, p * kw + q]
                acc[:] = 0
                for i in range(g.shape[1]):
                    for j in range(g.shape[2]):
                        xv, gv = xp[n, s0 * i + d0 * p, s1 * j + d1 * q], g[n, i, j]
                        for c in range(K):
                            acc[c] += xv[c] * gv[c]
