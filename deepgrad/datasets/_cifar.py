"""The CIFAR "python version" format, shared by CIFAR-10 and CIFAR-100.

The official archive (``cifar-10-python.tar.gz``, ``cifar-100-python.tar.gz``) holds one
folder of Python 2 pickles. Each batch is a dict with bytes keys: ``b"data"``, a uint8
array (N, 3072) whose rows are the red, green then blue 32x32 planes (channels first), and
the labels, a list of N ints (``b"labels"`` for CIFAR-10; ``b"fine_labels"`` and
``b"coarse_labels"`` for CIFAR-100). The batches are read straight out of the archive (no
extraction to disk) with :class:`~deepgrad.datasets._pickle_safe.RestrictedUnpickler`, so a
tampered file cannot run code; a folder already extracted (e.g. Keras's cache) works too.
"""
import os
import posixpath
import tarfile
import zlib

import numpy as np

from deepgrad.datasets._fetch import get_file
from deepgrad.datasets._npz import DatasetFormatError
from deepgrad.datasets._pickle_safe import MAX_MEMBER_BYTES, load_pickle


def locate(path, fname, origin, sha256):
    """An extracted folder given as ``path`` as it is, else the archive via ``get_file``."""
    if path is not None and os.path.isdir(os.path.expanduser(os.fspath(path))):
        return os.path.abspath(os.path.expanduser(os.fspath(path)))
    return get_file(fname, origin, sha256, path=path)


def read_batches(location, inner, names):
    """Read the pickled batches ``names`` from an archive or an extracted folder.

    Args:
        location (str): the ``.tar.gz`` archive, or a folder holding either the batch
            files or the ``inner`` folder.
        inner (str): the folder inside the archive, e.g. ``"cifar-10-batches-py"``.
        names (sequence of str): batch file names, e.g. ``("data_batch_1", ...)``.
    Returns:
        dict[str, bytes]: the raw pickle of each batch.
    Raises:
        DatasetFormatError: unreadable archive, or a batch missing from it.
    """
    if os.path.isdir(location):
        return {name: _read_from_folder(location, inner, name) for name in names}
    wanted = {posixpath.join(inner, name): name for name in names}
    found = {}
    try:
        with tarfile.open(location, "r:*") as tar:
            for member in tar:
                name = wanted.get(posixpath.normpath(member.name))
                if name is None:
                    continue
                if not member.isfile() or member.size > MAX_MEMBER_BYTES:
                    raise DatasetFormatError(f"{location}: member {member.name!r} is not a "
                                             f"regular file of at most {MAX_MEMBER_BYTES} "
                                             f"bytes")
                found[name] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise DatasetFormatError(f"{location}: not a readable tar.gz archive "
                                 f"({type(err).__name__}: {err}); it may be corrupted or "
                                 f"truncated. Delete it so it is downloaded again.") from err
    missing = [posixpath.join(inner, n) for n in names if n not in found]
    if missing:
        raise DatasetFormatError(f"{location}: missing {missing}; expected the official "
                                 f"CIFAR python archive")
    return found


def _read_from_folder(folder, inner, name):
    for candidate in (os.path.join(folder, name), os.path.join(folder, inner, name)):
        if os.path.isfile(candidate):
            with open(candidate, "rb") as f:
                return f.read()
    raise DatasetFormatError(f"{folder}: no batch file {name!r} in it or in {inner}/ "
                             f"inside it")


def decode_batch(raw, source, label_keys, num_classes):
    """Unpickle one batch safely and check it.

    Args:
        raw (bytes): the batch's pickle.
        source (str): its name, for error messages.
        label_keys (sequence of str): label lists to return, e.g. ``("labels",)``.
        num_classes (sequence of int): the label range of each key.
    Returns:
        tuple: ``data`` uint8 (N, 3, 32, 32), then one int64 (N,) array per label key.
    Raises:
        DatasetFormatError: not a dict, missing keys, data not uint8 (N, 3072), or labels
            of the wrong length or outside ``[0, num_classes)``.
    """
    batch = load_pickle(raw, source, encoding="bytes")
    if not isinstance(batch, dict):
        raise DatasetFormatError(f"{source}: holds a {type(batch).__name__}; expected a "
                                 f"dict")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    missing = [k for k in ("data", *label_keys) if k not in batch]
    if missing:
        raise DatasetFormatError(f"{source}: missing key(s) {missing}; found "
                                 f"{sorted(map(str, batch))}")
    data = batch["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != 3 * 32 * 32:
        got = (f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray)
               else type(data).__name__)
        raise DatasetFormatError(f"{source}: 'data' is {got}; expected a uint8 array "
                                 f"(N, 3072)")
    labels = [_labels(batch[k], k, len(data), n, source)
              for k, n in zip(label_keys, num_classes)]
    return (data.reshape(len(data), 3, 32, 32), *labels)


def _labels(values, key, n, num_classes, source):
    arr = np.asarray(values)
    if arr.shape != (n,) or not np.issubdtype(arr.dtype, np.integer):
        raise DatasetFormatError(f"{source}: {key!r} is {arr.dtype} {arr.shape}; expected "
                                 f"{n} integer labels")
    if n and (arr.min() < 0 or arr.max() >= num_classes):
        raise DatasetFormatError(f"{source}: {key!r} holds labels in [{arr.min()}, "
                                 f"{arr.max()}]; expected 0..{num_classes - 1}")
    return arr.astype(np.int64)


def to_channels_last(x):
    """(N, 3, 32, 32) -> contiguous (N, 32, 32, 3), Keras's default image layout."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
