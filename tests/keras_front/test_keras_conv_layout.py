"""The Keras conv/pool layers in their own layout: channels_last Conv1D/2D/3D (grouped too),
the 1-, 2- and 3-D poolings, the depthwise, separable and transposed convolutions call the engine's
channels-last ops with Keras's kernels as they are (no Permute in the graph), and give
what the channels_first path gives on the same weights."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras
from deepgrad.keras import layers as L


def graph_ops(y):
    """Class names of every Function in y's graph."""
    seen, names, stack = set(), [], [y.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(type(node).__name__)
        stack += [getattr(t, "grad_fn", None) for t in node.inputs]
    return names


def cnn(data_format, shape):
    return keras.Sequential([
        keras.Input(shape), L.Conv2D(4, 3, activation="relu", data_format=data_format),
        L.MaxPooling2D(data_format=data_format),
        L.Conv2D(3, (2, 3), strides=2, padding="same", data_format=data_format),
        L.MaxPooling2D(3, 1, padding="same", data_format=data_format)])


def against_channels_first(last, first, x, op, atol=1e-5):
    """Run ``last`` (channels_last) on x and ``first`` (channels_first, given last's
    weights) on its transpose: last's graph has no Permute and holds ``op``; outputs, the
    input gradient and the weight gradients agree. Returns the class names of last's
    graph."""
    xf_array = np.moveaxis(x, -1, 1).copy()
    if not last.built:
        last._maybe_build(x.shape)
        first._maybe_build(xf_array.shape)
    first.set_weights(last.get_weights())          # the kernel layout is the same
    xl, xf = dg.tensor(x, requires_grad=True), dg.tensor(xf_array, requires_grad=True)
    yl, yf = last(xl), first(xf)
    names = graph_ops(yl)
    assert "Permute" not in names and op in names, names
    np.testing.assert_allclose(yl.numpy(), np.moveaxis(yf.numpy(), 1, -1), rtol=1e-5,
                               atol=atol)
    g = np.random.default_rng(0).standard_normal(yl.shape).astype(np.float32)
    (yl * dg.tensor(g)).sum().backward()
    (yf * dg.tensor(np.moveaxis(g, -1, 1).copy())).sum().backward()
    np.testing.assert_allclose(xl.grad.numpy(), np.moveaxis(xf.grad.numpy(), 1, -1),
                               rtol=1e-4, atol=1e-5)
    for a, b in zip(last.trainable_weights, first.trainable_weights):
        np.testing.assert_allclose(a.value.grad.numpy(), b.value.grad.numpy(), rtol=1e-4,
                                   atol=1e-4)
    return names


def test_channels_last_cnn_has_no_permute_and_matches_channels_first():
    x = np.random.default_rng(0).standard_normal((2, 11, 10, 2)).astype(np.float32)
    last, first = cnn("channels_last", (11, 10, 2)), cnn("channels_first", (2, 11, 10))
    names = against_channels_first(last, first, x, "ConvLast")
    assert names.count("ConvLast") == 2
    assert "Permute" in graph_ops(first(dg.tensor(np.moveaxis(x, -1, 1).copy())))


def test_conv1d_and_maxpool1d_channels_last_have_no_permute():
    x = dg.tensor(np.random.default_rng(1).standard_normal((2, 9, 3)).astype(np.float32))
    y = L.MaxPooling1D(2, padding="same")(L.Conv1D(4, 3, padding="causal", dilation_rate=2)(x))
    assert y.shape == (2, 5, 4)
    assert "Permute" not in graph_ops(y) and "ConvLast" in graph_ops(y)


def test_channels_last_cnn_against_keras():
    keras3 = pytest.importorskip("keras")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 11, 10, 2)).astype(np.float32)
    theirs = keras3.Sequential([
        keras3.Input((11, 10, 2)), keras3.layers.Conv2D(4, 3, activation="relu"),
        keras3.layers.MaxPooling2D(),
        keras3.layers.Conv2D(3, (2, 3), strides=2, padding="same"),
        keras3.layers.MaxPooling2D(3, 1, padding="same")])
    ours = cnn("channels_last", (11, 10, 2))
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours(dg.tensor(x)).numpy(),
                               keras3.ops.convert_to_numpy(theirs(x)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make", [
    lambda fmt: L.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same",
                                  data_format=fmt),
    lambda fmt: L.SeparableConv2D(4, (2, 3), depth_multiplier=2, padding="same",
                                  dilation_rate=(1, 2), data_format=fmt),
])
def test_depthwise_and_separable_channels_last_have_no_permute(make):
    """channels_last runs the engine's depthwise op (and the channels-last 1x1 conv) on
    Keras's kernels as they are, and equals the channels_first path on the same weights."""
    x = np.random.default_rng(5).standard_normal((2, 9, 8, 3)).astype(np.float32)
    against_channels_first(make("channels_last"), make("channels_first"), x, "DepthwiseLast")


@pytest.mark.parametrize("make", [
    lambda fmt: L.DepthwiseConv1D(3, depth_multiplier=2, padding="same", data_format=fmt),
    lambda fmt: L.SeparableConv1D(4, 3, strides=2, depth_multiplier=2, data_format=fmt),
])
def test_depthwise_and_separable_1d_channels_last_have_no_permute(make):
    x = np.random.default_rng(7).standard_normal((2, 9, 3)).astype(np.float32)
    against_channels_first(make("channels_last"), make("channels_first"), x, "DepthwiseLast")


@pytest.mark.parametrize("make, shape", [
    (lambda fmt: L.Conv2DTranspose(4, 3, strides=2, padding="same", data_format=fmt),
     (2, 5, 4, 3)),
    (lambda fmt: L.Conv2DTranspose(3, (2, 3), strides=3, output_padding=2, data_format=fmt),
     (2, 4, 5, 2)),
    (lambda fmt: L.Conv1DTranspose(4, 3, strides=2, padding="same", data_format=fmt),
     (2, 6, 3)),
])
def test_transposed_channels_last_have_no_permute(make, shape):
    """channels_last runs the engine's channels-last transposed convolution on Keras's
    kernel as it is, and equals the channels_first path on the same weights."""
    x = np.random.default_rng(6).standard_normal(shape).astype(np.float32)
    against_channels_first(make("channels_last"), make("channels_first"), x,
                           "ConvTransposeLast")


@pytest.mark.parametrize("make, op", [
    (lambda fmt: L.Conv3D(4, 3, padding="same", data_format=fmt), "ConvLast"),
    (lambda fmt: L.Conv3D(3, (2, 3, 2), strides=2, dilation_rate=1, data_format=fmt),
     "ConvLast"),
    (lambda fmt: L.Conv3DTranspose(4, 3, strides=2, padding="same", data_format=fmt),
     "ConvTransposeLast"),
    (lambda fmt: L.Conv3DTranspose(2, (2, 3, 2), strides=(2, 2, 3), output_padding=1,
                                   data_format=fmt), "ConvTransposeLast"),
    (lambda fmt: L.MaxPooling3D(3, 2, padding="same", data_format=fmt), "MaxPool"),
    (lambda fmt: L.AveragePooling3D(2, data_format=fmt), "AvgPool"),
    (lambda fmt: L.AveragePooling3D(3, 2, padding="same", data_format=fmt), "AvgPool"),
])
def test_3d_layers_channels_last_have_no_permute(make, op):
    """Conv3D, Conv3DTranspose and the 3-D poolings in channels_last run the engine's 3-D
    channels-last ops on the volume and Keras's kernel as they are, and equal the
    channels_first path on the same weights (values, input and weight gradients)."""
    x = np.random.default_rng(8).standard_normal((2, 5, 4, 6, 3)).astype(np.float32)
    against_channels_first(make("channels_last"), make("channels_first"), x, op)


@pytest.mark.parametrize("make, shape", [
    (lambda fmt: L.Conv2D(6, 3, groups=2, data_format=fmt), (2, 7, 6, 4)),
    (lambda fmt: L.Conv2D(6, 2, strides=2, padding="same", groups=3, use_bias=False,
                          data_format=fmt), (2, 7, 6, 3)),
    (lambda fmt: L.Conv1D(4, 3, groups=4, data_format=fmt), (2, 9, 4)),
    (lambda fmt: L.Conv3D(4, 2, groups=2, data_format=fmt), (1, 4, 5, 4, 4)),
])
def test_grouped_conv_channels_last_has_no_permute_and_matches_channels_first(make, shape):
    """groups > 1 in channels_last: one channels-last convolution per group on slices of
    the input and of Keras's kernel (no Permute), equal to the channels_first path on the
    same weights (values, input and weight gradients)."""
    x = np.random.default_rng(9).standard_normal(shape).astype(np.float32)
    names = against_channels_first(make("channels_last"), make("channels_first"), x,
                                   "ConvLast")
    assert "Concatenate" in names
