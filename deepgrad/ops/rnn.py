"""Recurrent layers as fused ops: a whole sequence per op, in PyTorch's layouts and gate orders.

Seed 004's recurrence, with x_t the input and h_{t-1} the previous state:

    RNN:   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)          (or relu)
    LSTM:  [i, f, g, o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        (4 gate blocks)
           i, f, o = sigmoid(.),  g = tanh(.)
           c_t = f * c_{t-1} + i * g,         h_t = o * tanh(c_t)
    GRU:   r = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
           z = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
           n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))
           h_t = (1 - z) * n + z * h_{t-1}

Backward through time, with dh_t = dL/dh_t from the output plus from step t+1:

    RNN:   dz_t = dh_t * (1 - h_t^2)                 dh_{t-1} += dz_t W_hh
    LSTM:  dc_t = dc_{t+1} * f_{t+1} + dh_t * o (1 - tanh^2 c_t)
           dz_o = dh_t tanh(c_t) o(1-o)   dz_i = dc_t g i(1-i)
           dz_f = dc_t c_{t-1} f(1-f)     dz_g = dc_t i (1-g^2)      dh_{t-1} += dz_t W_hh
    GRU:   dn = dh_t (1-z)(1-n^2),   dz = dh_t (h_{t-1} - n) z(1-z),
           dr = dn (W_hn h_{t-1} + b_hn) r(1-r),   dh_{t-1} = dh_t z + [dr, dz, dn r] W_hh
    all:   dW_ih = sum_t dz_t^T x_t,  dW_hh = sum_t dz_t^T h_{t-1},  db = sum_t dz_t

How the ops are made fast (NumPy's cost here is per call and per freshly mapped page, not
per flop); each function's docstring counts its NumPy calls per time step:

* the input projection of all T steps is one GEMM before the loop, and each weight
  gradient one GEMM after it, over the (G*H, T*B) stack of per-step gate gradients;
* each step does one GEMM for all gates on a feature-major state: h_t is kept as (H, B)
  and the gates as (G*H, B), so every gate block of a step is one contiguous array
  (measured: the same calls on strided (B, G*H) rows take 1.6x longer);
* sigmoid(z) = (1 + tanh(z/2)) / 2 with the sigmoid gates' weight rows pre-halved, so one
  tanh call covers all the gates of a step;
* the LSTM runs on the gate order [o, i, f, g] with c_{t-1} stored right after g, so
  [i, f] * [g, c_{t-1}] is one multiply; parameters and gradients stay in [i, f, g, o];
* every factor of backward that needs no incoming gradient (the sigmoid and tanh
  derivatives times saved activations) is computed for all steps at once before the
  backward loop, which is left with the recurrent GEMM and a few multiplies per step;
* the large buffers of a call come from one workspace, recycled after backward.

The LSTM's two results (the output sequence and c_T) come back as one packed (T+1, B, H)
array sliced with the differentiable ``getitem``: one Function keeps the recurrence's saved
state in one place (two Functions would have to share it), a slice is a view, and an
unused result costs nothing in backward. The layer ops are time-major: (T, B, I) in,
(T, B, H) out.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._workspace import _WORKSPACES, _workspace
from deepgrad.ops.shape import getitem, reshape

_TO_OIFG = (3, 0, 1, 2)      # PyTorch's LSTM gate blocks [i, f, g, o] -> [o, i, f, g]
_FROM_OIFG = (1, 2, 3, 0)
_TO_NRZ = (2, 0, 1)          # GRU gate blocks [r, z, n] -> [n, r, z]
_FROM_NRZ = (1, 2, 0)


def _blocks(w, order):
    """Reorder the gate blocks (equal row blocks) of a gate-stacked array (G*H, ...)."""
    g = len(order)
    return w.reshape(g, -1, *w.shape[1:])[list(order)].reshape(w.shape)


def _half_rows(w, n):
    """A copy of w with its first n rows halved: the sigmoid gates' rows, so that one tanh
    gives sigmoid(z) = (1 + tanh(z/2)) / 2."""
    w = np.array(w)
    w[:n] *= 0.5
    return w


def _flip(a, reverse):
    return a[::-1] if reverse else a


def _project(x, w, b, out, reverse):
    """out[t] = w x_t^T + b[:, None]  (T, G*H, B): the input projection of every step, read
    straight from x (T, B, I) as the (I, B) matrices x_t^T (BLAS takes them transposed)."""
    np.matmul(w, _flip(x, reverse).transpose(0, 2, 1), out=out)
    if b is not None:
        out += b[:, None]


class _RecurrentOp(Function):
    """A layer op whose work buffers live in ``self.ws`` and are recycled after backward."""

    def release(self):
        ws = self.__dict__.get("ws")
        super().release()
        if ws is not None:
            _WORKSPACES.give(ws["block"])


def _stack_steps(a, out):
    """(T, K, B) per-step columns -> out (K, T*B): every step's gate gradients side by side."""
    np.copyto(out.reshape(a.shape[1], a.shape[0], a.shape[2]), a.transpose(1, 0, 2))
    return out


def _rows_per_step(a, out):
    """(T, K, B) -> out (T*B, K), rows in the (t, b) order of ``_stack_steps``."""
    np.copyto(out.reshape(a.shape[0], a.shape[2], a.shape[1]), a.transpose(0, 2, 1))
    return out


def _input_rows(fn):
    """The input as (T*B, I) rows in processing order (t, b), matching ``_stack_steps``."""
    x = _flip(fn.x, fn.reverse)
    if x.flags.c_contiguous:
        return x.reshape(-1, x.shape[-1])
    np.copyto(fn.ws["x_rows"].reshape(x.shape), x)
    return fn.ws["x_rows"]


def _rows_shapes(x, h_rows):
    """Workspace entries shared by the three ops: x and h_{t-1} as (T*B, .) rows."""
    T, B, I = x.shape
    return {"x_rows": (T * B, I), "h_rows": (T * B, h_rows)}


class RNNLayer(_RecurrentOp):
    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh",
                reverse=False):
        T, B, _ = x.shape
        H = w_hh.shape[0]
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        self.has_bias, self.relu, self.reverse = b_ih is not None, nonlinearity == "relu", reverse
        self.ws = _workspace(x.dtype, dz=(T, H, B), dz_all=(H, T * B), **_rows_shapes(x, H))
        hs = np.empty((T + 1, H, B), x.dtype)        # [h_{-1}, h_0 .. h_{T-1}], h_t as (H, B)
        hs[0] = h0.T
        _project(x, w_ih, None if b_ih is None else b_ih + b_hh, hs[1:], reverse)
        rec = np.empty((H, B), x.dtype)
        for h_prev, h in zip(hs[:-1], hs[1:]):      # 3 NumPy calls per step
            np.matmul(w_hh, h_prev, out=rec)
            np.add(h, rec, out=h)
            if self.relu:
                np.maximum(h, 0, out=h)
            else:
                np.tanh(h, out=h)
        self.hs = hs
        return _flip(hs[1:], reverse).transpose(0, 2, 1)

    def backward(self, g):
        hs, T, dz = self.hs, self.hs.shape[0] - 1, self.ws["dz"]
        dy = _flip(g, self.reverse).transpose(0, 2, 1)         # dL/dh_t as (H, B) views
        if self.relu:
            np.greater(hs[1:], 0, out=dz, casting="unsafe")      # relu' = [h > 0]
        else:
            np.multiply(hs[1:], hs[1:], out=dz)
            np.subtract(1, dz, out=dz)                           # tanh' = 1 - h^2
        w_hh_t = np.ascontiguousarray(self.w_hh.T)
        rec = np.empty(hs.shape[1:], hs.dtype)
        np.multiply(dy[T - 1], dz[T - 1], out=dz[T - 1])
        for dz_next, dy_t, dz_t in zip(dz[:0:-1], dy[-2::-1], dz[-2::-1]):   # t = T-2 .. 0
            np.matmul(w_hh_t, dz_next, out=rec)     # 3 NumPy calls per step
            np.add(dy_t, rec, out=rec)
            np.multiply(rec, dz_t, out=dz_t)
        dz_all = _stack_steps(dz, self.ws["dz_all"])
        return (_input_grad(self, dz_all, self.w_ih), _state_grad(self, w_hh_t @ dz[0])
                ) + _param_grads(self, dz_all, hs[:T])


class LSTMLayer(_RecurrentOp):
    def forward(self, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        T, B, _ = x.shape
        H = w_hh.shape[1]
        H3, H4 = 3 * H, 4 * H
        self.x, self.reverse, self.has_bias = x, reverse, b_ih is not None
        self.w_ih, self.w_hh = _blocks(w_ih, _TO_OIFG), _blocks(w_hh, _TO_OIFG)
        self.ws = ws = _workspace(        # a: per step rows [o, i, f, g | c_{t-1}]; tc: tanh(c_t)
            x.dtype, a=(T + 1, 5 * H, B), tc=(T, H, B),         # forward
            m=(T, H4, B), fk=(T, 2 * H, B), dz=(H4, T * B), **_rows_shapes(x, H))   # backward
        a, tc = ws["a"], ws["tc"]
        hs = np.empty((T + 2, H, B), x.dtype)       # [h_{-1}, h_0 .. h_{T-1}, c_{T-1}]
        bias = None if b_ih is None else _half_rows(_blocks(b_ih + b_hh, _TO_OIFG), H3)
        _project(x, _half_rows(self.w_ih, H3), bias, a[:T, :H4], reverse)
        hs[0], a[0, H4:] = h0.T, c0.T
        w_hh_s = _half_rows(self.w_hh, H3)
        gates, sig, o = a[:, :H4], a[:, :H3], a[:, :H]
        i_f, g_c, c = a[:, H:H3], a[:, H3:], a[:, H4:]
        rec, prod = np.empty((H4, B), x.dtype), np.empty((2 * H, B), x.dtype)
        ig, fc = prod[:H], prod[H:]
        steps = zip(hs[:-2], gates, sig, i_f, g_c, c[1:], tc, o, hs[1:])
        for h_prev, z, s, if_, gc, c_t, tc_t, o_t, h in steps:     # 9 NumPy calls per step
            np.matmul(w_hh_s, h_prev, out=rec)
            np.add(z, rec, out=z)
            np.tanh(z, out=z)                       # tanh(z/2) for o, i, f; tanh(z) for g
            np.multiply(s, 0.5, out=s)
            np.add(s, 0.5, out=s)                   # sigmoid(z) = (1 + tanh(z/2)) / 2
            np.multiply(if_, gc, out=prod)          # [i g; f c_{t-1}]
            np.add(ig, fc, out=c_t)
            np.tanh(c_t, out=tc_t)
            np.multiply(o_t, tc_t, out=h)
        hs[T + 1] = c[T]
        self.hs = hs
        packed = np.concatenate((hs[T:0:-1], hs[T + 1:])) if reverse else hs[1:]
        return packed.transpose(0, 2, 1)

    def _factors(self):
        """Per-step factors of backward that need no incoming gradient, for all steps at once.

        m = [tanh(c) o(1-o); g i(1-i); c_{t-1} f(1-f); i (1-g^2)]  (T, 4H, B), so that
        dz_t = [dh_t; dc_t; dc_t; dc_t] * m_t, and fk = [f_{t+1}; o (1 - tanh^2 c_t)]
        (T, 2H, B), so that dc_t = dc_{t+1} f_{t+1} + dh_t o (1 - tanh^2 c_t) is one
        multiply and one add. The forward buffers are only read: backward can run twice.
        """
        a, tc, m, fk = self.ws["a"], self.ws["tc"], self.ws["m"], self.ws["fk"]
        T, H, B = tc.shape
        H2, H3, H4 = 2 * H, 3 * H, 4 * H
        sig, ds = a[:T, :H3], m[:, :H3]
        np.subtract(1, sig, out=ds)
        np.multiply(ds, sig, out=ds)                             # s (1 - s) for o, i, f
        np.multiply(m[:, H:H3], a[:T, H3:], out=m[:, H:H3])      # * [g; c_{t-1}]
        np.multiply(m[:, :H], tc, out=m[:, :H])                  # * tanh(c_t)
        dg = m[:, H3:]
        np.multiply(a[:T, H3:H4], a[:T, H3:H4], out=dg)
        np.subtract(1, dg, out=dg)
        np.multiply(dg, a[:T, H:H2], out=dg)                     # i (1 - g^2)
        fk[:-1, :H], fk[-1, :H] = a[1:T, H2:H3], 1               # f_T = 1: dc_{T-1} += dc_n
        k = fk[:, H:]
        np.multiply(tc, tc, out=k)
        np.subtract(1, k, out=k)
        np.multiply(k, a[:T, :H], out=k)                         # o (1 - tanh^2 c_t)
        return m, fk

    def backward(self, g):
        T, H, B = self.ws["tc"].shape
        dy = _flip(g[:T], self.reverse).transpose(0, 2, 1)      # dL/dh_t as (H, B) views
        m, fk = self._factors()
        mo, mifg = m[:, :H], m.reshape(T, 4, H, B)[:, 1:]
        w_hh_t = np.ascontiguousarray(self.w_hh.T)
        s, p = np.empty((2 * H, B), g.dtype), np.empty((2 * H, B), g.dtype)
        dc, dh, pc, ph = s[:H], s[H:], p[:H], p[H:]
        dc[...], dz_next = g[T].T, None
        steps = zip(dy[::-1], fk[::-1], mifg[::-1], mo[::-1], m[::-1])     # t = T-1 .. 0
        for dy_t, fk_t, mifg_t, mo_t, dz_t in steps:  # 6 NumPy calls per step
            if dz_next is None:
                dh[...] = dy_t
            else:
                np.matmul(w_hh_t, dz_next, out=dh)
                np.add(dh, dy_t, out=dh)
            np.multiply(s, fk_t, out=p)              # [dc_{t+1} f_{t+1}; dh_t o (1 - tanh^2 c_t)]
            np.add(pc, ph, out=dc)
            np.multiply(dc, mifg_t, out=mifg_t)      # dz_i, dz_f, dz_g
            np.multiply(dh, mo_t, out=mo_t)          # dz_o
            dz_next = dz_t
        dz = _stack_steps(m, self.ws["dz"])
        dc0 = (dc * self.ws["a"][0, 2 * H:3 * H]).T if self.needs_grad[2] else None  # dc_0 f_0
        return (_input_grad(self, dz, self.w_ih), _state_grad(self, w_hh_t @ m[0]), dc0
                ) + _param_grads(self, dz, self.hs[:T], _FROM_OIFG)


class GRULayer(_RecurrentOp):
    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        T, B, _ = x.shape
        H = w_hh.shape[1]
        H2 = 2 * H
        self.x, self.reverse, self.has_bias = x, reverse, b_ih is not None
        self.w_ih, self.w_hh = w_ih, w_hh
        self.ws = ws = _workspace(
            x.dtype, a=(T, 3 * H, B), hg=(T, 3 * H, B),                        # forward
            q=(T, 5 * H, B), e=(4 * H, T * B), **_rows_shapes(x, H + 1))      # backward
        a, hg = ws["a"], ws["hg"]                   # per step rows [r, z, n]; W_hh h + b_hh
        _project(x, _half_rows(w_ih, H2), None if b_ih is None else _half_rows(b_ih, H2), a,
                 reverse)
        w_aug = np.zeros((3 * H, H + 1), x.dtype)   # [W_hh | b_hh]: h is stored as [h; 1]
        w_aug[:, :H] = w_hh
        if self.has_bias:
            w_aug[:, H] = b_hh
        w_aug[:H2] *= 0.5                           # r, z rows halved, as in w_ih
        hs = np.ones((T + 1, H + 1, B), x.dtype)    # [h_{t-1}; 1]
        hs[0, :H] = h0.T
        rz, r, z, n = a[:, :H2], a[:, :H], a[:, H:H2], a[:, H2:]
        hrz, hn, h = hg[:, :H2], hg[:, H2:], hs[:, :H]
        tmp = np.empty((H, B), x.dtype)
        steps = zip(hs, hg, rz, hrz, r, hn, n, h, z, h[1:])
        for h_aug, hg_t, rz_t, hrz_t, r_t, hn_t, n_t, h_prev, z_t, h_t in steps:
            np.matmul(w_aug, h_aug, out=hg_t)       # 11 NumPy calls per step
            np.add(rz_t, hrz_t, out=rz_t)
            np.tanh(rz_t, out=rz_t)
            np.multiply(rz_t, 0.5, out=rz_t)
            np.add(rz_t, 0.5, out=rz_t)             # sigmoid(z) = (1 + tanh(z/2)) / 2
            np.multiply(r_t, hn_t, out=tmp)
            np.add(n_t, tmp, out=n_t)
            np.tanh(n_t, out=n_t)
            np.subtract(h_prev, n_t, out=tmp)
            np.multiply(tmp, z_t, out=tmp)
            np.add(n_t, tmp, out=h_t)               # h = n + z (h_{t-1} - n)
        self.hs = hs
        return _flip(h[1:], reverse).transpose(0, 2, 1)

    def _factors(self):
        """q = [(1-z)(1-n^2); q_n hn r(1-r); (h_{t-1} - n) z(1-z); q_n r; z]  (T, 5H, B): then
        dh_t * q_t = [dn; dr; dz; d(hn); dh_t z], where [dn; dr; dz] is the gradient of the
        input projection (gate order n, r, z) and [dr; dz; d(hn)] that of the hidden one."""
        a, hs, q = self.ws["a"], self.hs, self.ws["q"]
        T, H3, B = a.shape
        H = H3 // 3
        r, z, n, hn = a[:, :H], a[:, H:2 * H], a[:, 2 * H:], self.ws["hg"][:, 2 * H:]
        qn, qr, qz, qnr, zz = (q[:, k * H:(k + 1) * H] for k in range(5))
        np.subtract(1, z, out=zz)                                # 1 - z, for now
        np.multiply(n, n, out=qn)
        np.subtract(1, qn, out=qn)
        np.multiply(qn, zz, out=qn)                              # (1 - z)(1 - n^2)
        np.multiply(qn, r, out=qnr)
        np.subtract(1, r, out=qr)
        np.multiply(qr, qnr, out=qr)
        np.multiply(qr, hn, out=qr)                              # q_n hn r (1 - r)
        np.subtract(hs[:T, :H], n, out=qz)
        np.multiply(qz, z, out=qz)
        np.multiply(qz, zz, out=qz)                              # (h_{t-1} - n) z (1 - z)
        zz[...] = z
        return q

    def backward(self, g):
        T, B, H = g.shape
        dy = _flip(g, self.reverse).transpose(0, 2, 1)         # dL/dh_t as (H, B) views
        q = self._factors()
        q5, dhg, dhz = q.reshape(T, 5, H, B), q[:, H:4 * H], q[:, 4 * H:]
        w_hh_t = np.ascontiguousarray(self.w_hh.T)
        dh = np.empty((H, B), g.dtype)
        dh[...] = dy[T - 1]
        np.multiply(dh, q5[T - 1], out=q5[T - 1])
        steps = zip(dhg[:0:-1], dhz[:0:-1], dy[-2::-1], q5[-2::-1])      # t = T-2 .. 0
        for dhg_next, dhz_next, dy_t, q_t in steps:  # 4 NumPy calls per step
            np.matmul(w_hh_t, dhg_next, out=dh)
            np.add(dh, dhz_next, out=dh)             # + dh_{t+1} z_{t+1}
            np.add(dh, dy_t, out=dh)
            np.multiply(dh, q_t, out=q_t)
        e = _stack_steps(q[:, :4 * H], self.ws["e"])
        dxg, dhg_all = e[:3 * H], e[H:]              # gate orders [n, r, z] and [r, z, n]
        need = self.needs_grad + (False, False)
        dw_ih = dw_hh = db_ih = db_hh = None
        if need[2]:
            dw_ih = _blocks(dxg @ _input_rows(self), _FROM_NRZ)
        if need[3] or need[5]:                      # [dW_hh | db_hh] = dhg [h_{t-1}; 1]^T
            dw_aug = dhg_all @ _rows_per_step(self.hs[:T], self.ws["h_rows"])
            dw_hh, db_hh = dw_aug[:, :H], dw_aug[:, H].copy()
        if need[4]:
            db_ih = _blocks(dxg.sum(axis=1), _FROM_NRZ)
        return ((_input_grad(self, dxg, _blocks(self.w_ih, _TO_NRZ)),
                 _state_grad(self, w_hh_t @ dhg[0] + dhz[0]), dw_ih, dw_hh)
                + ((db_ih, db_hh) if self.has_bias else ()))


def _input_grad(fn, dz, w_ih):
    """dL/dx (T, B, I) = dz^T W_ih, back in the input's time order (None if not needed)."""
    if not fn.needs_grad[0]:
        return None
    T, B, _ = fn.x.shape
    return _flip((dz.T @ w_ih).reshape(T, B, -1), fn.reverse)


def _state_grad(fn, dh0):
    """dL/dh_{-1} (B, H) from its (H, B) form (None if not needed)."""
    return dh0.T if fn.needs_grad[1] else None


def _param_grads(fn, dz, h_prev, order=None):
    """(dW_ih, dW_hh[, db_ih, db_hh]) = (dz X, dz H_prev, sum dz, sum dz) over all steps at
    once, dz being the (G*H, T*B) stack of gate gradients; ``order`` maps the internal gate
    order back to PyTorch's."""
    need = fn.needs_grad[-4:] if fn.has_bias else fn.needs_grad[-2:]
    back = (lambda w: w) if order is None else (lambda w: _blocks(w, order))
    dw_ih = back(dz @ _input_rows(fn)) if need[0] else None
    dw_hh = back(dz @ _rows_per_step(h_prev, fn.ws["h_rows"])) if need[1] else None
    if not fn.has_bias:
        return dw_ih, dw_hh
    db = back(dz.sum(axis=1)) if need[2] or need[3] else None
    return dw_ih, dw_hh, db, None if db is None else db.copy()


def _check_args(name, gates, x, states, w_ih, w_hh, b_ih, b_hh, ndim=3):
    """The op's tensors [x, *states, w_ih, w_hh(, b_ih, b_hh)], every shape and dtype checked
    against the input; a state given as None becomes zeros (B, H)."""
    x, w_ih, w_hh = to_tensor(x), to_tensor(w_ih), to_tensor(w_hh)
    layout = "(seq_len, batch, input_size)" if ndim == 3 else "(batch, input_size)"
    if x.ndim != ndim or x.shape[0] == 0:
        raise RuntimeError(f"{name}: expected a non-empty input of shape {layout}, received "
                           f"shape {tuple(x.shape)}")
    if w_hh.ndim != 2 or w_hh.shape[0] != gates * w_hh.shape[1]:
        raise RuntimeError(f"{name}: expected weight_hh of shape ({gates} * hidden_size, "
                           f"hidden_size), received {tuple(w_hh.shape)}")
    H, B, I = w_hh.shape[1], x.shape[-2], x.shape[-1]
    if w_ih.ndim != 2 or w_ih.shape[0] != gates * H:
        raise RuntimeError(f"{name}: expected weight_ih of shape ({gates * H}, input_size) for "
                           f"hidden_size {H}, received {tuple(w_ih.shape)}")
    if w_ih.shape[1] != I:
        raise RuntimeError(f"{name}: input of shape {tuple(x.shape)} does not match weight_ih of "
                           f"shape {tuple(w_ih.shape)}: expected input_size {w_ih.shape[1]}, "
                           f"received {I}")
    if (b_ih is None) != (b_hh is None):
        raise ValueError(f"{name}: give both bias_ih and bias_hh, or neither")
    biases = () if b_ih is None else (to_tensor(b_ih), to_tensor(b_hh))
    for bname, b in zip(("bias_ih", "bias_hh"), biases):
        if tuple(b.shape) != (gates * H,):
            raise RuntimeError(f"{name}: expected {bname} of shape ({gates * H},), received "
                               f"{tuple(b.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point input, received dtype {x.dtype}")
    tensors, names = [x], ["input"]
    for sname, s in states.items():
        if s is None:
            s = _fn._Tensor._wrap(np.zeros((B, H), x.dtype))
        elif tuple(to_tensor(s).shape) != (B, H):
            raise RuntimeError(f"{name}: expected {sname} of shape ({B}, {H}) (batch, "
                               f"hidden_size), received {tuple(to_tensor(s).shape)}")
        tensors.append(to_tensor(s))
        names.append(sname)
    tensors += [w_ih, w_hh, *biases]
    names += ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    for tname, t in zip(names, tensors):
        if t.dtype != x.dtype:
            raise TypeError(f"{name}: {tname} has dtype {t.dtype} but input has dtype {x.dtype}; "
                            f"deepgrad never upcasts silently (cast with .float() or .double())")
    return tensors


def _check_nonlinearity(name, nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', received "
                         f"{nonlinearity!r}")


def rnn_layer(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None,
              nonlinearity="tanh", reverse=False):
    """One Elman RNN layer over a whole sequence: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    ``nonlinearity='relu'`` uses max(0, .) instead of tanh. Backward through time:
    dz_t = dh_t * (1 - h_t^2) (relu: [h_t > 0]), dh_{t-1} += dz_t W_hh.

    NumPy calls per time step: forward 3 (GEMM, add, activation), backward 3 (GEMM, add,
    multiply); the input projection and the weight gradients are one GEMM each.

    Args:
        input: (T, B, I), time-major.
        hx: initial state h_{-1} (B, H), or None for zeros.
        weight_ih: (H, I).  weight_hh: (H, H).  bias_ih, bias_hh: (H,) or both None.
        nonlinearity: 'tanh' or 'relu'.
        reverse: run from t = T-1 down to 0 (the backward direction of a bidirectional
            layer); the output stays in the input's time order.
    Returns:
        (output (T, B, H), h_n (B, H)), h_n being the state after the last step processed.
    """
    _check_nonlinearity("rnn_layer", nonlinearity)
    args = _check_args("rnn_layer", 1, input, {"hx": hx}, weight_ih, weight_hh, bias_ih, bias_hh)
    out = RNNLayer.apply(*args, nonlinearity=nonlinearity, reverse=reverse)
    return out, getitem(out, 0 if reverse else -1)


def lstm_layer(input, hx, cx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """One LSTM layer over a whole sequence, PyTorch's gate order [i, f, g, o]:

        i, f, g, o = split(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)     (4 blocks of H)
        c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g),   h_t = sigmoid(o) tanh(c_t)

    The op returns one packed (T+1, B, H) array [h_0 .. h_{T-1}, c_n], sliced here.

    NumPy calls per time step: forward 9 (GEMM, add, 1 tanh for all four gates, 2 for
    sigmoid = (1 + tanh(z/2)) / 2, the fused [i, f] * [g, c_{t-1}], add, tanh, multiply),
    backward 6 (GEMM, add, 4 multiply/add); the input projection, the derivative factors
    and the weight gradients are a fixed number of whole-sequence calls.

    Args:
        input: (T, B, I), time-major.
        hx, cx: initial states (B, H), or None for zeros.
        weight_ih: (4H, I).  weight_hh: (4H, H).  bias_ih, bias_hh: (4H,) or both None.
        reverse: run from t = T-1 down to 0; the output stays in the input's time order.
    Returns:
        (output (T, B, H), h_n (B, H), c_n (B, H)).
    """
    args = _check_args("lstm_layer", 4, input, {"hx": hx, "cx": cx}, weight_ih, weight_hh,
                       bias_ih, bias_hh)
    packed = LSTMLayer.apply(*args, reverse=reverse)
    T = packed.shape[0] - 1
    last = 0 if reverse else T - 1
    return getitem(packed, slice(0, T)), getitem(packed, last), getitem(packed, T)


def gru_layer(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """One GRU layer over a whole sequence, PyTorch's gate order [r, z, n] and formula:

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}

    NumPy calls per time step: forward 11 (GEMM with b_hh folded in, 4 for r and z, 3 for
    n, 3 for h_t), backward 4 (GEMM, 2 adds, one multiply giving all gate gradients).

    Args:
        input: (T, B, I), time-major.
        hx: initial state (B, H), or None for zeros.
        weight_ih: (3H, I).  weight_hh: (3H, H).  bias_ih, bias_hh: (3H,) or both None.
        reverse: run from t = T-1 down to 0; the output stays in the input's time order.
    Returns:
        (output (T, B, H), h_n (B, H)).
    """
    args = _check_args("gru_layer", 3, input, {"hx": hx}, weight_ih, weight_hh, bias_ih, bias_hh)
    out = GRULayer.apply(*args, reverse=reverse)
    return out, getitem(out, 0 if reverse else -1)


def _one_step(x):
    return reshape(x, (1,) + tuple(x.shape))


def rnn_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One step h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu): ``rnn_layer`` with T = 1.

    Args:
        input: (B, I).  hx: (B, H) or None.  weights and biases as :func:`rnn_layer`.
    Returns:
        h' (B, H).
    """
    _check_nonlinearity("rnn_cell", nonlinearity)
    x, *rest = _check_args("rnn_cell", 1, input, {"hx": hx}, weight_ih, weight_hh, bias_ih,
                           bias_hh, ndim=2)
    return getitem(RNNLayer.apply(_one_step(x), *rest, nonlinearity=nonlinearity), 0)


def lstm_cell(input, hx, cx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One LSTM step (gate order [i, f, g, o]): ``lstm_layer`` with T = 1.

    Args:
        input: (B, I).  hx, cx: (B, H) or None.  weights and biases as :func:`lstm_layer`.
    Returns:
        (h' (B, H), c' (B, H)).
    """
    x, *rest = _check_args("lstm_cell", 4, input, {"hx": hx, "cx": cx}, weight_ih, weight_hh,
                           bias_ih, bias_hh, ndim=2)
    packed = LSTMLayer.apply(_one_step(x), *rest)
    return getitem(packed, 0), getitem(packed, 1)


def gru_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One GRU step (gate order [r, z, n]): ``gru_layer`` with T = 1.

    Args:
        input: (B, I).  hx: (B, H) or None.  weights and biases as :func:`gru_layer`.
    Returns:
        h' (B, H).
    """
    x, *rest = _check_args("gru_cell", 3, input, {"hx": hx}, weight_ih, weight_hh, bias_ih,
                           bias_hh, ndim=2)
    return getitem(GRULayer.apply(_one_step(x), *rest), 0)
