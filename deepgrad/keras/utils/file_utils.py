"""``keras.utils.get_file``, on deepgrad's cache and checksummed download."""
import os
import urllib.parse

from deepgrad.datasets import get_file as _get_file


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Return the local path of a file, downloading it once, as ``keras.utils.get_file``.

    Without ``cache_dir`` the file is looked for as ``fname`` in ``$DEEPGRAD_DATA`` then
    ``~/.deepgrad/datasets`` (under ``cache_subdir`` when it is not the default
    ``"datasets"``; an existing absolute path is used as it is); with ``cache_dir`` it is
    ``cache_dir/cache_subdir/fname``. A download is checked against
    ``file_hash`` (SHA-256 only) and written atomically; files on disk are not rechecked.

    Args:
        fname (str, optional): the file name; the last part of ``origin``'s URL by default.
        origin (str): the URL.
        file_hash (str, optional): expected SHA-256 (64 hex digits) of the download.
        cache_subdir (str): a subfolder of the data folders (or of ``cache_dir``).
        hash_algorithm (str): ``"auto"`` or ``"sha256"``.
        cache_dir (str, optional): a base folder instead of deepgrad's data folders.
        untar, md5_hash, extract, archive_format, force_download: not supported (MD5
            hashes, archive extraction and forced downloads); a non-default value raises.
    Returns:
        str: absolute path of the file.
    Raises:
        NotImplementedError: an unsupported option was set.
        ValueError: no ``origin``, or a hash that is not SHA-256.
    """
    if untar or extract or md5_hash or force_download or archive_format != "auto":
        raise NotImplementedError("get_file: untar/extract/archive_format, md5_hash and "
                                  "force_download are not supported in deepgrad")
    if not origin:
        raise ValueError(f"get_file: an origin URL is required; received origin={origin!r}")
    if hash_algorithm not in ("auto", "sha256"):
        raise ValueError(f"get_file: only SHA-256 is supported; received "
                         f"hash_algorithm={hash_algorithm!r}")
    if file_hash is not None and len(file_hash) != 64:
        raise ValueError(f"get_file: file_hash must be a SHA-256 (64 hex digits); received "
                         f"{len(file_hash)} characters")
    fname = fname or os.path.basename(urllib.parse.urlparse(origin).path)
    if cache_dir:
        return _get_file(fname, origin, file_hash,
                         path=os.path.join(cache_dir, cache_subdir, fname))
    if cache_subdir and cache_subdir != "datasets":
        fname = os.path.join(cache_subdir, fname)
    return _get_file(fname, origin, file_hash)
