"""CIFAR-10 small colour images, in exactly the layout of ``keras.datasets.cifar10``.

The file is the official ``cifar-10-python.tar.gz`` (Krizhevsky, 2009): five training
batches ``data_batch_1..5`` and ``test_batch`` of 10,000 images each, inside
``cifar-10-batches-py/``. Batches are Python pickles; they are read with an unpickler that
can only rebuild NumPy arrays (see :mod:`deepgrad.datasets._pickle_safe` for the exact
allow-list and why it is safe). Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer,
5 dog, 6 frog, 7 horse, 8 ship, 9 truck.
"""
import numpy as np

from deepgrad.datasets import _cifar

FNAME = "cifar-10-python.tar.gz"
ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
INNER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
NUM_CLASSES = 10


def load_data(path=None):
    """Load CIFAR-10 as NumPy arrays, as ``keras.datasets.cifar10.load_data`` does.

    Images are channels-last (Keras's default ``image_data_format``) and C-contiguous.

    Args:
        path (str, optional): the ``cifar-10-python.tar.gz`` archive, or a folder where it
            was extracted. By default the archive is looked for in ``$DEEPGRAD_DATA`` then
            ``~/.deepgrad/datasets``, and downloaded there (163 MB) on first use.
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays.

    Shape:
        - x_train: (50000, 32, 32, 3), pixel values 0..255
        - y_train: (50000, 1), labels 0..9
        - x_test: (10000, 32, 32, 3)
        - y_test: (10000, 1)
    Raises:
        DatasetNotFoundError: no local archive and the download failed.
        DatasetFormatError: unreadable archive or batch, or a pickle that names anything
            but NumPy's array-rebuilding callables (:class:`UnsafePickleError`).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.shape, y_train.dtype
        ((50000, 32, 32, 3), (50000, 1), dtype('uint8'))
    """
    location = _cifar.locate(path, FNAME, ORIGIN, SHA256)
    raw = _cifar.read_batches(location, INNER, TRAIN_BATCHES + (TEST_BATCH,))
    decoded = {name: _cifar.decode_batch(raw.pop(name), f"{location}:{name}", ("labels",),
                                         (NUM_CLASSES,))
               for name in TRAIN_BATCHES + (TEST_BATCH,)}
    train = [decoded[name] for name in TRAIN_BATCHES]
    x_train = _cifar.to_channels_last(np.concatenate([x for x, _ in train]))
    y_train = np.concatenate([y for _, y in train]).astype(np.uint8).reshape(-1, 1)
    x_test, y_test = decoded[TEST_BATCH]
    return ((x_train, y_train),
            (_cifar.to_channels_last(x_test), y_test.astype(np.uint8).reshape(-1, 1)))
