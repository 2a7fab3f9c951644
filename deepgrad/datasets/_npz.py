"""Reading ``.npz`` data files safely: never unpickling, and failing with a clear message.

``np.load`` is always called with ``allow_pickle=False``: an ``.npz`` is a zip of ``.npy``
arrays, and an object array inside one is a pickle, which can run arbitrary code when
loaded. Data files only ever need plain numeric arrays.
"""
import zipfile

import numpy as np


class DatasetFormatError(ValueError):
    """A data file exists but is unreadable, truncated, or not laid out as expected."""


def read_npz(fpath, keys):
    """Read the arrays ``keys`` from the ``.npz`` file ``fpath`` into memory.

    Args:
        fpath (str): path of the ``.npz`` file.
        keys (sequence of str): the arrays required, e.g. ``("x_train", "y_train")``.
    Returns:
        dict[str, np.ndarray]: one fully loaded array per key.
    Raises:
        DatasetFormatError: the file is not a valid ``.npz`` (corrupted or truncated), lacks
            one of ``keys``, or holds an object (pickled) array.
    """
    from deepgrad.serialization import safe_io
    try:
        if zipfile.is_zipfile(fpath):
            with zipfile.ZipFile(fpath) as zf:
                safe_io.check_zip_members(zf, fpath, DatasetFormatError)
        with np.load(fpath, allow_pickle=False) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise DatasetFormatError(
                    f"{fpath}: missing array(s) {missing}; expected keys {list(keys)}, "
                    f"found {sorted(npz.files)}. Delete the file so it is downloaded again, "
                    f"or replace it with a complete copy.")
            return {k: _read_one(npz, k, fpath) for k in keys}
    except DatasetFormatError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, KeyError) as err:
        raise DatasetFormatError(
            f"{fpath}: not a readable .npz file ({type(err).__name__}: {err}); it may be "
            f"corrupted or truncated. Delete it so it is downloaded again, or replace it "
            f"with a complete copy.") from err


def _read_one(npz, key, fpath):
    try:
        return npz[key]
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise DatasetFormatError(
                f"{fpath}: array {key!r} is an object (pickled) array; deepgrad loads data "
                f"files with allow_pickle=False and expects plain numeric arrays.") from err
        raise DatasetFormatError(f"{fpath}: array {key!r} is unreadable ({err}); the file "
                                 f"may be corrupted or truncated.") from err
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise DatasetFormatError(f"{fpath}: array {key!r} is unreadable "
                                 f"({type(err).__name__}: {err}); the file may be "
                                 f"corrupted or truncated.") from err
