"""Fashion-MNIST, in exactly the layout of ``keras.datasets.fashion_mnist``.

The files are Zalando's four gzipped IDX files, as Keras downloads them. An IDX file is a
big-endian header, ``0x00 0x00 <type> <ndim>`` then ``ndim`` uint32 sizes, followed by the
raw values; type ``0x08`` is unsigned bytes. Labels are ``(N,)`` and images ``(N, 28, 28)``.
They are looked for under ``fashion-mnist/`` in ``$DEEPGRAD_DATA`` then
``~/.deepgrad/datasets`` (the folder keeps them apart from MNIST's identically named IDX
files), and downloaded there once with a SHA-256 check (hashes from Keras's source).
Fashion-MNIST is by Zalando SE (MIT license). Classes: 0 T-shirt/top, 1 Trouser,
2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.
"""
import gzip
import os
import zlib

import numpy as np

from deepgrad.datasets._fetch import get_file
from deepgrad.datasets._npz import DatasetFormatError

SUBDIR = "fashion-mnist"
BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: file name -> SHA-256, in the order (y_train, x_train, y_test, x_test).
FILES = {
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}

_UBYTE = 0x08


def load_data(path=None):
    """Load Fashion-MNIST as NumPy arrays, as ``keras.datasets.fashion_mnist.load_data``.

    Args:
        path (str, optional): a folder holding the four ``.gz`` files. By default they are
            looked for in ``$DEEPGRAD_DATA/fashion-mnist`` then
            ``~/.deepgrad/datasets/fashion-mnist``, and downloaded there on first use.
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays.

    Shape:
        - x_train: (60000, 28, 28), pixel values 0..255
        - y_train: (60000,), labels 0..9
        - x_test: (10000, 28, 28)
        - y_test: (10000,)
    Raises:
        DatasetNotFoundError: a file is missing and the download failed.
        DatasetFormatError: a file is not a gzipped IDX file of the expected shape.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.dtype
        ((60000, 28, 28), dtype('uint8'))
    """
    arrays = [read_idx_gz(_locate(fname, path)) for fname in FILES]
    y_train, x_train, y_test, x_test = arrays
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if y.ndim != 1 or x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
            raise DatasetFormatError(f"fashion-mnist {split}: images {x.shape} and labels "
                                     f"{y.shape}; expected (N, 28, 28) and (N,)")
    return (x_train, y_train), (x_test, y_test)


def _locate(fname, folder):
    sha256 = FILES[fname]
    if folder is not None:
        return get_file(fname, BASE_URL + fname, sha256, path=os.path.join(folder, fname))
    return get_file(os.path.join(SUBDIR, fname), BASE_URL + fname, sha256)


def read_idx_gz(fpath):
    """Read a gzipped IDX file of unsigned bytes into an array of the shape its header gives.

    Args:
        fpath (str): path of the ``.gz`` file.
    Returns:
        np.ndarray: uint8 array of shape ``(d1, ..., dn)`` from the header.
    Raises:
        DatasetFormatError: not gzip, not IDX uint8, or data length != product of sizes.
    """
    try:
        with gzip.open(fpath, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise DatasetFormatError(f"{fpath}: not a readable gzip file ({type(err).__name__}: "
                                 f"{err}); it may be corrupted or truncated.") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _UBYTE:
        raise DatasetFormatError(f"{fpath}: not an IDX file of unsigned bytes (header "
                                 f"{raw[:4].hex()}; expected 0000 08 <ndim>)")
    ndim = raw[3]
    offset = 4 + 4 * ndim
    if len(raw) < offset:
        raise DatasetFormatError(f"{fpath}: IDX header for {ndim} dimensions is truncated")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    if len(raw) - offset != int(np.prod(shape)):
        raise DatasetFormatError(f"{fpath}: header gives shape {shape} ({int(np.prod(shape))} "
                                 f"values) but the file holds {len(raw) - offset}; it may be "
                                 f"truncated.")
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(shape).copy()
