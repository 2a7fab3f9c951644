"""The one atomic file writer and the read limits of every deepgrad file format.

Writing (``deepgrad.save``, ``model.save``, ``save_weights``, checkpoints)::

    target    m.keras
    temp      m.keras.tmp-<12 hex digits>   beside it, in the same folder

:func:`atomic_write` writes the temp file, ``fsync``-s it, renames it over the target and
``fsync``-s the folder, so after a crash or a power loss the target is either the old file
or the complete new one. On every error path (the writer raises, the disk is full, the
process is interrupted) the temp file is removed. A writer killed outright (SIGKILL) cannot
clean up: its temp file holds an exclusive ``flock`` while it lives, and the next save of
the same target removes every ``<target>.tmp-*`` that no live writer holds.

Reading (``.keras``/``.dgkeras`` archives, ``.pt`` checkpoints, ``.npz`` and HDF5
weights): every member of an archive is checked *before* it is inflated. A member name
that is absolute, climbs out with ``..`` or holds a backslash or NUL is refused, as is a
name listed twice; a member may declare at most :data:`LIMITS.max_member_bytes`; a JSON
member at most :data:`LIMITS.max_json_bytes`; and a member declaring more than
``expansion_floor`` bytes may not inflate to more than ``max_expansion`` times what it
stores (a genuine weights member is stored uncompressed or nearly so). A reader never
inflates past the size a member declares (``zipfile`` stops there), so these checks bound
the memory a hostile file can make deepgrad allocate. Change the limits for one block::

    with deepgrad.serialization.safe_io.read_limits(max_member_bytes=64 << 30):
        model = keras.models.load_model("huge.keras")
"""
import contextlib
import dataclasses
import io
import os
import struct
import zipfile
import zlib

try:
    import fcntl
except ImportError:                          # Windows: no flock; stale files kept
    fcntl = None

TEMP_MARK = ".tmp-"


@dataclasses.dataclass
class ReadLimits:
    """The bounds every reader applies (module docstring).

    Attributes:
        max_member_bytes (int): most bytes one archive member or dataset may declare.
        max_json_bytes (int): most bytes a JSON member (a model's config) may declare.
        max_expansion (int): most a member declaring over ``expansion_floor`` bytes may
            inflate relative to what it stores.
        expansion_floor (int): members up to this size are never called bombs.
    """
    max_member_bytes: int = 1 << 36          # 64 GiB
    max_json_bytes: int = 1 << 26            # 64 MiB
    max_expansion: int = 100
    expansion_floor: int = 1 << 28           # 256 MiB


LIMITS = ReadLimits()


@contextlib.contextmanager
def read_limits(**changes):
    """Context manager: :data:`LIMITS` with ``changes`` inside the block only.

    Raises:
        TypeError: an unknown limit. ValueError: a limit that is not a positive int.
    """
    fields = {f.name for f in dataclasses.fields(ReadLimits)}
    for name, value in changes.items():
        if name not in fields:
            raise TypeError(f"read_limits: unknown limit {name!r}; expected one of "
                            f"{sorted(fields)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"read_limits: {name} must be a positive int, received "
                             f"{value!r}")
    saved = dataclasses.replace(LIMITS)
    for name, value in changes.items():
        setattr(LIMITS, name, value)
    try:
        yield LIMITS
    finally:
        for name in fields:
            setattr(LIMITS, name, getattr(saved, name))


# ====================================================================== reading
def check_member_names(names, source, error=ValueError):
    """Refuse duplicate member names and names that could escape a folder.

    Raises:
        error: naming the member and why.
    """
    seen = set()
    for name in names:
        if name in seen:
            raise error(f"{source}: the archive lists member {name!r} twice (a duplicate "
                        f"member is refused: which copy is meant is ambiguous)")
        seen.add(name)
        parts = name.replace("\\", "/").split("/")
        if (name.startswith(("/", "\\")) or "\\" in name or "\x00" in name or ".." in parts
                or (len(name) > 1 and name[1] == ":")):
            raise error(f"{source}: member name {name!r} is absolute or climbs out of the "
                        f"archive (path traversal); refused")


def check_member_size(name, declared, stored, source, error=ValueError):
    """Refuse a member that declares more than the limits allow (module docstring)."""
    limits = LIMITS
    if name.endswith(".json") and declared > limits.max_json_bytes:
        raise error(f"{source}: member {name!r} declares {declared} bytes, more than a "
                    f"model's JSON may hold (max_json_bytes={limits.max_json_bytes}; raise "
                    f"it with deepgrad.serialization.safe_io.read_limits)")
    if declared > limits.max_member_bytes:
        raise error(f"{source}: member {name!r} declares {declared} bytes, more than "
                    f"max_member_bytes={limits.max_member_bytes} (raise it with "
                    f"deepgrad.serialization.safe_io.read_limits)")
    check_expansion(name, declared, stored, source, error)


def check_expansion(name, declared, stored, source, error=ValueError):
    """Refuse ``declared`` bytes inflated from only ``stored`` bytes (a bomb)."""
    limits = LIMITS
    if declared > limits.expansion_floor and declared > limits.max_expansion * max(stored, 1):
        raise error(f"{source}: {name!r} declares {declared} bytes but stores only "
                    f"{stored}: refusing a decompression bomb (more than "
                    f"max_expansion={limits.max_expansion} times)")


def check_zip_members(zf, source, error=ValueError):
    """Every check above on an open ``zipfile.ZipFile``; returns its infolist."""
    infos = zf.infolist()
    check_member_names([i.filename for i in infos], source, error)
    for info in infos:
        if info.flag_bits & 0x1:
            raise error(f"{source}: member {info.filename!r} is encrypted; deepgrad's files "
                        f"never are (a corrupted or foreign archive)")
        check_member_size(info.filename, info.file_size, info.compress_size, source, error)
    return infos


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")      # zipfile's structFileHeader
_CHUNK = 1 << 20


class _Window(io.RawIOBase):
    """Read-only, seekable bytes ``[start, start + size)`` of an open binary file: a
    stored zip member read in place (the file is sought before every read, as zipfile
    shares it)."""

    def __init__(self, fh, start, size):
        super().__init__()
        self.fh, self.start, self.size, self.pos = fh, start, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer):
        n = min(len(buffer), max(0, self.size - self.pos))
        if n == 0:
            return 0
        self.fh.seek(self.start + self.pos)
        got = self.fh.readinto(memoryview(buffer)[:n])
        self.pos += got
        return got


def open_member(fh, zf, name, source, error=ValueError):
    """A seekable binary file object of member ``name`` of ``zf`` (opened on ``fh``).

    A stored member (how deepgrad and Keras write weights) is read in place from the
    file, with no copy of it in memory, after its CRC-32 is checked in one streaming
    pass; a compressed one is inflated into memory (bounded by :data:`LIMITS`, which
    :func:`check_zip_members` applied).

    Raises:
        error: a member that is missing, runs past the end of the file or fails its CRC.
    """
    try:
        info = zf.getinfo(name)
        if info.compress_type != zipfile.ZIP_STORED:
            return io.BytesIO(zf.read(name))
        fh.seek(info.header_offset)
        header = fh.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise error(f"{source}: member {name!r} has no valid local header (corrupted)")
        fields = _LOCAL_HEADER.unpack(header)
        start = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
        window = _Window(fh, start, info.file_size)
        crc = 0
        while True:
            chunk = window.read(_CHUNK)
            if not chunk:
                break
            crc = zlib.crc32(chunk, crc)
        if window.tell() != info.file_size:
            raise error(f"{source}: member {name!r} runs past the end of the file "
                        f"(truncated)")
        if crc != info.CRC:
            raise error(f"{source}: member {name} is corrupted or truncated: Bad CRC-32 for "
                        f"file {name!r}")
        window.seek(0)
        return io.BufferedReader(window, _CHUNK)
    except (KeyError, OSError, EOFError, zlib.error, zipfile.BadZipFile, struct.error,
            NotImplementedError, RuntimeError) as e:
        if isinstance(e, error):
            raise
        raise error(f"{source}: member {name!r} is missing, corrupted or truncated "
                    f"({type(e).__name__}: {e})") from None


# ====================================================================== writing
def _check_target(path, who, overwrite):
    if os.path.isdir(path):
        raise IsADirectoryError(f"{who}: cannot save to {path!r}: it is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise FileNotFoundError(f"{who}: cannot save to {path!r}: the folder "
                                f"{os.path.dirname(path) or folder!r} {what} (create it first, "
                                f"e.g. os.makedirs(folder, exist_ok=True))")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{who}: {path!r} exists and overwrite=False")
    return folder


def temp_files(path):
    """The temp files of ``path`` in its folder (live or left by a killed writer)."""
    folder = os.path.dirname(os.path.abspath(path))
    prefix = os.path.basename(path) + TEMP_MARK
    try:
        return [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith(prefix)
                and len(n) == len(prefix) + 12]
    except OSError:
        return []


def _remove_stale(path):
    """Remove the temp files of ``path`` that no live writer holds (their flock is free)."""
    if fcntl is None:
        return
    for tmp in temp_files(path):
        try:
            fd = os.open(tmp, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)                       # a live writer holds it
            continue
        try:
            os.unlink(tmp)
        except OSError:
            pass
        finally:
            os.close(fd)


def atomic_write(path, write, who="save", overwrite=True):
    """Write ``path`` through ``<path>.tmp-XXXXXXXXXXXX``: ``write(fh)``, fsync, rename,
    fsync the folder (module docstring).

    Args:
        path (str or path-like): the target file.
        write: ``write(fh)`` writes the content to the binary file object ``fh``.
        who (str): the user's entry point, for error messages (``"deepgrad.save"``).
        overwrite (bool): if False and ``path`` exists, raise ``FileExistsError``.

    Raises:
        FileNotFoundError: the target's folder does not exist (the message names ``path``).
        IsADirectoryError: ``path`` is a folder.
    """
    path = os.fsdecode(os.fspath(path))
    folder = _check_target(path, who, overwrite)
    _remove_stale(path)
    fh, tmp = _open_temp(path, folder)
    try:
        with fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(tmp, path)              # still locked: no cleaner can take it
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_folder(folder)


def _open_temp(path, folder):
    """A new temp file of ``path``, open for writing and locked (flock) while it lives; a
    cleaner that removed it between its creation and its lock makes us take another."""
    while True:
        tmp = os.path.join(folder, f"{os.path.basename(path)}{TEMP_MARK}{os.urandom(6).hex()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
        fh = os.fdopen(fd, "wb")
        if fcntl is None:
            return fh, tmp
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.path.samestat(os.fstat(fd), os.stat(tmp)):
                return fh, tmp
        except OSError:
            pass
        fh.close()


def fsync_folder(folder):
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
