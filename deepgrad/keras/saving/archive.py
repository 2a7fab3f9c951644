"""Files and zip archives for the savers: atomic writes, and reads that check everything.

Reading a zip archive refuses duplicate, unexpected and missing members, checks every
member's CRC-32, and bounds what a member may inflate to: a member that declares more
than 256 MiB and more than 100 times what it stores is a decompression bomb (a genuine
archive stores its members uncompressed or nearly so), as is a JSON member over 64 MiB.
"""
import io
import json
import os
import struct
import tempfile
import zipfile
import zlib

READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
               struct.error, UnicodeDecodeError, NotImplementedError)
_BOMB_FLOOR = 1 << 28                 # 256 MiB
_MAX_EXPANSION = 100
_MAX_JSON = 1 << 26                   # 64 MiB


def atomic_write(filepath, write, overwrite):
    """Write through a temporary file in the same folder, then rename: a failed save never
    leaves a half-written file or destroys the previous one."""
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"Cannot save to {filepath}: it is a directory")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    folder = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".deepgrad-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_zip(f, members):
    """A zip archive of ``{name: bytes}``, JSON deflated, binary members stored."""
    with zipfile.ZipFile(f, "w") as zf:
        for name, data in members.items():
            compress = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            zf.writestr(name, data, compress_type=compress)


def read_file(filepath):
    if not os.path.isfile(filepath):
        raise ValueError(f"File not found: filepath={filepath}. Please ensure the file exists "
                         f"and is a `.keras` archive or a weights file")
    with open(filepath, "rb") as f:
        return f.read()


def is_zip(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)):
            return True
    except READ_ERRORS:
        return False


def names(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


def read_zip(data, source, allowed, required):
    """``{member: bytes}`` of an archive, every check of the module docstring applied.

    Raises:
        ValueError: a corrupted or truncated archive, a duplicate, unexpected or missing
            member, a decompression bomb, or a member whose CRC fails.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            found = [i.filename for i in infos]
            if len(set(found)) != len(found):
                raise ValueError(f"{source}: the archive lists a member twice")
            unexpected = [n for n in found if n not in allowed]
            if unexpected:
                raise ValueError(f"{source}: unexpected member(s) {unexpected} in the archive; "
                                 f"it may hold only {list(allowed)} and nothing else is ever "
                                 f"loaded (no pickles, no code, no assets)")
            missing = [n for n in required if n not in found]
            if missing:
                raise ValueError(f"{source}: the archive is missing {missing} (truncated, or "
                                 f"not a model archive?)")
            for info in infos:
                _check_bomb(info, source)
            return {info.filename: _read_member(zf, info.filename, source) for info in infos}
    except zipfile.BadZipFile as e:
        raise ValueError(f"{source} is not a valid archive (truncated or corrupted zip "
                         f"file): {e}") from None


def _check_bomb(info, source):
    limit = _MAX_JSON if info.filename.endswith(".json") else _BOMB_FLOOR
    if info.file_size > limit and info.file_size > _MAX_EXPANSION * info.compress_size:
        raise ValueError(f"{source}: member {info.filename!r} declares {info.file_size} bytes "
                         f"but stores only {info.compress_size}: refusing a decompression "
                         f"bomb")
    if info.filename.endswith(".json") and info.file_size > _MAX_JSON:
        raise ValueError(f"{source}: member {info.filename!r} is {info.file_size} bytes, "
                         f"more than a model's JSON ever needs (64 MiB)")


def _read_member(zf, name, source):
    try:
        return zf.read(name)                     # checks the member's CRC-32
    except READ_ERRORS as e:
        raise ValueError(f"{source}: member {name} is corrupted or truncated: {e}") from None


def parse_json(members, name, source):
    try:
        return json.loads(members[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{source}: {name} is not valid JSON ({e})") from None
