"""Keras conv layers: outputs vs a NumPy reference (and Keras 3 when installed), gradients,
parameter counts, output shapes, configs, Sequential building and input errors."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import Input, Model, Sequential
from deepgrad.keras import layers as L

RNG = np.random.default_rng(0)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _same_pads(n, k, s, d=1):
    """Keras 'same': out = ceil(n / s), the odd pixel of padding goes after."""
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def ref_conv2d(x, kernel, bias, strides=(1, 1), padding="valid", dilation=(1, 1), groups=1):
    """NHWC convolution by loops over kernel positions: y = sum_pq x[s i + d p] K[p, q]."""
    kh, kw, cin_g, cout = kernel.shape
    if padding == "same":
        (t, b), (l, r) = (_same_pads(x.shape[1], kh, strides[0], dilation[0]),
                          _same_pads(x.shape[2], kw, strides[1], dilation[1]))
        x = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    N, H, W, C = x.shape
    Ho = (H - dilation[0] * (kh - 1) - 1) // strides[0] + 1
    Wo = (W - dilation[1] * (kw - 1) - 1) // strides[1] + 1
    y = np.zeros((N, Ho, Wo, cout))
    og = cout // groups
    for g in range(groups):
        xs = x[..., g * cin_g:(g + 1) * cin_g]
        for p in range(kh):
            for q in range(kw):
                r, c = p * dilation[0], q * dilation[1]
                patch = xs[:, r:r + strides[0] * (Ho - 1) + 1:strides[0],
                           c:c + strides[1] * (Wo - 1) + 1:strides[1]]
                y[..., g * og:(g + 1) * og] += patch @ kernel[p, q, :, g * og:(g + 1) * og]
    return y + (0 if bias is None else bias)


def ref_conv2d_transpose(x, kernel, bias, s, padding):
    """Scatter each input pixel times the kernel (kh, kw, out, in), then cut as TensorFlow
    does for output_padding=None: 'same' -> n s long, 'valid' -> n s + max(k - s, 0)."""
    kh, kw, cout, _ = kernel.shape
    N, H, W, _ = x.shape
    full = np.zeros((N, (H - 1) * s + kh, (W - 1) * s + kw, cout))
    for i in range(H):
        for j in range(W):
            full[:, i * s:i * s + kh, j * s:j * s + kw] += np.einsum("nc,pqoc->npqo", x[:, i, j],
                                                                       kernel)
    out = []
    for n, k, size in ((H, kh, full.shape[1]), (W, kw, full.shape[2])):
        length = n * s if padding == "same" else n * s + max(k - s, 0)
        before = max(size - length, 0) // 2 if padding == "same" else 0
        out.append((before, length))
    y = np.zeros((N, out[0][1], out[1][1], cout))
    hh, ww = min(out[0][1], full.shape[1] - out[0][0]), min(out[1][1], full.shape[2] - out[1][0])
    y[:, :hh, :ww] = full[:, out[0][0]:out[0][0] + hh, out[1][0]:out[1][0] + ww]
    return y + bias


CONV2D = [dict(), dict(strides=2, padding="same"), dict(strides=3, padding="same"),
          dict(padding="same", dilation_rate=2), dict(strides=(2, 1)), dict(groups=3),
          dict(kernel_size=(2, 4), strides=2, padding="same"), dict(use_bias=False)]


@pytest.mark.parametrize("kwargs", CONV2D)
def test_conv2d_matches_numpy(kwargs):
    kw = {"kernel_size": 3, **kwargs}
    layer = L.Conv2D(6, dtype="float64", **kw)
    x = RNG.standard_normal((2, 7, 9, 3))
    y = layer(x)
    kernel = layer.kernel.numpy()
    bias = layer.bias.numpy() if layer.bias is not None else None
    ref = ref_conv2d(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate,
                     layer.groups)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-12)
    assert layer.compute_output_shape((None, 7, 9, 3)) == (None,) + ref.shape[1:]


def test_conv1d_matches_numpy_including_causal():
    x = RNG.standard_normal((2, 11, 3))
    for kw in (dict(), dict(padding="causal", dilation_rate=2), dict(strides=2, padding="same")):
        layer = L.Conv1D(4, 3, dtype="float64", **kw)
        y = layer(x).numpy()
        k, b = layer.kernel.numpy(), layer.bias.numpy()
        xs = x
        if kw.get("padding") == "causal":                       # pad (k - 1) d before only
            xs, kw = np.pad(x, ((0, 0), (4, 0), (0, 0))), dict(dilation_rate=2)
        ref = ref_conv2d(xs[:, None], k[None], b, (1, kw.get("strides", 1)),
                         kw.get("padding", "valid"), (1, kw.get("dilation_rate", 1)))[:, 0]
        np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)
        assert layer.compute_output_shape((None, 11, 3)) == (None,) + ref.shape[1:]


@pytest.mark.parametrize("kernel_size,strides,padding", [
    (3, 1, "valid"), (3, 2, "valid"), (3, 2, "same"), (4, 2, "same"), (1, 2, "valid"),
    (2, 3, "same")])
def test_conv2d_transpose_matches_numpy(kernel_size, strides, padding):
    layer = L.Conv2DTranspose(5, kernel_size, strides=strides, padding=padding,
                              dtype="float64", bias_initializer="ones")
    x = RNG.standard_normal((2, 4, 3, 3))
    y = layer(x).numpy()
    assert layer.kernel.shape == (kernel_size, kernel_size, 5, 3)      # Keras: (kh, kw, out, in)
    ref = ref_conv2d_transpose(x, layer.kernel.numpy(), layer.bias.numpy(), strides, padding)
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)
    assert layer.compute_output_shape((None, 4, 3, 3)) == (None,) + y.shape[1:]


def test_depthwise_and_separable_match_numpy():
    x = RNG.standard_normal((2, 6, 5, 3))
    dw = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", dtype="float64")
    y = dw(x).numpy()
    k = dw.depthwise_kernel.numpy()                                   # (3, 3, in, m)
    ref = np.concatenate([ref_conv2d(x[..., c:c + 1], k[:, :, c:c + 1, :], None, padding="same")
                          for c in range(3)], axis=-1)                # channel c m + j
    np.testing.assert_allclose(y, ref + dw.bias.numpy(), rtol=1e-10, atol=1e-12)
    sep = L.SeparableConv2D(4, 3, depth_multiplier=2, strides=2, padding="same", dtype="float64")
    out = sep(x).numpy()
    d = sep.depthwise_kernel.numpy()
    mid = np.concatenate([ref_conv2d(x[..., c:c + 1], d[:, :, c:c + 1, :], None, (2, 2), "same")
                          for c in range(3)], axis=-1)
    ref = mid @ sep.pointwise_kernel.numpy()[0, 0] + sep.bias.numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    assert [w.shape for w in sep.weights] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]
    assert sep.compute_output_shape((None, 6, 5, 3)) == (None, 3, 3, 4)


def test_channels_first_equals_channels_last():
    x = RNG.standard_normal((2, 7, 6, 3))
    last = L.Conv2D(4, 3, strides=2, padding="same", dtype="float64")
    first = L.Conv2D(4, 3, strides=2, padding="same", data_format="channels_first",
                     dtype="float64")
    y_last = last(x).numpy()
    first.build((None, 3, 7, 6))
    first.set_weights(last.get_weights())
    y_first = first(x.transpose(0, 3, 1, 2)).numpy()
    np.testing.assert_allclose(y_first, y_last.transpose(0, 3, 1, 2), rtol=1e-12)
    assert first.compute_output_shape((None, 3, 7, 6)) == (None, 4, 4, 3)


@pytest.mark.parametrize("cls,args,kwargs,shape", [
    (L.Conv2D, (2, 3), dict(strides=2, padding="same", activation="tanh"), (2, 5, 4, 2)),
    (L.Conv2D, (4, (2, 1)), dict(groups=2, dilation_rate=(1, 2)), (1, 4, 5, 2)),
    (L.Conv1D, (2, 3), dict(padding="causal", dilation_rate=2), (2, 6, 2)),
    (L.Conv2DTranspose, (2, 3), dict(strides=2, padding="same"), (1, 3, 2, 2)),
    (L.Conv2DTranspose, (2, 2), dict(strides=2, output_padding=1), (1, 2, 2, 2)),
    (L.SeparableConv2D, (2, 2), dict(depth_multiplier=2, padding="same"), (1, 3, 3, 2)),
])
def test_conv_gradcheck(cls, args, kwargs, shape):
    layer = cls(*args, dtype="float64", bias_initializer="glorot_uniform", **kwargs)
    x = dg.tensor(RNG.standard_normal(shape), requires_grad=True)
    layer(x)
    assert dg.gradcheck(lambda x, *w: layer(x), (x, *layer.trainable_weights))


def test_count_params_match_keras():
    conv = L.Conv2D(32, 3)
    conv._maybe_build((None, 28, 28, 1))
    assert conv.count_params() == 320
    seq = lambda padding: Sequential([
        L.Conv2D(32, (3, 3), activation="relu", padding=padding, input_shape=(32, 32, 3)),
        L.MaxPooling2D((2, 2)), L.Conv2D(64, (3, 3), activation="relu", padding=padding),
        L.MaxPooling2D((2, 2)), L.Flatten(), L.Dense(128, activation="relu"),
        L.Dense(10, activation="softmax")])
    assert seq("valid").count_params() == 315_722      # seed 002's CIFAR CNN, as Keras counts
    assert seq("same").count_params() == 545_098
    assert L.Conv2DTranspose(8, 3, input_shape=(4, 4, 5))._batch_input_shape == (None, 4, 4, 5)
    t = L.Conv2DTranspose(8, 3)
    t._maybe_build((None, 4, 4, 5))
    assert t.count_params() == 3 * 3 * 8 * 5 + 8


def test_sequential_builds_at_once_and_matches_shapes():
    model = Sequential([L.Conv2D(4, 3, strides=2, padding="same", input_shape=(9, 8, 3)),
                        L.Conv2DTranspose(2, 3, strides=2, padding="same"),
                        L.Reshape((-1, 2)), L.Conv1D(3, 2, strides=2)])
    assert model.built and all(layer.built for layer in model.layers)
    shapes = [(None, 5, 4, 4), (None, 10, 8, 2), (None, 80, 2), (None, 40, 3)]
    shape = (None, 9, 8, 3)
    for layer, expected in zip(model.layers, shapes):
        shape = layer.compute_output_shape(shape)
        assert shape == expected
    assert model(RNG.standard_normal((2, 9, 8, 3)).astype("float32")).shape == (2, 40, 3)


def test_none_spatial_dims_and_functional_api():
    assert L.Conv2D(3, 3, strides=2, padding="same").compute_output_shape(
        (None, None, 7, 1)) == (None, None, 4, 3)
    inputs = Input((None, None, 3))
    outputs = L.Conv2D(5, 3, padding="same")(inputs)
    assert outputs.shape == (None, None, None, 5)
    model = Model(inputs, outputs)
    assert model(RNG.standard_normal((1, 6, 4, 3)).astype("float32")).shape == (1, 6, 4, 5)


@pytest.mark.parametrize("make", [
    lambda: L.Conv2D(4, (3, 2), strides=2, padding="same", dilation_rate=1, groups=2,
                     activation="relu", use_bias=False, kernel_regularizer="l2", name="c"),
    lambda: L.Conv1D(3, 5, padding="causal", data_format="channels_last"),
    lambda: L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
    lambda: L.SeparableConv2D(3, 3, depth_multiplier=2),
    lambda: L.DepthwiseConv2D(3, depth_multiplier=3, activation="relu"),
])
def test_get_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    shape = (2, 8, 8, 4) if type(layer).__name__ != "Conv1D" else (2, 8, 4)
    x = RNG.standard_normal(shape).astype("float32")
    y = layer(x)
    clone._maybe_build(shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y.numpy(), rtol=1e-6)


def test_bad_inputs_name_layer_and_shapes():
    conv = L.Conv2D(4, 3, name="my_conv")
    with pytest.raises(ValueError, match=r'"my_conv".*expected ndim=4, found ndim=3.*\(2, 8, 8\)'):
        conv(np.zeros((2, 8, 8), "float32"))
    conv(np.zeros((2, 8, 8, 3), "float32"))
    with pytest.raises(ValueError, match=r'"my_conv".*axis -1.*value 3.*\(2, 8, 8, 5\)'):
        conv(np.zeros((2, 8, 8, 5), "float32"))
    with pytest.raises(ValueError, match=r'"small".*zero or negative.*\(None, 2, 2, 1\)'):
        Sequential([L.Conv2D(1, 3, name="small", input_shape=(2, 2, 1))])
    with pytest.raises(ValueError, match="divisible by the number of groups"):
        L.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="padding"):
        L.Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="filters"):
        L.Conv2D(0, 3)


KERAS_CASES = [
    ("Conv2D", (6, 3), dict(strides=2, padding="same"), (2, 7, 9, 3)),
    ("Conv2D", (6, (2, 4)), dict(strides=3, padding="same", groups=3), (2, 7, 9, 3)),
    ("Conv1D", (4, 3), dict(padding="causal", dilation_rate=2), (2, 11, 3)),
    ("Conv2DTranspose", (5, 3), dict(strides=2, padding="same"), (2, 4, 5, 3)),
    ("Conv2DTranspose", (5, 3), dict(strides=2, padding="same", output_padding=1), (2, 4, 5, 3)),
    ("Conv2DTranspose", (5, 2), dict(strides=3, padding="valid", output_padding=2), (2, 4, 5, 3)),
    ("Conv2DTranspose", (5, 3), dict(dilation_rate=2, padding="same"), (2, 4, 5, 3)),
    ("Conv1DTranspose", (4, 3), dict(strides=2, padding="same"), (2, 6, 3)),
    ("DepthwiseConv2D", (3,), dict(depth_multiplier=2, strides=2, padding="same"), (2, 7, 9, 3)),
    ("SeparableConv2D", (5, 3), dict(depth_multiplier=2, padding="same"), (2, 7, 9, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", KERAS_CASES)
def test_conv_matches_keras(name, args, kwargs, shape):
    keras = _keras()
    x = RNG.standard_normal(shape).astype("float32")
    theirs = getattr(keras.layers, name)(*args, **kwargs)
    expected = keras.ops.convert_to_numpy(theirs(x))
    ours = getattr(L, name)(*args, **kwargs)
    ours._maybe_build(shape)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-4, atol=1e-5)
    assert ours.compute_output_shape((None,) + shape[1:]) == tuple(
        theirs.compute_output_shape((None,) + shape[1:]))
