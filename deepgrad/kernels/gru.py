"""The GRU step's elementwise part, forward and backward, as single loops.

The formulas of :class:`deepgrad.ops.rnn.GRULayer` (:mod:`deepgrad.ops.rnn` documents
them), in its storage: per step, ``a`` (3H, B) rows [r, z, n] (the input projection,
then the activations, in place), ``hg`` (3H, B) rows [W_hr h + b_hr, W_hz h + b_hz,
hn = W_hn h + b_hn] (the r, z rows of both halved, so that one tanh gives the sigmoids),
h_{t-1} and h_t (H, B). Forward, around NumPy's two tanh calls (kept: numba's tanh
differs from NumPy's in the last bits and is slower, see :mod:`deepgrad.kernels.lstm`):

    GEMM hg = [W_hh | b_hh] [h_{t-1}; 1];  [r, z] += hg's r, z rows;  tanh([r, z])
    gates:   [r, z] = tanh(.) * 1/2 + 1/2,   n = n + r hn
    tanh(n)
    update:  h_t = n + (h_{t-1} - n) z

Backward, one step t (t = T-1 .. 0) with dh_t = (W_hh^T [dr; dz; d(hn)]_{t+1} + dh_{t+1} z_{t+1})
+ dL/dh_t (dL/dh_{T-1} alone at the last step), the factors of the NumPy path's
``_factors`` computed on the way (no pass over the whole sequence):

    q = [(1 - n^2)(1-z); ((1-r) (q_n r)) hn; ((h_{t-1} - n) z)(1-z); q_n r; z]
    q_t = dh_t q = [dn; dr; dz; d(hn); dh_t z]

each product in the NumPy path's order, so both kernels equal it bit for bit. Arrays are
C-contiguous, float32 or float64; one thread per call.
"""
from deepgrad.kernels._jit import jit, kernel


@kernel("F[:, ::1], F[:, ::1]")
def gates(a, hg):
    """a (3H, B) with tanh rows [r, z] and n's projection: [r, z] = tanh * 1/2 + 1/2, then
    n = n + r hn (hn = hg's last H rows)."""
    n = a.size // 3
    half = a.dtype.type(0.5)
    af, hn = a.reshape(a.size), hg.reshape(hg.size)[2 * n:]
    rz, r, pre = af[:2 * n], af[:n], af[2 * n:]
    for k in range(2 * n):
        rz[k] = rz[k] * half + half
    for k in range(n):
        pre[k] = pre[k] + r[k] * hn[k]


@kernel("F[:, ::1], F[:, ::1], F[:, ::1]")
def update(a, h_prev, h):
    """h (H, B) = n + (h_{t-1} - n) z, with z and n = tanh(.) rows of a (3H, B)."""
    n = h.size
    af, hp, hf = a.reshape(a.size), h_prev.reshape(n), h.reshape(n)
    z, nn = af[n:2 * n], af[2 * n:]
    for k in range(n):
        hf[k] = nn[k] + (hp[k] - nn[k]) * z[k]


@jit
def _cell(k, m, dh, a, hn, hp, q):
    """Value k of q_t = dh_t [q_n; q_r; q_z; q_n r; z] (q flat (5m,), a (3m,))."""
    one = q.dtype.type(1)
    r, z, nn = a[k], a[m + k], a[2 * m + k]
    zz = one - z
    qn = (one - nn * nn) * zz
    qnr = qn * r
    q[k] = dh * qn
    q[m + k] = dh * (((one - r) * qnr) * hn[k])
    q[2 * m + k] = dh * (((hp[k] - nn) * z) * zz)
    q[3 * m + k] = dh * qnr
    q[4 * m + k] = dh * z


@kernel("F[:, ::1], F[:, ::1], F[:, ::1], F[:, ::1], F[:, ::1], F[:, ::1], F[:, ::1], boolean")
def backward_step(a, hg, h_prev, gh, dhz_next, dy, q, last):
    """q (5H, B) = dh_t [q_n; q_r; q_z; q_n r; z] (the NumPy path's ``q_t`` after its
    step), with dh_t = (gh + dhz_next) + dy, or dy when ``last`` (gh, dhz_next unused).
    a, hg: step t's (3H, B) forward rows; h_prev (H, B) = h_{t-1}; gh (H, B) =
    W_hh^T [dr; dz; d(hn)]_{t+1}; dhz_next (H, B) = dh_{t+1} z_{t+1}; dy = dL/dh_t."""
    m = dy.size
    af, hn, hp = a.reshape(a.size), hg.reshape(hg.size)[2 * m:], h_prev.reshape(m)
    qf, dyf = q.reshape(q.size), dy.reshape(m)
    if last:
        for k in range(m):
            _cell(k, m, dyf[k], af, hn, hp, qf)
    else:
        ghf, dzf = gh.reshape(m), dhz_next.reshape(m)
        for k in range(m):
            _cell(k, m, (ghf[k] + dzf[k]) + dyf[k], af, hn, hp, qf)
