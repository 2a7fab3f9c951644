"""The LSTM's whole time loop, forward and backward, as one compiled call per batch part.

:mod:`deepgrad.kernels.lstm` compiles the elementwise part of one step and leaves the
loop in Python: a step is then 5 (forward) or 2 (backward) calls, each holding the GIL
for a moment, and two threads running two halves of the batch take turns at the GIL
between every call (measured: slower than one thread). Here the loop itself is compiled:
the step's GEMM is NumPy's own BLAS, called from the kernel as C
(:mod:`deepgrad.kernels.blas`), and a call holds no GIL from its first step to its last,
so the op (:mod:`deepgrad.ops.rnn_lstm`) runs the parts of the batch on the pool's
threads side by side.

The formulas and storage are the op's (its docstring has the math): the forward stack
``X`` (T+2, K, B) whose slab t is [h_{t-1}; x_t; 1] and the slabs ``R`` (T+1, 6H, B) =
[i, f, o, g, c_{t-1}, tanh c_t] per step, W = [W_hh | W_ih | b] with the sigmoid rows
halved; backward's W^T (n, 4H), dz_t into a (4H, B) buffer, and each part's share of
[dW_hh | dW_ih | db] summed step by step into its own (4H, K) buffer.

**Parts.** ``bounds`` cuts the batch columns into parts ``bounds[p]:bounds[p + 1]``; each
step makes one GEMM per part (on the part's columns, the leading dimension B) and then
the elementwise work of all the call's columns. The op fixes the parts from the batch
size alone and gives each thread a run of whole parts, so every thread count computes
the same products on the same columns: one thread and two give the same bits.

**Where the bits differ from the NumPy path** (tests/kernels/test_kernels_lstm_loop.py
checks the distance):

* a part's GEMM is a product on fewer columns, whose last bits a BLAS may round
  differently from the whole batch's product (column blocks change OpenBLAS's register
  tiles);
* the weight gradients are summed step by step (t = T-1 first) and part by part, where
  the NumPy path makes one GEMM over all steps and columns;
* the forward's tanh is :func:`tanh32`, a rational approximation compiled into the loop:
  NumPy's SIMD tanh cannot be called from compiled code, and the ``tanh`` numba would
  call (libm's) costs 22 ns a value against NumPy's 0.5. Its error against the exact
  tanh is at most 6 ulp (NumPy's: 1.4), measured on 4 million float32 values.

So the forward runs for float32 only; float64 keeps the per-step kernels of
:mod:`deepgrad.kernels.lstm`, bit for bit the NumPy path's.
"""
import numpy as np

from deepgrad.kernels._gemm import gemm32, gemm64
from deepgrad.kernels._jit import jit, kernel
from deepgrad.kernels.blas import NO_TRANS, ROW_MAJOR, TRANS

# tanh(x) ~ x P(x^2) / Q(x^2) on [-9, 9] (beyond, float32's tanh is within an ulp of 1); below
# 4e-4 tanh(x) = x in float32. The coefficients of the rational minimax approximation
# that Eigen and XLA use for float32 tanh.
_P = (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05,
      5.12229709037114e-08, -8.60467152213735e-11, 2.00018790482477e-13,
      -2.76076847742355e-16)
_Q = (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04,
      1.19825839466702e-06)
_P1, _P3, _P5, _P7, _P9, _P11, _P13 = (np.float32(c) for c in _P)
_Q0, _Q2, _Q4, _Q6 = (np.float32(c) for c in _Q)
_CLAMP, _TINY = np.float32(9.0), np.float32(4e-4)


@jit
def tanh32(v):
    """tanh of a float32 ``v`` (NaN stays NaN, +-inf give +-1), branch-free so that a loop
    of it vectorizes."""
    x = min(max(v, -_CLAMP), _CLAMP)
    x2 = x * x
    p = x2 * _P13 + _P11
    p = x2 * p + _P9
    p = x2 * p + _P7
    p = x2 * p + _P5
    p = x2 * p + _P3
    p = x2 * p + _P1
    q = x2 * _Q6 + _Q4
    q = x2 * q + _Q2
    q = x2 * q + _Q0
    r = (x * p) / q
    return v if abs(v) < _TINY else r


@jit
def _gemm(addr, ilp64, order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """The BLAS GEMM at ``addr`` (:func:`deepgrad.kernels.blas.gemm_address`)."""
    if ilp64:
        gemm64(addr, order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    else:
        gemm32(addr, order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)


@kernel("int64, boolean, F[:, :, ::1], F[:, :, ::1], F[:, ::1], int64[::1], int64",
        floats=("float32",))
def forward_loop(gemm, ilp64, X, R, W, bounds, part):
    """The forward through time on the columns ``bounds[0]:bounds[-1]`` (float32).
    (``gemm``, ``ilp64``: the GEMM's address and integer width.)

    For t = 0 .. T-1 and each part: z~ = W X_t (the GEMM, into R_t's first 4H rows);
    then per unit j and column b: [i, f, o] = tanh(z~)/2 + 1/2, g = tanh(z~),
    c_t = i g + f c_{t-1} (into R_{t+1}'s c row), tanh c_t (R_t), h_t = o tanh c_t
    (X_{t+1}'s h rows). X_0's h rows and R_0's c row hold h_{-1}, c_{-1}. (``part``:
    unused, the backward's argument.)
    """
    T, K, B = X.shape[0] - 2, X.shape[1], X.shape[2]
    H4 = W.shape[0]
    H = H4 // 4
    one, zero, half = np.float32(1), np.float32(0), np.float32(0.5)
    size = X.itemsize
    xa, ra, wa = X.ctypes.data, R.ctypes.data, W.ctypes.data
    lo, hi = bounds[0], bounds[-1]
    for t in range(T):
        for p in range(len(bounds) - 1):
            b0 = bounds[p]
            _gemm(gemm, ilp64, ROW_MAJOR, NO_TRANS, NO_TRANS, H4, bounds[p + 1] - b0, K,
                  one, wa, K, xa + (t * K * B + b0) * size, B, zero,
                  ra + (t * 6 * H * B + b0) * size, B)
        nb = hi - lo
        for k in range(4 * H):                  # tanh(z~): [tanh(z/2) (i, f, o), g]
            row = R[t, k, lo:hi]
            for b in range(nb):
                row[b] = tanh32(row[b])
        for k in range(3 * H):                  # [i, f, o] = tanh(z/2) / 2 + 1/2
            row = R[t, k, lo:hi]
            for b in range(nb):
                row[b] = row[b] * half + half
        for j in range(H):
            ri, rf, ro, rg = R[t, j, lo:hi], R[t, H + j, lo:hi], R[t, 2 * H + j, lo:hi], \
                R[t, 3 * H + j, lo:hi]
            rc, rt = R[t, 4 * H + j, lo:hi], R[t, 5 * H + j, lo:hi]
            cn, hn = R[t + 1, 4 * H + j, lo:hi], X[t + 1, j, lo:hi]
            for b in range(nb):                 # c_t = i g + f c_{t-1}
                cn[b] = ri[b] * rg[b] + rf[b] * rc[b]
            for b in range(nb):
                rt[b] = tanh32(cn[b])
            for b in range(nb):                 # h_t = o tanh c_t
                hn[b] = ro[b] * rt[b]


@kernel("int64, boolean, F[:, :, ::1], F[:, ::1], F[:, :, ::1], F[:, :, ::1], boolean, "
        "F[:, ::1], F[:, ::1], F[:, :, ::1], F[:, :, ::1], int64[::1], int64",
        floats=("float32",))
def backward_loop(gemm, ilp64, R, wt, O, gt, reverse, dc, dz, X, dW, bounds, part):
    """Backward through time, t = T-1 .. 0, on the columns ``bounds[0]:bounds[-1]``.

    R (T+1, 6H, B): the forward's slabs; wt (n, 4H): W^T's first n rows (h, then x);
    O (T, n, B) gets [dh_{t-1}; dx_t] = W^T dz_t for t >= 1 (or O (1, n, B), a scratch
    buffer, when dx is not needed); gt (T+1, H, B): dL/dh_t in the input's time order
    (``reverse``: step t reads gt[T-1-t]); dc (H, B): dL/dc_n in, dc_0 out; dz (4H, B):
    dz_t, ending with dz_0. X (T+2, K, B): the forward's stack, slab t = [h_{t-1}; x_t; 1].
    dW (P, 4H, K) (P the number of parts, or 0 when no weight needs a gradient): part p
    of this call (the call's first part is ``part``) sums its columns' share of
    [dW_hh | dW_ih | db] = sum_t dz_t [h_{t-1}; x_t; 1]^T into dW[p], one GEMM a step
    (t = T-1 first, so the sum over t runs backward).

    Each step: the GEMM of W^T dz_{t+1} per part, then per value the formulas of
    :func:`deepgrad.kernels.lstm._cell`, in its order of operations, then the weight
    gradients' GEMM per part. (They are written out on row slices rather than calling
    ``_cell`` on flat indices: the slices' loops vectorize; calling ``_cell`` made the
    backward loop 13% slower at one thread, T 50, B 32, H 50.)
    """
    T, H = R.shape[0] - 1, R.shape[1] // 6
    n, H4, B, K = wt.shape[0], wt.shape[1], R.shape[2], X.shape[1]
    one, zero = dc.dtype.type(1), dc.dtype.type(0)
    size = dz.itemsize
    wa, za, oa, xa, da = wt.ctypes.data, dz.ctypes.data, O.ctypes.data, X.ctypes.data, \
        dW.ctypes.data
    lo, hi = bounds[0], bounds[-1]
    nb = hi - lo
    for t in range(T - 1, -1, -1):
        slot = t + 1 if O.shape[0] > 1 else 0
        s = T - 1 - t if reverse else t
        if t < T - 1:
            for p in range(len(bounds) - 1):
                b0 = bounds[p]
                _gemm(gemm, ilp64, ROW_MAJOR, NO_TRANS, NO_TRANS, n, bounds[p + 1] - b0,
                      H4, one, wa, H4, za + b0 * size, B, zero,
                      oa + (slot * n * B + b0) * size, B)
        for j in range(H):
            ri, rf, ro, rg = R[t, j, lo:hi], R[t, H + j, lo:hi], R[t, 2 * H + j, lo:hi], \
                R[t, 3 * H + j, lo:hi]
            rc, rt, dyj, dcj = R[t, 4 * H + j, lo:hi], R[t, 5 * H + j, lo:hi], \
                gt[s, j, lo:hi], dc[j, lo:hi]
            zi, zf, zo, zg = dz[j, lo:hi], dz[H + j, lo:hi], dz[2 * H + j, lo:hi], \
                dz[3 * H + j, lo:hi]
            if t == T - 1:                      # dh_{T-1} = dy, dc_T f_T = dc_T
                for b in range(nb):
                    dh = dyj[b]
                    c = dcj[b] + dh * ((one - rt[b] * rt[b]) * ro[b])
                    dcj[b] = c
                    zo[b] = dh * (((one - ro[b]) * ro[b]) * rt[b])
            else:
                fn, ghj = R[t + 1, H + j, lo:hi], O[slot, j, lo:hi]
                for b in range(nb):
                    dh = ghj[b] + dyj[b]
                    c = dcj[b] * fn[b] + dh * ((one - rt[b] * rt[b]) * ro[b])
                    dcj[b] = c
                    zo[b] = dh * (((one - ro[b]) * ro[b]) * rt[b])
            for b in range(nb):
                c = dcj[b]
                zi[b] = c * (((one - ri[b]) * ri[b]) * rg[b])
                zf[b] = c * (((one - rf[b]) * rf[b]) * rc[b])
                zg[b] = c * ((one - rg[b] * rg[b]) * ri[b])
        if dW.shape[0]:
            for p in range(len(bounds) - 1):
                b0 = bounds[p]
                _gemm(gemm, ilp64, ROW_MAJOR, NO_TRANS, TRANS, H4, K, bounds[p + 1] - b0,
                      one, za + b0 * size, B, xa + (t * K * B + b0) * size, B,
                      zero if t == T - 1 else one, da + (part + p) * H4 * K * size, K)
