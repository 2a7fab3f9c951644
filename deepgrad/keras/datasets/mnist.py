"""``keras.datasets.mnist``: MNIST handwritten digits (see :mod:`deepgrad.datasets.mnist`)."""
from deepgrad.datasets import mnist as _mnist
from deepgrad.keras.datasets._paths import resolve


def load_data(path="mnist.npz"):
    """Load MNIST, as ``keras.datasets.mnist.load_data``.

    Args:
        path (str): file name looked for in ``$DEEPGRAD_DATA`` then
            ``~/.deepgrad/datasets`` (downloaded there on first use), or the path of an
            existing file.
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,).
    """
    return _mnist.load_data(path=resolve(path, _mnist.ORIGIN, _mnist.SHA256))
