"""deepgrad.datasets: file resolution, checksummed atomic download, safe .npz reading, MNIST.

Never touches the network: downloads come from local ``file://`` origins or a patched
``urlopen``. The real-data test uses the MNIST copy named by ``$DEEPGRAD_DATA`` (read at
import, before any test changes the environment) and is skipped when there is none.
"""
import hashlib
import io
import os
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest

from deepgrad.datasets import (
    ChecksumError, DatasetFormatError, DatasetNotFoundError, get_file, mnist)
from deepgrad.datasets import _fetch, _npz

REAL_DIR = os.environ.get("DEEPGRAD_DATA")
REAL_FILE = os.path.join(REAL_DIR, "mnist.npz") if REAL_DIR else None


# ----------------------------------------------------------------------------- helpers
def mnist_arrays(n_train=6, n_test=4, seed=0):
    r = np.random.default_rng(seed)
    return dict(x_train=r.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
                y_train=r.integers(0, 10, n_train, dtype=np.uint8),
                x_test=r.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
                y_test=r.integers(0, 10, n_test, dtype=np.uint8))


def write_npz(path, **arrays):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return str(path)


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty HOME and no DEEPGRAD_DATA: the home cache is <tmp>/home/.deepgrad/datasets."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DEEPGRAD_DATA", raising=False)
    return tmp_path / "home"


@pytest.fixture
def origin(tmp_path, monkeypatch):
    """A valid small mnist.npz served from a file:// URL, set as mnist's origin + hash."""
    src = write_npz(str(tmp_path / "server" / "mnist.npz"), **mnist_arrays(seed=1))
    uri = "file://" + os.path.abspath(src)
    monkeypatch.setattr(mnist, "ORIGIN", uri)
    monkeypatch.setattr(mnist, "SHA256", sha256_of(src))
    return src


def offline(monkeypatch):
    def urlopen(*args, **kwargs):
        raise urllib.error.URLError("no network in tests")
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


# ----------------------------------------------------------------------------- resolution
def test_cache_dir_follows_home(home):
    assert _fetch.cache_dir() == str(home / ".deepgrad" / "datasets")


def test_resolution_order_path_then_env_then_home(home, tmp_path, monkeypatch):
    offline(monkeypatch)
    cached = write_npz(os.path.join(_fetch.cache_dir(), "mnist.npz"), **mnist_arrays(seed=2))
    assert get_file("mnist.npz", "http://unused", "0" * 64) == cached

    env = write_npz(str(tmp_path / "env" / "mnist.npz"), **mnist_arrays(seed=3))
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "env"))
    assert get_file("mnist.npz", "http://unused", "0" * 64) == env

    explicit = write_npz(str(tmp_path / "mine" / "digits.npz"), **mnist_arrays(seed=4))
    assert get_file("mnist.npz", "http://unused", "0" * 64, path=explicit) == explicit
    # load_data reads the file it resolved (placed files are not checksum-verified)
    (x, y), _ = mnist.load_data(path=explicit)
    np.testing.assert_array_equal(x, mnist_arrays(seed=4)["x_train"])
    (x, y), _ = mnist.load_data()
    np.testing.assert_array_equal(x, mnist_arrays(seed=3)["x_train"])


def test_env_var_relative_and_tilde(home, tmp_path, monkeypatch):
    offline(monkeypatch)
    placed = write_npz(str(home / "data" / "mnist.npz"), **mnist_arrays())
    monkeypatch.setenv("DEEPGRAD_DATA", "~/data")
    assert get_file("mnist.npz", "http://unused", None) == placed
    monkeypatch.chdir(home)
    monkeypatch.setenv("DEEPGRAD_DATA", "data")
    assert get_file("mnist.npz", "http://unused", None) == placed


def test_path_that_is_a_folder_is_refused(home, tmp_path):
    with pytest.raises(IsADirectoryError, match="expected the path of the file itself"):
        get_file("mnist.npz", "http://unused", None, path=str(tmp_path))


# ----------------------------------------------------------------------------- download
def test_download_to_home_cache_verifies_and_leaves_only_the_file(home, origin):
    (x, y), (xt, yt) = mnist.load_data()
    ref = mnist_arrays(seed=1)
    np.testing.assert_array_equal(x, ref["x_train"])
    np.testing.assert_array_equal(yt, ref["y_test"])
    assert os.listdir(_fetch.cache_dir()) == ["mnist.npz"]


def test_download_prefers_env_folder(home, origin, tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "env"))
    got = get_file("mnist.npz", mnist.ORIGIN, mnist.SHA256)
    assert got == str(tmp_path / "env" / "mnist.npz")
    assert sha256_of(got) == mnist.SHA256
    assert not os.path.exists(_fetch.cache_dir()) or not os.listdir(_fetch.cache_dir())


def test_download_to_explicit_missing_path(home, origin, tmp_path):
    target = str(tmp_path / "new" / "folder" / "m.npz")
    assert get_file("mnist.npz", mnist.ORIGIN, mnist.SHA256, path=target) == target
    assert sha256_of(target) == mnist.SHA256
    assert os.listdir(os.path.dirname(target)) == ["m.npz"]


def test_checksum_mismatch_raises_and_leaves_nothing(home, origin, monkeypatch):
    monkeypatch.setattr(mnist, "SHA256", "ab" * 32)
    with pytest.raises(ChecksumError) as info:
        mnist.load_data()
    msg = str(info.value)
    assert "ab" * 32 in msg and sha256_of(origin) in msg and "mnist.npz" in msg
    assert os.listdir(_fetch.cache_dir()) == []


def test_write_is_atomic_temp_in_target_folder(home, origin, monkeypatch):
    calls = []
    real_replace = os.replace

    def spy(src, dst):
        calls.append((src, dst, os.path.exists(dst), sha256_of(src)))
        real_replace(src, dst)
    monkeypatch.setattr(_fetch.os, "replace", spy)
    target = get_file("mnist.npz", mnist.ORIGIN, mnist.SHA256)
    [(src, dst, existed, digest)] = calls
    assert dst == target and not existed and digest == mnist.SHA256
    assert os.path.dirname(src) == os.path.dirname(target) and src.endswith(".part")


class _BrokenResponse(io.BytesIO):
    """Serves one chunk, then the connection drops."""
    headers = {"Content-Length": "1000000"}

    def read(self, n=-1):
        if self.tell():
            raise ConnectionResetError("connection dropped")
        return super().read(10)


def test_interrupted_download_leaves_nothing(home, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda *a, **k: _BrokenResponse(b"x" * 100))
    with pytest.raises(DatasetNotFoundError, match="connection dropped"):
        get_file("mnist.npz", "http://example.invalid/mnist.npz", None)
    assert os.listdir(_fetch.cache_dir()) == []


def test_offline_error_says_what_to_put_where(home, tmp_path, monkeypatch):
    offline(monkeypatch)
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "env"))
    with pytest.raises(DatasetNotFoundError) as info:
        mnist.load_data()
    assert isinstance(info.value, FileNotFoundError)
    msg = str(info.value)
    for part in ("'mnist.npz'", str(tmp_path / "env"), _fetch.cache_dir(), "DEEPGRAD_DATA",
                 "no network in tests", mnist.ORIGIN):
        assert part in msg, part


def test_offline_with_explicit_path_names_that_path(home, tmp_path, monkeypatch):
    offline(monkeypatch)
    target = str(tmp_path / "elsewhere" / "mnist.npz")
    with pytest.raises(DatasetNotFoundError, match="elsewhere"):
        mnist.load_data(path=target)


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self):
        return True


def test_progress_on_a_terminal_without_tqdm_redraws_one_line(home, origin, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)          # `import tqdm` -> ImportError
    monkeypatch.setattr(sys, "stderr", _Terminal())
    get_file("mnist.npz", mnist.ORIGIN, mnist.SHA256)
    assert sys.stderr.getvalue() == "\rDownloading mnist.npz: 100% (0.0/0.0 MB)\n"


def test_progress_in_a_log_is_plain_lines_at_each_quarter(home, origin, monkeypatch, capsys):
    monkeypatch.setattr(_fetch, "_CHUNK", os.path.getsize(origin) // 10 + 1)   # 10 chunks
    get_file("mnist.npz", mnist.ORIGIN, mnist.SHA256)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    percents = [int(line.split(":")[1].split("%")[0]) for line in lines]
    assert [line.startswith("Downloading mnist.npz: ") for line in lines] == [True] * 4
    assert percents[-1] == 100 and percents == sorted(percents) and percents[0] >= 25
    assert [4 * p // 100 for p in percents] == [1, 2, 3, 4]


def test_progress_in_a_log_of_unknown_size_is_one_line(capsys):
    bar = _fetch._progress(None, "data.bin")
    bar.update(2_500_000)
    bar.update(500_000)
    bar.close()
    assert capsys.readouterr().err == "Downloaded data.bin: 3.0 MB\n"


def test_progress_on_a_terminal_uses_tqdm_when_installed(home, origin, monkeypatch):
    made = []

    class FakeTqdm:
        def __init__(self, total=None, **kwargs):
            self.total, self.n, self.closed, self.kwargs = total, 0, False, kwargs
            made.append(self)

        def update(self, n):
            self.n += n

        def close(self):
            self.closed = True
    monkeypatch.setitem(sys.modules, "tqdm", type(sys)("tqdm"))
    sys.modules["tqdm"].tqdm = FakeTqdm
    monkeypatch.setattr(sys, "stderr", _Terminal())
    get_file("mnist.npz", mnist.ORIGIN, mnist.SHA256)
    [bar] = made
    assert bar.n == bar.total == os.path.getsize(origin) and bar.closed
    assert bar.kwargs["file"] is sys.stderr and sys.stderr.getvalue() == ""


# ----------------------------------------------------------------------------- bad files
def test_truncated_file(home, tmp_path):
    good = write_npz(str(tmp_path / "good.npz"), **mnist_arrays())
    bad = str(tmp_path / "mnist.npz")
    with open(good, "rb") as f, open(bad, "wb") as g:
        g.write(f.read()[:3000])
    with pytest.raises(DatasetFormatError, match="corrupted or truncated") as info:
        mnist.load_data(path=bad)
    assert bad in str(info.value)


def test_garbage_file(home, tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(DatasetFormatError, match="not a readable .npz"):
        mnist.load_data(path=str(bad))


def test_missing_key(home, tmp_path):
    arrays = mnist_arrays()
    del arrays["y_test"]
    bad = write_npz(str(tmp_path / "mnist.npz"), **arrays)
    with pytest.raises(DatasetFormatError, match=r"missing array\(s\) \['y_test'\]"):
        mnist.load_data(path=bad)


@pytest.mark.parametrize("key, value, expected", [
    ("y_train", np.zeros(6, np.int64), "y_train has dtype int64; expected uint8"),
    ("x_test", np.zeros((4, 28, 27), np.uint8), r"x_test has shape \(4, 28, 27\)"),
    ("y_test", np.zeros(5, np.uint8), r"y_test has shape \(5,\); expected \(4,\)"),
])
def test_wrong_layout(home, tmp_path, key, value, expected):
    bad = write_npz(str(tmp_path / "mnist.npz"), **{**mnist_arrays(), key: value})
    with pytest.raises(DatasetFormatError, match=expected):
        mnist.load_data(path=bad)


def test_object_array_is_refused_never_unpickled(home, tmp_path, monkeypatch):
    arrays = {**mnist_arrays(), "y_train": np.array([{"evil": 1}] * 6, dtype=object)}
    bad = write_npz(str(tmp_path / "mnist.npz"), **arrays)
    seen = []
    real_load = np.load

    def spy(*args, **kwargs):
        seen.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)
    monkeypatch.setattr(_npz.np, "load", spy)
    with pytest.raises(DatasetFormatError, match="'y_train' is an object"):
        mnist.load_data(path=bad)
    assert seen == [False]


# ----------------------------------------------------------------------------- real data
@pytest.mark.skipif(not REAL_FILE or not os.path.isfile(REAL_FILE),
                    reason="set DEEPGRAD_DATA to a folder holding the real mnist.npz")
def test_real_mnist_layout(monkeypatch):
    monkeypatch.setenv("DEEPGRAD_DATA", REAL_DIR)
    offline(monkeypatch)                     # the placed copy is used, never re-downloaded
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert (x_train.shape, x_train.dtype) == ((60000, 28, 28), np.uint8)
    assert (y_train.shape, y_train.dtype) == ((60000,), np.uint8)
    assert (x_test.shape, x_test.dtype) == ((10000, 28, 28), np.uint8)
    assert (y_test.shape, y_test.dtype) == ((10000,), np.uint8)
    assert set(np.unique(y_train)) == set(range(10)) and y_test.max() == 9
    assert abs(x_train.mean() / 255 - 0.1307) < 2e-3
