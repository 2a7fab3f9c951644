"""Winograd F(2x2, 3x3)'s tile transforms as compiled loops (the GEMMs stay in BLAS).

The formulas of :mod:`deepgrad.ops.conv_winograd` (which derives them), element by element
in the same order, so every array they write equals the NumPy path's bit for bit:

    forward     V[e] = (B^T d B)[e]          d: the 4x4 input tile at (2 th, 2 tw), zero
                                             where it overhangs the padded plane
                y    = A^T M A  (+ b)        M[e] = V[e] @ U[e], b added to M[5] first
    backward    Mg   = A G_y A^T             G_y = dL/dy's 2x2 tile, zero past (Ho, Wo)
                dL/dx = sum over tiles of B dV B^T, dV[e] = Mg[e] @ U[e]^T, the padding cut

with e = 4 a + b the position in the 4x4 transformed tile and

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].

Each 2-D transform is two 1-D ones, along the rows (a) first and then along the columns (b),
each a fixed chain of adds as in the NumPy code:

    B^T (d0, d1, d2, d3)   = (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    A^T (m0, m1, m2, m3)   = ((m1 + m2) + m0, (m1 - m2) - m3)
    A   (g0, g1)           = (g0, g0 + g1, g0 - g1, -g1)
    B (adjoint, tiles added where they overlap), output position 2k and 2k + 1 from the
    tiles t = k (v) and t = k - 1 (u), a missing tile counting as 0:
        [2k]     = ((v0 + u1) + u2) - u0
        [2k + 1] = ((v1 - v2) + v3) - u3
    (for k = 0 just v0 and (v1 - v2) + v3).

Where the NumPy path makes several passes over (H, W, n, C) copies of the block (a zero-
padded spatial-first copy, then one pass per add), each kernel reads one tile row (2 or 4
rows of the input) of the block's samples from x, g or dV in their own layout into a small
work array (``ws``, ``rows``: tens of KiB), and writes the transformed values straight into
V, Mg, y or dL/dx. V, M, Mg and dV are 16 arrays a power of two apart: writing (or reading)
all 16 positions of one tile at once maps 16 streams onto the same cache sets and measured
ten times slower, so the loops run over one position e at a time, its rows in order.

Layout: x, y, g and dL/dx are channels-last, (N, H, W, C): the op hands NCHW arrays over as
channels-last copies, block by block (one NumPy transposing copy each way measured faster
than transposing inside these loops, whose stores then no longer vectorise: conv2 of
cnn_cifar, forward + backward, 13.7 -> 12.8 ms at one thread). V (16, N T, C)
and Mg, M, dV (16, n T, K) for a block of n samples starting at sample s: row
s T + (th Tw + tw) n + (i - s) of V (the NumPy path's (16, Th, Tw, n, C) per block).
All arrays C-contiguous and of one dtype (float32 or float64).

The one sum in another order than the NumPy path's is the op's dL/db, which the op takes
from Mg[5] (the sum of each G_y tile) instead of from the padded copy of g; see
:func:`deepgrad.ops.conv_winograd.backward`.
"""
from deepgrad.kernels._jit import jit, kernel


@jit
def _get_rows(x, i, h0, ws, pl):
    """ws[r, w, c] <- sample i of x at row h0 + r and column w - pl, 0 outside x (the
    padding), for r < ws.shape[0]: len(ws) rows of x."""
    H, W = x.shape[1], x.shape[2]
    zero = ws.dtype.type(0)
    for r in range(ws.shape[0]):
        h = h0 + r
        for w in range(ws.shape[1]):
            xw = w - pl
            if h < 0 or h >= H or xw < 0 or xw >= W:
                for c in range(ws.shape[2]):
                    ws[r, w, c] = zero
            else:
                for c in range(ws.shape[2]):
                    ws[r, w, c] = x[i, h, xw, c]


@jit
def _rows_bt(x, i, h0, ws, pl):
    """ws[:, w, c] <- B^T (d0, d1, d2, d3), d_r sample i of x at row h0 + r and column
    w - pl, 0 outside x (the padding): one pass, no copy of the rows first."""
    H, W = x.shape[1], x.shape[2]
    zero = ws.dtype.type(0)
    ok0, ok1, ok2, ok3 = 0 <= h0 < H, 0 <= h0 + 1 < H, 0 <= h0 + 2 < H, 0 <= h0 + 3 < H
    r0, r1 = max(min(h0, H - 1), 0), max(min(h0 + 1, H - 1), 0)   # rows to read (if ok)
    r2, r3 = max(min(h0 + 2, H - 1), 0), max(min(h0 + 3, H - 1), 0)
    for w in range(ws.shape[1]):
        if w - pl < 0 or w - pl >= W:
            for c in range(ws.shape[2]):
                ws[0, w, c] = ws[1, w, c] = ws[2, w, c] = ws[3, w, c] = zero
    lo, hi = max(0, -pl), min(W, ws.shape[1] - pl)
    for xw in range(lo, hi):
        for c in range(ws.shape[2]):
            d0 = x[i, r0, xw, c] if ok0 else zero
            d1 = x[i, r1, xw, c] if ok1 else zero
            d2 = x[i, r2, xw, c] if ok2 else zero
            d3 = x[i, r3, xw, c] if ok3 else zero
            ws[0, xw + pl, c] = d0 - d2
            ws[1, xw + pl, c] = d1 + d2
            ws[2, xw + pl, c] = d2 - d1
            ws[3, xw + pl, c] = d1 - d3


@kernel("F[:, :, :, ::1], F[:, :, ::1], F[:, :, :, ::1], int64, int64, int64, int64, int64, int64")
def input_transform(x, V, ws, s, e, pt, pl, Th, Tw):
    """V[:, rows of samples s..e] <- B^T d B of every tile; ws (n, 4, 2 Tw + 2, C)."""
    n, C = e - s, V.shape[2]
    for th in range(Th):
        for i in range(n):                 # B^T along the rows of the tile row's 4 rows
            _rows_bt(x, s + i, 2 * th - pt, ws[i], pl)
        # along the columns, into V[4 a + b]: one e at a time, its rows in order
        for a in range(4):
            for bb in range(4):
                for tw in range(Tw):
                    row = s * (Th * Tw) + (th * Tw + tw) * n
                    for i in range(n):
                        for c in range(C):
                            V[4 * a + bb, row + i, c] = _bt(
                                ws[i, a, 2 * tw, c], ws[i, a, 2 * tw + 1, c],
                                ws[i, a, 2 * tw + 2, c], ws[i, a, 2 * tw + 3, c], bb)


@jit
def _bt(d0, d1, d2, d3, a):
    """Entry a of B^T (d0, d1, d2, d3) = (d0 - d2, d1 + d2, d2 - d1, d1 - d3)."""
    if a == 0:
        return d0 - d2
    if a == 1:
        return d1 + d2
    if a == 2:
        return d2 - d1
    return d1 - d3


@kernel("F[:, :, ::1], F[::1], boolean, F[:, :, :, ::1], F[:, :, :, :, ::1], F[:, :, "
        "::1], int64, int64, int64")
def output_transform(M, b, has_b, y, rows, line, s, Th, Tw):
    """y[s : s + n] <- A^T M A of every tile (+ b if has_b), cut at y's (Ho, Wo);
    M (16, n T, O) is the block's GEMM result; rows (4, 2, Tw, n, O), line (2, 2 Tw, O)."""
    O = M.shape[2]
    n = M.shape[1] // (Th * Tw)
    Ho, Wo = y.shape[1], y.shape[2]
    for th in range(Th):
        # A^T along the rows: rows[b, r] = ((M[4 + b] + M[8 + b]) + M[b],
        # (M[4 + b] - M[8 + b]) - M[12 + b]), b added to M[5] first
        for bb in range(4):
            bias = has_b and bb == 1
            for tw in range(Tw):
                for i in range(n):
                    row = (th * Tw + tw) * n + i
                    for o in range(O):
                        m1 = M[4 + bb, row, o] + b[o] if bias else M[4 + bb, row, o]
                        m2 = M[8 + bb, row, o]
                        rows[bb, 0, tw, i, o] = (m1 + m2) + M[bb, row, o]
                        rows[bb, 1, tw, i, o] = (m1 - m2) - M[12 + bb, row, o]
        # A^T along the columns, then y's rows 2 th, 2 th + 1 of each sample
        for i in range(n):
            for r in range(2):
                for tw in range(Tw):
                    for o in range(O):
                        s0, s1 = rows[0, r, tw, i, o], rows[1, r, tw, i, o]
                        s2, s3 = rows[2, r, tw, i, o], rows[3, r, tw, i, o]
                        line[r, 2 * tw, o] = (s0 + s1) + s2
                        line[r, 2 * tw + 1, o] = (s1 - s2) - s3
            for r in range(min(2, Ho - 2 * th)):
                _put_row(line[r], y, s + i, 2 * th + r, Wo)


@jit
def _put_row(line, y, i, h, Wo):
    """y's row h of sample i <- line[:Wo] ((width, K))."""
    for w in range(Wo):
        for o in range(line.shape[1]):
            y[i, h, w, o] = line[w, o]


@kernel("F[:, :, :, ::1], F[:, :, ::1], F[:, :, :, ::1], int64, int64, int64")
def grad_transform(g, Mg, ws, s, Th, Tw):
    """Mg (16, n T, O) <- A G_y A^T of every 2x2 tile of g[s : s + n], zero past (Ho, Wo);
    ws (n, 2, 2 Tw, O)."""
    O = Mg.shape[2]
    n = Mg.shape[1] // (Th * Tw)
    for th in range(Th):
        for i in range(n):                  # the tile row's 2 rows of g, 0 past (Ho, Wo)
            _get_rows(g, s + i, 2 * th, ws[i], 0)
        # one position e = 4 a + b at a time, its rows in order (the 16 Mg[e] are a power
        # of two apart: writing all 16 per tile thrashes the cache)
        for a in range(4):
            for bb in range(4):
                for tw in range(Tw):
                    row = (th * Tw + tw) * n
                    for i in range(n):
                        for o in range(O):
                            c0 = _a(ws[i, 0, 2 * tw, o], ws[i, 1, 2 * tw, o], a)
                            c1 = _a(ws[i, 0, 2 * tw + 1, o], ws[i, 1, 2 * tw + 1, o], a)
                            Mg[4 * a + bb, row + i, o] = _a(c0, c1, bb)


@jit
def _a(g0, g1, a):
    """Entry a of A (g0, g1) = (g0, g0 + g1, g0 - g1, -g1)."""
    if a == 0:
        return g0
    if a == 1:
        return g0 + g1
    if a == 2:
        return g0 - g1
    return -g1


@jit
def _b_adjoint(v0, v1, v2, v3, u0, u1, u2, u3, k, odd):
    """Position 2 k (+ 1 if odd) of B's adjoint over the tiles: v the tile k (zeros if
    missing), u the tile k - 1 (used only for k > 0), in the NumPy path's order."""
    if odd:
        base = (v1 - v2) + v3
        return base if k == 0 else base - u3
    return v0 if k == 0 else ((v0 + u1) + u2) - u0


@kernel("F[:, :, ::1], F[:, :, :, ::1], F[:, :, :, :, ::1], F[:, ::1], int64, int64, "
        "int64, int64, int64")
def input_grad(dV, gx, rows, line, s, pt, pl, Th, Tw):
    """gx[s : s + n] <- dL/dx: B dV B^T of every tile, overlapping tiles added, the padding
    cut off. dV (16, n T, C); rows (2, 4, 2 Tw + 2, n, C) and line (W, C) are work arrays:
    rows[th % 2] holds B along the columns of tile row th, the rows of x then need tile
    rows th and th - 1."""
    C = dV.shape[2]
    n = dV.shape[1] // (Th * Tw)
    H, W = gx.shape[1], gx.shape[2]
    zero = dV.dtype.type(0)
    for th in range(Th + 1):                 # tile row Th: none, B's adjoint adds zeros
        cur, prev = rows[th % 2], rows[(th + 1) % 2]
        if th < Th:                          # B along the columns: cur[a, j, i, c]
            for a in range(4):
                for j in range(pl, pl + W):
                    k, odd = j // 2, j % 2 == 1
                    for i in range(n):
                        for c in range(C):
                            v0 = v1 = v2 = v3 = u0 = u1 = u2 = u3 = zero
                            if k < Tw:
                                row = (th * Tw + k) * n + i
                                v0, v1 = dV[4 * a, row, c], dV[4 * a + 1, row, c]
                                v2, v3 = dV[4 * a + 2, row, c], dV[4 * a + 3, row, c]
                            if k > 0:
                                row = (th * Tw + k - 1) * n + i
                                u0, u1 = dV[4 * a, row, c], dV[4 * a + 1, row, c]
                                u2, u3 = dV[4 * a + 2, row, c], dV[4 * a + 3, row, c]
                            cur[a, j, i, c] = _b_adjoint(v0, v1, v2, v3, u0, u1, u2, u3,
                                                         k, odd)
        # B along the rows: x's padded rows R = 2 th, 2 th + 1 (R = h + pt)
        for R in range(2 * th, 2 * th + 2):
            h = R - pt
            if h < 0 or h >= H:
                continue
            for i in range(n):
                for w in range(W):
                    j = w + pl
                    for c in range(C):
                        v0 = v1 = v2 = v3 = u0 = u1 = u2 = u3 = zero
                        if th < Th:
                            v0, v1 = cur[0, j, i, c], cur[1, j, i, c]
                            v2, v3 = cur[2, j, i, c], cur[3, j, i, c]
                        if th > 0:
                            u0, u1 = prev[0, j, i, c], prev[1, j, i, c]
                            u2, u3 = prev[2, j, i, c], prev[3, j, i, c]
                        line[w, c] = _b_adjoint(v0, v1, v2, v3, u0, u1, u2, u3, th, R % 2)
                _put_row(line, gx, s + i, h, W)
