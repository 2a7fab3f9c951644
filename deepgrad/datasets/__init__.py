"""Data files: formats, the local cache, and checksummed downloads.

``deepgrad.datasets.mnist.load_data()`` returns MNIST in Keras's layout; so do
``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb`` and ``boston_housing``. Files are
looked for at an explicit ``path``, then in ``$DEEPGRAD_DATA``, then in
``~/.deepgrad/datasets``; when absent they are downloaded once (see :func:`get_file`).
Pickled formats (CIFAR, IMDB) are read with an unpickler that only rebuilds NumPy arrays.
"""
from deepgrad.datasets._fetch import (
    ChecksumError, DatasetNotFoundError, cache_dir, get_file)
from deepgrad.datasets._npz import DatasetFormatError
from deepgrad.datasets import mnist
from deepgrad.datasets import fashion_mnist, cifar10, cifar100, imdb, boston_housing
from deepgrad.datasets._pickle_safe import UnsafePickleError

__all__ = ["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "boston_housing",
           "get_file", "cache_dir", "DatasetNotFoundError", "ChecksumError",
           "DatasetFormatError", "UnsafePickleError"]
