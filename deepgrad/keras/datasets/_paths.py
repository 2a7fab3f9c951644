"""Keras's ``path="mnist.npz"`` argument, resolved through deepgrad's data folders.

In Keras, ``path`` is a file name inside ``~/.keras/datasets``. Here it is resolved as:

1. ``path`` itself, when it names an existing file (absolute, or relative to the working
   directory);
2. ``$DEEPGRAD_DATA/<path>``, when the environment variable is set;
3. ``~/.deepgrad/datasets/<path>``;

and otherwise downloaded once from the data set's origin, with its SHA-256 checked, into
the first writable of those folders (see :func:`deepgrad.datasets.get_file`).
"""
import os

from deepgrad.datasets import get_file


def resolve(path, origin, sha256):
    """Return the local file for Keras's ``path`` argument, downloading it if needed.

    Args:
        path (str or os.PathLike): a file name such as ``"mnist.npz"``, or a file path.
        origin (str): the data set's download URL.
        sha256 (str or None): the download's expected SHA-256.
    Returns:
        str: absolute path of the file.
    """
    name = os.path.expanduser(os.fspath(path))
    if os.path.isfile(name):
        return os.path.abspath(name)
    return get_file(name, origin, sha256)
