"""Keras recurrent layers (SimpleRNN, LSTM, GRU) and wrappers (Bidirectional, TimeDistributed).

Forward passes are checked against NumPy loops written from Keras's formulas (its weight
layouts and gate orders), backward passes by float64 gradient checks on tiny sizes, and,
when Keras 3 runs here (torch backend), outputs against Keras's own layers.
"""
import os

import numpy as np
import pytest

import deepgrad
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import layers as L
from deepgrad.keras.models import Sequential

RNG = np.random.default_rng(0)
LAYERS = ("SimpleRNN", "LSTM", "GRU")
N_STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}


# ---------------------------------------------------------------------- NumPy references
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _step_simple_rnn(x, states, K, R, b, act=np.tanh):
    h = act(x @ K + states[0] @ R + b)
    return h, [h]


def _step_lstm(x, states, K, R, b):
    h, c = states
    i, f, g, o = np.split(x @ K + h @ R + b, 4, axis=-1)          # Keras: i, f, c, o
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return h, [h, c]


def _step_gru(x, states, K, R, b):
    h = states[0]
    xz, xr, xh = np.split(x @ K + b[0], 3, axis=-1)                # Keras: z, r, h
    hz, hr, hh = np.split(h @ R + b[1], 3, axis=-1)
    z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
    cand = np.tanh(xh + r * hh)
    h = z * h + (1 - z) * cand
    return h, [h]


STEPS = {"SimpleRNN": _step_simple_rnn, "LSTM": _step_lstm, "GRU": _step_gru}


def reference(name, x, weights, initial=None, go_backwards=False, mask=None, **step_kw):
    """Keras's loop: (outputs (B, T, H) in processing order, final states)."""
    B, T, _ = x.shape
    H = weights[1].shape[0]
    states = [np.zeros((B, H)) for _ in range(N_STATES[name])] if initial is None else initial
    mask = np.ones((B, T), bool) if mask is None else mask
    order = range(T - 1, -1, -1) if go_backwards else range(T)
    outs, prev = [], np.zeros((B, H))
    for t in order:
        out, new = STEPS[name](x[:, t], states, *weights, **step_kw)
        keep = mask[:, t][:, None]
        prev = np.where(keep, out, prev)                 # masked steps repeat the output
        states = [np.where(keep, n, s) for n, s in zip(new, states)]    # and keep the state
        outs.append(prev)
    return np.stack(outs, 1), states


def make(name, units=4, in_dim=3, **kw):
    """A float64 layer, built, with random weights (including the bias)."""
    layer = getattr(L, name)(units, dtype="float64", **kw)
    layer(np.zeros((1, 2, in_dim)))
    layer.set_weights([RNG.standard_normal(w.shape) * 0.5 for w in layer.weights])
    return layer


def _np(t):
    return t.array if isinstance(t, Tensor) else np.asarray(t)


# ---------------------------------------------------------------------- forward
@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_forward_matches_reference(name, go_backwards, return_sequences):
    layer = make(name, return_sequences=return_sequences, return_state=True,
                 go_backwards=go_backwards)
    x = RNG.standard_normal((2, 5, 3))
    out, *states = layer(x)
    ref_out, ref_states = reference(name, x, layer.get_weights(), go_backwards=go_backwards)
    expected = ref_out if return_sequences else ref_out[:, -1]
    np.testing.assert_allclose(out.array, expected, rtol=1e-10, atol=1e-12)
    assert len(states) == N_STATES[name]
    for s, r in zip(states, ref_states):
        np.testing.assert_allclose(s.array, r, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", LAYERS)
def test_single_output_without_return_state(name):
    layer = make(name)
    x = RNG.standard_normal((2, 4, 3))
    out = layer(x)
    assert isinstance(out, Tensor) and out.shape == (2, 4)
    np.testing.assert_allclose(out.array, reference(name, x, layer.get_weights())[0][:, -1],
                               rtol=1e-10)


@pytest.mark.parametrize("name", LAYERS)
def test_initial_state(name):
    layer = make(name, return_sequences=True, return_state=True)
    x = RNG.standard_normal((2, 4, 3))
    init = [RNG.standard_normal((2, 4)) for _ in range(N_STATES[name])]
    out, *states = layer(x, initial_state=[Tensor(s) for s in init])
    ref_out, ref_states = reference(name, x, layer.get_weights(), initial=init)
    np.testing.assert_allclose(out.array, ref_out, rtol=1e-10)
    for s, r in zip(states, ref_states):
        np.testing.assert_allclose(s.array, r, rtol=1e-10)
    with pytest.raises(ValueError, match="initial state"):
        layer(x, initial_state=[np.zeros((2, 5))] * N_STATES[name])


def test_simple_rnn_relu():
    layer = make("SimpleRNN", activation="relu", return_sequences=True)
    x = RNG.standard_normal((2, 5, 3))
    ref = reference("SimpleRNN", x, layer.get_weights(), act=lambda z: np.maximum(z, 0))[0]
    np.testing.assert_allclose(layer(x).array, ref, rtol=1e-10)


# ---------------------------------------------------------------------- masking
MASK = np.array([[1, 1, 1, 0, 0],       # post-padding
                 [0, 0, 1, 1, 1],       # pre-padding
                 [1, 0, 1, 0, 1],       # holes
                 [0, 0, 0, 0, 0]], bool)  # nothing valid


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_mask_matches_reference(name, go_backwards):
    return_state = name != "LSTM"          # LSTM's c with unequal lengths: not supported
    layer = make(name, return_sequences=True, return_state=return_state,
                 go_backwards=go_backwards)
    x = RNG.standard_normal((4, 5, 3))
    result = layer(x, mask=Tensor(MASK))
    out = result[0] if return_state else result
    ref_out, ref_states = reference(name, x, layer.get_weights(), go_backwards=go_backwards,
                                    mask=MASK)
    np.testing.assert_allclose(out.array, ref_out, rtol=1e-10, atol=1e-12)
    if return_state:
        np.testing.assert_allclose(result[1].array, ref_states[0], rtol=1e-10, atol=1e-12)


def test_mask_zero_output_and_lstm_states():
    x = RNG.standard_normal((2, 5, 3))
    layer = make("GRU", return_sequences=True, zero_output_for_mask=True)
    np.testing.assert_allclose(layer(x, mask=MASK[:2]).array,
                               reference("GRU", x, layer.get_weights(), mask=MASK[:2])[0]
                               * MASK[:2, :, None], rtol=1e-10)
    lstm = make("LSTM", return_state=True)
    equal = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 0]], bool)     # both 3 steps long
    _, h, c = lstm(x, mask=equal)
    _, (ref_h, ref_c) = reference("LSTM", x, lstm.get_weights(), mask=equal)
    np.testing.assert_allclose(h.array, ref_h, rtol=1e-10)
    np.testing.assert_allclose(c.array, ref_c, rtol=1e-10)
    with pytest.raises(NotImplementedError, match="unequal lengths"):
        lstm(x, mask=MASK[2:])


def test_compute_mask():
    m = np.ones((2, 5), bool)
    assert L.LSTM(3, return_sequences=True).compute_mask(None, m) is m
    assert L.LSTM(3).compute_mask(None, m) is None
    assert L.GRU(3, return_sequences=True, return_state=True).compute_mask(None, m) == [m, None]


# ---------------------------------------------------------------------- gradients
def _check_grads(layer, x, **call_kw):
    x = Tensor(x, requires_grad=True)
    assert deepgrad.gradcheck(lambda x, *w: layer(x, **call_kw), (x, *layer.weights))


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("options", [dict(return_sequences=True, return_state=True),
                                     dict(go_backwards=True)])
def test_gradcheck(name, options):
    _check_grads(make(name, units=3, in_dim=2, **options), RNG.standard_normal((2, 3, 2)))


@pytest.mark.parametrize("name", LAYERS)
def test_gradcheck_masked_and_initial_state(name):
    layer = make(name, units=3, in_dim=2, return_sequences=True)
    mask = np.array([[1, 0, 1], [0, 1, 1]], bool)
    _check_grads(layer, RNG.standard_normal((2, 3, 2)), mask=mask)
    h0 = [Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
          for _ in range(N_STATES[name])]
    x = Tensor(RNG.standard_normal((2, 3, 2)), requires_grad=True)
    assert deepgrad.gradcheck(lambda x, *s: layer(x, initial_state=list(s)), (x, *h0))


def test_backward_reaches_every_weight():
    model = Sequential([L.LSTM(4, return_sequences=True, input_shape=(5, 3)), L.GRU(4),
                        L.Dense(1)])
    out = model(RNG.standard_normal((2, 5, 3)).astype("float32"))
    out.sum().backward()
    for w in model.weights:
        assert w.grad is not None and np.any(w.grad.array != 0)


# ---------------------------------------------------------------------- weights
@pytest.mark.parametrize("name, gates, bias", [("SimpleRNN", 1, (5,)), ("LSTM", 4, (20,)),
                                               ("GRU", 3, (2, 15))])
def test_weight_names_shapes_and_count(name, gates, bias):
    layer = getattr(L, name)(5)
    layer(np.zeros((2, 4, 3), "float32"))
    assert [v.name for v in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 5 * gates), (5, 5 * gates), bias]
    assert layer.count_params() == gates * 5 * (3 + 5) + int(np.prod(bias))
    no_bias = getattr(L, name)(5, use_bias=False)
    no_bias(np.zeros((2, 4, 3), "float32"))
    assert len(no_bias.weights) == 2


def test_seed004_stacked_lstm_count_params():
    timesteps, input_dim = 50, 1
    model = Sequential([L.LSTM(50, return_sequences=True, input_shape=(timesteps, input_dim)),
                        L.LSTM(50, return_sequences=True), L.LSTM(50), L.Dense(1)])
    first = 4 * (50 * (input_dim + 50) + 50)        # 10400
    later = 4 * (50 * (50 + 50) + 50)               # 20200
    assert [layer.count_params() for layer in model.layers] == [first, later, later, 51]
    assert model.count_params() == 50851


def test_initializers():
    lstm = L.LSTM(3)
    lstm(np.zeros((1, 2, 4), "float32"))
    np.testing.assert_array_equal(lstm.bias.array, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    r = lstm.recurrent_kernel.array                 # orthogonal (3, 12): orthonormal rows
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-5)
    plain = L.LSTM(3, unit_forget_bias=False)
    plain(np.zeros((1, 2, 4), "float32"))
    assert not plain.bias.array.any()


def test_get_set_weights_round_trip():
    a, b = make("GRU"), make("GRU")
    b.set_weights(a.get_weights())
    x = RNG.standard_normal((2, 4, 3))
    np.testing.assert_array_equal(a(x).array, b(x).array)
    with pytest.raises(ValueError, match="shape"):
        b.set_weights([np.zeros((3, 3))] + a.get_weights()[1:])


def test_regularizers_add_losses():
    layer = L.LSTM(3, kernel_regularizer="l2", recurrent_regularizer="l1", bias_regularizer="l2")
    layer(np.zeros((1, 2, 4), "float32"))
    assert len(layer.losses) == 3


def test_config_round_trip():
    for layer in (L.LSTM(7, return_sequences=True, dropout=0.1, unit_forget_bias=False),
                  L.GRU(4, go_backwards=True), L.SimpleRNN(2, activation="relu")):
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config


# ---------------------------------------------------------------------- shapes & errors
def test_compute_output_shape():
    assert L.LSTM(6).compute_output_shape((None, None, 3)) == (None, 6)
    assert L.GRU(6, return_sequences=True).compute_output_shape((None, None, 3)) == (None, None, 6)
    assert L.LSTM(6, return_sequences=True, return_state=True).compute_output_shape(
        (None, 10, 3)) == [(None, 10, 6), (None, 6), (None, 6)]
    assert L.SimpleRNN(6, return_state=True).compute_output_shape((4, 10, 3)) == [(4, 6), (4, 6)]


def test_symbolic_call_and_model():
    from deepgrad.keras import Input, Model
    inp = Input(shape=(None, 3))
    out, h, c = L.LSTM(5, return_sequences=True, return_state=True)(inp)
    assert (out.shape, h.shape, c.shape) == ((None, None, 5), (None, 5), (None, 5))
    model = Model(inp, [out, h])
    y, hy = model(np.zeros((2, 7, 3), "float32"))
    assert y.shape == (2, 7, 5) and hy.shape == (2, 5)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r'"lstm\w*".*expected ndim=3, found ndim=2'):
        L.LSTM(3)(np.zeros((2, 4), "float32"))
    gru = L.GRU(3)
    gru(np.zeros((2, 4, 5), "float32"))
    with pytest.raises(ValueError, match=r"axis -1 .* value 5.*\(2, 4, 6\)"):
        gru(np.zeros((2, 4, 6), "float32"))
    with pytest.raises(ValueError, match="mask of shape"):
        gru(np.zeros((2, 4, 5), "float32"), mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="units"):
        L.SimpleRNN(0)


@pytest.mark.parametrize("make_layer, match", [
    (lambda: L.LSTM(3, activation="relu"), "LSTM: only activation='tanh'"),
    (lambda: L.GRU(3, recurrent_activation="hard_sigmoid"), "GRU: only recurrent_activation"),
    (lambda: L.SimpleRNN(3, activation="elu"), "SimpleRNN: only activation"),
    (lambda: L.LSTM(3, recurrent_dropout=0.2), "LSTM: recurrent_dropout=0.2"),
    (lambda: L.GRU(3, stateful=True), "GRU: stateful=True"),
    (lambda: L.GRU(3, reset_after=False), "GRU: reset_after=False"),
])
def test_unsupported_options(make_layer, match):
    with pytest.raises(NotImplementedError, match=match):
        make_layer()


def test_dropout_only_in_training():
    layer = make("LSTM", return_sequences=True, dropout=0.5)
    x = RNG.standard_normal((3, 4, 3))
    ref = reference("LSTM", x, layer.get_weights())[0]
    np.testing.assert_allclose(layer(x).array, ref, rtol=1e-10)
    np.testing.assert_allclose(layer(x, training=False).array, ref, rtol=1e-10)
    assert not np.allclose(layer(x, training=True).array, ref)


# ---------------------------------------------------------------------- wrappers
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge_mode):
    bi = L.Bidirectional(L.GRU(4, return_sequences=True, dtype="float64"), merge_mode=merge_mode)
    x = RNG.standard_normal((2, 5, 3))
    out = bi(x)
    w = bi.get_weights()
    fwd = reference("GRU", x, w[:3])[0]
    bwd = reference("GRU", x, w[3:], go_backwards=True)[0][:, ::-1]
    expected = {"concat": np.concatenate([fwd, bwd], -1), "sum": fwd + bwd, "mul": fwd * bwd,
                "ave": (fwd + bwd) / 2, None: [fwd, bwd]}[merge_mode]
    if merge_mode is None:
        for o, e in zip(out, expected):
            np.testing.assert_allclose(o.array, e, rtol=1e-10)
    else:
        np.testing.assert_allclose(out.array, expected, rtol=1e-10)
    assert bi.compute_output_shape((None, 5, 3)) == (
        [(None, 5, 4)] * 2 if merge_mode is None else
        (None, 5, 8 if merge_mode == "concat" else 4))


def test_bidirectional_weights_states_and_grads():
    bi = L.Bidirectional(L.LSTM(3, return_state=True, dtype="float64"))
    x = RNG.standard_normal((2, 3, 2))
    out, *states = bi(x)
    assert out.shape == (2, 6) and [s.shape for s in states] == [(2, 3)] * 4
    assert [layer.name for layer in bi._layers] == [bi.forward_layer.name,
                                                    bi.backward_layer.name]
    assert bi.forward_layer.name.startswith("forward_") and bi.backward_layer.go_backwards
    assert bi.count_params() == 2 * 4 * (3 * (2 + 3) + 3)
    assert bi.compute_output_shape((None, 3, 2)) == [(None, 6)] + [(None, 3)] * 4
    bi.set_weights([RNG.standard_normal(w.shape) * 0.5 for w in bi.weights])
    xt = Tensor(x, requires_grad=True)
    assert deepgrad.gradcheck(lambda x, *w: bi(x)[0], (xt, *bi.weights))


def test_bidirectional_config_and_errors():
    bi = L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="sum")
    clone = L.Bidirectional.from_config(bi.get_config())
    assert clone.merge_mode == "sum" and clone.backward_layer.go_backwards
    with pytest.raises(ValueError, match="merge mode"):
        L.Bidirectional(L.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(3))
    with pytest.raises(ValueError, match="return_sequences"):
        L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(3, go_backwards=True,
                                                        return_sequences=True))


def test_time_distributed():
    td = L.TimeDistributed(L.Dense(4, dtype="float64"))
    x = RNG.standard_normal((2, 3, 5))
    out = td(x)
    kernel, bias = td.get_weights()
    np.testing.assert_allclose(out.array, x @ kernel + bias, rtol=1e-12)
    assert td.count_params() == 5 * 4 + 4
    assert td.compute_output_shape((None, None, 5)) == (None, None, 4)
    xt = Tensor(x, requires_grad=True)
    assert deepgrad.gradcheck(lambda x, *w: td(x), (xt, *td.weights))
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        L.TimeDistributed(L.Dense(2))(np.zeros((2, 3), "float32"))
    conv = L.TimeDistributed(L.Conv2D(2, 3))
    assert conv(np.zeros((2, 4, 6, 6, 1), "float32")).shape == (2, 4, 4, 4, 2)
    assert conv.compute_output_shape((None, 4, 6, 6, 1)) == (None, 4, 4, 4, 2)


# ---------------------------------------------------------------------- Keras parity
@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")     # TensorFlow is not installed here
    try:
        import keras
    except Exception as e:                                  # noqa: BLE001 (any import failure)
        pytest.skip(f"keras unavailable: {e}")
    return keras


def _keras_np(t):
    return np.asarray(t.detach().cpu()) if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("name", LAYERS)
def test_keras_parity(keras, name):
    x = RNG.standard_normal((4, 5, 3)).astype("float32")
    for go_backwards in (False, True):
        for mask in (None, MASK):
            return_state = name != "LSTM" or mask is None
            kl = getattr(keras.layers, name)(6, return_sequences=True, return_state=True,
                                             go_backwards=go_backwards)
            ko = kl(x, mask=mask)
            ours = getattr(L, name)(6, return_sequences=True, return_state=return_state,
                                    go_backwards=go_backwards)
            ours(x)
            assert ours.count_params() == kl.count_params()
            assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in kl.weights]
            ours.set_weights(kl.get_weights())
            do = ours(x, mask=mask)
            for k, d in zip(ko, do if return_state else [do]):
                np.testing.assert_allclose(d.array, _keras_np(k), rtol=1e-5, atol=1e-6)


def test_keras_parity_bidirectional(keras):
    x = RNG.standard_normal((4, 5, 3)).astype("float32")
    kb = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    ko = kb(x, mask=MASK)
    ours = L.Bidirectional(L.LSTM(4, return_sequences=True))
    ours(x)
    ours.set_weights(kb.get_weights())
    np.testing.assert_allclose(ours(x, mask=MASK).array, _keras_np(ko), rtol=1e-5, atol=1e-6)
