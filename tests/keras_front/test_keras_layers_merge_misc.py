"""Keras merge layers, activation layers and Embedding: outputs vs NumPy (and Keras 3 when
installed), gradients, shapes, configs, the functional helpers and input errors."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import Input, Model, Sequential
from deepgrad.keras import layers as L

RNG = np.random.default_rng(4)
A, B, C = (RNG.standard_normal((2, 3, 4)) for _ in range(3))

MERGES = [
    (L.Add(), [A, B, C], A + B + C), (L.Subtract(), [A, B], A - B),
    (L.Multiply(), [A, B, C], A * B * C), (L.Average(), [A, B, C], (A + B + C) / 3),
    (L.Maximum(), [A, B], np.maximum(A, B)),
    (L.Minimum(), [A, B, C], np.minimum(np.minimum(A, B), C)),
    (L.Add(), [A, B[:, :1]], A + B[:, :1]),                               # size-1 broadcast
    (L.Multiply(), [A, B[:, 0]], A * B[:, None, 0]),                      # rank 2 -> (2, 1, 4)
    (L.Concatenate(), [A, B[..., :2]], np.concatenate([A, B[..., :2]], -1)),
    (L.Concatenate(axis=1), [A, B[:, :1]], np.concatenate([A, B[:, :1]], 1)),
    (L.Dot(axes=-1), [A, B], np.einsum("bik,bjk->bij", A, B)),
    (L.Dot(axes=(1, 1)), [A, B[..., :2]], np.einsum("bki,bkj->bij", A, B[..., :2])),
    (L.Dot(axes=1), [A[:, 0], B[:, 0]], (A[:, 0] * B[:, 0]).sum(-1, keepdims=True)),
    (L.Dot(axes=1, normalize=True), [A[:, 0], B[:, 0]],
     ((A[:, 0] * B[:, 0]).sum(-1) / np.linalg.norm(A[:, 0], axis=-1)
      / np.linalg.norm(B[:, 0], axis=-1))[:, None]),
]


@pytest.mark.parametrize("layer,xs,ref", MERGES, ids=lambda v: getattr(v, "name", None))
def test_merge_layers(layer, xs, ref):
    layer.dtype = "float64"
    y = layer(xs)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-12)
    shapes = [x.shape for x in xs]
    assert tuple(layer.compute_output_shape(shapes)) == ref.shape
    none = [(None,) + s[1:] for s in shapes]
    assert tuple(layer.compute_output_shape(none)) == (None,) + ref.shape[1:]
    ts = [dg.tensor(x, requires_grad=True) for x in xs]
    assert dg.gradcheck(lambda *t: layer(list(t)), tuple(ts))


def test_functional_helpers_and_model():
    a, b = Input((4,)), Input((4,))
    s = L.add([a, b])
    outputs = L.concatenate([s, L.subtract([a, b]), L.multiply([a, b]), L.average([a, b]),
                             L.maximum([a, b]), L.minimum([a, b]), L.dot([a, b], axes=1)])
    assert outputs.shape == (None, 25)
    model = Model([a, b], outputs)
    x, y = (RNG.standard_normal((3, 4)).astype("float32") for _ in range(2))
    ref = np.concatenate([x + y, x - y, x * y, (x + y) / 2, np.maximum(x, y), np.minimum(x, y),
                          (x * y).sum(-1, keepdims=True)], -1)
    np.testing.assert_allclose(model([x, y]).numpy(), ref, rtol=1e-5, atol=1e-6)


def test_merge_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r'"add_bad".*incompatible.*\(2, 3, 4\).*\(2, 3, 5\)'):
        L.Add(name="add_bad")([A, RNG.standard_normal((2, 3, 5))])
    with pytest.raises(ValueError, match=r'"sub".*exactly|"sub".*on 2 inputs'):
        L.Subtract(name="sub")([A, B, C])
    with pytest.raises(ValueError, match=r'"cat".*matching shapes.*\(2, 3, 4\).*\(2, 2, 5\)'):
        L.Concatenate(name="cat")([A, RNG.standard_normal((2, 2, 5))])
    with pytest.raises(ValueError, match=r'"dot".*axis values 4.*5'):
        L.Dot(axes=-1, name="dot")([A, RNG.standard_normal((2, 3, 5))])
    with pytest.raises(ValueError, match="list of inputs"):
        L.Add()(A)
    with pytest.raises(ValueError, match="batch sizes"):
        L.Add()([A, RNG.standard_normal((3, 3, 4))])
    layer = L.Add(name="later")
    layer([A, B])
    with pytest.raises(ValueError, match=r'"later".*incompatible'):
        layer([A, RNG.standard_normal((2, 3, 2))])


# (layer, NumPy reference of its output on A)
ACTIVATIONS = [
    (L.ReLU(), lambda x: np.maximum(x, 0)),
    (L.ReLU(max_value=0.5, negative_slope=0.1, threshold=0.2),
     lambda x: np.where(x >= 0.5, 0.5, np.where(x >= 0.2, x, 0.1 * (x - 0.2)))),
    (L.LeakyReLU(), lambda x: np.where(x > 0, x, 0.3 * x)),
    (L.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    (L.Softmax(), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (L.Softmax(axis=(1, 2)), lambda x: np.exp(x) / np.exp(x).sum((1, 2), keepdims=True)),
    (L.PReLU(alpha_initializer="ones"), lambda x: x),
    (L.PReLU(alpha_initializer="zeros", shared_axes=[1]), lambda x: np.maximum(x, 0)),
]


@pytest.mark.parametrize("layer,ref", ACTIVATIONS, ids=lambda v: getattr(v, "name", None))
def test_activation_layers(layer, ref):
    layer.dtype = "float64"
    x = A + 0.013                                                      # keep off the kinks
    np.testing.assert_allclose(layer(x).numpy(), ref(x), rtol=1e-10, atol=1e-12)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    for w in layer.weights:
        w.array[...] += 0.25                                           # alpha off 0 and 1
    xt = dg.tensor(x, requires_grad=True)
    assert dg.gradcheck(lambda x, *w: layer(x), (xt, *layer.trainable_weights))


def test_prelu_weights_softmax_mask_and_configs():
    prelu = L.PReLU(shared_axes=[1, 2])
    prelu.build((None, 5, 6, 3))
    assert [w.shape for w in prelu.weights] == [(1, 1, 3)] and prelu.count_params() == 3
    with pytest.raises(ValueError, match=r'"prelu_bad".*axis 3.*value 3'):
        p = L.PReLU(shared_axes=[1, 2], name="prelu_bad")
        p(np.zeros((1, 5, 6, 3), "float32"))
        p(np.zeros((1, 5, 6, 4), "float32"))
    x = RNG.standard_normal((2, 5))
    mask = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1]], bool)
    y = L.Softmax(dtype="float64")(x, mask=mask).numpy()
    e = np.where(mask, np.exp(x), 0)
    np.testing.assert_allclose(y, e / e.sum(-1, keepdims=True), rtol=1e-10, atol=1e-15)
    for layer in (L.ReLU(max_value=6.0), L.LeakyReLU(0.1), L.ELU(2.0), L.Softmax(axis=1),
                  L.PReLU(shared_axes=[1], alpha_initializer="ones"), L.Add(),
                  L.Concatenate(axis=1), L.Dot(axes=(1, 2), normalize=True),
                  L.Embedding(7, 3, mask_zero=True)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    with pytest.warns(UserWarning, match="alpha"):
        assert L.LeakyReLU(alpha=0.2).negative_slope == 0.2
    with pytest.raises(ValueError, match="negative"):
        L.ReLU(negative_slope=-1)


def test_embedding():
    emb = L.Embedding(10, 4, dtype="float64")
    assert [v.name for v in emb.weights] == ["embeddings"] and emb.count_params() == 40
    assert np.abs(emb.embeddings.numpy()).max() <= 0.05               # RandomUniform(-0.05, 0.05)
    ids = np.array([[1, 2, 2], [9, 0, 1]])
    np.testing.assert_allclose(emb(ids).numpy(), emb.embeddings.numpy()[ids])
    np.testing.assert_allclose(emb(ids.astype("float32")).numpy(), emb.embeddings.numpy()[ids])
    assert emb.compute_output_shape((None, None)) == (None, None, 4)
    assert emb.compute_mask(ids) is None
    masked = L.Embedding(10, 4, mask_zero=True, input_length=3)
    np.testing.assert_array_equal(masked.compute_mask(ids).numpy(), ids != 0)
    assert dg.gradcheck(lambda w: emb(ids), (emb.embeddings,))
    model = Sequential([L.Embedding(1000, 64, input_shape=(10,)), L.GlobalAveragePooling1D(),
                        L.Dense(1)])
    assert model.built and model.count_params() == 64_000 + 65
    with pytest.raises(IndexError, match="out of range"):
        emb(np.array([[10]]))
    with pytest.raises(ValueError, match="input_dim"):
        L.Embedding(0, 3)


def test_merge_and_activations_match_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    a, b = A.astype("float32"), B[:, :1].astype("float32")
    for name, kwargs, xs in (("Add", {}, [a, b]), ("Average", {}, [a, b]),
                             ("Dot", dict(axes=(1, 1), normalize=True), [a, B.astype("float32")])):
        expected = keras.ops.convert_to_numpy(getattr(keras.layers, name)(**kwargs)(xs))
        np.testing.assert_allclose(getattr(L, name)(**kwargs)(xs).numpy(), expected, rtol=1e-5,
                                   atol=1e-6)
    for name, kwargs in (("ReLU", dict(max_value=0.5, negative_slope=0.1, threshold=0.2)),
                         ("ELU", dict(alpha=0.5)), ("LeakyReLU", {})):
        expected = keras.ops.convert_to_numpy(getattr(keras.layers, name)(**kwargs)(a))
        np.testing.assert_allclose(getattr(L, name)(**kwargs)(a).numpy(), expected, rtol=1e-5,
                                   atol=1e-6)
    theirs, ours = keras.layers.PReLU(shared_axes=[1]), L.PReLU(shared_axes=[1])
    theirs.build(a.shape)
    ours.build(a.shape)
    alpha = RNG.uniform(0.1, 0.9, (1, 4)).astype("float32")
    theirs.set_weights([alpha])
    ours.set_weights([alpha])
    np.testing.assert_allclose(ours(a).numpy(), keras.ops.convert_to_numpy(theirs(a)), rtol=1e-6)
