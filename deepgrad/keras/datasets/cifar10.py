"""``keras.datasets.cifar10`` (see :mod:`deepgrad.datasets.cifar10`)."""
from deepgrad.datasets import cifar10 as _cifar10


def load_data():
    """Load CIFAR-10, as ``keras.datasets.cifar10.load_data`` (channels-last).

    ``cifar-10-python.tar.gz`` is looked for in ``$DEEPGRAD_DATA`` then
    ``~/.deepgrad/datasets``, and downloaded there on first use.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        (50000, 32, 32, 3), (50000, 1), (10000, 32, 32, 3), (10000, 1).
    """
    return _cifar10.load_data()
