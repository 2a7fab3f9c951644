"""CIFAR-100 small colour images, in exactly the layout of ``keras.datasets.cifar100``.

The file is the official ``cifar-100-python.tar.gz`` (Krizhevsky, 2009): ``train``
(50,000 images) and ``test`` (10,000) inside ``cifar-100-python/``, each labelled with a
fine class (0..99) and a coarse superclass (0..19). Batches are Python pickles, read with an
unpickler that can only rebuild NumPy arrays (see :mod:`deepgrad.datasets._pickle_safe`).

Labels are int64, as Keras returns them (Keras's docstring says uint8, but its code
reshapes the pickled list of Python ints, which gives NumPy's default int64).
"""
from deepgrad.datasets import _cifar

FNAME = "cifar-100-python.tar.gz"
ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
INNER = "cifar-100-python"
NUM_CLASSES = {"fine": 100, "coarse": 20}


def load_data(label_mode="fine", path=None):
    """Load CIFAR-100 as NumPy arrays, as ``keras.datasets.cifar100.load_data`` does.

    Args:
        label_mode (str): ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).
        path (str, optional): the ``cifar-100-python.tar.gz`` archive, or a folder where it
            was extracted. By default the archive is looked for in ``$DEEPGRAD_DATA`` then
            ``~/.deepgrad/datasets``, and downloaded there (161 MB) on first use.
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images, int64 labels.

    Shape:
        - x_train: (50000, 32, 32, 3), pixel values 0..255
        - y_train: (50000, 1), labels 0..99 (fine) or 0..19 (coarse)
        - x_test: (10000, 32, 32, 3)
        - y_test: (10000, 1)
    Raises:
        ValueError: ``label_mode`` is not ``"fine"`` or ``"coarse"``.
        DatasetNotFoundError: no local archive and the download failed.
        DatasetFormatError: unreadable archive or batch, or an unsafe pickle.

    Example:
        >>> (x_train, y_train), _ = load_data(label_mode="coarse")  # doctest: +SKIP
        >>> x_train.shape, y_train.shape, int(y_train.max())
        ((50000, 32, 32, 3), (50000, 1), 19)
    """
    if label_mode not in NUM_CLASSES:
        raise ValueError(f'`label_mode` must be one of "fine", "coarse". Received: '
                         f'label_mode={label_mode!r}.')
    location = _cifar.locate(path, FNAME, ORIGIN, SHA256)
    raw = _cifar.read_batches(location, INNER, ("train", "test"))
    key = (f"{label_mode}_labels",)
    out = []
    for name in ("train", "test"):
        x, y = _cifar.decode_batch(raw.pop(name), f"{location}:{name}", key,
                                   (NUM_CLASSES[label_mode],))
        out.append((_cifar.to_channels_last(x), y.reshape(-1, 1)))
    return tuple(out)
