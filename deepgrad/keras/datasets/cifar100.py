"""``keras.datasets.cifar100`` (see :mod:`deepgrad.datasets.cifar100`)."""
from deepgrad.datasets import cifar100 as _cifar100


def load_data(label_mode="fine"):
    """Load CIFAR-100, as ``keras.datasets.cifar100.load_data`` (channels-last).

    ``cifar-100-python.tar.gz`` is looked for in ``$DEEPGRAD_DATA`` then
    ``~/.deepgrad/datasets``, and downloaded there on first use.

    Args:
        label_mode (str): ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images (50000, 32, 32, 3) and
        (10000, 32, 32, 3); int64 labels (50000, 1) and (10000, 1), as Keras returns them.
    """
    return _cifar100.load_data(label_mode=label_mode)
