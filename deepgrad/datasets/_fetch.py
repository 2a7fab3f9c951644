"""Finding a data file on disk, or downloading it once with a checksum.

Where a file is looked for, in order (the first copy found is used, unverified):

1. the ``path`` argument, when given (a file path; it is then the only place looked at);
2. ``$DEEPGRAD_DATA/<fname>``, when the environment variable is set;
3. ``~/.deepgrad/datasets/<fname>`` (the home cache).

A file the user placed is trusted as it is: its SHA-256 is *not* checked, so a rebuilt or
re-compressed copy with the same arrays works. Only what this module downloads is checked:
the bytes are hashed while they stream into a temporary file in the target folder, and the
file is moved into place with ``os.replace`` only when the hash matches, so an interrupted
or corrupted download never leaves a half-written file under the final name.

The download shows its progress on stderr. On a terminal: a ``tqdm`` bar when tqdm is
installed (it is optional), else one percentage line redrawn in place. When stderr is not
a terminal (a log file, CI): plain lines, one at each quarter of the file (or one at the
end when its size is unknown), never a carriage return.
"""
import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request

from deepgrad.utils.progress import live_bar

#: environment variable naming a folder that holds the data files.
ENV_VAR = "DEEPGRAD_DATA"

_CHUNK = 1 << 16


class DatasetNotFoundError(FileNotFoundError):
    """A data file is neither on disk nor downloadable (offline, or the origin failed)."""


class ChecksumError(ValueError):
    """A downloaded file's SHA-256 differs from the expected one (nothing was saved)."""


def cache_dir():
    """The home cache folder, ``~/.deepgrad/datasets`` (``~`` follows ``$HOME``)."""
    return os.path.join(os.path.expanduser("~"), ".deepgrad", "datasets")


def env_dir():
    """The folder named by ``$DEEPGRAD_DATA`` as an absolute path, or None when unset."""
    value = os.environ.get(ENV_VAR, "").strip()
    return os.path.abspath(os.path.expanduser(value)) if value else None


def get_file(fname, origin, sha256, path=None):
    """Return the local path of data file ``fname``, downloading it on first use.

    Args:
        fname (str): the file's name, e.g. ``"mnist.npz"``.
        origin (str): URL to download from when no local copy exists (``file://`` works).
        sha256 (str or None): expected hex SHA-256 of the *download*; None skips the check.
            Files already on disk are never checked.
        path (str or os.PathLike, optional): an explicit file path. When given it is the
            only place looked at, and a missing file is downloaded to exactly that path.
    Returns:
        str: absolute path of the file.
    Raises:
        DatasetNotFoundError: no local copy and the download failed (e.g. offline); the
            message says which file name to put in which folder.
        ChecksumError: the download's SHA-256 is not ``sha256``; nothing is left on disk.

    Example:
        >>> get_file("mnist.npz", "https://.../mnist.npz", "731c5a...")  # doctest: +SKIP
        '/home/me/.deepgrad/datasets/mnist.npz'
    """
    if path is not None:
        target = os.path.abspath(os.path.expanduser(os.fspath(path)))
        if os.path.isdir(target):
            raise IsADirectoryError(f"get_file: path={os.fspath(path)!r} is a folder; expected "
                                    f"the path of the file itself, e.g. "
                                    f"{os.path.join(os.fspath(path), fname)!r}")
        candidates = [target]
    else:
        candidates = [os.path.join(d, fname) for d in (env_dir(), cache_dir()) if d]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    target = candidates[0] if path is not None else os.path.join(_writable_dir(), fname)
    try:
        _download(origin, target, sha256)
    except (urllib.error.URLError, OSError) as err:
        raise DatasetNotFoundError(_not_found_message(fname, origin, candidates, err)) from err
    return target


def _writable_dir():
    """``$DEEPGRAD_DATA`` when set and writable (or creatable), else the home cache."""
    for folder in (env_dir(), cache_dir()):
        if folder is None:
            continue
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    return cache_dir()


def _not_found_message(fname, origin, candidates, err):
    folders = list(dict.fromkeys(os.path.dirname(c) for c in candidates))
    looked = "\n".join(f"  - {c}" for c in candidates)
    hint = (f"Put {fname!r} in one of these folders:\n"
            + "\n".join(f"  - {f}" for f in folders)
            + f"\nor set {ENV_VAR} to the folder that holds it "
              f"(e.g. {ENV_VAR}=/path/to/data).")
    return (f"{fname!r} was not found locally and could not be downloaded from {origin} "
            f"({type(err).__name__}: {err}).\nLooked at:\n{looked}\n{hint}")


def _download(origin, target, sha256):
    """Stream ``origin`` into a temp file beside ``target``, check it, then os.replace."""
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part",
                               dir=folder)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(origin, timeout=60) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            bar = _progress(total, os.path.basename(target))
            try:
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if sha256 is not None and got != sha256.lower():
            raise ChecksumError(
                f"SHA-256 mismatch for {os.path.basename(target)} downloaded from {origin}: "
                f"expected {sha256.lower()}, received {got}. The download was deleted and "
                f"nothing was saved; retry, or place a trusted copy at {target}.")
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _progress(total, name):
    """A progress display with ``update(n)``/``close()`` (see the module docstring)."""
    if live_bar(sys.stderr):
        from tqdm import tqdm
        return tqdm(total=total, unit="B", unit_scale=True, desc=f"Downloading {name}",
                    file=sys.stderr)
    return _TextProgress(total, name, dynamic=getattr(sys.stderr, "isatty", lambda: False)())


class _TextProgress:
    """``Downloading mnist.npz:  42% (4.8/11.5 MB)`` on stderr: redrawn with ``\\r`` on a
    terminal (``dynamic``), else a plain line at 25, 50, 75 and 100 %."""

    def __init__(self, total, name, dynamic):
        self.total, self.name, self.dynamic = total, name, dynamic
        self.done, self._shown = 0, None

    def _text(self):
        mb = f"{self.done / 1e6:.1f}"
        if not self.total:
            return f"{mb} MB"
        return f"{int(100 * self.done / self.total):3d}% ({mb}/{self.total / 1e6:.1f} MB)"

    def update(self, n):
        self.done += n
        if self.dynamic:
            text = self._text()
            if text != self._shown:
                self._shown = text
                sys.stderr.write(f"\rDownloading {self.name}: {text}")
                sys.stderr.flush()
        elif self.total:
            quarter = 4 * self.done // self.total
            if quarter > (self._shown or 0):
                self._shown = quarter
                sys.stderr.write(f"Downloading {self.name}: {self._text()}\n")
                sys.stderr.flush()

    def close(self):
        if self.dynamic and self._shown is not None:
            sys.stderr.write("\n")
        elif not self.dynamic and not self.total:
            sys.stderr.write(f"Downloaded {self.name}: {self._text()}\n")
        sys.stderr.flush()
