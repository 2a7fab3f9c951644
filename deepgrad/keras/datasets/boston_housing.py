"""``keras.datasets.boston_housing`` (see :mod:`deepgrad.datasets.boston_housing`)."""
from deepgrad.datasets import boston_housing as _boston_housing
from deepgrad.keras.datasets._paths import resolve


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Load Boston Housing, shuffled and split as ``keras.datasets.boston_housing``.

    Args:
        path (str): file name looked for in ``$DEEPGRAD_DATA`` then
            ``~/.deepgrad/datasets`` (downloaded there on first use), or the path of an
            existing file.
        test_split (float): fraction held out for testing, in ``[0, 1)``.
        seed (int): shuffling seed.
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float64 arrays, (404, 13), (404,),
        (102, 13), (102,) with the default split.
    """
    return _boston_housing.load_data(
        path=resolve(path, _boston_housing.ORIGIN, _boston_housing.SHA256),
        test_split=test_split, seed=seed)
