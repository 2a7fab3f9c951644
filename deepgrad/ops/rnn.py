"""Recurrent layers as fused ops: a whole sequence per op, in either front's weight layout.

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
    LSTM:  see :mod:`deepgrad.ops.rnn_lstm`, which holds the LSTM op
    GRU:   dn = dh_t (1-z)(1-n^2),   dz = dh_t (h_{t-1} - n) z(1-z),
           dr = dn (W_hn h_{t-1} + b_hn) r(1-r),   dh_{t-1} = dh_t z + [dr, dz, dn r] W_hh
    all:   dW_ih = sum_t dz_t^T x_t,  dW_hh = sum_t dz_t^T h_{t-1},  db = sum_t dz_t

Every op takes its weights in PyTorch's layout and gate order or, with ``layout="keras"``,
as Keras stores them (kernel (I, G*H), recurrent kernel (H, G*H), Keras's gate order,
one bias or two): :mod:`deepgrad.ops.rnn_layout`. The RNN and GRU kernels below compute in
PyTorch's layout and convert a Keras layout's weights (a copy of the small weight
matrices) on the way in and their gradients on the way out; the LSTM reads either layout
directly into its stacked weight matrix.

How the ops are made fast (NumPy's cost here is per call and per freshly mapped page, not
per flop); each function's docstring counts its NumPy calls per time step:

* the RNN's and GRU's input projection of all T steps is one GEMM before the loop, and
  each weight gradient one GEMM after it, over the (G*H, T*B) stack of per-step gate
  gradients (the LSTM folds the projection into its per-step GEMM instead);
* each step does one GEMM for all gates on a feature-major state: h_t is kept as (H, B)
  and the gates as (G*H, B), so every gate block of a step is one contiguous array
  (measured: the same calls on strided (B, G*H) rows take 1.6x longer);
* sigmoid(z) = (1 + tanh(z/2)) / 2 with the sigmoid gates' weight rows pre-halved, so one
  tanh call covers all the gates of a step;
* every factor of backward that needs no incoming gradient (the sigmoid and tanh
  derivatives times saved activations) is computed for all steps at once before the
  backward loop, which is left with the recurrent GEMM and a few multiplies per step;
* the large buffers of a call come from one workspace, recycled after backward.

The LSTM's two results (the output sequence and c_T) come back as one packed (T+1, B, H)
array sliced with ``Unpack`` (``getitem`` with a backward in the op's storage order): one
Function keeps the recurrence's saved state in one place (two Functions would have to
share it), a slice is a view, and an unused result costs nothing in backward. The layer
ops are time-major: (T, B, I) in, (T, B, H) out.
"""
import numpy as np

from deepgrad import kernels
from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops._workspace import RecurrentOp, _workspace
from deepgrad.ops.rnn_layout import (GRU_FROM_KERAS, bias_to_pytorch, check_layout,
                                     from_pytorch, to_pytorch)
from deepgrad.ops.rnn_lstm import LSTMLayer, Unpack
from deepgrad.ops.shape import getitem, reshape

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
    """Workspace entries shared by the RNN and GRU ops: x and h_{t-1} as (T*B, .) rows."""
    T, B, I = x.shape
    return {"x_rows": (T * B, I), "h_rows": (T * B, h_rows)}


class _TorchLayoutOp(RecurrentOp):
    """The RNN and GRU ops: kernels in PyTorch's layout, another layout converted at the
    edges. ``forward`` calls ``_weights``; ``backward`` returns through ``_to_caller``."""

    _gates, _order = 1, None            # _order: Keras's gate blocks in PyTorch's order

    def _weights(self, w_ih, w_hh, biases, layout):
        """(w_ih, w_hh, b_ih, b_hh) in PyTorch's layout; a single bias is b_ih (b_hh = 0)."""
        self.layout, self.n_bias, self.has_bias = layout, len(biases), bool(biases)
        order = self._order if layout == "keras" else None
        b = [bias_to_pytorch(v, self._gates, layout, order) for v in biases]
        if len(b) == 1:
            b.append(np.zeros_like(b[0]))
        return (to_pytorch(w_ih, self._gates, layout, order),
                to_pytorch(w_hh, self._gates, layout, order), *(b or (None, None)))

    def _need(self):
        """needs_grad of (w_ih, w_hh, b_ih, b_hh) in PyTorch's terms."""
        return self.needs_grad[2:] + (False,) * (2 - self.n_bias)

    def _to_caller(self, grads):
        """(dx, dh0, dW_ih, dW_hh[, db_ih, db_hh]) -> the caller's layout and bias count."""
        if self.layout == "pytorch":
            return grads
        order = self._order
        dw = tuple(None if w is None else from_pytorch(w, self._gates, self.layout, order)
                   for w in grads[2:4])
        db = tuple(None if b is None else bias_to_pytorch(b, self._gates, "keras", order)
                   for b in grads[4:4 + self.n_bias])
        return grads[:2] + dw + db


class RNNLayer(_TorchLayoutOp):
    def forward(self, x, h0, w_ih, w_hh, *biases, nonlinearity="tanh", reverse=False,
                layout="pytorch"):
        T, B, _ = x.shape
        w_ih, w_hh, b_ih, b_hh = self._weights(w_ih, w_hh, biases, layout)
        H = w_hh.shape[0]
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        self.relu, self.reverse = nonlinearity == "relu", reverse
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
        return self._to_caller((_input_grad(self, dz_all, self.w_ih),
                                _state_grad(self, w_hh_t @ dz[0])) +
                               _param_grads(self, dz_all, hs[:T]))


class GRULayer(_TorchLayoutOp):
    _gates, _order = 3, GRU_FROM_KERAS

    def forward(self, x, h0, w_ih, w_hh, *biases, reverse=False, layout="pytorch"):
        T, B, _ = x.shape
        w_ih, w_hh, b_ih, b_hh = self._weights(w_ih, w_hh, biases, layout)
        H = w_hh.shape[1]
        H2 = 2 * H
        self.x, self.reverse = x, reverse
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
        self._w_aug = w_aug
        hs = np.ones((T + 1, H + 1, B), x.dtype)    # [h_{t-1}; 1]
        hs[0, :H] = h0.T
        rz, r, z, n = a[:, :H2], a[:, :H], a[:, H:H2], a[:, H2:]
        hrz, hn, h = hg[:, :H2], hg[:, H2:], hs[:, :H]
        self.hs = hs
        k = _gru_kernel("gates", x.dtype)
        if k is not None:
            self._recur_compiled(k, _gru_kernel("update", x.dtype))
            return _flip(h[1:], reverse).transpose(0, 2, 1)
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
        return _flip(h[1:], reverse).transpose(0, 2, 1)

    def _recur_compiled(self, gates, update):
        """The forward loop with the compiled steps (:mod:`deepgrad.kernels.gru`), the same
        values: 6 calls per step (GEMM, add, tanh, gates, tanh, update)."""
        a, hg, hs, w_aug = self.ws["a"], self.ws["hg"], self.hs, self._w_aug
        H = hs.shape[1] - 1
        steps = zip(hs, hg, a, a[:, :2 * H], hg[:, :2 * H], a[:, 2 * H:], hs[:, :H],
                    hs[1:, :H])
        for h_aug, hg_t, a_t, rz_t, hrz_t, n_t, h_prev, h_t in steps:
            np.matmul(w_aug, h_aug, out=hg_t)
            np.add(rz_t, hrz_t, out=rz_t)
            np.tanh(rz_t, out=rz_t)
            gates(a_t, hg_t)                        # [r, z] = (1 + tanh) / 2, n += r hn
            np.tanh(n_t, out=n_t)
            update(a_t, h_prev, h_t)                # h = n + (h_{t-1} - n) z

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

    def _through_time(self, dy, w_hh_t):
        """The NumPy loop t = T-1 .. 0: q_t = dh_t q (q from ``_factors``); returns q."""
        q = self._factors()
        T, H5, B = q.shape
        H = H5 // 5
        q5, dhg, dhz = q.reshape(T, 5, H, B), q[:, H:4 * H], q[:, 4 * H:]
        dh = np.empty((H, B), q.dtype)
        dh[...] = dy[T - 1]
        np.multiply(dh, q5[T - 1], out=q5[T - 1])
        steps = zip(dhg[:0:-1], dhz[:0:-1], dy[-2::-1], q5[-2::-1])      # t = T-2 .. 0
        for dhg_next, dhz_next, dy_t, q_t in steps:  # 4 NumPy calls per step
            np.matmul(w_hh_t, dhg_next, out=dh)
            np.add(dh, dhz_next, out=dh)             # + dh_{t+1} z_{t+1}
            np.add(dh, dy_t, out=dh)
            np.multiply(dh, q_t, out=q_t)
        return q

    def _through_time_compiled(self, dy, w_hh_t, step):
        """``_through_time`` with the compiled step (:mod:`deepgrad.kernels.gru`): the
        factors computed on the way (no ``_factors`` pass), 2 calls per step. dy (T, H, B)
        contiguous."""
        a, hg, hs, q = self.ws["a"], self.ws["hg"], self.hs, self.ws["q"]
        T, H = a.shape[0], hs.shape[1] - 1
        gh = np.empty((H, q.shape[2]), q.dtype)
        step(a[T - 1], hg[T - 1], hs[T - 1, :H], gh, gh, dy[T - 1], q[T - 1], True)
        for t in range(T - 2, -1, -1):
            np.matmul(w_hh_t, q[t + 1, H:4 * H], out=gh)
            step(a[t], hg[t], hs[t, :H], gh, q[t + 1, 4 * H:], dy[t], q[t], False)
        return q

    def backward(self, g):
        T, B, H = g.shape
        dy = _flip(g, self.reverse).transpose(0, 2, 1)         # dL/dh_t as (H, B) views
        w_hh_t = np.ascontiguousarray(self.w_hh.T)
        step = _gru_kernel("backward_step", g.dtype)
        if step is None:
            q = self._through_time(dy, w_hh_t)
        else:
            q = self._through_time_compiled(np.ascontiguousarray(dy), w_hh_t, step)
        dhg, dhz = q[:, H:4 * H], q[:, 4 * H:]
        e = _stack_steps(q[:, :4 * H], self.ws["e"])
        dxg, dhg_all = e[:3 * H], e[H:]              # gate orders [n, r, z] and [r, z, n]
        need = (None, None) + self._need()
        dw_ih = dw_hh = db_ih = db_hh = None
        if need[2]:
            dw_ih = _blocks(dxg @ _input_rows(self), _FROM_NRZ)
        if need[3] or need[5]:                      # [dW_hh | db_hh] = dhg [h_{t-1}; 1]^T
            dw_aug = dhg_all @ _rows_per_step(self.hs[:T], self.ws["h_rows"])
            dw_hh, db_hh = dw_aug[:, :H], dw_aug[:, H].copy()
        if need[4]:
            db_ih = _blocks(dxg.sum(axis=1), _FROM_NRZ)
        return self._to_caller((_input_grad(self, dxg, _blocks(self.w_ih, _TO_NRZ)),
                                _state_grad(self, w_hh_t @ dhg[0] + dhz[0]), dw_ih, dw_hh)
                               + ((db_ih, db_hh) if self.has_bias else ()))


def _gru_kernel(name, dtype):
    """The compiled step ``name`` of :mod:`deepgrad.kernels.gru`, or None (NumPy's calls)."""
    return kernels.get("gru", name) if dtype in kernels.FLOATS else None


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
    need = fn._need()
    back = (lambda w: w) if order is None else (lambda w: _blocks(w, order))
    dw_ih = back(dz @ _input_rows(fn)) if need[0] else None
    dw_hh = back(dz @ _rows_per_step(h_prev, fn.ws["h_rows"])) if need[1] else None
    if not fn.has_bias:
        return dw_ih, dw_hh
    db = back(dz.sum(axis=1)) if need[2] or need[3] else None
    return dw_ih, dw_hh, db, None if db is None else db.copy()


def _check_args(name, gates, x, states, w_ih, w_hh, b_ih, b_hh, ndim=3, layout="pytorch"):
    """The op's tensors [x, *states, w_ih, w_hh, *biases], every shape and dtype checked
    against the input; a state given as None becomes zeros (B, H)."""
    check_layout(name, layout)
    x, w_ih, w_hh = to_tensor(x), to_tensor(w_ih), to_tensor(w_hh)
    keras = layout == "keras"
    n_ih, n_hh = ("kernel", "recurrent_kernel") if keras else ("weight_ih", "weight_hh")
    shape = "(seq_len, batch, input_size)" if ndim == 3 else "(batch, input_size)"
    if x.ndim != ndim or x.shape[0] == 0:
        raise RuntimeError(f"{name}: expected a non-empty input of shape {shape}, received "
                           f"shape {tuple(x.shape)}")
    gh_hh, h_hh = (w_hh.shape[::-1] if keras else w_hh.shape) if w_hh.ndim == 2 else (0, -1)
    if gh_hh != gates * h_hh:
        want = f"(hidden_size, {gates} * hidden_size)" if keras else \
            f"({gates} * hidden_size, hidden_size)"
        raise RuntimeError(f"{name}: expected {n_hh} of shape {want}, received "
                           f"{tuple(w_hh.shape)}")
    H, B, I = h_hh, x.shape[-2], x.shape[-1]
    gh_ih, i_ih = (w_ih.shape[::-1] if keras else w_ih.shape) if w_ih.ndim == 2 else (0, 0)
    if gh_ih != gates * H:
        want = f"(input_size, {gates * H})" if keras else f"({gates * H}, input_size)"
        raise RuntimeError(f"{name}: expected {n_ih} of shape {want} for hidden_size {H}, "
                           f"received {tuple(w_ih.shape)}")
    if i_ih != I:
        raise RuntimeError(f"{name}: input of shape {tuple(x.shape)} does not match {n_ih} of "
                           f"shape {tuple(w_ih.shape)}: expected input_size {i_ih}, "
                           f"received {I}")
    if b_ih is None and b_hh is not None or b_hh is None and b_ih is not None and not keras:
        raise ValueError(f"{name}: give both bias_ih and bias_hh, or neither")
    biases = tuple(to_tensor(b) for b in (b_ih, b_hh) if b is not None)
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
    names += [n_ih, n_hh, "bias_ih", "bias_hh"]
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
              nonlinearity="tanh", reverse=False, layout="pytorch"):
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
        layout: 'pytorch' or 'keras' (kernel (I, H), recurrent kernel (H, H), one bias).
    Returns:
        (output (T, B, H), h_n (B, H)), h_n being the state after the last step processed.
    """
    _check_nonlinearity("rnn_layer", nonlinearity)
    args = _check_args("rnn_layer", 1, input, {"hx": hx}, weight_ih, weight_hh, bias_ih, bias_hh,
                       layout=layout)
    out = RNNLayer.apply(*args, nonlinearity=nonlinearity, reverse=reverse, layout=layout)
    return out, getitem(out, 0 if reverse else -1)


def lstm_layer(input, hx, cx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False,
               layout="pytorch"):
    """One LSTM layer over a whole sequence, PyTorch's gate order [i, f, g, o]:

        i, f, g, o = split(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)     (4 blocks of H)
        c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g),   h_t = sigmoid(o) tanh(c_t)

    The op (:class:`deepgrad.ops.rnn_lstm.LSTMLayer`) returns one packed (T+1, B, H) array
    [h_0 .. h_{T-1}, c_n], sliced here.

    NumPy calls per time step: forward 8 (one GEMM doing the input projection, the
    recurrence and the bias; one tanh for all four gates, 2 for sigmoid = (1 + tanh(z/2))
    / 2, the fused [i, f] * [g, c_{t-1}], add, tanh, multiply), backward 6 (one GEMM for
    dh and dx, add, 4 multiply/add); the derivative factors and the weight gradients are
    a fixed number of whole-sequence calls. With the compiled kernels
    (:mod:`deepgrad.kernels.lstm`): forward 5, backward 2 calls, the same results.

    Args:
        input: (T, B, I), time-major.
        hx, cx: initial states (B, H), or None for zeros.
        weight_ih: (4H, I).  weight_hh: (4H, H).  bias_ih, bias_hh: (4H,) or both None.
        reverse: run from t = T-1 down to 0; the output stays in the input's time order.
        layout: 'pytorch', or 'keras': weight_ih is Keras's kernel (I, 4H), weight_hh its
            recurrent kernel (H, 4H), gates [i, f, c, o] (c is g), bias_hh may be None.
    Returns:
        (output (T, B, H), h_n (B, H), c_n (B, H)).
    """
    args = _check_args("lstm_layer", 4, input, {"hx": hx, "cx": cx}, weight_ih, weight_hh,
                       bias_ih, bias_hh, layout=layout)
    packed = LSTMLayer.apply(*args, reverse=reverse, layout=layout)
    T = packed.shape[0] - 1
    last = 0 if reverse else T - 1
    return (Unpack.apply(packed, index=slice(0, T)), Unpack.apply(packed, index=last),
            Unpack.apply(packed, index=T))


def gru_layer(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False,
              layout="pytorch"):
    """One GRU layer over a whole sequence, PyTorch's gate order [r, z, n] and formula:

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}

    NumPy calls per time step: forward 11 (GEMM with b_hh folded in, 4 for r and z, 3 for
    n, 3 for h_t), backward 4 (GEMM, 2 adds, one multiply giving all gate gradients).
    With the compiled kernels (:mod:`deepgrad.kernels.gru`): forward 6, backward 2 calls
    and no whole-sequence factor pass, the same results.

    Args:
        input: (T, B, I), time-major.
        hx: initial state (B, H), or None for zeros.
        weight_ih: (3H, I).  weight_hh: (3H, H).  bias_ih, bias_hh: (3H,) or both None.
        reverse: run from t = T-1 down to 0; the output stays in the input's time order.
        layout: 'pytorch', or 'keras': kernel (I, 3H), recurrent kernel (H, 3H), gates
            [z, r, h] (h is n), bias_ih Keras's input bias and bias_hh its recurrent bias
            (the rows of Keras's (2, 3H) bias with reset_after=True), or bias_hh None (0).
    Returns:
        (output (T, B, H), h_n (B, H)).
    """
    args = _check_args("gru_layer", 3, input, {"hx": hx}, weight_ih, weight_hh, bias_ih, bias_hh,
                       layout=layout)
    out = GRULayer.apply(*args, reverse=reverse, layout=layout)
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
    return Unpack.apply(packed, index=0), Unpack.apply(packed, index=1)


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
