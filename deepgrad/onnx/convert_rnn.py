"""Recurrent layers -> ONNX RNN / LSTM / GRU (one op per layer and direction).

deepgrad's fused ops (:mod:`deepgrad.ops.rnn`) and ONNX's recurrent operators compute the
same recurrences on the same time-major layout (T, B, I); they differ in gate order:

    LSTM   deepgrad/PyTorch [i, f, g, o]    ONNX [i, o, f, c]   (c is g)
    GRU    deepgrad/PyTorch [r, z, n]       ONNX [z, r, h]      (h is n), and
           PyTorch's n = tanh(W_in x + b_in + r (W_hn h + b_hn)) is ONNX's
           linear_before_reset=1

so the weights (constants) are stored with their gate blocks reordered, each with a
leading num_directions axis of 1: W (1, G H, I), R (1, G H, H), B (1, 2 G H) = [b_ih; b_hh].
An op called with Keras's weights (``layout="keras"``: kernels (in, G H), Keras's gate
order, one bias or two) has them brought to PyTorch's layout first
(:mod:`deepgrad.ops.rnn_layout`); a single bias is b_ih with b_hh = 0.
An all-zero initial state (the default) is left out (ONNX's default is zeros), so it
follows a dynamic batch size. ``reverse`` is ONNX's direction="reverse"; both keep the
outputs in input time order. Outputs are put back in the op's form: the LSTM op returns
[h_0 .. h_{T-1}, c_{T-1}] stacked (T+1, B, H), i.e. Concat(Y[:, 0], Y_c).
"""
import numpy as np

from deepgrad.ops import rnn as RN
from deepgrad.ops.rnn_layout import GRU_FROM_KERAS, bias_to_pytorch, to_pytorch
from deepgrad.onnx.convert_shape import getitem
from deepgrad.onnx.registry import converts
from deepgrad.ops.rnn_lstm import Unpack

_LSTM_ORDER = (0, 3, 1, 2)      # [i, f, g, o] -> [i, o, f, g]
_GRU_ORDER = (1, 0, 2)          # [r, z, n] -> [z, r, n]


def _blocks(w, order):
    g = len(order)
    return w.reshape((g, -1) + w.shape[1:])[list(order)].reshape(w.shape)


def _weights(ctx, node, first, order, hint):
    """W, R, B (names) from the op's inputs ``first``.. (w_ih, w_hh, b_ih?, b_hh?)."""
    n_in = len(node.inputs)
    gates = len(order)
    layout = node.params.get("layout", "pytorch")
    keras_order = GRU_FROM_KERAS if hint == "gru" else None

    def as_pytorch(w):
        return to_pytorch(w, gates, layout, keras_order)
    w_ih = as_pytorch(ctx.const_value(node, first, "the input weights"))
    w_hh = as_pytorch(ctx.const_value(node, first + 1, "the recurrent weights"))
    g = ctx.g
    W = g.const(_blocks(w_ih, order)[None], hint + "_W")
    R = g.const(_blocks(w_hh, order)[None], hint + "_R")
    if n_in < first + 3:
        return W, R, ""
    b_ih = bias_to_pytorch(ctx.const_value(node, first + 2, "the input bias"), gates, layout,
                           keras_order)
    b_hh = np.zeros_like(b_ih) if n_in < first + 4 else bias_to_pytorch(
        ctx.const_value(node, first + 3, "the recurrent bias"), gates, layout, keras_order)
    B = g.const(np.concatenate([_blocks(b_ih, order), _blocks(b_hh, order)])[None], hint + "_B")
    return W, R, B


def _state(ctx, node, i):
    """'' for an all-zero constant initial state, else the state with a leading axis 1."""
    t = node.inputs[i]
    if not ctx.depends(t) and not np.any(t.array):
        return ""
    return ctx.g.unsqueeze(ctx.input(node, i), [0])


def _hidden(node):
    return int(node.inputs[1].shape[-1])


def _direction(node):
    return "reverse" if node.params.get("reverse", False) else "forward"


@converts(RN.RNNLayer)
def rnn(ctx, node):
    W, R, B = _weights(ctx, node, 2, (0,), "rnn")
    act = "Relu" if node.params.get("nonlinearity", "tanh") == "relu" else "Tanh"
    g = ctx.g
    y, _ = g.op("RNN", [ctx.input(node, 0), W, R, B, "", _state(ctx, node, 1)], n_out=2,
                hidden_size=_hidden(node), activations=[act], direction=_direction(node))
    return g.squeeze(y, [1])


@converts(RN.LSTMLayer)
def lstm(ctx, node):
    W, R, B = _weights(ctx, node, 3, _LSTM_ORDER, "lstm")
    g = ctx.g
    y, _, c = g.op("LSTM", [ctx.input(node, 0), W, R, B, "", _state(ctx, node, 1),
                            _state(ctx, node, 2)], n_out=3, hidden_size=_hidden(node),
                   direction=_direction(node))
    return g.op("Concat", [g.squeeze(y, [1]), c], axis=0)


@converts(RN.GRULayer)
def gru(ctx, node):
    W, R, B = _weights(ctx, node, 2, _GRU_ORDER, "gru")
    g = ctx.g
    y, _ = g.op("GRU", [ctx.input(node, 0), W, R, B, "", _state(ctx, node, 1)], n_out=2,
                hidden_size=_hidden(node), linear_before_reset=1, direction=_direction(node))
    return g.squeeze(y, [1])


converts(Unpack, checks=("index",))(getitem)     # the LSTM's packed output, sliced as getitem
