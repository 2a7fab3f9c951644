"""Data files: formats, the local cache, and checksummed downloads.

``deepgrad.datasets.mnist.load_data()`` returns MNIST in Keras's layout. Files are looked
for at an explicit ``path``, then in ``$DEEPGRAD_DATA``, then in ``~/.deepgrad/datasets``;
when absent they are downloaded once (see :func:`get_file`).
"""
from deepgrad.datasets._fetch import (
    ChecksumError, DatasetNotFoundError, cache_dir, get_file)
from deepgrad.datasets._npz import DatasetFormatError
from deepgrad.datasets import mnist

__all__ = ["mnist", "get_file", "cache_dir", "DatasetNotFoundError", "ChecksumError",
           "DatasetFormatError"]
