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
kernels equal the NumPy path bit for bit: all their arithmetic is elementwise. The gate
gradients go straight into column block t of the op's (4H, T, B) stack, which the weight
gradients' GEMM reads as (4H, T B): the NumPy path's (T, 6H, B) factor pass and its copy
of dz into that stack are not needed.

Arrays are C-contiguous, float32 or float64; one thread per call (a step is 32 x 200
values: the op does not split it).
"""
from deepgrad.kernels._jit import jit


@jit
def forward_gates(r, r_next):
    """r = R_t (6H, B) with tanh(z~) in rows 0..4H: rows 0..3H become [i, f, o]; the c
    row of r_next = R_{t+1} (rows 4H..5H) becomes c_t = i g + f c_{t-1}."""
    H, B = r.shape[0] // 6, r.shape[1]
    half = r.dtype.type(0.5)
    for j in range(H):
        i_row, f_row, o_row = r[j], r[H + j], r[2 * H + j]
        g_row, cp_row, c_row = r[3 * H + j], r[4 * H + j], r_next[4 * H + j]
        for b in range(B):
            i = i_row[b] * half + half
            f = f_row[b] * half + half
            i_row[b], f_row[b] = i, f
            o_row[b] = o_row[b] * half + half
            c_row[b] = i * g_row[b] + f * cp_row[b]


@jit
def backward_step(r, f_next, gh, dy, dc, dz, t, last):
    """One step of backward through time: dc (H, B) from dc_{t+1} to dc_t, and the gate
    gradients into dz[:, t] (dz (4H, T, B), the op's order [i, f, o, g]).

    r = R_t (6H, B); f_next (H, B) = f_{t+1} (unused when ``last``: f_T = 1);
    gh (H, B) = the dh rows of W^T dz_{t+1} (unused when ``last``); dy (H, B) = dL/dh_t.
    """
    H, B = dc.shape
    one = dc.dtype.type(1)
    for j in range(H):
        i_row, f_row, o_row = r[j], r[H + j], r[2 * H + j]
        g_row, cp_row, tc_row = r[3 * H + j], r[4 * H + j], r[5 * H + j]
        dc_row, dy_row, gh_row, fn_row = dc[j], dy[j], gh[j], f_next[j]
        zi, zf, zo, zg = dz[j, t], dz[H + j, t], dz[2 * H + j, t], dz[3 * H + j, t]
        for b in range(B):
            i, f, o, g, tc = i_row[b], f_row[b], o_row[b], g_row[b], tc_row[b]
            if last:
                dh, fn = dy_row[b], one
            else:
                dh, fn = gh_row[b] + dy_row[b], fn_row[b]
            c = dc_row[b] * fn + dh * ((one - tc * tc) * o)
            dc_row[b] = c
            zi[b] = c * (((one - i) * i) * g)
            zf[b] = c * (((one - f) * f) * cp_row[b])
            zo[b] = dh * (((one - o) * o) * tc)
            zg[b] = c * ((one - g * g) * i)
