"""Boston Housing prices, in exactly the layout of ``keras.datasets.boston_housing``.

The file is Keras's ``boston_housing.npz``: ``x`` float64 (506, 13), 13 attributes of
suburbs of Boston in the 1970s, and ``y`` float64 (506,), the median home value in k$
(StatLib, Carnegie Mellon University). It holds plain numeric arrays, read with
``allow_pickle=False``.

As Keras warns, one attribute ("B") encodes a racial statistic; the data set is best kept
for illustrating such ethical issues.
"""
import numpy as np

from deepgrad.datasets._fetch import get_file
from deepgrad.datasets._npz import DatasetFormatError, read_npz

FNAME = "boston_housing.npz"
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path=None, test_split=0.2, seed=113):
    """Load Boston Housing, shuffled and split as ``keras.datasets.boston_housing`` does.

    The rows are shuffled by ``np.random.RandomState(seed).shuffle(np.arange(n))``; the
    first ``int(n * (1 - test_split))`` rows are the training set, the rest the test set.

    Args:
        path (str, optional): path of a ``boston_housing.npz`` file. By default it is looked
            for in ``$DEEPGRAD_DATA`` then ``~/.deepgrad/datasets``, and downloaded on first
            use.
        test_split (float): fraction held out for testing, in ``[0, 1)``.
        seed (int): shuffling seed.
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float64 arrays.

    Shape:
        - x_train: (404, 13) with the default split
        - y_train: (404,)
        - x_test: (102, 13)
        - y_test: (102,)
    Raises:
        ValueError: ``test_split`` is outside ``[0, 1)``.
        DatasetNotFoundError, DatasetFormatError: the file is missing or malformed.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
        >>> x_train.shape, x_test.shape
        ((404, 13), (102, 13))
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1); received test_split={test_split}")
    fpath = get_file(FNAME, ORIGIN, SHA256, path=path)
    arrays = read_npz(fpath, ("x", "y"))
    x, y = arrays["x"], arrays["y"]
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise DatasetFormatError(f"{fpath}: x {x.shape} and y {y.shape}; expected (N, 13) "
                                 f"and (N,)")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    n_train = int(len(x) * (1 - test_split))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
