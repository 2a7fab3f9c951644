"""IMDB movie-review sentiment, in exactly the layout of ``keras.datasets.imdb``.

The file is Keras's ``imdb.npz``: 25,000 training and 25,000 test reviews, each a list of
word ranks (1 = most frequent word in the training set), with 0/1 labels. The reviews are
ragged, so the file stores them as ``dtype=object`` arrays, i.e. as pickles. Instead of
``np.load(allow_pickle=True)`` (which runs whatever a tampered file names), they are read
with an unpickler that can only rebuild NumPy arrays (see
:mod:`deepgrad.datasets._pickle_safe`). The word index is a plain JSON file.

Dataset by Maas et al., "Learning Word Vectors for Sentiment Analysis" (ACL 2011).
"""
import json

import numpy as np

from deepgrad.datasets._fetch import get_file
from deepgrad.datasets._npz import DatasetFormatError
from deepgrad.datasets._pickle_safe import read_npz_with_objects

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FNAME = "imdb.npz"
ORIGIN = BASE_URL + FNAME
SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_FNAME = "imdb_word_index.json"
WORD_INDEX_ORIGIN = BASE_URL + WORD_INDEX_FNAME
#: Keras publishes only an MD5 for the word index (bfafd718b763782e994055a2d397834f), no
#: SHA-256, so its download is not checksummed here.
WORD_INDEX_SHA256 = None

_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path=None, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
              oov_char=2, index_from=3):
    """Load IMDB as word-index sequences, as ``keras.datasets.imdb.load_data`` does.

    The steps are Keras's, in its order: each split is shuffled by
    ``np.random.RandomState(seed)`` (train first, then test, same generator); every word
    rank ``w`` becomes ``w + index_from`` and ``start_char`` is prepended; with ``maxlen``,
    only sequences *strictly shorter* than ``maxlen`` are kept; then any index outside
    ``[skip_top, num_words)`` becomes ``oov_char`` (or is dropped when ``oov_char`` is
    None). When ``num_words`` is None it is the largest index present, so, as in Keras,
    that one largest index itself also becomes ``oov_char``.

    Args:
        path (str, optional): path of an ``imdb.npz`` file. By default it is looked for in
            ``$DEEPGRAD_DATA`` then ``~/.deepgrad/datasets``, and downloaded on first use.
        num_words (int, optional): keep the ``num_words`` most frequent indices.
        skip_top (int): indices below this become ``oov_char`` (this includes
            ``start_char`` when ``start_char < skip_top``, as in Keras).
        maxlen (int, optional): drop sequences with ``len >= maxlen``.
        seed (int): shuffling seed.
        start_char (int or None): marker put at the start of each sequence.
        oov_char (int or None): replacement for words cut by ``num_words``/``skip_top``.
        index_from (int): offset added to every word rank.
    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` are 1-D object arrays of Python
        int lists (always 1-D, even when all sequences have one length), ``y_*`` the int
        labels as stored (int64).
    Raises:
        ValueError: ``maxlen`` removed every sequence of a split.
        DatasetNotFoundError, DatasetFormatError: the file is missing or malformed.

    Example:
        >>> (x_train, y_train), _ = load_data(num_words=10000)  # doctest: +SKIP
        >>> x_train.shape, x_train[0][:3], y_train.dtype
        ((25000,), [1, 14, 22], dtype('int64'))
    """
    fpath = get_file(FNAME, ORIGIN, SHA256, path=path)
    arrays = read_npz_with_objects(fpath, _KEYS)
    rng = np.random.RandomState(seed)
    splits = []
    for split in ("train", "test"):
        x, y = _check_split(fpath, split, arrays[f"x_{split}"], arrays[f"y_{split}"])
        indices = np.arange(len(x))
        rng.shuffle(indices)
        prefix = [start_char] if start_char is not None else []
        x = [prefix + [w + index_from for w in x[i]] for i in indices]
        y = y[indices]
        if maxlen:
            keep = np.array([len(s) < maxlen for s in x], dtype=bool)
            x, y = [s for s, k in zip(x, keep) if k], y[keep]
        splits.append((x, y))
    if maxlen and not (splits[0][0] and splits[1][0]):
        raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                         f"sequence was kept. Increase maxlen.")
    if not num_words:
        num_words = max((max(s) for x, _ in splits for s in x if s), default=0)
    return tuple((_object_array([_cut(s, skip_top, num_words, oov_char) for s in x]), y)
                 for x, y in splits)


def get_word_index(path=None):
    """The word -> rank dictionary of IMDB, as ``keras.datasets.imdb.get_word_index``.

    Ranks are those of the raw file; add ``index_from`` to match ``load_data``'s sequences.

    Args:
        path (str, optional): path of ``imdb_word_index.json``; by default looked for in
            ``$DEEPGRAD_DATA`` then ``~/.deepgrad/datasets``, downloaded on first use
            (without a checksum: Keras publishes none in SHA-256).
    Returns:
        dict[str, int]
    """
    fpath = get_file(WORD_INDEX_FNAME, WORD_INDEX_ORIGIN, WORD_INDEX_SHA256, path=path)
    try:
        with open(fpath, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError) as err:
        raise DatasetFormatError(f"{fpath}: not a readable JSON file ({type(err).__name__}: "
                                 f"{err})") from err
    if not isinstance(index, dict):
        raise DatasetFormatError(f"{fpath}: holds a {type(index).__name__}; expected a JSON "
                                 f"object mapping words to ranks")
    return index


def _cut(seq, skip_top, num_words, oov_char):
    if oov_char is not None:
        return [w if skip_top <= w < num_words else oov_char for w in seq]
    return [w for w in seq if skip_top <= w < num_words]


def _object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):   # one by one, so sequences of equal length stay 1-D
        out[i] = s
    return out


def _check_split(fpath, split, x, y):
    """x: 1-D object array of int sequences; y: 1-D integer labels of the same length."""
    if x.ndim != 1 or y.ndim != 1 or len(x) != len(y):
        raise DatasetFormatError(f"{fpath}: x_{split} {x.shape} and y_{split} {y.shape}; "
                                 f"expected (N,) and (N,)")
    if not np.issubdtype(y.dtype, np.integer):
        raise DatasetFormatError(f"{fpath}: y_{split} has dtype {y.dtype}; expected integers")
    seqs = [s.tolist() if isinstance(s, np.ndarray) else s for s in x]
    for i, s in enumerate(seqs):
        if not isinstance(s, list) or not all(type(w) is int for w in s):
            raise DatasetFormatError(f"{fpath}: x_{split}[{i}] is not a list of ints "
                                     f"(received {type(s).__name__})")
    return seqs, y
