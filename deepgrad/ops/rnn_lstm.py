"""The LSTM layer op: a whole sequence in one Function, forward and backward through time.

The math, in PyTorch's gate names (Keras's c~ is g), x_t the input, h_{t-1} the state:

    [i, f, g, o] = W_ih x_t + W_hh h_{t-1} + b,   i, f, o = sigmoid(.),  g = tanh(.)
    c_t = f c_{t-1} + i g,                        h_t = o tanh(c_t)

Backward, with dh_t = dL/dh_t from the output plus the recurrence's W_hh^T dz_{t+1}:

    dc_t = dc_{t+1} f_{t+1} + dh_t o (1 - tanh^2 c_t)
    dz_i = dc_t g i (1-i)    dz_f = dc_t c_{t-1} f (1-f)
    dz_o = dh_t tanh(c_t) o (1-o)                  dz_g = dc_t i (1 - g^2)
    [dW_hh | dW_ih | db] = sum_t dz_t [h_{t-1}; x_t; 1]^T
    [dh_{t-1}; dx_t] = [W_hh | W_ih]^T dz_t

How it is computed. At these sizes (H = 50, B = 32) a NumPy call costs about 0.5-1 us
whatever it does and a whole-sequence pass beats the same work done per step, so the
design counts calls per step, keeps every per-step array contiguous, and moves all that
the recurrence does not need into whole-sequence calls:

* **One GEMM per step** does the input projection, the recurrence and the bias:
  z_t = W [h_{t-1}; x_t; 1] with W = [W_hh | W_ih | b] (4H, K), K = H + I + 1, applied to
  slab t of a per-call stack X (T+2, K, B) whose x_t and 1 rows are filled before the
  loop (one copy) and whose h rows the loop writes. X is also the op's output (its h rows
  and, in slab T+1, c_n), and after backward's loop its slabs, copied once to
  (T*B, K) rows, give [dW_hh | dW_ih | db] as one GEMM with the gate gradients stacked
  (4H, T*B). (One GEMM with K = 101 costs the same as a K = 50 GEMM, an add and the
  projection's share of one big GEMM, and needs no projection buffer.)
* **One tanh for all four gates**: inside the op the gate order is [i, f, o, g] and the
  sigmoid rows of W are halved, so tanh(z~) gives tanh(z/2) for i, f, o and g itself;
  sigmoid(z) = (1 + tanh(z/2)) / 2 is then two calls on the 3H sigmoid rows, in place.
* **A slab layout made for both passes**: step t keeps R_t = [i, f, o, g, c_{t-1},
  tanh c_t] (6H, B); [i, f] * [g, c_{t-1}] is one multiply, and backward's factors are
  eight whole-sequence calls: (1 - [i, f, o]) [i, f, o] [g, c_{t-1}, tanh c_t] on two
  contiguous blocks of rows, then the blocks (g, tanh c_t) against (i, o) as one strided
  view: [(1 - g^2) i; (1 - tanh^2 c_t) o].
* **Backward's step**: one GEMM [dh_t; dx_{t+1}] = W^T dz_{t+1} (the dx rows only when
  the input needs a gradient: the input projection's backward rides on the recurrent
  GEMM, and dx comes out (T, I, B), the order the layer below stores its output in), an
  add of dL/dh_t, the cell recurrence as one multiply [dc_{t+1}; dh_t] *
  [f_{t+1}; o (1 - tanh^2 c_t)] and one add, and dz_t as three multiplies with no
  broadcasting ([dc; dh] * [m_f; m_o], dc * m_i, dc * m_g: broadcasting dc over three
  gate blocks in one call costs more than the three calls).

NumPy calls per step: forward 8, backward 7. With the compiled kernels
(:mod:`deepgrad.kernels.lstm`, float32/float64, equal to these calls bit for bit) a
step is forward 5 calls (GEMM, tanh, the gate kernel, tanh c_t, h = o tanh c_t: NumPy's
tanh is kept, numba's differs in the last bits and is slower) and backward 2 (GEMM, the
step kernel, which also computes the factors on the way, so there is no ``_factors``
pass). Measured on lstm3's layers (T 50, B 32, H 50, float32, one thread, median CPU
time on a loaded 2-core machine): forward 1.1-1.2x, forward + backward 1.15-1.25x.

**float32 with the kernels: the whole loop compiled** (:mod:`deepgrad.kernels.lstm_loop`).
Each call above holds the GIL, so two threads running halves of the batch through those
loops take turns at it between calls (measured slower than one thread). The whole-loop
kernels run forward's and backward's time loops as one call each, NumPy's BLAS called
from inside for every step's GEMM, no GIL held, on the batch's column parts
(:func:`_bounds`: fixed by B, so the bits do not depend on the thread count), one run of
parts per pool thread, the same in forward and backward (``static`` regions). Backward
also sums [dW_hh | dW_ih | db] per part as it goes (one GEMM a step, dz_t against slab t
of X), so the (4H, T B) stack, its copy of X's slabs as rows and the ``M`` buffer are not
needed. Their results are the NumPy path's to float32 rounding, not bit for bit (their
tanh; the kernels' docstring). lstm3's step (3 layers), in-process A/B on the 2-core
machine: 1.04x at one thread, 1.21x at two.

Work buffers come from one workspace per call (``deepgrad/ops/_workspace.py``), recycled
after backward; the output (X) and the gradients the op returns are fresh arrays, since
others may keep them.

The op returns one packed (T+1, B, H) array [h_0 .. h_{T-1}, c_{T-1}] (in the input's
time order), stored as (T+1, H, B) slabs; ``lstm_layer`` in :mod:`deepgrad.ops.rnn`
slices it with :class:`Unpack`, whose backward hands the gradient back in that storage
order, so each dL/dh_t is read as one contiguous (H, B) block.
"""
import numpy as np

from deepgrad import kernels, parallel
from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import state as _grad_state
from deepgrad.ops._workspace import _WORKSPACES, RecurrentOp, _workspace, aligned_empty
from deepgrad.ops.rnn_layout import gate_rows, grad_like

_ORDER = [0, 1, 3, 2]       # the op's gate blocks [i, f, o, g] from either front's [i, f, g, o]
                            # (a swap: the same list maps them back)


def _stacked_weights(w_ih, w_hh, biases, layout):
    """W = [W_hh | W_ih | b] (4H, K) in the op's gate order, the sigmoid rows halved."""
    rh, ri = gate_rows(w_hh, 4, layout), gate_rows(w_ih, 4, layout)
    _, H, I = ri.shape
    K = H + I + (1 if biases else 0)
    W = np.empty((4, H, K), w_hh.dtype)
    W[:, :, :H] = rh[_ORDER]
    W[:, :, H:H + I] = ri[_ORDER]
    if biases:
        b = biases[0] if len(biases) == 1 else biases[0] + biases[1]
        W[:, :, K - 1] = b.reshape(4, H)[_ORDER]
    W = W.reshape(4 * H, K)
    W[:3 * H] *= 0.5
    return W


class LSTMLayer(RecurrentOp):
    """forward(x (T, B, I), h0 (B, H), c0 (B, H), w_ih, w_hh, *biases) -> packed (T+1, B, H).

    ``biases``: none, or one or two (4H,) vectors that are added (PyTorch's b_ih, b_hh;
    Keras's one bias). ``layout``: the weights' layout (:mod:`deepgrad.ops.rnn_layout`).
    """

    def forward(self, x, h0, c0, w_ih, w_hh, *biases, reverse=False, layout="pytorch"):
        T, B, I = x.shape
        H = h0.shape[1]
        H4 = 4 * H
        W = _stacked_weights(w_ih, w_hh, biases, layout)
        K = W.shape[1]
        self.W, self.layout, self.reverse, self.n_bias = W, layout, reverse, len(biases)
        self.loops = loops = _loop_kernels(x.dtype)     # (forward, backward), or None
        backward = {} if loops is not None else dict(    # (the loop kernels need none of it)
            M=(T, 6 * H, B), dz_all=(H4, T * B), x_rows=(T * B, -(-K // 8) * 8))
        self.ws = ws = _workspace(x.dtype, R=(T + 1, 6 * H, B), gy=(T + 1, H, B), **backward)
        R = ws["R"]
        self.X = X = aligned_empty((T + 2, K, B), x.dtype)   # also the output: h_t slabs
        np.copyto(X[:T, H:H + I], (x[::-1] if reverse else x).transpose(0, 2, 1))
        if biases:
            X[:T, K - 1] = 1
        X[0, :H] = h0.T
        R[0, H4:5 * H] = c0.T
        if loops is not None:                       # the whole loop compiled, by parts
            _in_parts(loops[0], B, T * B * H4 * K, X, R, W)
        else:
            self._recur(X, R, W, _kernel("forward_gates", x.dtype))
        X[T + 1, :H] = R[T, H4:5 * H]               # c_{T-1}
        out = X[1:, :H]                             # [h_0 .. h_{T-1}, c_{T-1}], h_t as (H, B)
        if reverse:                                 # h in the input's time order
            out = np.concatenate((X[T:0:-1, :H], X[T + 1:, :H]))
        if not _grad_state.enabled:                 # no graph: no backward will need them
            _WORKSPACES.give(ws.pop("block"))
        return out.transpose(0, 2, 1)

    @staticmethod
    def _recur(X, R, W, gates=None):
        """The forward loop: X's h rows and R's slabs for t = 0 .. T-1 (R_0's c row and
        X_0's h rows hold c_{-1}, h_{-1}). ``gates``: the compiled gate step
        (:func:`deepgrad.kernels.lstm.forward_gates`), or None for NumPy's calls."""
        H, B = R.shape[1] // 6, R.shape[2]
        H2, H3, H4 = 2 * H, 3 * H, 4 * H
        if gates is not None:
            mm, tanh, mul = np.matmul, np.tanh, np.multiply
            steps = zip(X, R[:, :H4], R, R[1:], R[1:, H4:5 * H], R[:, 5 * H:],
                        R[:, H2:H3], X[1:, :H])
            for x_t, z, r, r_next, c_t, tc, o, h in steps:     # 5 calls per step
                mm(W, x_t, z)
                tanh(z, z)
                gates(r, r_next)                # [i, f, o] = (1 + tanh(z/2)) / 2, c_t
                tanh(c_t, tc)
                mul(o, tc, h)
            return
        prod = np.empty((H2, B), R.dtype)
        ig, fc, half = prod[:H], prod[H:], np.array(0.5, R.dtype)
        mm, tanh, mul, add = np.matmul, np.tanh, np.multiply, np.add    # out= given by position:
        steps = zip(X, R[:, :H4], R[:, :H3], R[:, :H2], R[:, H3:5 * H],         # 0.2 us a call
                    R[1:, H4:5 * H], R[:, 5 * H:], R[:, H2:H3], X[1:, :H])
        for x_t, z, sig, if_, gc, c_t, tc, o, h in steps:          # 8 NumPy calls per step
            mm(W, x_t, z)                           # z~ = W [h_{t-1}; x_t; 1]
            tanh(z, z)                              # [tanh(z_i/2), .., tanh(z_o/2), g]
            mul(sig, half, sig)
            add(sig, half, sig)                     # [i, f, o] = (1 + tanh(z/2)) / 2
            mul(if_, gc, prod)                      # [i g; f c_{t-1}]
            add(ig, fc, c_t)
            tanh(c_t, tc)
            mul(o, tc, h)                           # h_t = o tanh(c_t)

    def _factors(self):
        """M = [m | f_{t+1} | o (1 - tanh^2 c_t)]  (T, 6H, B), with
        m = [i(1-i) g, f(1-f) c_{t-1}, o(1-o) tanh c_t, (1-g^2) i], so that the gate
        gradients are dz = [dc, dc, dh, dc] * m and dc_t = dc_{t+1} f_{t+1} + dh_t M[5H:6H]
        (f_T = 1: dc_{T-1} = dL/dc_n + ...). Eight whole-sequence calls: the three sigmoid
        rows of a slab against its rows [g, c_{t-1}, tanh c_t], then blocks (g, tanh c) of
        a slab against (i, o) as one strided view. The forward slabs are only read:
        backward can run twice."""
        R, M = self.ws["R"], self.ws["M"]
        T, H6 = M.shape[0], M.shape[1]
        H = H6 // 6
        H3 = 3 * H
        sig, ms = R[:T, :H3], M[:, :H3]
        np.subtract(1, sig, ms)
        np.multiply(ms, sig, ms)
        np.multiply(ms, R[:T, H3:], ms)                         # s(1-s) [g, c_{t-1}, tanh c_t]
        R6, q = R.reshape(-1, 6, H, R.shape[2])[:T], M.reshape(T, 6, H, -1)[:, 3::2]
        np.square(R6[:, 3::2], q)
        np.subtract(1, q, q)
        np.multiply(q, R6[:, 0:3:2], q)                         # [(1 - g^2) i; (1 - tanh^2 c) o]
        M[:T - 1, 4 * H:5 * H] = R[1:T, H:2 * H]
        M[T - 1, 4 * H:5 * H] = 1
        return M

    def _backward_weights(self, rows):
        """W^T (rows, 4H) for [dh; dx] = W^T dz: the first ``rows`` columns of W (h, then x),
        the sigmoid rows that forward halved restored."""
        W = self.W
        H3 = 3 * (W.shape[0] // 4)
        wt = np.empty((rows, W.shape[0]), W.dtype)
        np.multiply(W[:H3, :rows].T, 2, out=wt[:, :H3])
        wt[:, H3:] = W[H3:, :rows].T
        return wt

    def backward(self, g):
        T, H6, B = self.ws["R"].shape
        T -= 1
        H = H6 // 6
        need_x, need_h, need_c = self.needs_grad[:3]
        n = self.W.shape[1] - (self.n_bias > 0) if need_x else H     # [dh; dx] rows, or dh's
        wt = self._backward_weights(n)
        G = aligned_empty((T, n, B), g.dtype) if need_x else None   # [dh_{t-1}; dx_t]
        step = _kernel("backward_step", g.dtype)
        loop = self.loops[1] if self.loops is not None else None    # as forward chose
        rows = None                             # [dW_hh | dW_ih | db] when the loop sums it
        if loop is not None:                    # the whole loop compiled, by parts
            dc, dz, rows = self._through_time_loop(self._per_step(g), wt, G, loop)
        elif step is None:                      # NumPy's calls
            dc = self._through_time(self._per_step(g), self._factors(), wt, G)
            dz = self.ws["M"][:, :4 * H]                        # the gate gradients
        else:                                   # dz also stacked in dz_all
            dc, dz = self._through_time_compiled(self._per_step(g), wt, G, step)
        grads = [None, None, None]
        if need_x:
            np.matmul(wt, dz[0], out=G[0])                      # [dh_{-1}; dx_0]
            grads[0] = (G[::-1] if self.reverse else G)[:, H:].transpose(0, 2, 1)
        if need_h:
            grads[1] = (G[0, :H] if need_x else wt @ dz[0]).T
        if need_c:
            grads[2] = (dc * self.ws["R"][0, H:2 * H]).T        # dc_0 f_0
        return tuple(grads) + self._param_grads(dz, self.X[:T], stacked=step is not None,
                                                rows=rows)

    def _per_step(self, g):
        """dL/d(packed output) (T+1, B, H) as (T+1, H, B) blocks, copied only when they are
        not contiguous (Unpack's gradients are)."""
        gt = g.transpose(0, 2, 1)
        if gt.strides[1:] != (g.shape[1] * g.itemsize, g.itemsize):
            gt = self.ws["gy"]
            np.copyto(gt, g.transpose(0, 2, 1))
        return gt

    def _through_time(self, gt, M, wt, G):
        """The loop t = T-1 .. 0: M's m rows become the gate gradients dz_t (in place), G[t]
        gets [dh_{t-1}; dx_t] (G None: dh only); returns dc_0."""
        T, H6, B = M.shape
        H, H4 = H6 // 6, 4 * H6 // 6
        dy = gt[T - 1::-1] if self.reverse else gt[:T]          # dL/dh_t, processing order
        s, p = np.empty((2 * H, B), gt.dtype), np.empty((2 * H, B), gt.dtype)
        dc, dh, pc, ph = s[:H], s[H:], p[:H], p[H:]
        dc[...], dh[...] = gt[T], dy[T - 1]
        dz, back = M[:, :H4], M[::-1]
        gemm_out = [dh] * T if G is None else G
        mm, mul, add = np.matmul, np.multiply, np.add
        steps = zip(range(T - 1, -1, -1), dy[::-1], back[:, H4:], back[:, :H],
                    back[:, H:3 * H], back[:, 3 * H:H4])
        for t, dy_t, fk_t, dzi, dzfo, dzg in steps:             # 7 NumPy calls per step
            if t < T - 1:
                o = gemm_out[t + 1]
                mm(wt, dz[t + 1], o)                # [dh_t; dx_{t+1}]
                add(o[:H], dy_t, dh)
            mul(s, fk_t, p)                         # [dc_{t+1} f_{t+1}; dh_t o (1 - tanh^2 c_t)]
            add(pc, ph, dc)                         # dc_t
            mul(s, dzfo, dzfo)                      # [dz_f; dz_o] = [dc; dh] * m
            mul(dc, dzi, dzi)                       # dz_i
            mul(dc, dzg, dzg)                       # dz_g (no broadcasting: 3x cheaper here)
        return dc

    def _through_time_compiled(self, gt, wt, G, step):
        """``_through_time`` with the compiled step (:func:`deepgrad.kernels.lstm.
        backward_step`): the factors computed on the way from R (no ``_factors`` pass,
        M unused), dz_t written to one (4H, B) buffer that the next step's GEMM reads
        while it is in cache, and copied to column block t of dz_all for the weight
        gradients. Returns dc_0 and dz (T, 4H, B), a view of dz_all."""
        R = self.ws["R"]
        T, H, B = R.shape[0] - 1, R.shape[1] // 6, R.shape[2]
        dz_all = self.ws["dz_all"].reshape(4 * H, T, B)
        dz = np.empty((4 * H, B), gt.dtype)                     # dz_t, then dz_{t-1} ..
        dy = gt[T - 1::-1] if self.reverse else gt[:T]          # dL/dh_t, processing order
        dc = gt[T].copy()                                       # dL/dc_n, then dc_t
        step(R[T - 1], dc, dc, dy[T - 1], dc, dz, dz_all, T - 1, True)
        gh = np.empty((H, B), gt.dtype) if G is None else None
        for t in range(T - 2, -1, -1):                          # 2 calls per step
            o = gh if G is None else G[t + 1]
            np.matmul(wt, dz, o)                    # [dh_t; dx_{t+1}] = W^T dz_{t+1}
            step(R[t], R[t + 1, H:2 * H], o[:H], dy[t], dc, dz, dz_all, t, False)
        return dc, dz_all.transpose(1, 0, 2)

    def _through_time_loop(self, gt, wt, G, loop):
        """The loop t = T-1 .. 0 as one compiled call per part of the batch
        (:func:`deepgrad.kernels.lstm_loop.backward_loop`), which also sums the weight
        gradients, per part. Returns dc_0, [dz_0] and [dW_hh | dW_ih | db] (4H, K) (the
        parts' sums added in part order), or None when no weight needs a gradient."""
        R, X = self.ws["R"], self.X
        T, H, B = R.shape[0] - 1, R.shape[1] // 6, R.shape[2]
        dz = aligned_empty((4 * H, B), gt.dtype)
        dc = aligned_empty((H, B), gt.dtype)
        dc[...] = gt[T]                                         # dL/dc_n, then dc_0
        O = aligned_empty((1, H, B), gt.dtype) if G is None else G
        parts = len(_bounds(B)) - 1 if any(self.needs_grad[3:]) else 0
        dW = aligned_empty((parts, 4 * H, X.shape[1]), gt.dtype)
        gemm_size = wt.size + (dW[0].size if parts else 0)     # multiply-adds / T B
        _in_parts(loop, B, T * B * gemm_size, R, wt, O, gt, self.reverse, dc, dz, X, dW)
        rows = None
        if parts:
            rows = dW[0]
            for p in range(1, parts):
                rows += dW[p]
        return dc, dz[None], rows

    def _param_grads(self, dz, X, stacked=False, rows=None):
        """(dW_ih, dW_hh, *db): [dW_hh | dW_ih | db] = dz [h_{t-1}; x_t; 1]^T over all steps
        as one GEMM, back in the caller's layout and gate order. ``stacked``: dz is already
        copied into the (4H, T B) stack dz_all that the GEMM reads. ``rows``: that sum,
        already made (by the whole-loop kernel)."""
        need = self.needs_grad[3:]
        if not any(need):
            return (None,) * len(need)
        H4, K = self.W.shape
        H = H4 // 4
        if rows is None:
            T, B = dz.shape[0], dz.shape[2]
            dz_all, x_rows = self.ws["dz_all"], self.ws["x_rows"]
            if not stacked:                     # (the compiled step wrote dz into dz_all)
                np.copyto(dz_all.reshape(H4, T, B), dz.transpose(1, 0, 2))
            np.copyto(x_rows.reshape(T, B, -1)[:, :, :K], X.transpose(0, 2, 1))
            x_rows[:, K:] = 0           # (T B, K) padded to a multiple of 8: a faster GEMM
            rows = (dz_all @ x_rows)[:, :K]
        rows = rows.reshape(4, H, K)[_ORDER]                    # back to [i, f, g, o]
        I = K - H - (self.n_bias > 0)
        grads = (grad_like(rows[:, :, H:H + I], self.layout) if need[0] else None,
                 grad_like(rows[:, :, :H], self.layout) if need[1] else None)
        if self.n_bias:
            db = rows[:, :, K - 1].reshape(H4)
            grads += tuple(db.copy() if k else db for k in range(self.n_bias))
        return grads


#: The whole-loop kernels cut the batch into parts of at least this many columns.
MIN_PART = 16


def _bounds(B):
    """The batch's column parts for the whole-loop kernels, from B alone: one part below
    2 MIN_PART columns, else 2, 4 or 8 (up to B // 32), so every thread count computes the
    same products (a BLAS may round a product on fewer columns differently). Inner bounds
    are multiples of MIN_PART (64 bytes of float32): with rows of a multiple of 64 bytes,
    two threads never write to one cache line."""
    parts = 1 if B < 2 * MIN_PART else max(2, min(8, B // 32))
    parts = 1 << (parts.bit_length() - 1)
    inner = [round(B * i / parts / MIN_PART) * MIN_PART for i in range(1, parts)]
    return np.array([0] + inner + [B], np.int64)


def _in_parts(loop, B, work, *arrays):
    """``kernel(address, ilp64, *arrays, bounds, first part)`` over the parts of :func:`_bounds`,
    each thread of the pool taking a run of whole parts, the same run in every call of a
    step (``static``: a part's columns stay in one core's cache from forward to backward);
    ``loop``: (kernel, (address, ilp64)) of the GEMM."""
    kernel, gemm = loop
    bounds = _bounds(B)
    if len(bounds) == 2 or parallel.serial(work):
        kernel(*gemm, *arrays, bounds, 0)
        return
    parallel.parallel_for(len(bounds) - 1,
                          lambda i, j: kernel(*gemm, *arrays, bounds[i:j + 1], i), work=work,
                          static=True)


def _loop_kernels(dtype):
    """The whole-loop kernels of :mod:`deepgrad.kernels.lstm_loop` as ((forward_loop,
    gemm), (backward_loop, gemm)), gemm (address, ilp64) of NumPy's GEMM; or None: kernels off, not
    float32 (float64 keeps the per-step kernels, bit for bit the NumPy path), or no BLAS
    function found. Forward chooses; its backward runs the same path (the workspace it
    took is that path's)."""
    if dtype != np.float32 or not kernels.enabled():
        return None
    from deepgrad.kernels import blas                   # (its lookup is cached)
    gemm = blas.gemm_address(dtype)
    if gemm is None:
        return None
    return ((kernels.get("lstm_loop", "forward_loop"), gemm),
            (kernels.get("lstm_loop", "backward_loop"), gemm))


def _kernel(name, dtype):
    """The compiled step ``name`` of :mod:`deepgrad.kernels.lstm`, or None (NumPy's calls)
    when kernels are off or the dtype is not float32/float64."""
    return kernels.get("lstm", name) if dtype in kernels.FLOATS else None


class Unpack(Function):
    """One result of the LSTM op's packed (T+1, B, H) output: ``packed[index]``, a view, as
    ``getitem``. Backward writes the gradient into zeros laid out as the op stores its
    output, (T+1, H, B), so the op reads each dL/dh_t as a contiguous (H, B) block (and
    the gradient the next layer's op returns, already (T, H, B) inside, is copied in
    whole blocks) instead of through two transposing copies."""

    def forward(self, packed, index=None):
        self.shape, self.index = packed.shape, index
        return packed[index]

    def backward(self, g):
        T1, B, H = self.shape
        if self.index == slice(0, T1 - 1):          # the output sequence: only c_n's slot is 0
            out = np.empty((T1, H, B), g.dtype).transpose(0, 2, 1)
            out[-1] = 0
        else:
            out = np.zeros((T1, H, B), g.dtype).transpose(0, 2, 1)
        out[self.index] = g
        return out
