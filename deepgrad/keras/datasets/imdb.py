"""``keras.datasets.imdb`` (see :mod:`deepgrad.datasets.imdb`)."""
from deepgrad.datasets import imdb as _imdb
from deepgrad.keras.datasets._paths import resolve


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """Load IMDB reviews as word-index sequences, as ``keras.datasets.imdb.load_data``.

    Args:
        path (str): file name looked for in ``$DEEPGRAD_DATA`` then
            ``~/.deepgrad/datasets`` (downloaded there on first use), or the path of an
            existing file.
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as in Keras;
            see :func:`deepgrad.datasets.imdb.load_data` for the exact steps.
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: 1-D object arrays of int lists, and
        int64 labels.
    Raises:
        TypeError: an unknown keyword argument.
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unrecognized keyword arguments: {sorted(kwargs)}")
    return _imdb.load_data(path=resolve(path, _imdb.ORIGIN, _imdb.SHA256),
                           num_words=num_words, skip_top=skip_top, maxlen=maxlen, seed=seed,
                           start_char=start_char, oov_char=oov_char, index_from=index_from)


def get_word_index(path="imdb_word_index.json"):
    """The word -> rank dictionary, as ``keras.datasets.imdb.get_word_index``.

    Args:
        path (str): file name looked for in the data folders, or an existing file's path.
    Returns:
        dict[str, int]
    """
    return _imdb.get_word_index(
        path=resolve(path, _imdb.WORD_INDEX_ORIGIN, _imdb.WORD_INDEX_SHA256))
