"""Keras 3's numeric and image preprocessing layers and the augmentation layers: values vs
Keras 3 (when installed; degenerate random ranges make the augmentations deterministic),
NumPy references, TensorFlow's hashes, training-only behaviour, configs and bad input."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import Input, Sequential
from deepgrad.keras import layers as L
from deepgrad.keras.layers.string_hash import fingerprint64, siphash24

RNG = np.random.default_rng(5)
X = (RNG.standard_normal((20, 4, 3)) * 3 + 1).astype("float32")
IMG = RNG.uniform(0, 255, (2, 9, 12, 3)).astype("float32")


def _keras():
    return pytest.importorskip("keras")


def _np(y):
    return np.asarray(y.detach().cpu()) if hasattr(y, "detach") else np.asarray(y)


# ---------------------------------------------------------------- Normalization
@pytest.mark.parametrize("kwargs", [dict(), dict(axis=None), dict(axis=(1, 2)), dict(axis=1),
                                    dict(invert=True)])
def test_normalization_adapt(kwargs):
    ours = L.Normalization(**kwargs)
    ours.adapt(X)
    keep = ours._keep(3)
    axes = tuple(d for d in range(3) if d not in keep)
    mean, std = X.mean(axes, keepdims=True), X.std(axes, keepdims=True)
    ref = X[:3] * std + mean if kwargs.get("invert") else (X[:3] - mean) / std
    np.testing.assert_allclose(ours(X[:3]).numpy(), ref, rtol=2e-5, atol=2e-5)
    batches = L.Normalization(**kwargs)
    batches.adapt([X[:7], X[7:]])               # an iterable of batches gives the same
    np.testing.assert_allclose(batches(X[:3]).numpy(), ours(X[:3]).numpy(), atol=1e-5)
    keras = pytest.importorskip("keras")
    theirs = keras.layers.Normalization(**kwargs)
    theirs.adapt(X)
    np.testing.assert_allclose(ours(X[:3]).numpy(), _np(theirs(X[:3])), rtol=1e-5, atol=1e-5)


def test_normalization_fixed_stats_gradient_and_config():
    layer = L.Normalization(mean=[1, 2, 3], variance=[1, 4, 9], dtype="float64")
    x = dg.tensor(X[:2].astype(np.float64), requires_grad=True)
    np.testing.assert_allclose(layer(x).numpy(), (X[:2] - [1, 2, 3]) / [1, 2, 3], rtol=1e-6)
    assert dg.gradcheck(lambda v: layer(v), (x,))
    clone = L.Normalization.from_config(layer.get_config())
    np.testing.assert_allclose(clone(X[:2]).numpy(), layer(X[:2]).numpy(), rtol=1e-6)
    plain = L.Normalization.from_config(L.Normalization().get_config())
    assert plain.input_mean is None
    np.testing.assert_allclose(L.Normalization()(X[:2]).numpy(), X[:2])   # Keras: 0 and 1
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        L.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        L.Normalization(mean=[1, 2], variance=[1, 2, 3])
    with pytest.raises(ValueError, match="given `mean` and `variance`"):
        layer.adapt(X)


# ---------------------------------------------------------------- Discretization
@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_boundaries(mode):
    x = np.array([[-1.0, 0.0, 0.5, 1.0, 3.0]])
    y = L.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)(x).numpy()
    ids = np.digitize(x, [0.0, 1.0, 2.0])
    if mode == "int":
        np.testing.assert_array_equal(y, ids)
    elif mode == "one_hot":
        np.testing.assert_array_equal(y, np.eye(4)[ids])
    else:
        np.testing.assert_array_equal(y, np.eye(4)[ids].sum(1) if mode == "count"
                                      else np.eye(4)[ids].max(1))
    keras = pytest.importorskip("keras")
    theirs = keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)
    np.testing.assert_array_equal(y, _np(theirs(x)))


def test_discretization_adapt_quantiles():
    data = RNG.standard_normal(60).astype("float32")      # < 1/epsilon values: exact summary
    layer = L.Discretization(num_bins=4)
    layer.adapt(data)
    s = np.sort(data)
    cum = np.arange(1, 61) / 60
    ref = np.interp([0.25, 0.5, 0.75], cum, s)
    np.testing.assert_allclose(layer.bin_boundaries, ref, rtol=1e-6)
    big = RNG.standard_normal(20000)
    layer = L.Discretization(num_bins=4, epsilon=0.001)
    layer.adapt(big.reshape(4, -1))
    np.testing.assert_allclose(layer.bin_boundaries, np.quantile(big, [0.25, 0.5, 0.75]),
                               atol=0.02)
    counts = np.bincount(layer(big).numpy().ravel(), minlength=4) / big.size
    np.testing.assert_allclose(counts, 0.25, atol=0.01)


def test_discretization_errors_before_state_changes():
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        L.Discretization()
    with pytest.raises(ValueError, match="Both `num_bins` and `bin_boundaries`"):
        L.Discretization([0.0], num_bins=3)
    layer = L.Discretization(num_bins=3)
    with pytest.raises(ValueError, match="call `adapt\\(dataset\\)` before"):
        layer(np.zeros(3))
    fixed = L.Discretization(bin_boundaries=[0.0])
    with pytest.raises(ValueError, match="initialized with `bin_boundaries`"):
        fixed.adapt(np.zeros(3))
    assert fixed.bin_boundaries == [0.0]


# ---------------------------------------------------------------- Rescaling, encoding
def test_rescaling_and_category_encoding():
    y = L.Rescaling(1 / 127.5, offset=-1)(np.array([[255, 0, 127]], "uint8"))
    np.testing.assert_allclose(y.numpy(), [[1.0, -1.0, 127 / 127.5 - 1]], atol=1e-7)
    assert y.dtype == dg.float32
    x = dg.tensor(IMG[:1, :2, :2].astype(np.float64), requires_grad=True)
    assert dg.gradcheck(lambda v: L.Rescaling(0.5, 2.0, dtype="float64")(v), (x,))
    enc = L.CategoryEncoding(4, output_mode="count")
    y = enc(np.array([[0, 2, 2], [1, 1, 3]]), count_weights=np.array([[.5, 1, 2], [1, 1, 1]]))
    np.testing.assert_allclose(y.numpy(), [[0.5, 0, 3, 0], [0, 2, 0, 1]])
    with pytest.raises(ValueError, match="smaller than num_classes \\(3\\).*\\[0, 5\\]"):
        L.CategoryEncoding(3)(np.array([0, 5]))
    with pytest.raises(ValueError, match="num_tokens must be set"):
        L.CategoryEncoding()
    with pytest.raises(ValueError, match="count_weights.*not used"):
        L.CategoryEncoding(3, output_mode="one_hot")(np.array([0]), count_weights=[1.0])


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_against_keras(mode):
    keras = _keras()
    for x in (np.array([0, 2, 1]), np.array([[0], [2], [1]]), np.array([[0, 2], [1, 1]])):
        ours = L.CategoryEncoding(4, output_mode=mode)(x).numpy()
        theirs = _np(keras.layers.CategoryEncoding(4, output_mode=mode)(x))
        np.testing.assert_array_equal(ours, theirs)


# ---------------------------------------------------------------- hashing
def test_tensorflow_hashes():
    # FarmHash Fingerprint64 values (pyfarmhash) and the SipHash-2-4 reference vectors
    assert fingerprint64("") == 0x9AE16A3B2F90404F
    assert fingerprint64("a") == 0xB3454265B6DF75E3
    assert fingerprint64("hello world") == 0x588FB7478BD6B01B
    k0 = int.from_bytes(bytes(range(8)), "little")
    k1 = int.from_bytes(bytes(range(8, 16)), "little")
    assert siphash24(k0, k1, b"") == 0x726FDB47DD0E0E31
    assert siphash24(k0, k1, bytes(range(15))) == 0xA129CA6149BE45E5
    farmhash = pytest.importorskip("farmhash")
    rng = np.random.default_rng(0)
    for n in list(range(0, 140)) + [1000]:
        data = bytes(rng.integers(0, 256, n, dtype=np.uint8))
        assert fingerprint64(data) == farmhash.fingerprint64(data)


def test_hashing_layers_match_keras_documented_outputs():
    inp = [["A"], ["B"], ["C"], ["D"], ["E"]]
    np.testing.assert_array_equal(L.Hashing(3)(inp).numpy().ravel(), [1, 0, 1, 1, 2])
    np.testing.assert_array_equal(
        L.Hashing(3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]]).numpy().ravel(),
        [1, 1, 0, 2, 2])
    np.testing.assert_array_equal(L.Hashing(3, salt=[133, 137])(inp).numpy().ravel(),
                                  [1, 2, 1, 0, 2])
    np.testing.assert_array_equal(L.Hashing(3, salt=133)(inp).numpy().ravel(),
                                  [0, 0, 2, 1, 0])
    ints = L.Hashing(5)(np.array([[1], [22]])).numpy().ravel()
    assert list(ints) == [fingerprint64("1") % 5, fingerprint64("22") % 5]
    y = L.Hashing(4, output_mode="one_hot")(np.array(["A", "B"])).numpy()
    assert y.shape == (2, 4) and (y.sum(1) == 1).all()
    cross = L.HashedCrossing(5)((np.array(["A", "B", "A", "B", "A"]),
                                 np.array([101, 101, 101, 102, 102])))
    np.testing.assert_array_equal(cross.numpy(), [1, 4, 1, 1, 3])
    with pytest.raises(ValueError, match="num_bins.*0"):
        L.Hashing(0)
    with pytest.raises(ValueError, match="salt.*size 2"):
        L.Hashing(3, salt=[1, 2, 3])
    with pytest.raises(ValueError, match="at least two inputs"):
        L.HashedCrossing(5)((np.array(["A"]),))
    with pytest.raises(ValueError, match="equal shape"):
        L.HashedCrossing(5)((np.array(["A"]), np.array([1, 2])))


# ---------------------------------------------------------------- Resizing, CenterCrop
RESIZE = [dict(height=5, width=7), dict(height=15, width=6),
          dict(height=5, width=7, interpolation="nearest"),
          dict(height=5, width=7, interpolation="bicubic"),
          dict(height=5, width=7, crop_to_aspect_ratio=True),
          dict(height=5, width=4, pad_to_aspect_ratio=True, fill_value=3.0),
          dict(height=4, width=5, antialias=True)]


@pytest.mark.parametrize("kwargs", RESIZE)
def test_resizing_against_keras(kwargs):
    keras = _keras()
    ours = L.Resizing(**kwargs)(IMG).numpy()
    np.testing.assert_allclose(ours, _np(keras.layers.Resizing(**kwargs)(IMG)), atol=3e-4)


@pytest.mark.parametrize("hw", [(5, 7), (9, 12), (12, 8), (20, 20)])
def test_center_crop_against_keras(hw):
    keras = _keras()
    ours = L.CenterCrop(*hw)(IMG).numpy()
    np.testing.assert_allclose(ours, _np(keras.layers.CenterCrop(*hw)(IMG)), atol=3e-4)


def test_resize_crop_numpy_reference_and_errors():
    np.testing.assert_array_equal(L.CenterCrop(5, 7)(IMG).numpy(), IMG[:, 2:7, 2:9])
    np.testing.assert_array_equal(L.CenterCrop(5, 7)(IMG[0]).numpy(), IMG[0, 2:7, 2:9])
    doubled = L.Resizing(18, 24, interpolation="nearest")(IMG).numpy()
    np.testing.assert_array_equal(doubled, IMG.repeat(2, 1).repeat(2, 2))
    assert L.Resizing(4, 5).compute_output_shape((None, 9, 12, 3)) == (None, 4, 5, 3)
    with pytest.raises(ValueError, match="interpolation.*'lanczos3'"):
        L.Resizing(4, 4, interpolation="lanczos3")
    with pytest.raises(ValueError, match="Only one of"):
        L.Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        L.Resizing(4, 4)(IMG[0, 0])


# ---------------------------------------------------------------- augmentation
DETERMINISTIC = [
    ("RandomRotation", dict(factor=(0.125, 0.125))),
    ("RandomRotation", dict(factor=(-0.1, -0.1), fill_mode="constant", fill_value=7.0)),
    ("RandomRotation", dict(factor=(0.3, 0.3), fill_mode="wrap", interpolation="nearest")),
    ("RandomZoom", dict(height_factor=(0.2, 0.2), width_factor=(-0.3, -0.3))),
    ("RandomZoom", dict(height_factor=(-0.25, -0.25), fill_mode="nearest")),
    ("RandomTranslation", dict(height_factor=(0.1, 0.1), width_factor=(-0.2, -0.2))),
    ("RandomTranslation", dict(height_factor=(-0.3, -0.3), width_factor=(0.25, 0.25),
                               fill_mode="constant")),
    ("RandomBrightness", dict(factor=(0.1, 0.1))),
    ("RandomBrightness", dict(factor=(-0.3, -0.3), value_range=(0, 200))),
]


@pytest.mark.parametrize("name,kwargs", DETERMINISTIC)
def test_augmentation_against_keras(name, kwargs):
    keras = _keras()
    ours = getattr(L, name)(**kwargs)
    np.testing.assert_allclose(ours(IMG, training=True).numpy(),
                               _np(getattr(keras.layers, name)(**kwargs)(IMG, training=True)),
                               atol=3e-4)
    np.testing.assert_array_equal(ours(IMG, training=False).numpy(), IMG)   # inference


def test_augmentation_numpy_properties():
    flip = L.RandomFlip(seed=3)
    y = flip(IMG, training=True).numpy()
    for img, out in zip(IMG, y):
        assert np.array_equal(out, img) or np.array_equal(out, img[::-1, ::-1])
    hflip = L.RandomFlip("horizontal", seed=3)
    seen = {np.array_equal(hflip(IMG[:1], training=True).numpy()[0], IMG[0, :, ::-1])
            for _ in range(20)}
    assert seen == {True, False}
    contrast = L.RandomContrast((0.2, 0.5), seed=1)
    y = contrast(IMG, training=True).numpy()
    for img, out in zip(IMG, y):
        mean = img.mean((0, 1))
        c = (out[0, 0, 0] - mean[0]) / (img[0, 0, 0] - mean[0])
        assert 0.8 - 1e-4 <= c <= 1.5 + 1e-4
        np.testing.assert_allclose(out, np.clip((img - mean) * c + mean, 0, 255), atol=1e-2)
    crop = L.RandomCrop(4, 5, seed=2)
    y = crop(IMG, training=True).numpy()
    assert y.shape == (2, 4, 5, 3)
    found = [(i, j) for i in range(6) for j in range(8)
             if np.array_equal(IMG[:, i:i + 4, j:j + 5], y)]
    assert len(found) == 1
    np.testing.assert_array_equal(crop(IMG, training=False).numpy(), IMG)
    assert L.RandomCrop(12, 4)(IMG, training=True).shape == (2, 12, 4, 3)   # resized up


def test_augmentation_default_is_training_as_keras():
    # Keras 3: a direct call and model(x) augment; predict does not
    flip = L.RandomFlip("horizontal", seed=0)
    assert any(not np.array_equal(flip(IMG).numpy(), IMG) for _ in range(5))
    model = Sequential([Input((9, 12, 3)), L.RandomRotation(0.2, seed=1)])
    assert not np.allclose(model(IMG).numpy(), IMG)
    np.testing.assert_array_equal(model.predict(IMG, verbose=0), IMG)
    noise = L.GaussianNoise(0.5)
    np.testing.assert_array_equal(noise(IMG).numpy(), IMG)     # noise layers: off by default


def test_augmentation_seeds_gradients_and_model():
    a = L.RandomRotation(0.2, seed=7)(IMG, training=True).numpy()
    b = L.RandomRotation(0.2, seed=7)(IMG, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    layer = L.RandomZoom(0.3, seed=1, dtype="float64")
    x = dg.tensor(IMG[:1, :4, :5, :1].astype(np.float64), requires_grad=True)
    layer.generator = type(layer.generator)(5)
    y1 = layer(x, training=True)
    assert y1.requires_grad
    model = Sequential([Input((9, 12, 3)), L.RandomFlip("horizontal"), L.RandomRotation(0.1),
                        L.RandomZoom(0.1), L.RandomTranslation(0.1, 0.1),
                        L.RandomContrast(0.2), L.RandomBrightness(0.1),
                        L.Rescaling(1 / 255)])
    np.testing.assert_allclose(model.predict(IMG, verbose=0), IMG / 255, rtol=1e-6)
    for cls in (L.RandomFlip, L.RandomContrast, L.RandomRotation):
        layer = cls() if cls is L.RandomFlip else cls(0.2)
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_augmentation_bad_arguments():
    with pytest.raises(ValueError, match="unknown mode"):
        L.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="factor.*\\[0.0, 1.0\\].*1.5"):
        L.RandomContrast(1.5)
    with pytest.raises(ValueError, match="height_factor.*2"):
        L.RandomZoom(2)
    with pytest.raises(NotImplementedError, match="fill_mode.*mirror"):
        L.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="value_range"):
        L.RandomBrightness(0.1, value_range=(0, 1, 2))
