"""deepgrad.keras.datasets (Keras signatures, ``path`` as a file name) and keras.utils.

Expected values of ``to_categorical``, ``normalize`` and ``pad_sequences`` are Keras's own
(its docstring examples, and outputs checked against Keras 3.15). Data files are tiny ones
made here; the real MNIST (``$DEEPGRAD_DATA/mnist.npz``) is used when present.
"""
import gzip
import hashlib
import io
import os
import pickle
import random
import struct
import tarfile
import urllib.request

import numpy as np
import pytest

import deepgrad
from deepgrad.datasets import DatasetNotFoundError
from deepgrad.keras import datasets as kdatasets
from deepgrad.keras import utils

REAL_DIR = os.environ.get("DEEPGRAD_DATA")
REAL_MNIST = os.path.join(REAL_DIR, "mnist.npz") if REAL_DIR else None
REAL_URLOPEN = urllib.request.urlopen


def mnist_arrays(n=3, seed=0):
    r = np.random.default_rng(seed)
    return dict(x_train=r.integers(0, 256, (n, 28, 28), dtype=np.uint8),
                y_train=r.integers(0, 10, n, dtype=np.uint8),
                x_test=r.integers(0, 256, (2, 28, 28), dtype=np.uint8),
                y_test=r.integers(0, 10, 2, dtype=np.uint8))


def object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """$DEEPGRAD_DATA = <tmp>/data (created), HOME = <tmp>/home, and no network."""
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)

    def offline(*args, **kwargs):
        raise OSError("no network in tests")
    monkeypatch.setattr("urllib.request.urlopen", offline)
    os.makedirs(tmp_path / "data")
    return tmp_path / "data"


# ----------------------------------------------------------------------------- datasets
@pytest.mark.skipif(not (REAL_MNIST and os.path.isfile(REAL_MNIST)),
                    reason="no mnist.npz in $DEEPGRAD_DATA")
def test_mnist_wrapper_on_real_data():
    (x_train, y_train), (x_test, y_test) = kdatasets.mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert np.bincount(y_train, minlength=10).min() > 5000


def test_mnist_path_is_a_name_in_the_data_folders(data_dir, tmp_path):
    arrays = mnist_arrays()
    np.savez(data_dir / "mnist.npz", **arrays)
    (x_train, _), _ = kdatasets.mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    home_cache = tmp_path / "home" / ".deepgrad" / "datasets"
    os.makedirs(home_cache)
    np.savez(home_cache / "other.npz", **mnist_arrays(seed=1))
    (x_train, _), _ = kdatasets.mnist.load_data(path="other.npz")          # home cache
    np.testing.assert_array_equal(x_train, mnist_arrays(seed=1)["x_train"])
    np.savez(tmp_path / "elsewhere.npz", **mnist_arrays(seed=2))
    (x_train, _), _ = kdatasets.mnist.load_data(path=str(tmp_path / "elsewhere.npz"))
    np.testing.assert_array_equal(x_train, mnist_arrays(seed=2)["x_train"])
    with pytest.raises(DatasetNotFoundError, match="missing.npz"):
        kdatasets.mnist.load_data(path="missing.npz")


def test_mnist_name_downloads_into_data_dir_with_checksum(data_dir, tmp_path, monkeypatch):
    np.savez(tmp_path / "served.npz", **mnist_arrays(seed=3))
    with open(tmp_path / "served.npz", "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    monkeypatch.setattr("urllib.request.urlopen", REAL_URLOPEN)
    monkeypatch.setattr(deepgrad.datasets.mnist, "ORIGIN", (tmp_path / "served.npz").as_uri())
    monkeypatch.setattr(deepgrad.datasets.mnist, "SHA256", digest)
    (x_train, _), _ = kdatasets.mnist.load_data()
    assert os.path.isfile(data_dir / "mnist.npz")
    np.testing.assert_array_equal(x_train, mnist_arrays(seed=3)["x_train"])


def test_imdb_wrapper_signature_and_word_index(data_dir):
    np.savez(data_dir / "imdb.npz", x_train=object_array([[1, 2], [3]]),
             y_train=np.array([0, 1]), x_test=object_array([[4, 1, 1]]), y_test=np.array([1]))
    (data_dir / "imdb_word_index.json").write_text('{"the": 1}')
    (x_train, y_train), (x_test, y_test) = kdatasets.imdb.load_data(num_words=6)
    assert x_train.shape == (2,) and sorted(map(len, x_train)) == [2, 3]
    assert x_test.tolist() == [[1, 2, 4, 4]]        # 4+3=7 >= num_words -> oov 2
    assert kdatasets.imdb.get_word_index() == {"the": 1}
    with pytest.raises(TypeError, match="nb_words"):
        kdatasets.imdb.load_data(nb_words=10)


def test_boston_wrapper_name_and_split(data_dir):
    np.savez(data_dir / "boston_housing.npz", x=np.arange(130.0).reshape(10, 13),
             y=np.arange(10.0))
    (x_train, y_train), (x_test, y_test) = kdatasets.boston_housing.load_data(test_split=0.2)
    assert x_train.shape == (8, 13) and x_test.shape == (2, 13)
    assert sorted(np.concatenate([y_train, y_test])) == list(range(10))


def test_fashion_and_cifar_wrappers_read_the_data_folders(data_dir):
    r = np.random.default_rng(0)
    for fname, shape in [("train-labels-idx1-ubyte.gz", (2,)),
                         ("train-images-idx3-ubyte.gz", (2, 28, 28)),
                         ("t10k-labels-idx1-ubyte.gz", (1,)),
                         ("t10k-images-idx3-ubyte.gz", (1, 28, 28))]:
        os.makedirs(data_dir / "fashion-mnist", exist_ok=True)
        with gzip.open(data_dir / "fashion-mnist" / fname, "wb") as f:
            f.write(bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
                    + r.integers(0, 10, shape, dtype=np.uint8).tobytes())
    (x_train, y_train), (x_test, _) = kdatasets.fashion_mnist.load_data()
    assert x_train.shape == (2, 28, 28) and y_train.shape == (2,) and x_test.shape[0] == 1

    def batch(**labels):
        out = {b"data": r.integers(0, 256, (2, 3072), dtype=np.uint8)}
        out.update({k.encode(): [1, 0] for k in labels})
        return pickle.dumps(out, protocol=4)

    for fname, inner, members in [
            ("cifar-10-python.tar.gz", "cifar-10-batches-py",
             {n: batch(labels=1) for n in ["data_batch_%d" % i for i in range(1, 6)]
              + ["test_batch"]}),
            ("cifar-100-python.tar.gz", "cifar-100-python",
             {n: batch(fine_labels=1, coarse_labels=1) for n in ("train", "test")})]:
        with tarfile.open(data_dir / fname, "w:gz") as tar:
            for name, raw in members.items():
                info = tarfile.TarInfo(f"{inner}/{name}")
                info.size = len(raw)
                tar.addfile(info, io.BytesIO(raw))
    (x_train, y_train), (x_test, y_test) = kdatasets.cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1)
    assert y_train.dtype == np.uint8 and x_test.shape == (2, 32, 32, 3)
    (x_train, y_train), _ = kdatasets.cifar100.load_data(label_mode="coarse")
    assert x_train.shape == (2, 32, 32, 3) and y_train.tolist() == [[1], [0]]


# ----------------------------------------------------------------------------- to_categorical
def test_to_categorical_keras_example():
    out = utils.to_categorical([0, 1, 2, 3], num_classes=4)
    np.testing.assert_array_equal(out, np.eye(4))
    assert out.dtype == np.float32


@pytest.mark.parametrize("labels,num_classes,shape", [
    (np.array([[1], [2], [0]]), None, (3, 3)),           # trailing 1 squeezed
    (np.array([[1, 2], [0, 3]]), 5, (2, 2, 5)),
    (np.array([[[1]], [[0]]]), None, (2, 1, 2)),          # only the last 1 squeezed
    (np.array(3), 5, (5,)),
    (np.array([2.0, 1.0]), None, (2, 3)),                  # whole-number floats accepted
    (np.array([1], dtype=np.uint8), 0, (1, 2)),             # 0 -> inferred, as in Keras
])
def test_to_categorical_shapes(labels, num_classes, shape):
    out = utils.to_categorical(labels, num_classes)
    assert out.shape == shape and out.dtype == np.float32
    flat = np.asarray(labels).reshape(-1).astype(int)
    np.testing.assert_array_equal(out.reshape(-1, shape[-1]).argmax(-1), flat)
    np.testing.assert_array_equal(out.sum(-1), np.ones(shape[:-1]))


def test_to_categorical_errors():
    with pytest.raises(ValueError, match=r"\[0, 2\].*received \[3\]"):
        utils.to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=r"received \[-1\]"):
        utils.to_categorical([0, -1])
    with pytest.raises(ValueError, match="whole numbers"):
        utils.to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match="empty"):
        utils.to_categorical([])
    assert utils.to_categorical([], num_classes=3).shape == (0, 3)


def test_to_categorical_accepts_tensor():
    out = utils.to_categorical(deepgrad.tensor([2, 0]), 3)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0]])


# ----------------------------------------------------------------------------- normalize
def test_normalize_numpy():
    np.testing.assert_allclose(utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]])),
                               [[0.6, 0.8], [0.0, 0.0]])
    x = np.array([[3.0, -4.0], [1.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1), [[0.75, -1.0],
                                                                    [0.25, 0.0]])
    r = np.random.default_rng(0).normal(size=(2, 3, 4))
    out = utils.normalize(r, axis=1)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), np.ones((2, 4)))
    with pytest.raises(ValueError, match="axis"):
        utils.normalize(r, axis=None)


def test_normalize_tensor_is_differentiable_with_finite_grad_at_zero():
    t = deepgrad.tensor(np.array([[3.0, 4.0], [0.0, 0.0]]), requires_grad=True)
    y = utils.normalize(t)
    np.testing.assert_allclose(y.numpy(), [[0.6, 0.8], [0.0, 0.0]])
    y.sum().backward()
    grad = t.grad.numpy()
    assert np.isfinite(grad).all()
    # d/dx sum(x / ||x||) = 1/||x|| - x * sum(x) / ||x||^3 on the nonzero row
    np.testing.assert_allclose(grad[0], 1 / 5 - np.array([3.0, 4.0]) * 7 / 125)


# ----------------------------------------------------------------------------- pad_sequences
SEQ = [[1], [2, 3], [4, 5, 6]]


@pytest.mark.parametrize("kwargs,expected", [
    ({}, [[0, 0, 1], [0, 2, 3], [4, 5, 6]]),
    ({"value": -1}, [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]),
    ({"padding": "post"}, [[1, 0, 0], [2, 3, 0], [4, 5, 6]]),
    ({"maxlen": 2}, [[0, 1], [2, 3], [5, 6]]),
    ({"maxlen": 2, "truncating": "post"}, [[0, 1], [2, 3], [4, 5]]),
    ({"maxlen": 4, "padding": "post", "truncating": "post"},
     [[1, 0, 0, 0], [2, 3, 0, 0], [4, 5, 6, 0]]),
])
def test_pad_sequences_keras_examples(kwargs, expected):
    out = utils.pad_sequences(SEQ, **kwargs)
    assert out.dtype == np.int32 and out.tolist() == expected


def test_pad_sequences_dtypes_items_and_empty():
    out = utils.pad_sequences([[0.5], []], maxlen=2, dtype="float32", value=9.0)
    assert out.dtype == np.float32 and out.tolist() == [[9.0, 0.5], [9.0, 9.0]]
    out = utils.pad_sequences([np.ones((2, 3)), np.zeros((4, 3))], maxlen=3)
    assert out.shape == (2, 3, 3) and out[0, 0].tolist() == [0, 0, 0]
    out = utils.pad_sequences([["a", "bb"], ["c"]], dtype=object, value="x")
    assert out.tolist() == [["a", "bb"], ["x", "c"]]


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="dtype=object"):
        utils.pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="padding"):
        utils.pad_sequences(SEQ, padding="middle")
    with pytest.raises(ValueError, match="truncating"):
        utils.pad_sequences(SEQ, truncating="both")
    with pytest.raises(ValueError, match="non-iterable"):
        utils.pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="item shape"):
        utils.pad_sequences([np.ones((1, 2)), np.ones((1, 3))])


# ----------------------------------------------------------------------------- the rest
def test_set_random_seed_makes_everything_repeat():
    def draw():
        return (random.random(), np.random.rand(), deepgrad.rand(2).numpy().tolist())
    utils.set_random_seed(7)
    first = draw()
    utils.set_random_seed(7)
    assert draw() == first
    with pytest.raises(ValueError, match="integer"):
        utils.set_random_seed(1.5)


def test_plot_model_refuses_what_is_not_a_model():
    # plot_model draws through pydot/graphviz or matplotlib (tests/plot/test_model_graph.py)
    with pytest.raises(TypeError, match="expected a deepgrad.keras Model"):
        utils.plot_model(object())


def test_get_file_keras_signature(data_dir, tmp_path, monkeypatch):
    (tmp_path / "w.txt").write_bytes(b"hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    monkeypatch.setattr("urllib.request.urlopen", REAL_URLOPEN)
    uri = (tmp_path / "w.txt").as_uri()
    path = utils.get_file(origin=uri, file_hash=digest)               # name from the URL
    assert path == str(data_dir / "w.txt") and open(path, "rb").read() == b"hello"
    path = utils.get_file("copy.txt", uri, cache_dir=str(tmp_path / "c"))
    assert path == str(tmp_path / "c" / "datasets" / "copy.txt")
    path = utils.get_file("m.txt", uri, cache_subdir="models")
    assert path == str(data_dir / "models" / "m.txt")
    with pytest.raises(ValueError, match="SHA-256"):
        utils.get_file("x.txt", uri, file_hash="0" * 32)
    with pytest.raises(NotImplementedError, match="extract"):
        utils.get_file("x.txt", uri, extract=True)
