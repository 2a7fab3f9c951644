"""Reading the pickles inside official data files without running arbitrary code.

Two official files are pickles: the CIFAR batches (Python 2 ``cPickle`` dicts whose
``data`` is a NumPy array) and Keras's ``imdb.npz`` (ragged sequences stored as ``dtype=object``
arrays, which ``.npy`` can only hold as a pickle). Plain ``pickle.load`` would execute
whatever callable a tampered file names (``os.system``, ``builtins.eval``, ...).

:class:`RestrictedUnpickler` resolves *only* the callables that rebuild an ``ndarray``:

- ``numpy.ndarray`` and ``numpy.dtype``;
- ``multiarray._reconstruct``, under both spellings, ``numpy.core.multiarray`` (files written
  by NumPy < 2, such as CIFAR's) and ``numpy._core.multiarray`` (NumPy >= 2).

Every other global is refused with :class:`UnsafePickleError`. Containers, ``bytes``, ``str``
and numbers need no global, so they load as usual. These three callables can build nothing but
arrays of the pickled bytes (NumPy refuses object arrays backed by a raw buffer), and callers
also check the dtype of what they get back. Keras's own loaders made the same choice
(``keras/src/datasets/npz_utils.py``).

Not accepted: ``pickle`` protocol 5 (the default from Python 3.14), which rebuilds arrays
through ``numpy._core.numeric._frombuffer``; nor protocol 2 written by Python 3, which
encodes ``bytes`` through ``_codecs.encode``. Neither is used by the official files.
"""
import io
import pickle
import zipfile

import numpy as np

from deepgrad.datasets._npz import DatasetFormatError

try:  # taken from the running NumPy, never imported by the name written in the file
    from numpy._core.multiarray import _reconstruct as _RECONSTRUCT   # NumPy >= 2
except ImportError:
    from numpy.core.multiarray import _reconstruct as _RECONSTRUCT    # NumPy < 2

_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
}

# A member that claims more than this many bytes is refused (the largest real one, the
# CIFAR-100 'train' pickle, is about 155 MB).
MAX_MEMBER_BYTES = 1 << 30


class UnsafePickleError(DatasetFormatError, pickle.UnpicklingError):
    """A data file's pickle names a callable outside the NumPy-array allow-list."""


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves only ``ndarray``/``dtype``/``_reconstruct``.

    Args:
        file: a binary file object positioned at the pickle.
        source (str): the file's name, quoted in error messages.
        **kwargs: passed to ``pickle.Unpickler`` (e.g. ``encoding="bytes"`` for the
            Python 2 CIFAR batches).
    """

    def __init__(self, file, source="<pickle>", **kwargs):
        super().__init__(file, **kwargs)
        self.source = source

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            allowed = ", ".join(f"{m}.{n}" for m, n in _ALLOWED)
            raise UnsafePickleError(
                f"{self.source}: refusing to load '{module}.{name}' from a pickle; a data "
                f"file may only rebuild NumPy arrays ({allowed}). The file is corrupted or "
                f"malicious: delete it and download it again.") from None

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self.source}: persistent ids are not allowed in a data "
                                f"file's pickle (received {pid!r}).")


def load_pickle(data, source, encoding="ASCII"):
    """Unpickle ``data`` (bytes) with :class:`RestrictedUnpickler`.

    Raises:
        UnsafePickleError: the pickle names a callable that is not allowed.
        DatasetFormatError: the bytes are not a complete pickle.
    """
    try:
        return RestrictedUnpickler(io.BytesIO(data), source, encoding=encoding).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, UnicodeDecodeError) as err:
        raise DatasetFormatError(f"{source}: not a readable pickle ({type(err).__name__}: "
                                 f"{err}); the file may be corrupted or truncated.") from err


def read_npz_with_objects(fpath, keys):
    """Read ``keys`` from an ``.npz`` whose members may be object (pickled) arrays.

    Numeric members are read with ``allow_pickle=False``; an object member's pickle is read
    with :class:`RestrictedUnpickler`, so only NumPy arrays can come out of it.

    Args:
        fpath (str): path of the ``.npz`` file.
        keys (sequence of str): the arrays required.
    Returns:
        dict[str, np.ndarray]: one array per key.
    Raises:
        DatasetFormatError: unreadable file, missing key, oversized member, or a pickle
            that is not one NumPy array (:class:`UnsafePickleError` when it names a
            callable outside the allow-list).
    """
    try:
        with zipfile.ZipFile(fpath) as archive:
            members = {info.filename[:-4]: info for info in archive.infolist()
                       if info.filename.endswith(".npy")}
            missing = [k for k in keys if k not in members]
            if missing:
                raise DatasetFormatError(
                    f"{fpath}: missing array(s) {missing}; expected keys {list(keys)}, "
                    f"found {sorted(members)}.")
            return {k: _read_member(archive, members[k], fpath) for k in keys}
    except DatasetFormatError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as err:
        raise DatasetFormatError(
            f"{fpath}: not a readable .npz file ({type(err).__name__}: {err}); it may be "
            f"corrupted or truncated. Delete it so it is downloaded again.") from err


def _read_member(archive, info, fpath):
    source = f"{fpath}[{info.filename}]"
    if info.file_size > MAX_MEMBER_BYTES:
        raise DatasetFormatError(f"{source}: declares {info.file_size} bytes, more than "
                                 f"the {MAX_MEMBER_BYTES} allowed for a data array.")
    with archive.open(info) as raw:
        fp = io.BytesIO(raw.read())
    version = np.lib.format.read_magic(fp)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)   # 3.0 differs only in encoding
    shape, _, dtype = read_header(fp)
    if not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    array = load_pickle(fp.read(), source, encoding="latin1")
    if not isinstance(array, np.ndarray) or array.shape != shape:
        got = array.shape if isinstance(array, np.ndarray) else type(array).__name__
        raise DatasetFormatError(f"{source}: the pickle holds {got}; expected an array of "
                                 f"shape {shape} as the header says.")
    return array
