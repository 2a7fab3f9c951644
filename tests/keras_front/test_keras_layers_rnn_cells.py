"""SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells and RNN: same weights give Keras 3's
outputs and states (masks, go_backwards, return_state), the fused layers' results,
gradients, a user-written cell, configs, errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import Input, Model
from deepgrad.keras import layers as L

RNG = np.random.default_rng(51)
X = RNG.standard_normal((2, 5, 3)).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)


def _np(t):
    return np.asarray(t.detach().cpu()) if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("cell", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("kwargs", [{}, dict(return_sequences=True, return_state=True,
                                             go_backwards=True)])
def test_rnn_cells_against_keras(cell, kwargs):
    keras = pytest.importorskip("keras")
    theirs = keras.layers.RNN(getattr(keras.layers, cell)(4), **kwargs)
    ref = theirs(X, mask=MASK)
    ours = L.RNN(getattr(L, cell)(4), **kwargs)
    ours(X)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    out = ours(X, mask=MASK)
    refs = list(ref) if isinstance(ref, (list, tuple)) else [ref]
    outs = out if isinstance(out, list) else [out]
    for a, b in zip(outs, refs):
        np.testing.assert_allclose(a.numpy(), _np(b), atol=1e-6)


def test_stacked_cells_against_keras():
    keras = pytest.importorskip("keras")
    theirs = keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.GRUCell(3)],
                              return_state=True, return_sequences=True)
    ref = theirs(X)
    ours = L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_state=True, return_sequences=True)
    ours(X)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    out = ours(X)
    np.testing.assert_allclose(out[0].numpy(), _np(ref[0]), atol=1e-6)
    for a, b in zip(out[1] + out[2], list(ref[1]) + list(ref[2])):
        np.testing.assert_allclose(a.numpy(), _np(b), atol=1e-6)
    assert ours.cell.state_size == [[4, 4], 3]


def test_cells_equal_fused_layers_and_gradients():
    for cell, layer in ((L.SimpleRNNCell(4), L.SimpleRNN(4)), (L.LSTMCell(4), L.LSTM(4)),
                        (L.GRUCell(4), L.GRU(4))):
        rnn = L.RNN(cell, return_sequences=True)
        rnn(X)
        fused = type(layer)(4, return_sequences=True)
        fused(X)
        fused.set_weights(rnn.get_weights())
        np.testing.assert_allclose(rnn(X).numpy(), fused(X).numpy(), atol=1e-6)
    rnn = L.RNN(L.LSTMCell(3, dtype="float64"), dtype="float64")
    x = dg.tensor(X[:1, :3].astype(np.float64), requires_grad=True)
    assert dg.gradcheck(lambda v: rnn(v), (x,))


class MinimalCell(L.Layer):
    """The Keras guide's minimal RNN cell: h_t = x_t K + tanh(h_{t-1}) R ... simplified."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")
        self.built = True

    def call(self, inputs, states):
        h = dg.ops.matmul(inputs, self.kernel) + dg.ops.matmul(states[0],
                                                               self.recurrent_kernel)
        return h, [h]


def test_user_cell_in_a_model():
    cell = MinimalCell(2)
    inp = Input((5, 3))
    model = Model(inp, L.RNN(cell)(inp))
    y = model(X).numpy()
    k, r = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
    h = np.zeros((2, 2), np.float32)
    for t in range(5):
        h = X[:, t] @ k + h @ r
    np.testing.assert_allclose(y, h, rtol=1e-5, atol=1e-6)
    rnn = L.RNN(L.GRUCell(3), return_sequences=True)
    clone = L.RNN.from_config(rnn.get_config())
    assert type(clone.cell) is L.GRUCell and clone.return_sequences


def test_errors():
    with pytest.raises(ValueError, match="`call` method and a `state_size`"):
        L.RNN(L.Dense(3))
    with pytest.raises(NotImplementedError, match="stateful"):
        L.RNN(L.LSTMCell(2), stateful=True)
    with pytest.raises(NotImplementedError, match="dropout in a cell"):
        L.LSTMCell(2, dropout=0.2)
