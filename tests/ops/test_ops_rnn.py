"""Recurrent ops: forward vs a per-step NumPy reference, float64 gradcheck of every input
(weights included), PyTorch parity, and the properties the fused backward relies on."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.ops._workspace import _Workspaces
from op_harness import check_op, uniform

T, B, I, H = 3, 2, 3, 4
SMALL = uniform(-1.0, 1.0)


# ------------------------------------------------------------------ NumPy references
def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def ref_rnn(x, h, wi, wh, bi=0.0, bh=0.0, act=np.tanh):
    out = []
    for xt in x:
        h = act(xt @ wi.T + bi + h @ wh.T + bh)
        out.append(h)
    return np.stack(out), h


def ref_lstm(x, h, c, wi, wh, bi=0.0, bh=0.0):
    out = []
    for xt in x:
        i, f, g, o = np.split(xt @ wi.T + bi + h @ wh.T + bh, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        out.append(h)
    return np.stack(out), h, c


def ref_gru(x, h, wi, wh, bi=0.0, bh=0.0):
    out = []
    for xt in x:
        xr, xz, xn = np.split(xt @ wi.T + bi, 3, axis=-1)
        hr, hz, hn = np.split(h @ wh.T + bh, 3, axis=-1)
        r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
        h = (1 - z) * np.tanh(xn + r * hn) + z * h
        out.append(h)
    return np.stack(out), h


def reversed_ref(ref):
    """The reverse direction is the forward recurrence on the time-flipped input."""
    def run(x, *args):
        out, *finals = ref(x[::-1], *args)
        return (out[::-1], *finals)
    return run


def relu(v):
    return np.maximum(v, 0)


def shapes(gates, batch=B, steps=T, states=1, bias=True):
    return ((steps, batch, I),) + ((batch, H),) * states + (
        (gates * H, I), (gates * H, H)) + (((gates * H,), (gates * H,)) if bias else ())


# ------------------------------------------------------------------ torch equivalents
def torch_layer(name, reverse=False, states=1):
    """torch.lstm / torch.gru / torch.rnn_tanh on one layer, as (output, h_n[, c_n])."""
    torch = pytest.importorskip("torch")
    fn = getattr(torch, name)

    def run(x, *args):
        hx, weights = args[:states], list(args[states:])
        x = x.flip(0) if reverse else x
        hx = tuple(h[None] for h in hx)
        res = fn(x, hx if states == 2 else hx[0], weights, len(weights) == 4, 1, 0.0, False,
                 False, False)
        out, *finals = res
        return ((out.flip(0) if reverse else out),) + tuple(f[0] for f in finals)
    return run


# ------------------------------------------------------------------ layer ops
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("batch, steps", [(B, T), (1, T), (B, 1)], ids=["B2T3", "B1", "T1"])
def test_lstm_layer(reverse, batch, steps):
    ref = reversed_ref(ref_lstm) if reverse else ref_lstm
    check_op(lambda *a: ops.lstm_layer(*a, reverse=reverse), ref,
             [shapes(4, batch, steps, states=2)], make=SMALL,
             torch_fn=torch_layer("lstm", reverse, states=2))


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("batch, steps", [(B, T), (1, T), (B, 1)], ids=["B2T3", "B1", "T1"])
def test_gru_layer(reverse, batch, steps):
    ref = reversed_ref(ref_gru) if reverse else ref_gru
    check_op(lambda *a: ops.gru_layer(*a, reverse=reverse), ref, [shapes(3, batch, steps)],
             make=SMALL, torch_fn=torch_layer("gru", reverse))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_rnn_layer(nonlinearity, reverse):
    act = np.tanh if nonlinearity == "tanh" else relu
    ref = (lambda x, h, *w: ref_rnn(x, h, *w, act=act))
    check_op(lambda *a: ops.rnn_layer(*a, nonlinearity=nonlinearity, reverse=reverse),
             reversed_ref(ref) if reverse else ref, [shapes(1), shapes(1, batch=1)], make=SMALL,
             torch_fn=torch_layer(f"rnn_{nonlinearity}", reverse))


@pytest.mark.parametrize("op, gates, ref, states", [
    (ops.rnn_layer, 1, ref_rnn, 1), (ops.lstm_layer, 4, ref_lstm, 2),
    (ops.gru_layer, 3, ref_gru, 1)], ids=["rnn", "lstm", "gru"])
def test_layer_without_bias_and_with_zero_initial_states(op, gates, ref, states):
    check_op(lambda x, *a: op(x, *([None] * states), *a), lambda x, *a: ref(
        x, *([np.zeros((B, H))] * states), *a), [((T, B, I), (gates * H, I), (gates * H, H))],
        make=SMALL)


# ------------------------------------------------------------------ cells
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell(nonlinearity):
    torch = pytest.importorskip("torch")
    act = np.tanh if nonlinearity == "tanh" else relu
    check_op(lambda *a: ops.rnn_cell(*a, nonlinearity=nonlinearity),
             lambda x, h, *w: ref_rnn(x[None], h, *w, act=act)[1], [((B, I),) + shapes(1)[1:]],
             make=SMALL, torch_fn=getattr(torch, f"rnn_{nonlinearity}_cell"))


def test_lstm_cell():
    torch = pytest.importorskip("torch")
    check_op(ops.lstm_cell, lambda x, h, c, *w: ref_lstm(x[None], h, c, *w)[1:],
             [((B, I),) + shapes(4, states=2)[1:], ((1, I),) + shapes(4, batch=1, states=2)[1:]],
             make=SMALL, torch_fn=lambda x, h, c, *w: torch.lstm_cell(x, (h, c), *w))


def test_gru_cell():
    torch = pytest.importorskip("torch")
    check_op(ops.gru_cell, lambda x, h, *w: ref_gru(x[None], h, *w)[1],
             [((B, I),) + shapes(3)[1:]], make=SMALL, torch_fn=torch.gru_cell)


# ------------------------------------------------------------------ fused backward properties
def _lstm_inputs(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [dg.Tensor(rng.uniform(-1, 1, s).astype(dtype), requires_grad=True)
            for s in shapes(4, states=2)]


def _grads(inputs, retain=False, twice=False):
    out, h, c = ops.lstm_layer(*inputs)
    loss = (out * out).sum() + (h * c).sum()
    loss.backward(retain_graph=retain or twice)
    if twice:
        loss.backward()
    return [x.grad.numpy().copy() for x in inputs]


def test_lstm_backward_twice_with_retain_graph_accumulates_the_same_gradients():
    once = _grads(_lstm_inputs(0))
    twice = _grads(_lstm_inputs(0), twice=True)
    for a, b in zip(once, twice):
        np.testing.assert_allclose(b, 2 * a, rtol=1e-12, atol=1e-14)


def test_recycled_work_buffers_do_not_leak_between_calls():
    # the second call of the same size reuses the first call's workspace
    first = _grads(_lstm_inputs(1))
    _grads(_lstm_inputs(2))
    again = _grads(_lstm_inputs(1))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_float32_stays_float32_and_matches_float64():
    x32, x64 = _lstm_inputs(3, np.float32), _lstm_inputs(3)
    for a, b in zip(ops.lstm_layer(*x32), ops.lstm_layer(*x64)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ errors
def test_errors_name_the_op_and_the_shapes():
    x, h, c, wi, wh, bi, bh = _lstm_inputs(4)
    with pytest.raises(RuntimeError, match=r"lstm_layer: input of shape \(3, 2, 5\) does not "
                                           r"match weight_ih of shape \(16, 3\): expected "
                                           r"input_size 3, received 5"):
        ops.lstm_layer(dg.randn(3, 2, 5, dtype=dg.float64), h, c, wi, wh, bi, bh)
    with pytest.raises(RuntimeError, match=r"lstm_layer: expected a non-empty input of shape "
                                           r"\(seq_len, batch, input_size\), received shape "
                                           r"\(2, 3\)"):
        ops.lstm_layer(dg.randn(2, 3, dtype=dg.float64), h, c, wi, wh, bi, bh)
    with pytest.raises(RuntimeError,
                       match=r"lstm_layer: expected cx of shape \(2, 4\).*received \(3, 4\)"):
        ops.lstm_layer(x, h, dg.zeros(3, 4, dtype=dg.float64), wi, wh, bi, bh)
    with pytest.raises(RuntimeError, match=r"gru_layer: expected weight_hh of shape \(3 \* hidden"):
        ops.gru_layer(x, None, wi, wh)
    with pytest.raises(TypeError, match=r"lstm_layer: weight_ih has dtype float32 but input has "
                                        r"dtype float64"):
        ops.lstm_layer(x, h, c, wi.float(), wh, bi, bh)
    with pytest.raises(ValueError, match=r"rnn_layer: nonlinearity must be 'tanh' or 'relu', "
                                         r"received 'sigmoid'"):
        ops.rnn_layer(x, None, dg.zeros(4, 3), dg.zeros(4, 4), nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="lstm_layer: give both bias_ih and bias_hh"):
        ops.lstm_layer(x, h, c, wi, wh, bi)


def test_workspace_pool_keeps_the_most_recent_blocks_within_its_limit():
    pool = _Workspaces(limit=3 * 400)
    blocks = [np.empty(100, np.float32) for _ in range(4)]      # 400 bytes each
    for b in blocks:
        pool.give(b)
    assert pool.kept == 1200                                    # the oldest was dropped
    assert pool.take(100, np.float32) is blocks[3]
    assert pool.take(100, np.float64) is not blocks[2]          # other dtype: a new array
    assert pool.take(100, np.float32) is blocks[2] and pool.take(100, np.float32) is blocks[1]
    assert pool.kept == 0 and pool.take(100, np.float32) is not blocks[0]
