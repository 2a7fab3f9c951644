"""deepgrad.vision.utils (make_grid, save_image, the PNG codec) and deepgrad.vision.datasets
(MNIST, FashionMNIST, CIFAR10 with torchvision's arguments) on small files written here in
each layout; Pillow-only checks skip without it."""
import gzip
import hashlib
import os
import pickle
import struct

import numpy as np
import pytest

import deepgrad as torch
import deepgrad.vision as torchvision
from deepgrad.vision import _png, transforms
from deepgrad.vision.utils import make_grid, save_image

RNG = np.random.default_rng(0)


# ------------------------------------------------------------------ make_grid
def test_make_grid_layout():
    x = torch.tensor(RNG.random((5, 1, 4, 3)).astype(np.float32))
    g = make_grid(x, nrow=2, padding=1, pad_value=0.5).numpy()
    assert g.shape == (3, 3 * 5 + 1, 2 * 4 + 1)                 # 3 rows of 2, RGB
    np.testing.assert_array_equal(g[0, 1:5, 1:4], x.numpy()[0, 0])
    np.testing.assert_array_equal(g[2, 6:10, 5:8], x.numpy()[3, 0])
    assert (g[:, 0] == 0.5).all() and (g[:, 11:, 5:] == 0.5).all()   # padding and empty cell


def test_make_grid_normalize_and_single_image():
    x = torch.tensor(np.array([[[[-1.0, 1.0]]], [[[0.0, 3.0]]]], dtype=np.float32))
    g = make_grid(x, normalize=True, padding=0).numpy()
    np.testing.assert_allclose(g[0], [[0.0, 0.5, 0.25, 1.0]])
    g = make_grid(x, normalize=True, value_range=(-1, 1), padding=0).numpy()
    np.testing.assert_allclose(g[0], [[0.0, 1.0, 0.5, 1.0]])
    each = make_grid(x, normalize=True, scale_each=True, padding=0).numpy()
    np.testing.assert_allclose(each[0], [[0.0, 1.0, 0.0, 1.0]])
    one = make_grid(torch.ones(1, 3, 2, 2))
    assert one.shape == (3, 2, 2)
    np.testing.assert_array_equal(x.numpy(), [[[[-1.0, 1.0]]], [[[0.0, 3.0]]]])   # untouched


def test_make_grid_bad_input():
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(np.zeros((2, 1, 3, 3)))
    with pytest.raises(TypeError, match="value_range"):
        make_grid(torch.zeros(2, 1, 3, 3), normalize=True, value_range=[0, 1])


# ------------------------------------------------------------------ PNG files
@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 2), (5, 7, 3), (5, 7, 4)])
def test_png_roundtrip(shape, tmp_path):
    a = RNG.integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path / "a.png"
    _png.write_png(path, a)
    np.testing.assert_array_equal(_png.decode_png(path.read_bytes()), a)


def test_png_decoder_reads_pillow_files(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    a = RNG.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    Image.fromarray(a).save(tmp_path / "p.png", optimize=True)     # Pillow picks filters
    np.testing.assert_array_equal(_png.decode_png((tmp_path / "p.png").read_bytes()), a)
    _png.write_png(tmp_path / "d.png", a)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "d.png")), a)


def test_save_image_pixels(tmp_path):
    x = torch.tensor(RNG.random((4, 1, 6, 5)).astype(np.float32))
    path = tmp_path / "grid.png"
    save_image(x, str(path), nrow=2)
    pixels = _png.decode_png(path.read_bytes())
    grid = make_grid(x, nrow=2).numpy()
    expected = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(pixels, expected)


def test_save_image_without_pillow(tmp_path, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("no Pillow here")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_pil)
    x = torch.rand(2, 3, 4, 4)
    save_image(x, tmp_path / "n.png")
    assert (tmp_path / "n.png").read_bytes()[:8] == _png.SIGNATURE
    with pytest.raises(ValueError, match="needs Pillow"):
        save_image(x, tmp_path / "n.jpg")
    with pytest.raises(ValueError, match="format="):
        save_image(x, open(tmp_path / "f", "wb"))


# ------------------------------------------------------------------ datasets
def _idx(array):
    a = np.asarray(array, np.uint8)
    return struct.pack(">BBBB", 0, 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + \
        a.tobytes()


def _mnist_arrays(n_train=12, n_test=5):
    return (RNG.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            RNG.integers(0, 10, n_train).astype(np.uint8),
            RNG.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            RNG.integers(0, 10, n_test).astype(np.uint8))


@pytest.fixture
def no_default_data(tmp_path, monkeypatch):
    """deepgrad's default folders point at empty places."""
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("compressed", [False, True])
def test_mnist_from_torchvision_layout(tmp_path, no_default_data, compressed):
    xtr, ytr, xte, yte = _mnist_arrays()
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte")
    for name, arr in zip(names, (xtr, ytr, xte, yte)):
        data = _idx(arr)
        if compressed:
            (raw / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (raw / name).write_bytes(data)
    ds = torchvision.datasets.MNIST(str(tmp_path / "data"), train=False)
    assert len(ds) == 5 and ds.data.dtype == np.uint8 and ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.data.numpy(), xte)
    img, target = ds[3]
    assert target == int(yte[3]) and isinstance(target, int)
    np.testing.assert_array_equal(np.asarray(img), xte[3])
    assert ds.class_to_idx["7 - seven"] == 7


def test_mnist_from_npz_with_transforms(tmp_path, no_default_data):
    xtr, ytr, xte, yte = _mnist_arrays()
    (tmp_path / "root").mkdir()
    np.savez(tmp_path / "root" / "mnist.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    ds = torchvision.datasets.MNIST(tmp_path / "root", train=True,
                                    transform=transforms.Compose([
                                        transforms.ToTensor(),
                                        transforms.Normalize((0.5,), (0.5,))]),
                                    target_transform=lambda t: t + 100)
    x, y = ds[2]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and y == int(ytr[2]) + 100
    np.testing.assert_allclose(x.numpy()[0], (xtr[2] / 255.0 - 0.5) / 0.5, atol=2e-7)  # float32
    loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True)
    xb, yb = next(iter(loader))
    assert xb.shape == (4, 1, 28, 28) and yb.shape == (4,)
    text = repr(ds)
    assert text.startswith("Dataset MNIST\n    Number of datapoints: 12")
    assert "Split: Train" in text and "Transform: Compose(" in text


def test_mnist_not_found_and_download(tmp_path, no_default_data, monkeypatch):
    with pytest.raises(RuntimeError, match="download=True"):
        torchvision.datasets.MNIST(str(tmp_path / "nothing"))
    xtr, ytr, xte, yte = _mnist_arrays()
    source = tmp_path / "source.npz"
    np.savez(source, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    from deepgrad.datasets import mnist
    monkeypatch.setattr(mnist, "ORIGIN", source.as_uri())
    monkeypatch.setattr(mnist, "SHA256", hashlib.sha256(source.read_bytes()).hexdigest())
    ds = torchvision.datasets.MNIST(str(tmp_path / "dl"), download=True)
    assert (tmp_path / "dl" / "MNIST" / "mnist.npz").is_file() and len(ds) == 12


def test_fashion_mnist_layout(tmp_path, no_default_data):
    from deepgrad.datasets import fashion_mnist
    xtr, ytr, xte, yte = _mnist_arrays(6, 4)
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name, arr in zip(fashion_mnist.FILES, (ytr, xtr, yte, xte)):
        (raw / name).write_bytes(gzip.compress(_idx(arr)))
    ds = torchvision.datasets.FashionMNIST(str(tmp_path))
    assert len(ds) == 6 and ds.classes[9] == "Ankle boot"
    np.testing.assert_array_equal(np.asarray(ds[1][0]), xtr[1])


def test_cifar10_extracted_folder(tmp_path, no_default_data):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = RNG.integers(0, 256, (3, 3072), dtype=np.uint8)
        labels = RNG.integers(0, 10, 3).tolist()
        batches[name] = (data, labels)
        (folder / name).write_bytes(pickle.dumps({b"data": data, b"labels": labels}))
    ds = torchvision.datasets.CIFAR10(str(tmp_path), train=False)
    data, labels = batches["test_batch"]
    assert len(ds) == 3 and ds.targets == labels and ds.data.shape == (3, 32, 32, 3)
    img, target = ds[1]
    np.testing.assert_array_equal(np.asarray(img), data[1].reshape(3, 32, 32).transpose(1, 2, 0))
    tensor = transforms.ToTensor()(img)
    assert tensor.shape == (3, 32, 32)
    with pytest.raises(RuntimeError, match="download=True"):
        torchvision.datasets.CIFAR10(str(tmp_path / "none"))


def test_items_are_pil_images_with_pillow(tmp_path, no_default_data):
    Image = pytest.importorskip("PIL.Image")
    xtr, ytr, xte, yte = _mnist_arrays()
    np.savez(tmp_path / "mnist.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    img, _ = torchvision.datasets.MNIST(str(tmp_path))[0]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)


def test_real_mnist():
    path = os.path.join(os.environ.get("DEEPGRAD_DATA", ""), "mnist.npz")
    if not os.path.isfile(path):
        pytest.skip("real MNIST not found: set DEEPGRAD_DATA to the folder holding mnist.npz")
    ds = torchvision.datasets.MNIST("unused-root", train=True)
    assert len(ds) == 60000 and ds[0][1] == 5


def test_bad_root():
    with pytest.raises(TypeError, match="root must be a path"):
        torchvision.datasets.MNIST(None)
