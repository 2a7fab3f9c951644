"""The recurrent ops' Keras weight layout (kernel (I, G*H), recurrent kernel (H, G*H), Keras's
gate order, one bias or two) against the same weights in PyTorch's layout, the LSTM on the
benchmark's shapes (one thread vs two, bit for bit), and the gradient layouts the LSTM op
accepts."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import check_gradients
from threads import threads as use_threads

T, B, I, H = 4, 3, 5, 6
ORDER = {"rnn": [0], "lstm": [0, 1, 2, 3], "gru": [1, 0, 2]}   # Keras's blocks, PyTorch's order
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
OPS = {"rnn": ops.rnn_layer, "lstm": ops.lstm_layer, "gru": ops.gru_layer}
STATES = {"rnn": 1, "lstm": 2, "gru": 1}


def _keras(w, gates, order):
    """A PyTorch (G*H, in) weight as Keras's (in, G*H) kernel in Keras's gate order."""
    return np.ascontiguousarray(w.reshape(gates, -1, w.shape[1])[order].reshape(w.shape).T)


def _keras_bias(b, gates, order):
    return b.reshape(gates, -1)[order].reshape(-1)


def _weights(name, rng, dtype=np.float64):
    G = GATES[name]
    shapes = [(G * H, I), (G * H, H), (G * H,), (G * H,)]
    return [rng.uniform(-0.5, 0.5, s).astype(dtype) for s in shapes]


def _run(name, x, states, weights, layout, reverse=False):
    out = OPS[name](dg.Tensor(x, requires_grad=True), *states, *weights, reverse=reverse,
                    layout=layout)
    return out


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_keras_layout_matches_pytorch_layout_forward_and_gradients(name, reverse):
    rng = np.random.default_rng(0)
    G, order = GATES[name], ORDER[name]
    x = rng.standard_normal((T, B, I))
    states = [rng.standard_normal((B, H)) for _ in range(STATES[name])]
    w_ih, w_hh, b_ih, b_hh = _weights(name, rng)
    torch_w = [dg.Tensor(a, requires_grad=True) for a in (w_ih, w_hh, b_ih, b_hh)]
    if name == "gru":           # Keras's GRU keeps both biases (reset_after=True)
        keras_arrays = [_keras(w_ih, G, order), _keras(w_hh, G, order),
                        _keras_bias(b_ih, G, order), _keras_bias(b_hh, G, order)]
    else:                       # one bias: b_ih + b_hh
        keras_arrays = [_keras(w_ih, G, order), _keras(w_hh, G, order),
                        _keras_bias(b_ih + b_hh, G, order), None]
    keras_w = [None if a is None else dg.Tensor(a, requires_grad=True) for a in keras_arrays]
    xs_t = [dg.Tensor(x, requires_grad=True) for _ in range(2)]
    st = [[dg.Tensor(s, requires_grad=True) for s in states] for _ in range(2)]
    out_t = OPS[name](xs_t[0], *st[0], *torch_w, reverse=reverse)
    out_k = OPS[name](xs_t[1], *st[1], *keras_w, reverse=reverse, layout="keras")
    v = [rng.standard_normal(o.shape) for o in out_t]
    loss_t = sum((o * dg.Tensor(c)).sum() for o, c in zip(out_t, v))
    loss_k = sum((o * dg.Tensor(c)).sum() for o, c in zip(out_k, v))
    for a, b in zip(out_t, out_k):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12, atol=1e-12)
    loss_t.backward()
    loss_k.backward()
    for a, b in zip([xs_t[0]] + st[0], [xs_t[1]] + st[1]):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-10, atol=1e-12)
    for k in range(2):              # kernels: the PyTorch gradient in Keras's layout
        np.testing.assert_allclose(keras_w[k].grad.numpy(),
                                   _keras(torch_w[k].grad.numpy(), G, order), rtol=1e-10,
                                   atol=1e-12)
    if name == "gru":
        for k in (2, 3):
            np.testing.assert_allclose(keras_w[k].grad.numpy(),
                                       _keras_bias(torch_w[k].grad.numpy(), G, order),
                                       rtol=1e-10, atol=1e-12)
    else:                           # d(b_ih + b_hh) = db_ih = db_hh
        np.testing.assert_allclose(keras_w[2].grad.numpy(),
                                   _keras_bias(torch_w[2].grad.numpy(), G, order), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bias", [1, 2, 0], ids=["one_bias", "two_biases", "no_bias"])
def test_keras_layout_gradcheck(name, bias):
    rng = np.random.default_rng(1)
    G = GATES[name]
    arrays = [rng.uniform(-1, 1, (3, 2, I))] + [rng.uniform(-1, 1, (2, H))] * STATES[name] + [
        rng.uniform(-0.5, 0.5, (I, G * H)), rng.uniform(-0.5, 0.5, (H, G * H))] + [
        rng.uniform(-0.5, 0.5, (G * H,)) for _ in range(bias)]
    n = 1 + STATES[name]

    def fn(x, *rest):
        states, w = rest[:n - 1], list(rest[n - 1:]) + [None] * (4 - len(rest[n - 1:]))
        return OPS[name](x, *states, *w, layout="keras")
    check_gradients(fn, arrays)


def test_keras_layout_float32_stays_float32():
    rng = np.random.default_rng(2)
    x = dg.Tensor(rng.standard_normal((T, B, I)).astype(np.float32), requires_grad=True)
    k = dg.Tensor(rng.uniform(-.3, .3, (I, 4 * H)).astype(np.float32), requires_grad=True)
    r = dg.Tensor(rng.uniform(-.3, .3, (H, 4 * H)).astype(np.float32), requires_grad=True)
    b = dg.Tensor(np.zeros(4 * H, np.float32), requires_grad=True)
    out, h, c = ops.lstm_layer(x, None, None, k, r, b, layout="keras")
    (out.sum() + c.sum()).backward()
    assert out.dtype == np.float32 and c.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in (x, k, r, b))


def test_layout_errors_name_the_keras_weights():
    x = dg.zeros(T, B, I)
    with pytest.raises(RuntimeError, match=r"lstm_layer: expected kernel of shape "
                                           r"\(input_size, 24\) for hidden_size 6, received "
                                           r"\(24, 5\)"):
        ops.lstm_layer(x, None, None, dg.zeros(4 * H, I), dg.zeros(H, 4 * H), layout="keras")
    with pytest.raises(RuntimeError, match=r"gru_layer: expected recurrent_kernel of shape "
                                           r"\(hidden_size, 3 \* hidden_size\)"):
        ops.gru_layer(x, None, dg.zeros(I, 3 * H), dg.zeros(3 * H, H), layout="keras")
    with pytest.raises(ValueError, match=r"rnn_layer: layout must be 'pytorch' or 'keras', "
                                         r"received 'tf'"):
        ops.rnn_layer(x, None, dg.zeros(H, I), dg.zeros(H, H), layout="tf")
    with pytest.raises(ValueError, match="give both bias_ih and bias_hh"):
        ops.lstm_layer(x, None, None, dg.zeros(I, 4 * H), dg.zeros(H, 4 * H), None,
                       dg.zeros(4 * H), layout="keras")


# ------------------------------------------------------------------ the benchmark's shapes
def _stack_step(seed, threads):
    """Two stacked LSTM(50) layers over 50 steps x 8 features, batch 32 (seed 004's shapes,
    one layer fewer), last step's output summed; returns the output and every gradient."""
    with use_threads(threads):
        rng = np.random.default_rng(seed)
        x = dg.Tensor(rng.standard_normal((32, 50, 8)).astype(np.float32), requires_grad=True)
        params = [dg.Tensor(rng.uniform(-.14, .14, s).astype(np.float32), requires_grad=True)
                  for s in [(200, 8), (200, 50), (200,), (200,), (200, 50), (200, 50), (200,),
                            (200,)]]
        out, _, _ = ops.lstm_layer(ops.transpose(x, 0, 1), None, None, *params[:4])
        out, _, c = ops.lstm_layer(out, None, None, *params[4:])
        loss = ops.getitem(out, -1).sum() + 0.5 * c.sum()
        loss.backward()
        return [out.numpy().copy()] + [t.grad.numpy().copy() for t in [x] + params]


def test_lstm_stack_gives_the_same_bits_at_one_and_two_threads():
    one, two = _stack_step(0, 1), _stack_step(0, 2)
    for a, b in zip(one, two):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_lstm_stack_matches_float64():
    """float32 against float64 on the same values: the tanh-form sigmoid and the stacked
    GEMMs stay within float32 rounding over 50 steps."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 32, 8))
    w = [rng.uniform(-.14, .14, s) for s in [(200, 8), (200, 50), (200,), (200,)]]

    def run(dtype):
        out, h, c = ops.lstm_layer(dg.Tensor(x.astype(dtype)), None, None,
                                   *[dg.Tensor(a.astype(dtype)) for a in w])
        return out.numpy(), c.numpy()
    for a, b in zip(run(np.float32), run(np.float64)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6)


def test_lstm_backward_reads_any_gradient_layout():
    """dL/d(output) handed to the op in PyTorch's (T, B, H) order (a plain getitem slice of
    the packed output) or in the op's own storage order (its Unpack slices) gives the same
    gradients."""
    rng = np.random.default_rng(4)
    arrays = [rng.uniform(-1, 1, s) for s in [(T, B, I), (4 * H, I), (4 * H, H), (4 * H,),
                                              (4 * H,)]]
    v = rng.standard_normal((T, B, H))
    grads = []
    for slicer in ("unpack", "getitem"):
        ts = [dg.Tensor(a, requires_grad=True) for a in arrays]
        if slicer == "unpack":
            out = ops.lstm_layer(ts[0], None, None, *ts[1:])[0]
        else:
            from deepgrad.ops.rnn_lstm import LSTMLayer
            zeros = dg.Tensor(np.zeros((B, H)))
            packed = LSTMLayer.apply(ts[0], zeros, zeros, *ts[1:])
            out = ops.getitem(packed, slice(0, T))
        (out * dg.Tensor(v)).sum().backward()
        grads.append([t.grad.numpy() for t in ts])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
