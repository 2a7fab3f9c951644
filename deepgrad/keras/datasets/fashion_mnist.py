"""``keras.datasets.fashion_mnist`` (see :mod:`deepgrad.datasets.fashion_mnist`)."""
from deepgrad.datasets import fashion_mnist as _fashion_mnist


def load_data():
    """Load Fashion-MNIST, as ``keras.datasets.fashion_mnist.load_data``.

    The four ``.gz`` files are looked for under ``fashion-mnist/`` in ``$DEEPGRAD_DATA``
    then ``~/.deepgrad/datasets``, and downloaded there on first use.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,).
    """
    return _fashion_mnist.load_data()
