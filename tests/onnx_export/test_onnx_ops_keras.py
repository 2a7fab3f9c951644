"""Each layer family of the Keras front, exported with Keras 3's
``model.export(path, format="onnx")`` and run in onnxruntime: outputs within 1e-5 of
deepgrad's at the traced batch size and at batch 5. The graphs keep Keras's
channels-last layout."""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx_roundtrip import assert_roundtrip, session  # noqa: E402

import deepgrad.keras as keras  # noqa: E402

L = keras.layers


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def _seq(shape, *layers):
    model = keras.Sequential([keras.Input(shape)] + list(layers))
    model.input_shape_for_test = shape
    return model


CASES = {
    "dense_3d": lambda: _seq((5, 6), L.Dense(4, activation="tanh"), L.Dense(3, use_bias=False)),
    "conv1d_same_strided": lambda: _seq((11, 4), L.Conv1D(6, 3, strides=2, padding="same"),
                                        L.Conv1D(3, 2, dilation_rate=2, activation="relu")),
    "conv2d_same_dilated": lambda: _seq((9, 8, 3), L.Conv2D(4, 3, padding="same",
                                                            dilation_rate=2),
                                        L.Conv2D(5, (2, 3), strides=(2, 1))),
    "conv2d_groups": lambda: _seq((7, 7, 4), L.Conv2D(6, 3, groups=2, padding="same")),
    "depthwise_separable": lambda: _seq((7, 7, 3), L.DepthwiseConv2D(3, depth_multiplier=2),
                                        L.SeparableConv2D(4, 2)),
    "conv2d_transpose": lambda: _seq((5, 5, 3), L.Conv2DTranspose(4, 3, strides=2,
                                                                  padding="same")),
    "conv3d_pools_transpose": lambda: _seq((5, 6, 4, 2), L.Conv3D(3, 2, padding="same"),
                                           L.MaxPooling3D(2, padding="same"),
                                           L.Conv3DTranspose(2, 2, strides=2),
                                           L.AveragePooling3D(3, strides=2, padding="same")),
    "max_pool2d_same": lambda: _seq((9, 8, 3), L.MaxPooling2D(3, strides=2, padding="same")),
    "max_pool1d": lambda: _seq((9, 3), L.MaxPooling1D(2)),
    "avg_pool2d_same": lambda: _seq((9, 8, 3), L.AveragePooling2D(3, strides=2,
                                                                  padding="same")),
    "avg_pool1d": lambda: _seq((9, 3), L.AveragePooling1D(3, strides=2)),
    "global_pools": lambda: _concat_model((6, 5, 3), L.GlobalAveragePooling2D(),
                                          L.GlobalMaxPooling2D()),
    "global_pools_1d": lambda: _concat_model((7, 3), L.GlobalAveragePooling1D(),
                                             L.GlobalMaxPooling1D()),
    "upsampling_padding": lambda: _seq((5, 4, 3), L.UpSampling2D(2, interpolation="bilinear"),
                                       L.ZeroPadding2D(1), L.Cropping2D((2, 1)),
                                       L.UpSampling2D((1, 2))),
    "batch_norm": lambda: _seq((4, 4, 3), _with_stats(L.BatchNormalization())),
    "layer_norm": lambda: _seq((5, 6), L.LayerNormalization()),
    "dropouts": lambda: _seq((6,), L.Dense(6), L.Dropout(0.5), L.GaussianNoise(0.3),
                             L.AlphaDropout(0.2), L.Dense(2)),
    "reshape_permute_flatten": lambda: _seq((12,), L.Reshape((3, 4)), L.Permute((2, 1)),
                                            L.Flatten(), L.RepeatVector(2)),
    "merge": lambda: _merge_model(),
    "activations": lambda: _seq((4, 5), L.Activation("gelu"), L.Activation("silu"),
                                L.LeakyReLU(0.3), L.ELU(0.5), L.Activation("selu"),
                                L.Activation("softplus"), L.Activation("hard_sigmoid"),
                                L.ReLU(max_value=1.5), L.Activation("tanh"),
                                L.Softmax(axis=1)),
}


def _with_stats(bn):
    bn.build((None, 4, 4, 3))
    bn.moving_mean.assign(np.linspace(-0.5, 0.5, 3))
    bn.moving_variance.assign(np.linspace(0.5, 2.0, 3))
    bn.gamma.assign(np.linspace(0.8, 1.2, 3))
    return bn


def _concat_model(shape, *pools):
    inp = keras.Input(shape)
    model = keras.Model(inp, L.Concatenate()([p(inp) for p in pools]))
    model.input_shape_for_test = shape
    return model


def _merge_model():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    h = L.Dense(4)(b)
    out = L.Concatenate()([L.Add()([a, h]), L.Multiply()([a, h]), L.Subtract()([a, h]),
                           L.Maximum()([a, h]), L.Average()([a, h])])
    return keras.Model([a, b], out)


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_families(case):
    model = CASES[case]()
    for layer in model.layers:             # biases start at zero: give them values, so a
        bias = getattr(layer, "bias", None)  # converter that drops one fails the round trip
        if bias is not None and hasattr(bias, "assign"):
            bias.assign(np.linspace(-1, 1, bias.shape[0]).astype(bias.dtype))
    if case == "merge":
        assert_roundtrip(model, [_x(2, 4), _x(2, 4, seed=1)], keras=True)
        return
    assert_roundtrip(model, [_x(2, *model.input_shape_for_test)], keras=True)


def test_embedding_int_input():
    model = _seq((3,), L.Embedding(10, 4), L.Flatten(), L.Dense(2))
    idx = np.array([[1, 0, 7], [9, 3, 3]], np.float32)    # Keras's Input default: float32
    assert_roundtrip(model, [idx], keras=True)
    model = keras.Sequential([keras.Input((3,), dtype="int64"), L.Embedding(10, 4),
                              L.GlobalAveragePooling1D()])
    assert_roundtrip(model, [idx.astype(np.int64)], keras=True)


@pytest.mark.parametrize("layer", ["simple_rnn", "lstm_sequences", "lstm_backwards", "gru",
                                   "bidirectional"])
def test_recurrent(layer):
    make = {"simple_rnn": lambda: [L.SimpleRNN(5, return_sequences=True), L.SimpleRNN(3)],
            "lstm_sequences": lambda: [L.LSTM(5, return_sequences=True), L.LSTM(3)],
            "lstm_backwards": lambda: [L.LSTM(4, go_backwards=True, return_sequences=True)],
            "gru": lambda: [L.GRU(5, return_sequences=True), L.GRU(3)],
            "bidirectional": lambda: [L.Bidirectional(L.LSTM(3, return_sequences=True)),
                                      L.Bidirectional(L.GRU(2))]}[layer]
    assert_roundtrip(_seq((6, 4), *make(), L.Dense(2)), [_x(2, 6, 4)], keras=True)


def test_lstm_return_state():
    inp = keras.Input((6, 4))
    out, h, c = L.LSTM(3, return_state=True, return_sequences=True)(inp)
    model = keras.Model(inp, [out, h, c])
    assert_roundtrip(model, [_x(2, 6, 4)], keras=True)


def test_variable_length_sequences():
    """Input((None, 4)): batch and time both dynamic; run with another length."""
    model = keras.Sequential([keras.Input((None, 4)), L.LSTM(5, return_sequences=True),
                              L.GRU(3)])
    data = assert_roundtrip(model, [_x(2, 6, 4)], keras=True)
    (inp,) = session(data).get_inputs()
    assert inp.shape == ["batch", "dim_0_1", 4]
    from onnx_roundtrip import reference, run_onnx
    longer = _x(3, 9, 4, seed=4)
    np.testing.assert_allclose(run_onnx(data, [longer])[0], reference(model, [longer], True)[0],
                               rtol=0, atol=1e-5)


def test_multi_head_attention():
    q, kv = keras.Input((5, 8)), keras.Input((7, 6))
    out = L.MultiHeadAttention(2, 4)(q, kv)
    model = keras.Model([q, kv], L.Dense(3)(out))
    assert_roundtrip(model, [_x(2, 5, 8), _x(2, 7, 6, seed=1)], keras=True)


def test_self_attention_block():
    inp = keras.Input((5, 8))
    att = L.MultiHeadAttention(2, 4, dropout=0.1)(inp, inp)
    h = L.LayerNormalization()(L.Add()([inp, att]))
    model = keras.Model(inp, L.GlobalAveragePooling1D()(h))
    assert_roundtrip(model, [_x(2, 5, 8)], keras=True)


@pytest.mark.parametrize("layer", ["dot", "concat_scaled", "additive"])
def test_attention_layers(layer):
    q, v = keras.Input((5, 4)), keras.Input((6, 4))
    make = {"dot": L.Attention, "concat_scaled": lambda: L.Attention(use_scale=True,
                                                                      score_mode="concat"),
            "additive": L.AdditiveAttention}[layer]
    model = keras.Model([q, v], make()([q, v]))
    assert_roundtrip(model, [_x(2, 5, 4), _x(2, 6, 4, seed=1)], keras=True)
