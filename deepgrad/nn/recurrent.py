"""Recurrent layers (PyTorch's ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their cells).

Seed 004: h_t = tanh(W x_t + U h_{t-1} + b), and the LSTM's gated version. The math and
its backward through time live in :mod:`deepgrad.ops.rnn` (one fused op per layer and
direction); these modules own the parameters, stack layers and directions, and check
their inputs.

Parameters are PyTorch's, by name and shape, so ``load_state_dict(torch_layer.state_dict())``
works: ``weight_ih_l{k}`` (G*H, in), ``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}``,
``bias_hh_l{k}`` (G*H,), with ``_reverse`` for the backward direction, G = 1 (RNN),
4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n). Init: U(-1/sqrt(H), 1/sqrt(H)).
"""
import math
import warnings

import numpy as np

from deepgrad import backend, ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from deepgrad.autograd.function import to_tensor
from deepgrad.ops import rnn as F


def _shape(t):
    return tuple(t.shape)


def _check_size(cls, name, value, minimum=1):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{cls}: {name} must be an int >= {minimum}, received {value!r}")
    return int(value)


def _make_weights(module, suffix, gates, input_size, hidden_size, bias, dtype):
    """Register weight_ih{suffix}, weight_hh{suffix} (and the biases); return their names."""
    shapes = {"weight_ih": (gates * hidden_size, input_size),
              "weight_hh": (gates * hidden_size, hidden_size)}
    if bias:
        shapes.update(bias_ih=(gates * hidden_size,), bias_hh=(gates * hidden_size,))
    names = []
    for name, shape in shapes.items():
        setattr(module, name + suffix, Parameter(np.empty(shape, dtype)))
        names.append(name + suffix)
    return names


def _reset(module):
    """PyTorch's init for every recurrent weight and bias: U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0.0
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


def _segments(batch_sizes):
    """[(t0, t1, n)]: the runs of time steps during which the same n sequences run."""
    starts = [0] + list(np.flatnonzero(np.diff(batch_sizes)) + 1)
    ends = starts[1:] + [len(batch_sizes)]
    return [(int(t0), int(t1), int(batch_sizes[t0])) for t0, t1 in zip(starts, ends)]


def _rows(s, start, stop):
    return ops.getitem(s, slice(start, stop))


def _steps(x, t0, t1, n):
    return ops.getitem(x, (slice(t0, t1), slice(0, n)))


def _pad_rows(out, batch):
    """(T, n, H) -> (T, batch, H) with zero rows for the sequences that have stopped."""
    T, n, H = out.shape
    if n == batch:
        return out
    return ops.cat([out, Tensor(np.zeros((T, batch - n, H), out.dtype))], dim=1)


def _check_dtype(cls, x, like):
    if x.dtype != like.dtype:
        raise TypeError(f"{cls}: input has dtype {x.dtype} but the parameters are {like.dtype}; "
                        f"cast the input (.float() / .double()) or the layer")


class RNNBase(Module):
    """Shared by RNN, LSTM and GRU: parameters per layer and direction, the checks and the
    loop over layers (one fused op per layer and direction).

    Args:
        input_size (int): features of x_t.
        hidden_size (int): features of h_t (H).
        num_layers (int): stacked layers; layer k > 0 reads layer k-1's output.
        bias (bool): learn b_ih and b_hh.
        batch_first (bool): input and output are (B, T, *) instead of (T, B, *).
        dropout (float): dropout on each layer's output except the last, in training.
        bidirectional (bool): add a layer running backward in time; outputs are
            concatenated to 2H features.
    Shape:
        input (T, B, I), (B, T, I) when batch_first, or (T, I) unbatched.
        h_0, h_n: (num_layers * num_directions, B, H), (num_layers * num_directions, H)
        unbatched. output: (T, B, num_directions * H) (batch_first: (B, T, D*H)).
    """

    _gates = 1
    _state_names = ("h_0",)

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        cls = type(self).__name__
        self.input_size = _check_size(cls, "input_size", input_size, 0)
        self.hidden_size = _check_size(cls, "hidden_size", hidden_size)
        self.num_layers = _check_size(cls, "num_layers", num_layers)
        if isinstance(dropout, bool) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{cls}: dropout should be a number in [0, 1], received {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{cls}: dropout={dropout} and num_layers=1; dropout acts between "
                          f"layers, so it has no effect here")
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        directions = 2 if bidirectional else 1
        self._weight_names = []         # per (layer, direction): the parameter names
        for layer in range(num_layers):
            size = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                self._weight_names.append(_make_weights(
                    self, f"_l{layer}{suffix}", self._gates, size, hidden_size, bias, dtype))
        self.reset_parameters()

    def reset_parameters(self):
        _reset(self)

    def flatten_parameters(self):
        """No-op (PyTorch compacts cuDNN weights here)."""

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._weight_names]

    # ------------------------------------------------------------------ checks
    def _check_input(self, x):
        """The input as a time-major (T, B, I) tensor, and whether it was batched."""
        cls = type(self).__name__
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in (2, 3):
            layout = "(batch, seq_len" if self.batch_first else "(seq_len, batch"
            raise ValueError(f"{cls}: expected input of 2 dimensions (seq_len, input_size) or "
                             f"3 dimensions {layout}, input_size), received shape {_shape(x)}")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{cls}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, received {x.shape[-1]} (input shape "
                               f"{_shape(x)})")
        _check_dtype(cls, x, self.weight_ih_l0)
        if x.ndim == 2:
            return ops.unsqueeze(x, 1), False
        return (ops.transpose(x, 0, 1) if self.batch_first else x), True

    def _check_hidden(self, hx, batch, batched):
        """The initial states as tensors (L*D, B, H) (None: zeros), one per state name."""
        cls, names = type(self).__name__, self._state_names
        if hx is None:
            return (None,) * len(names)
        hx = (hx,) if len(names) == 1 else hx
        if not isinstance(hx, (tuple, list)) or len(hx) != len(names):
            raise TypeError(f"{cls}: expected hx as a tuple {names}, received {type(hx).__name__}")
        expected = (self.num_layers * (2 if self.bidirectional else 1),) + (
            (batch,) if batched else ()) + (self.hidden_size,)
        states = []
        for name, h in zip(names, hx):
            h = h if isinstance(h, Tensor) else Tensor(h)
            if _shape(h) != expected:
                raise RuntimeError(f"{cls}: expected {name} of shape {expected}, received "
                                   f"{_shape(h)}")
            _check_dtype(cls, h, self.weight_ih_l0)
            states.append(h if batched else ops.unsqueeze(h, 1))
        return tuple(states)

    # ------------------------------------------------------------------ forward
    def _layer(self, x, states, weights, reverse):
        """One layer and direction: (output (T, B, H), final states tuple)."""
        raise NotImplementedError

    def forward(self, input, hx=None):
        """Run the stack over ``input`` (a tensor, or a PackedSequence of variable-length
        sequences: then the output is a PackedSequence and each final state is taken at
        its sequence's own last step, in the original batch order)."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        x, batched = self._check_input(input)
        init_states = self._check_hidden(hx, x.shape[1], batched)
        x, h_n = self._run_layers(x, init_states, self._layer)
        if not batched:
            x, h_n = ops.squeeze(x, 1), tuple(ops.squeeze(h, 1) for h in h_n)
        elif self.batch_first:
            x = ops.transpose(x, 0, 1)
        return x, (h_n[0] if len(h_n) == 1 else h_n)

    def _run_layers(self, x, init_states, run):
        """x (T, B, I) through every layer and direction with ``run`` (the layer op);
        returns (output (T, B, D*H), final states stacked (L*D, B, H) per state name)."""
        directions = 2 if self.bidirectional else 1
        finals = [[] for _ in init_states]
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                states = tuple(None if s is None else s[k] for s in init_states)
                weights = [getattr(self, n) for n in self._weight_names[k]]
                out, last = run(x, states, weights, reverse=d == 1)
                outs.append(out)
                for acc, s in zip(finals, last):
                    acc.append(s)
            x = outs[0] if directions == 1 else ops.cat(outs, dim=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = ops.dropout(x, self.dropout)
        return x, tuple(ops.stack(f, 0) for f in finals)

    # ------------------------------------------------------------------ packed input
    def _forward_packed(self, packed, hx):
        cls = type(self).__name__
        data = to_tensor(packed.data)
        if data.ndim != 2 or data.shape[-1] != self.input_size:
            raise RuntimeError(f"{cls}: expected PackedSequence data of shape (sum of lengths, "
                               f"{self.input_size}), received {_shape(data)}")
        _check_dtype(cls, data, self.weight_ih_l0)
        batch_sizes = to_tensor(packed.batch_sizes).array
        x, _ = pad_packed_sequence(PackedSequence(data, packed.batch_sizes))   # sorted order
        init_states = self._check_hidden(hx, x.shape[1], True)
        if packed.sorted_indices is not None:
            order = to_tensor(packed.sorted_indices).array
            init_states = tuple(None if s is None else ops.getitem(s, (slice(None), order))
                                for s in init_states)
        segments = _segments(batch_sizes)

        def run(x, states, weights, reverse):
            fn = self._packed_backward if reverse else self._packed_forward
            return fn(x, states, weights, segments)
        x, h_n = self._run_layers(x, init_states, run)
        lengths = (batch_sizes[None, :] > np.arange(x.shape[1])[:, None]).sum(axis=1)
        out = pack_padded_sequence(x, lengths).data
        if packed.unsorted_indices is not None:
            order = to_tensor(packed.unsorted_indices).array
            h_n = tuple(ops.getitem(h, (slice(None), order)) for h in h_n)
        return (PackedSequence(out, packed.batch_sizes, packed.sorted_indices,
                               packed.unsorted_indices), h_n[0] if len(h_n) == 1 else h_n)

    def _packed_forward(self, x, states, weights, segments):
        """One layer forward in time over a sorted padded batch: each run of steps with the
        same n running sequences is one fused op on those n rows; a sequence's final state
        is its state when it stops."""
        B, outs, done, state = x.shape[1], [], [], states
        for j, (t0, t1, n) in enumerate(segments):
            st = tuple(None if s is None else _rows(s, 0, n) for s in state)
            out, state = self._layer(_steps(x, t0, t1, n), st, weights, reverse=False)
            outs.append(_pad_rows(out, B))
            n_next = segments[j + 1][2] if j + 1 < len(segments) else 0
            done.append(tuple(_rows(s, n_next, n) for s in state))     # rows that stop here
        finals = tuple(ops.cat([d[i] for d in reversed(done)]) for i in range(len(states)))
        return ops.cat(outs), finals

    def _packed_backward(self, x, states, weights, segments):
        """One layer backward in time: a sequence starts (from its initial state) at its own
        last step, joining the rows already running."""
        B, H, outs, state = x.shape[1], self.hidden_size, [None] * len(segments), None
        for j in reversed(range(len(segments))):
            t0, t1, n = segments[j]
            if state is None:
                st = tuple(None if s is None else _rows(s, 0, n) for s in states)
            else:
                m = segments[j + 1][2]
                st = tuple(ops.cat([p, _rows(s, m, n) if s is not None else
                                    Tensor(np.zeros((n - m, H), x.dtype))])
                           for p, s in zip(state, states))
            out, state = self._layer(_steps(x, t0, t1, n), st, weights, reverse=True)
            outs[j] = _pad_rows(out, B)
        return ops.cat(outs), state

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                              ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s


class RNN(RNNBase):
    """Elman RNN, h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (seed 004), stacked.

    Args: as :class:`RNNBase`, plus ``nonlinearity`` ('tanh' or 'relu'), in PyTorch's
    argument order ``RNN(input_size, hidden_size, num_layers, nonlinearity, bias, ...)``.
    Returns (forward): (output, h_n).

    Example:
        >>> rnn = nn.RNN(8, 16, num_layers=2, batch_first=True)
        >>> out, h_n = rnn(deepgrad.randn(4, 10, 8))      # (4, 10, 16), (2, 4, 16)
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        F._check_nonlinearity("RNN", nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)
        self.nonlinearity = nonlinearity

    def _layer(self, x, states, weights, reverse):
        out, h = F.rnn_layer(x, states[0], *weights, nonlinearity=self.nonlinearity,
                             reverse=reverse)
        return out, (h,)

    def extra_repr(self):
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity!r}" if self.nonlinearity != "tanh" else "")


class LSTM(RNNBase):
    """Long short-term memory, stacked (PyTorch's gate order i, f, g, o):

        c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g),   h_t = sigmoid(o) tanh(c_t)

    Args: as :class:`RNNBase`. ``forward(input, (h_0, c_0))`` returns
    ``(output, (h_n, c_n))``; h_0, c_0, h_n, c_n: (num_layers * num_directions, B, H).

    Example:
        >>> lstm = nn.LSTM(8, 50, num_layers=3, batch_first=True)
        >>> out, (h_n, c_n) = lstm(deepgrad.randn(32, 50, 8))   # (32, 50, 50), (3, 32, 50)
    """

    _gates = 4
    _state_names = ("h_0", "c_0")

    def _layer(self, x, states, weights, reverse):
        out, h, c = F.lstm_layer(x, states[0], states[1], *weights, reverse=reverse)
        return out, (h, c)


class GRU(RNNBase):
    """Gated recurrent unit, stacked (PyTorch's gate order r, z, n and formula):

        n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn)),  h_t = (1 - z) n + z h_{t-1}

    Args: as :class:`RNNBase`. Returns (forward): (output, h_n).
    """

    _gates = 3

    def _layer(self, x, states, weights, reverse):
        out, h = F.gru_layer(x, states[0], *weights, reverse=reverse)
        return out, (h,)


class RNNCellBase(Module):
    """One time step; parameters weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh.

    Shape: input (B, I) or (I,) unbatched; states (B, H) or (H,).
    """

    _gates = 1
    _state_names = ("h",)

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        cls = type(self).__name__
        self.input_size = _check_size(cls, "input_size", input_size, 0)
        self.hidden_size = _check_size(cls, "hidden_size", hidden_size)
        self.bias = bool(bias)
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        self._names = _make_weights(self, "", self._gates, input_size, hidden_size, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset(self)

    def _check(self, input, hx):
        """(input (B, I), states tuple of (B, H) or None, batched)."""
        cls = type(self).__name__
        x = input if isinstance(input, Tensor) else Tensor(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise RuntimeError(f"{cls}: expected input of shape (batch, {self.input_size}) or "
                               f"({self.input_size},), received {_shape(x)}")
        _check_dtype(cls, x, self.weight_ih)
        batched = x.ndim == 2
        expected = ((x.shape[0],) if batched else ()) + (self.hidden_size,)
        names = self._state_names
        hx = (None,) * len(names) if hx is None else ((hx,) if len(names) == 1 else tuple(hx))
        if len(hx) != len(names):
            raise TypeError(f"{cls}: expected hx as a tuple {names}, received {len(hx)} tensors")
        states = []
        for name, h in zip(names, hx):
            if h is not None:
                h = h if isinstance(h, Tensor) else Tensor(h)
                if _shape(h) != expected:
                    raise RuntimeError(f"{cls}: expected {name} of shape {expected}, received "
                                       f"{_shape(h)}")
                _check_dtype(cls, h, self.weight_ih)
                h = h if batched else ops.unsqueeze(h, 0)
            states.append(h)
        return (x if batched else ops.unsqueeze(x, 0)), tuple(states), batched

    def _weights(self):
        return [getattr(self, n) for n in self._names]

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


def _unbatch(t, batched):
    return t if batched else ops.squeeze(t, 0)


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu).  forward(input, hx=None) -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        F._check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._check(input, hx)
        return _unbatch(F.rnn_cell(x, h, *self._weights(), nonlinearity=self.nonlinearity),
                        batched)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o).  forward(input, (h, c)=None) -> (h', c')."""

    _gates = 4
    _state_names = ("h", "c")

    def forward(self, input, hx=None):
        x, (h, c), batched = self._check(input, hx)
        h, c = F.lstm_cell(x, h, c, *self._weights())
        return _unbatch(h, batched), _unbatch(c, batched)


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n).  forward(input, hx=None) -> h'."""

    _gates = 3

    def forward(self, input, hx=None):
        x, (h,), batched = self._check(input, hx)
        return _unbatch(F.gru_cell(x, h, *self._weights()), batched)
