"""Inputs are converted as Keras converts them: a model casts each input to its Input's
dtype, and every floating-point layer family (Dense, convolutions, recurrent, batch and
layer normalization, pooling, activations) takes bool and integer inputs the same way,
casting them to its dtype; float inputs are autocast to the layer's dtype."""
import os

import numpy as np
import pytest

from deepgrad import keras
from deepgrad.keras import layers

RNG = np.random.default_rng(0)

FAMILIES = [
    ("Dense", lambda: layers.Dense(3), (4, 5)),
    ("Conv1D", lambda: layers.Conv1D(2, 2), (2, 6, 3)),
    ("Conv2D", lambda: layers.Conv2D(2, 2), (2, 5, 5, 3)),
    ("Conv2DTranspose", lambda: layers.Conv2DTranspose(2, 2), (2, 3, 3, 2)),
    ("DepthwiseConv2D", lambda: layers.DepthwiseConv2D(2), (2, 4, 4, 2)),
    ("SeparableConv2D", lambda: layers.SeparableConv2D(3, 2), (2, 4, 4, 2)),
    ("SimpleRNN", lambda: layers.SimpleRNN(3), (2, 5, 4)),
    ("LSTM", lambda: layers.LSTM(3, return_sequences=True), (2, 5, 4)),
    ("GRU", lambda: layers.GRU(3), (2, 5, 4)),
    ("Bidirectional", lambda: layers.Bidirectional(layers.LSTM(2)), (2, 5, 4)),
    ("BatchNormalization", lambda: layers.BatchNormalization(), (6, 4)),
    ("LayerNormalization", lambda: layers.LayerNormalization(), (3, 4)),
    ("MaxPooling2D", lambda: layers.MaxPooling2D(), (2, 4, 4, 2)),
    ("AveragePooling1D", lambda: layers.AveragePooling1D(2), (2, 6, 2)),
    ("GlobalAveragePooling1D", lambda: layers.GlobalAveragePooling1D(), (2, 5, 3)),
    ("GlobalMaxPooling2D", lambda: layers.GlobalMaxPooling2D(), (2, 3, 3, 2)),
    ("ReLU", lambda: layers.ReLU(), (3, 4)),
    ("LeakyReLU", lambda: layers.LeakyReLU(), (3, 4)),
    ("PReLU", lambda: layers.PReLU(), (3, 4)),
    ("ELU", lambda: layers.ELU(), (3, 4)),
    ("Softmax", lambda: layers.Softmax(), (3, 4)),
    ("Activation", lambda: layers.Activation("sigmoid"), (3, 4)),
    ("TimeDistributed", lambda: layers.TimeDistributed(layers.Dense(2)), (2, 3, 4)),
]


def _int_and_bool(shape):
    ints = RNG.integers(-2, 3, shape)
    return ints, ints > 0


@pytest.mark.parametrize("name,make,shape", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_every_float_family_takes_bool_and_int_inputs(name, make, shape):
    layer = make()
    for data in _int_and_bool(shape):
        out = layer(data, training=False)
        ref = layer(data.astype("float32"), training=False)
        assert out.dtype == np.float32, name
        np.testing.assert_array_equal(out.numpy(), ref.numpy())


@pytest.mark.parametrize("name,make,shape", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_models_cast_inputs_to_the_input_dtype(name, make, shape):
    ints, bools = _int_and_bool(shape)
    keras.utils.set_random_seed(0)
    seq = keras.Sequential([keras.Input(shape[1:]), make()])
    inp = keras.Input(shape[1:])
    func = keras.Model(inp, make()(inp))
    func.set_weights(seq.get_weights())
    for model in (seq, func):
        ref = model.predict(ints.astype("float32"), verbose=0)
        for data in (ints, bools.astype(ints.dtype)):
            np.testing.assert_array_equal(model.predict(data, verbose=0),
                                          model.predict(data.astype("float32"), verbose=0))
        assert ref.dtype == np.float32


def test_structural_layers_and_embeddings_keep_their_dtype():
    ints = RNG.integers(0, 5, (2, 3, 4))
    assert layers.Flatten()(ints).dtype == np.int64
    assert layers.Reshape((12,))(ints).dtype == np.int64
    assert layers.Dropout(0.5)(ints > 2).dtype == np.bool_          # Keras keeps it too
    inp = keras.Input((3,), dtype="int32")
    model = keras.Model(inp, layers.Embedding(5, 2)(inp))
    np.testing.assert_array_equal(model.predict(ints[:, 0], verbose=0),
                                  model.layers[1].embeddings.numpy()[ints[:, 0]])


def test_float_inputs_are_autocast_to_the_layer_dtype():
    x = RNG.standard_normal((4, 3))
    dense = layers.Dense(2)
    assert dense(x).dtype == np.float32                              # float64 -> float32
    wide = layers.Dense(2, dtype="float64")
    assert wide(x.astype("float32")).dtype == np.float64
    inp = keras.Input((3,), dtype="float64")
    model = keras.Model(inp, layers.Dense(2)(inp))
    assert model.predict(x.astype("float32"), verbose=0).dtype == np.float32


def test_int_data_trains_a_recurrent_model():
    x = RNG.integers(0, 2, (32, 6, 1))
    y = (x.sum(axis=(1, 2)) > 3).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 1)), layers.LSTM(8), layers.BatchNormalization(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_int_inputs_match_keras_3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    k3 = pytest.importorskip("keras")
    ints = RNG.integers(-2, 3, (2, 5, 4))
    for make_ours, make_theirs in [
            (lambda: layers.LSTM(3), lambda: k3.layers.LSTM(3)),
            (lambda: layers.GRU(3), lambda: k3.layers.GRU(3)),
            (lambda: layers.BatchNormalization(), lambda: k3.layers.BatchNormalization())]:
        # (Keras's LayerNormalization on integers computes integer moments on the torch
        # backend, so only its output dtype is comparable; deepgrad casts first.)
        theirs, ours = make_theirs(), make_ours()
        expected = k3.ops.convert_to_numpy(theirs(ints, training=False))
        ours(ints.astype("float32"))
        ours.set_weights(theirs.get_weights())
        got = ours(ints, training=False).numpy()
        assert got.dtype == expected.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
