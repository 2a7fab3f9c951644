"""deepgrad.datasets formats: Fashion-MNIST IDX, CIFAR pickles, IMDB npz, Boston npz.

Every file is a tiny one made here in the official format (gzipped IDX; a tar.gz of
Python-2-style CIFAR pickles; an npz of object arrays), so nothing touches the network.
The restricted unpickler is checked against pickles that would run a command.
"""
import gzip
import hashlib
import io
import json
import os
import pickle
import struct
import tarfile
import urllib.request
import zipfile

import numpy as np
import pytest

from deepgrad.datasets import (
    ChecksumError, DatasetFormatError, UnsafePickleError, boston_housing, cifar10, cifar100,
    fashion_mnist, imdb)
from deepgrad.datasets import _pickle_safe

REAL_URLOPEN = urllib.request.urlopen   # the data_dir fixture replaces it; file:// needs it

# ----------------------------------------------------------------------------- writers
def write_idx_gz(path, array):
    """Gzipped IDX of unsigned bytes: 00 00 08 ndim, big-endian sizes, raw values."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())
    return str(path)


class Py2Pickler(pickle._Pickler):
    """Writes pickles as Python 2's cPickle did for CIFAR: bytes as STRING opcodes and
    ``numpy.core.multiarray._reconstruct`` (protocol 2)."""
    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)
    dispatch[bytes] = save_py2_str

    def save_global(self, obj, name=None):
        if getattr(obj, "__name__", None) == "_reconstruct":
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
        else:
            super().save_global(obj, name)


def py2_dumps(obj):
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def cifar_batch(n, label_keys, num_classes, seed):
    r = np.random.default_rng(seed)
    batch = {b"batch_label": b"batch", b"filenames": [b"img%d.png" % i for i in range(n)],
             b"data": r.integers(0, 256, (n, 3072), dtype=np.uint8)}
    for key, k in zip(label_keys, num_classes):
        batch[key.encode()] = [int(v) for v in r.integers(0, k, n)]
    return batch


def write_tar_gz(path, inner, members):
    """members: name -> bytes, stored as <inner>/<name> in a tar.gz."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{inner}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


def cifar10_files(tmp_path, n=3, dumps=py2_dumps):
    names = list(cifar10.TRAIN_BATCHES) + [cifar10.TEST_BATCH]
    batches = {name: cifar_batch(n, ["labels"], [10], seed) for seed, name in enumerate(names)}
    path = write_tar_gz(tmp_path / "cifar-10-python.tar.gz", cifar10.INNER,
                        {name: dumps(b) for name, b in batches.items()})
    return path, batches


def cifar100_files(tmp_path, n=4):
    batches = {name: cifar_batch(n, ["fine_labels", "coarse_labels"], [100, 20], seed)
               for seed, name in enumerate(("train", "test"))}
    path = write_tar_gz(tmp_path / "cifar-100-python.tar.gz", cifar100.INNER,
                        {name: py2_dumps(b) for name, b in batches.items()})
    return path, batches


def object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out


def write_imdb(path, x_train, y_train, x_test, y_test):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez(path, x_train=object_array(x_train), y_train=np.array(y_train, np.int64),
             x_test=object_array(x_test), y_test=np.array(y_test, np.int64))
    return str(path)


class RunsCommand:
    """Pickles as a call to ``os.system(cmd)``: what a tampered data file would hold."""

    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """$DEEPGRAD_DATA = <tmp>/data, HOME = <tmp>/home, and no network."""
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def offline(*args, **kwargs):
        raise OSError("no network in tests")
    monkeypatch.setattr("urllib.request.urlopen", offline)
    return tmp_path / "data"


# ----------------------------------------------------------------------------- Fashion-MNIST
def fashion_arrays(seed=0):
    r = np.random.default_rng(seed)
    return {"train-labels-idx1-ubyte.gz": r.integers(0, 10, 5, dtype=np.uint8),
            "train-images-idx3-ubyte.gz": r.integers(0, 256, (5, 28, 28), dtype=np.uint8),
            "t10k-labels-idx1-ubyte.gz": r.integers(0, 10, 2, dtype=np.uint8),
            "t10k-images-idx3-ubyte.gz": r.integers(0, 256, (2, 28, 28), dtype=np.uint8)}


def test_fashion_mnist_reads_idx_gz_from_data_dir(data_dir):
    arrays = fashion_arrays()
    for fname, arr in arrays.items():
        write_idx_gz(data_dir / "fashion-mnist" / fname, arr)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (5, 28, 28) and y_train.shape == (5,)
    assert x_test.shape == (2, 28, 28) and y_test.shape == (2,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])


def test_fashion_mnist_explicit_folder_and_truncated_file(tmp_path, data_dir):
    for fname, arr in fashion_arrays(1).items():
        write_idx_gz(tmp_path / "fm" / fname, arr)
    (x_train, _), _ = fashion_mnist.load_data(path=str(tmp_path / "fm"))
    assert x_train.shape == (5, 28, 28)
    raw = gzip.decompress((tmp_path / "fm" / "train-images-idx3-ubyte.gz").read_bytes())
    with gzip.open(tmp_path / "fm" / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(raw[:-10])
    with pytest.raises(DatasetFormatError, match="truncated"):
        fashion_mnist.load_data(path=str(tmp_path / "fm"))


def test_idx_reader_rejects_non_idx(tmp_path):
    bad = tmp_path / "bad.gz"
    with gzip.open(bad, "wb") as f:
        f.write(b"\x00\x00\x0d\x01" + b"\x00" * 12)     # type 0x0d (float), not ubyte
    with pytest.raises(DatasetFormatError, match="unsigned bytes"):
        fashion_mnist.read_idx_gz(str(bad))
    (tmp_path / "plain.gz").write_bytes(b"not gzip")
    with pytest.raises(DatasetFormatError, match="gzip"):
        fashion_mnist.read_idx_gz(str(tmp_path / "plain.gz"))


def test_fashion_mnist_downloads_with_checksums(tmp_path, data_dir, monkeypatch):
    server = tmp_path / "server"
    hashes = {f: sha256_of(write_idx_gz(server / f, a)) for f, a in fashion_arrays(2).items()}
    monkeypatch.setattr(fashion_mnist, "BASE_URL", server.as_uri() + "/")
    monkeypatch.setattr("urllib.request.urlopen", REAL_URLOPEN)
    monkeypatch.setattr(fashion_mnist, "FILES", hashes)
    (x_train, _), _ = fashion_mnist.load_data()
    assert x_train.shape == (5, 28, 28)
    assert sorted(os.listdir(data_dir / "fashion-mnist")) == sorted(hashes)


# ----------------------------------------------------------------------------- CIFAR
def check_cifar_pixels(x, data):
    """x[i, row, col, ch] == data[i, ch * 1024 + row * 32 + col] (channel planes)."""
    np.testing.assert_array_equal(x[:, 5, 7, 2], data[:, 2 * 1024 + 5 * 32 + 7])
    np.testing.assert_array_equal(x, data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))


def test_cifar10_reads_python2_pickles_from_archive(tmp_path, data_dir):
    path, batches = cifar10_files(tmp_path)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(path=path)
    assert x_train.shape == (15, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (15, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (3, 32, 32, 3) and y_test.shape == (3, 1)
    assert y_test.dtype == np.uint8 and x_train.flags.c_contiguous
    train = [batches[n] for n in cifar10.TRAIN_BATCHES]
    check_cifar_pixels(x_train, np.concatenate([b[b"data"] for b in train]))
    assert y_train[:, 0].tolist() == sum((b[b"labels"] for b in train), [])
    check_cifar_pixels(x_test, batches["test_batch"][b"data"])


def test_cifar10_protocol4_pickles_extracted_folder_and_data_dir(tmp_path, data_dir):
    path, batches = cifar10_files(tmp_path, dumps=lambda b: pickle.dumps(b, protocol=4))
    with tarfile.open(path) as tar:
        tar.extractall(tmp_path / "extracted", filter="data")
    (x_a, y_a), _ = cifar10.load_data(path=str(tmp_path / "extracted"))
    os.makedirs(data_dir)
    os.replace(path, data_dir / cifar10.FNAME)
    (x_b, y_b), _ = cifar10.load_data()
    np.testing.assert_array_equal(x_a, x_b)
    np.testing.assert_array_equal(y_a, y_b)
    assert y_a[:3, 0].tolist() == batches["data_batch_1"][b"labels"]


def test_cifar10_missing_batch_and_bad_labels(tmp_path):
    path = write_tar_gz(tmp_path / "a.tar.gz", cifar10.INNER,
                        {"data_batch_1": py2_dumps(cifar_batch(2, ["labels"], [10], 0))})
    with pytest.raises(DatasetFormatError, match="data_batch_2"):
        cifar10.load_data(path=path)
    bad = cifar_batch(2, ["labels"], [10], 0)
    bad[b"labels"] = [3, 10]
    members = {n: py2_dumps(bad) for n in cifar10.TRAIN_BATCHES + (cifar10.TEST_BATCH,)}
    with pytest.raises(DatasetFormatError, match="0..9"):
        cifar10.load_data(path=write_tar_gz(tmp_path / "b.tar.gz", cifar10.INNER, members))


def test_cifar10_refuses_a_batch_that_would_run_a_command(tmp_path):
    marker = tmp_path / "pwned"
    evil = py2_dumps({b"data": RunsCommand(f"touch {marker}"), b"labels": []})
    members = {n: evil for n in cifar10.TRAIN_BATCHES + (cifar10.TEST_BATCH,)}
    path = write_tar_gz(tmp_path / "evil.tar.gz", cifar10.INNER, members)
    with pytest.raises(UnsafePickleError, match=r"refusing to load '\w+\.system'"):
        cifar10.load_data(path=path)
    assert not marker.exists()


def test_cifar10_checksum_mismatch_leaves_nothing(tmp_path, data_dir, monkeypatch):
    path, _ = cifar10_files(tmp_path / "server")
    monkeypatch.setattr("urllib.request.urlopen", REAL_URLOPEN)
    monkeypatch.setattr(cifar10, "ORIGIN", "file://" + path)
    with pytest.raises(ChecksumError, match="SHA-256 mismatch"):
        cifar10.load_data()
    assert not os.path.exists(data_dir / cifar10.FNAME)
    assert os.listdir(data_dir) == []
    monkeypatch.setattr(cifar10, "SHA256", sha256_of(path))
    (x_train, _), _ = cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and os.path.isfile(data_dir / cifar10.FNAME)


@pytest.mark.parametrize("mode,k", [("fine", 100), ("coarse", 20)])
def test_cifar100_label_modes(tmp_path, mode, k):
    path, batches = cifar100_files(tmp_path)
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=mode, path=path)
    assert x_train.shape == (4, 32, 32, 3) and x_test.shape == (4, 32, 32, 3)
    assert y_train.shape == (4, 1) and y_train.dtype == np.int64   # as Keras returns
    assert y_test[:, 0].tolist() == batches["test"][f"{mode}_labels".encode()]
    assert y_train.max() < k
    check_cifar_pixels(x_train, batches["train"][b"data"])


def test_cifar100_rejects_unknown_label_mode(tmp_path):
    with pytest.raises(ValueError, match="label_mode='medium'"):
        cifar100.load_data(label_mode="medium", path=str(tmp_path / "unused.tar.gz"))


# ----------------------------------------------------------------------------- unpickler
@pytest.mark.parametrize("payload", [
    RunsCommand("true"),
    {b"data": [1, RunsCommand("true")]},
])
def test_restricted_unpickler_refuses_callables(payload):
    for raw in (py2_dumps(payload), pickle.dumps(payload, protocol=4)):
        with pytest.raises(UnsafePickleError, match="system"):
            _pickle_safe.load_pickle(raw, "x", encoding="bytes")


@pytest.mark.parametrize("raw", [
    b"cbuiltins\neval\n(S'1+1'\ntR.",                      # GLOBAL builtins.eval
    b"csubprocess\nPopen\n(S'true'\ntR.",
    b"cnumpy\nload\n(S'x'\ntR.",                           # numpy, but not allowed
    b"cnumpy.core.multiarray\nscalar\n.",
])
def test_restricted_unpickler_refuses_other_globals(raw):
    with pytest.raises(UnsafePickleError, match="refusing"):
        _pickle_safe.load_pickle(raw, "hand-made")


def test_restricted_unpickler_loads_plain_values_and_arrays():
    value = {b"k": [1, 2.5, "s", b"b", (None, True)], "a": np.arange(6, dtype=np.uint8)}
    for raw in (pickle.dumps(value, protocol=4), py2_dumps(value)):
        out = _pickle_safe.load_pickle(raw, "x", encoding="bytes")
        assert out[b"k"] == value[b"k"]
        np.testing.assert_array_equal(out["a"], value["a"])
    with pytest.raises(DatasetFormatError, match="not a readable pickle"):
        _pickle_safe.load_pickle(pickle.dumps(value)[:20], "x")


# ----------------------------------------------------------------------------- IMDB
IMDB_TRAIN = [[1, 4, 2], [5, 1, 1, 3, 9], [2], [7, 7]]
IMDB_TEST = [[3, 3, 3], [8, 1], [4, 6, 2, 2]]


def keras_order(seqs, labels, rng):
    idx = np.arange(len(seqs))
    rng.shuffle(idx)
    return [seqs[i] for i in idx], [labels[i] for i in idx]


@pytest.fixture
def imdb_file(tmp_path):
    return write_imdb(tmp_path / "imdb.npz", IMDB_TRAIN, [0, 1, 1, 0], IMDB_TEST, [1, 0, 1])


def test_imdb_default_offsets_and_shuffle(imdb_file):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(path=imdb_file)
    rng = np.random.RandomState(113)
    seqs, labels = keras_order(IMDB_TRAIN, [0, 1, 1, 0], rng)
    tseqs, tlabels = keras_order(IMDB_TEST, [1, 0, 1], rng)   # same generator, continued
    assert x_train.dtype == object and x_train.shape == (4,) and x_test.shape == (3,)
    assert y_train.dtype == np.int64 and y_train.tolist() == labels
    assert y_test.tolist() == tlabels
    # +3, start char 1; num_words=None -> the largest index (12) itself becomes oov (2)
    expected = [[1] + [w + 3 if w + 3 < 12 else 2 for w in s] for s in seqs]
    assert x_train.tolist() == expected
    assert x_test[0][0] == 1 and all(type(w) is int for w in x_test[0])
    assert [len(s) for s in x_test] == [len(s) + 1 for s in tseqs]


def test_imdb_num_words_skip_top_maxlen_oov(imdb_file):
    (x_train, y_train), (x_test, _) = imdb.load_data(
        path=imdb_file, num_words=8, skip_top=5, maxlen=4, start_char=1, oov_char=2,
        index_from=3, seed=0)
    rng = np.random.RandomState(0)
    seqs, labels = keras_order(IMDB_TRAIN, [0, 1, 1, 0], rng)
    kept = [(s, y) for s, y in zip(seqs, labels) if len(s) + 1 < 4]     # strictly shorter
    assert x_train.tolist() == [[2] + [w + 3 if 5 <= w + 3 < 8 else 2 for w in s]
                                for s, _ in kept]
    assert y_train.tolist() == [y for _, y in kept]
    assert all(len(s) < 4 for s in x_test)


def test_imdb_no_start_char_drop_oov_and_empty_maxlen(imdb_file):
    (x_train, _), _ = imdb.load_data(path=imdb_file, start_char=None, oov_char=None,
                                      index_from=0, num_words=5, seed=1)
    seqs, _ = keras_order(IMDB_TRAIN, [0, 1, 1, 0], np.random.RandomState(1))
    assert x_train.tolist() == [[w for w in s if w < 5] for s in seqs]
    with pytest.raises(ValueError, match="Increase maxlen"):
        imdb.load_data(path=imdb_file, maxlen=2)


def test_imdb_equal_lengths_stay_one_dimensional(tmp_path):
    path = write_imdb(tmp_path / "eq.npz", [[1, 2], [3, 4]], [0, 1], [[5, 6]], [1])
    (x_train, _), (x_test, _) = imdb.load_data(path=path)
    assert x_train.shape == (2,) and x_test.shape == (1,) and x_train.dtype == object


def test_imdb_refuses_a_pickle_that_would_run_a_command(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = RunsCommand(f"touch {marker}")
    np.savez(path, x_train=evil, y_train=np.zeros(1, np.int64), x_test=evil,
             y_test=np.zeros(1, np.int64))
    with pytest.raises(UnsafePickleError, match="system"):
        imdb.load_data(path=str(path))
    assert not marker.exists()


def test_imdb_rejects_wrong_layout(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x_train=object_array([[1], "word"]), y_train=np.zeros(2, np.int64),
             x_test=object_array([[1]]), y_test=np.zeros(1, np.int64))
    with pytest.raises(DatasetFormatError, match=r"x_train\[1\] is not a list of ints"):
        imdb.load_data(path=str(path))
    with zipfile.ZipFile(tmp_path / "nokey.npz", "w") as z:
        z.writestr("x_train.npy", b"")
    with pytest.raises(DatasetFormatError, match="missing"):
        imdb.load_data(path=str(tmp_path / "nokey.npz"))


def test_imdb_word_index(tmp_path):
    (tmp_path / "wi.json").write_text(json.dumps({"the": 1, "and": 2}), encoding="utf-8")
    assert imdb.get_word_index(path=str(tmp_path / "wi.json")) == {"the": 1, "and": 2}
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(DatasetFormatError, match="JSON object"):
        imdb.get_word_index(path=str(tmp_path / "list.json"))


# ----------------------------------------------------------------------------- Boston
def test_boston_housing_shuffle_and_split(tmp_path):
    r = np.random.default_rng(0)
    x, y = r.normal(size=(11, 13)), r.normal(size=11)
    np.savez(tmp_path / "b.npz", x=x, y=y)
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(
        path=str(tmp_path / "b.npz"), test_split=0.3, seed=5)
    idx = np.arange(11)
    np.random.RandomState(5).shuffle(idx)
    n_train = int(11 * (1 - 0.3))                                       # 7
    np.testing.assert_array_equal(x_train, x[idx[:n_train]])
    np.testing.assert_array_equal(y_test, y[idx[n_train:]])
    assert x_train.shape == (7, 13) and x_test.shape == (4, 13) and y_train.shape == (7,)
    assert x_train.dtype == np.float64
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(path=str(tmp_path / "b.npz"), test_split=1.0)
