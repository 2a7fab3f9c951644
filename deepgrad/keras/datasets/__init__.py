"""``keras.datasets``: the built-in data sets, with Keras's signatures and return layouts.

Each module is a thin front over :mod:`deepgrad.datasets`, which owns the file formats. A
Keras ``path`` argument (``mnist.load_data(path="mnist.npz")``) is a file name looked for
in ``$DEEPGRAD_DATA`` then ``~/.deepgrad/datasets``; the path of an existing file works too.
"""
from deepgrad.keras.datasets import (
    boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist)

__all__ = ["boston_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist"]
