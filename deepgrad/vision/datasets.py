"""torchvision's datasets ``MNIST``, ``FashionMNIST`` and ``CIFAR10``: same arguments
(``root``, ``train``, ``transform``, ``target_transform``, ``download``), attributes
(``data``, ``targets``, ``classes``, ``class_to_idx``) and items ``(image, target)``,
read from deepgrad.datasets' files.

Where the files are looked for, in order:

1. torchvision's own layout under ``root`` (``root/MNIST/raw/*-ubyte[.gz]``,
   ``root/FashionMNIST/raw/*.gz``, ``root/cifar-10-batches-py/`` or
   ``root/cifar-10-python.tar.gz``), so folders torchvision downloaded are reused;
2. deepgrad's files under ``root`` (``root/MNIST/mnist.npz`` or ``root/mnist.npz``,
   ``root/FashionMNIST/raw`` or ``root/fashion-mnist/``);
3. deepgrad's usual places, ``$DEEPGRAD_DATA`` then ``~/.deepgrad/datasets``;
4. with ``download=True``, the checksummed download of deepgrad.datasets, into ``root``
   (MNIST as Keras's ``mnist.npz``); otherwise ``RuntimeError("Dataset not found...")``.

An item's image is a PIL image when Pillow is installed (as torchvision: mode ``L`` for
the MNISTs, ``RGB`` for CIFAR-10), else a uint8 NumPy array (H, W) or (H, W, 3); the
transforms of :mod:`deepgrad.vision.transforms` take either.
"""
import gzip
import os

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.datasets import cifar10, fashion_mnist, mnist
from deepgrad.datasets._fetch import cache_dir, env_dir
from deepgrad.datasets._npz import DatasetFormatError
from deepgrad.utils.data import Dataset

__all__ = ["VisionDataset", "MNIST", "FashionMNIST", "CIFAR10"]

_IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _to_image(array):
    try:
        from PIL import Image
    except ImportError:
        return array
    return Image.fromarray(array)


def _read_idx(path):
    """An IDX file of unsigned bytes (plain or gzipped) as an array of its header's shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
        raise DatasetFormatError(f"{path}: not an IDX file of unsigned bytes")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(shape)):
        raise DatasetFormatError(f"{path}: header gives shape {shape} but the file holds "
                                 f"{len(raw) - offset} values; it may be truncated")
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(shape)


def _idx_files(folder):
    """The four IDX paths in ``folder`` (plain or .gz), or None if one is missing."""
    found = []
    for name in _IDX_NAMES:
        for candidate in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
            if os.path.isfile(candidate):
                found.append(candidate)
                break
        else:
            return None
    return found


def _default_dirs():
    return [d for d in (env_dir(), cache_dir()) if d]


class VisionDataset(Dataset):
    """Base class: ``root``, the transforms, and torchvision's ``repr``."""
    _repr_indent = 4

    def __init__(self, root, transforms=None, transform=None, target_transform=None):
        if root is None or not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a path (str or os.PathLike), received "
                            f"{type(root).__name__}")
        self.root = os.path.expanduser(os.fspath(root))
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform, self.target_transform = transform, target_transform
        self.transforms = transforms

    def _apply(self, img, target):
        if self.transforms is not None:
            return self.transforms(img, target)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return ""

    def __repr__(self):
        body = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}"]
        body += self.extra_repr().splitlines()
        for head, value in (("Transform: ", self.transform),
                            ("Target transform: ", self.target_transform)):
            if value is not None:
                lines = repr(value).splitlines()
                body += [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]
        return "\n".join([f"Dataset {type(self).__name__}"]
                         + [" " * self._repr_indent + line for line in body])


class MNIST(VisionDataset):
    """MNIST digits: 60,000 training and 10,000 test images (28, 28), labels 0..9.

    Args:
        root (str): the data folder (see the module docstring for what is looked for).
        train (bool): the training split (else the test split).
        transform (callable, optional): applied to each image.
        target_transform (callable, optional): applied to each label.
        download (bool): download the files into ``root`` when found nowhere.
    Attributes:
        data (Tensor): uint8 (N, 28, 28). targets (Tensor): int64 (N,).
    """
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    _npz = "mnist.npz"

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = bool(train)
        x, y = self._load(bool(download))
        self.data, self.targets = Tensor(np.ascontiguousarray(x)), Tensor(y.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _split(self, arrays):
        (x_tr, y_tr), (x_te, y_te) = arrays
        return (x_tr, y_tr) if self.train else (x_te, y_te)

    def _load(self, download):
        files = _idx_files(self.raw_folder)
        if files is not None:
            x_tr, y_tr, x_te, y_te = (_read_idx(f) for f in files)
            return self._split(((x_tr, y_tr), (x_te, y_te)))
        own = [os.path.join(self.root, type(self).__name__, self._npz),
               os.path.join(self.root, self._npz)]
        own += [os.path.join(d, self._npz) for d in _default_dirs()]
        for path in own:
            if os.path.isfile(path):
                return self._split(mnist.load_data(path=path))
        if download:
            return self._split(mnist.load_data(path=own[0]))
        raise RuntimeError("Dataset not found. You can use download=True to download it")

    def __len__(self):
        return int(self.data.shape[0])

    def __getitem__(self, index):
        img, target = self.data.array[index], int(self.targets.array[index])
        return self._apply(_to_image(img), target)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): MNIST's format, ten kinds of clothing."""
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]

    def _load(self, download):
        names = list(fashion_mnist.FILES)
        folders = [self.raw_folder, os.path.join(self.root, fashion_mnist.SUBDIR)]
        folders += [os.path.join(d, fashion_mnist.SUBDIR) for d in _default_dirs()]
        for folder in folders:
            if all(os.path.isfile(os.path.join(folder, n)) for n in names):
                return self._split(fashion_mnist.load_data(path=folder))
        if download:
            os.makedirs(self.raw_folder, exist_ok=True)
            return self._split(fashion_mnist.load_data(path=self.raw_folder))
        raise RuntimeError("Dataset not found. You can use download=True to download it")


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images (32, 32, 3), 10 classes.

    Args: as :class:`MNIST`.
    Attributes:
        data (np.ndarray): uint8 (N, 32, 32, 3). targets (list of int).
    """
    base_folder = "cifar-10-batches-py"
    filename = "cifar-10-python.tar.gz"
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck"]

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = bool(train)
        candidates = [os.path.join(self.root, self.base_folder),
                      os.path.join(self.root, self.filename)]
        candidates += [os.path.join(d, self.filename) for d in _default_dirs()]
        for path in candidates:
            if os.path.exists(path):
                break
        else:
            if not download:
                raise RuntimeError("Dataset not found or corrupted. You can use download=True "
                                   "to download it")
            path = candidates[1]
        (x_tr, y_tr), (x_te, y_te) = cifar10.load_data(path=path)
        x, y = (x_tr, y_tr) if self.train else (x_te, y_te)
        self.data = np.ascontiguousarray(x)
        self.targets = [int(v) for v in y.reshape(-1)]

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return self._apply(_to_image(self.data[index]), self.targets[index])

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"
