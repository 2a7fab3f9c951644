"""The LSTM step's elementwise part, forward and backward, as one loop each.

The formulas of :mod:`deepgrad.ops.rnn_lstm` (which documents them), in the op's storage:
slab t of its forward stack R is ``r = R_t`` (6H, B), rows [i, f, o, g, c_{t-1}, tanh c_t]
(feature-major: unit j of batch column b is ``r[k H + j, b]``).

Forward, after the step's GEMM and NumPy's ``tanh`` of its four gate blocks (the sigmoid
rows were pre-halved, so rows 0..3H hold tanh(z/2)):

    [i, f, o] = tanh(z/2) * 1/2 + 1/2,     c_t = i g + f c_{t-1}     (into R_{t+1}'s c row)

then the op calls NumPy's ``tanh`` on c_t and multiplies h_t = o tanh c_t. The tanh calls
stay NumPy's on purpose: NumPy's SIMD tanh and the libm tanh that numba calls differ in
the last bits (up to 3 ulp on a third of the values) and numba's is 35x slower here
(22 ns against 0.65 ns a value, float32), so a kernel that ran tanh (or the whole time
loop) would be neither equal nor faster.

Backward, one step t (processing order t = T-1 .. 0), with dh_t = the GEMM's rows gh
(W^T dz_{t+1}) + dL/dh_t, f_T = 1 and dc the running dc_{t+1}, overwritten by dc_t:

    dc_t  = dc_{t+1} f_{t+1} + dh_t ((1 - tanh^2 c_t) o)
    dz_i  = dc_t (((1-i) i) g)           dz_f = dc_t (((1-f) f) c_{t-1})
    dz_o  = dh_t (((1-o) o) tanh c_t)    dz_g = dc_t ((1 - g^2) i)

each product in the NumPy path's order (its ``_factors`` and ``_through_time``), so both
kernels equal the NumPy path bit for bit: all their arithmetic is elementwise. dz_t goes
to a (4H, B) buffer (the next step's GEMM reads it while it is in cache) and to column
block t of the op's (4H, T, B) stack, which the weight gradients' GEMM reads as (4H, T B):
the NumPy path's (T, 6H, B) factor pass and its copy of all dz into that stack are not
needed. (Writing dz_t only into the stack and giving the GEMM that strided view made the
GEMM twice as slow, 28 against 14 us.)

The time loops stay in Python, one GEMM (NumPy's BLAS) and one kernel call a step. A
backward loop run inside numba with ``np.dot`` was measured (T 50, B 32, H 50, float32):
1.29 against 1.69 ms, but only with ``OPENBLAS_NUM_THREADS=1``: numba's ``np.dot`` calls
SciPy's copy of OpenBLAS, whose threads deepgrad's ``set_num_threads`` does not set
(with its default threads it was slower in wall time), and whose bits need not be
NumPy's BLAS's. The forward loop cannot move into numba at all (its tanh, above).

Arrays are C-contiguous, float32 or float64; one thread per call (a step is 32 x 200
values: the op does not split it).
"""
from deepgrad.kernels._jit import jit, kernel


@kernel("F[:, ::1], F[:, ::1]")
def forward_gates(r, r_next):
    """r = R_t (6H, B) with tanh(z~) in rows 0..4H: rows 0..3H become [i, f, o]; the c
    row of r_next = R_{t+1} (rows 4H..5H) becomes c_t = i g + f c_{t-1}."""
    n = r.size // 6                             # H B: each row block is one flat run
    half = r.dtype.type(0.5)
    rr = r.reshape(r.size)
    sig, i_, f_, g_, cp = rr[:3 * n], rr[:n], rr[n:2 * n], rr[3 * n:4 * n], rr[4 * n:5 * n]
    c = r_next.reshape(r_next.size)[4 * n:5 * n]
    for k in range(3 * n):
        sig[k] = sig[k] * half + half
    for k in range(n):
        c[k] = i_[k] * g_[k] + f_[k] * cp[k]


@jit
def _cell(k, n, dh, c, r, dc, dz):
    """Value k of the step's blocks: dc_t = c + dh ((1 - tanh^2 c_t) o) (c = dc_{t+1} f_{t+1})
    into dc, the four gate gradients into dz; r and dz flat (6n,), (4n,)."""
    one = dc.dtype.type(1)
    i, f, o, g, cp, tc = r[k], r[n + k], r[2 * n + k], r[3 * n + k], r[4 * n + k], r[5 * n + k]
    c = c + dh * ((one - tc * tc) * o)
    dc[k] = c
    dz[k] = c * (((one - i) * i) * g)
    dz[n + k] = c * (((one - f) * f) * cp)
    dz[2 * n + k] = dh * (((one - o) * o) * tc)
    dz[3 * n + k] = c * ((one - g * g) * i)


@kernel("F[:, ::1], F[:, ::1], F[:, ::1], F[:, ::1], F[:, ::1], F[:, ::1], F[:, :, "
        "::1], int64, boolean")
def backward_step(r, f_next, gh, dy, dc, dz, dz_all, t, last):
    """One step of backward through time: dc (H, B) from dc_{t+1} to dc_t, and the gate
    gradients dz (4H, B) = dz_t in the op's order [i, f, o, g], also copied to
    dz_all[:, t] (dz_all (4H, T, B), the weight gradients' stack).

    r = R_t (6H, B); f_next (H, B) = f_{t+1} (unused when ``last``: f_T = 1);
    gh (H, B) = the dh rows of W^T dz_{t+1} (unused when ``last``); dy (H, B) = dL/dh_t.
    Each block is read as one flat run of H B values (one loop, one alias check).
    """
    n = dc.size
    rr, zz, dcf, dyf = r.reshape(r.size), dz.reshape(dz.size), dc.reshape(n), dy.reshape(n)
    if last:                                    # dh_{T-1} = dy, dc_T f_T = dc_T
        for k in range(n):
            _cell(k, n, dyf[k], dcf[k], rr, dcf, zz)
    else:
        fn, ghf = f_next.reshape(n), gh.reshape(n)
        for k in range(n):
            _cell(k, n, ghf[k] + dyf[k], dcf[k] * fn[k], rr, dcf, zz)
    for row in range(dz.shape[0]):             # (a loop: a slice assignment checks overlap)
        src, dst = dz[row], dz_all[row, t]
        for b in range(dz.shape[1]):
            dst[b] = src[b]
