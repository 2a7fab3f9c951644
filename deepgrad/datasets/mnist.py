"""MNIST handwritten digits, in exactly the layout of ``keras.datasets.mnist``.

The file is Keras's ``mnist.npz``: four uint8 arrays ``x_train`` (60000, 28, 28),
``y_train`` (60000,), ``x_test`` (10000, 28, 28), ``y_test`` (10000,). It is found (or
downloaded once, with a SHA-256 check) by :func:`deepgrad.datasets.get_file`.
MNIST is by Yann LeCun, Corinna Cortes and Christopher Burges (CC BY-SA 3.0).
"""
import numpy as np

from deepgrad.datasets._fetch import get_file
from deepgrad.datasets._npz import DatasetFormatError, read_npz

FNAME = "mnist.npz"
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path=None):
    """Load MNIST as NumPy arrays, as ``keras.datasets.mnist.load_data`` does.

    Args:
        path (str, optional): path of an ``mnist.npz`` file. By default the file is looked
            for in ``$DEEPGRAD_DATA`` then ``~/.deepgrad/datasets``, and downloaded there
            on first use.
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays.

    Shape:
        - x_train: (60000, 28, 28), pixel values 0..255
        - y_train: (60000,), digit labels 0..9
        - x_test: (10000, 28, 28)
        - y_test: (10000,)
    Raises:
        DatasetNotFoundError: no local file and the download failed.
        DatasetFormatError: the file is corrupted, truncated, lacks a key, or an array has
            the wrong dtype or shape.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.dtype
        ((60000, 28, 28), dtype('uint8'))
    """
    fpath = get_file(FNAME, ORIGIN, SHA256, path=path)
    arrays = read_npz(fpath, _KEYS)
    for split in ("train", "test"):
        _check_split(fpath, split, arrays[f"x_{split}"], arrays[f"y_{split}"])
    return ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))


def _check_split(fpath, split, x, y):
    """Images (N, 28, 28) uint8 and labels (N,) uint8, with the same N."""
    for name, arr in ((f"x_{split}", x), (f"y_{split}", y)):
        if arr.dtype != np.uint8:
            raise DatasetFormatError(f"{fpath}: {name} has dtype {arr.dtype}; expected uint8")
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DatasetFormatError(f"{fpath}: x_{split} has shape {x.shape}; expected "
                                 f"(N, 28, 28)")
    if y.shape != (x.shape[0],):
        raise DatasetFormatError(f"{fpath}: y_{split} has shape {y.shape}; expected "
                                 f"({x.shape[0]},) to match x_{split} {x.shape}")
