"""Files and zip archives for the savers: atomic writes, and reads that check everything.

Reading a zip archive refuses duplicate, unexpected, path-traversing and missing members,
checks every member's CRC-32, and bounds what a member may inflate to with the limits of
:mod:`deepgrad.serialization.safe_io` (a JSON member over 64 MiB, any member over
``max_member_bytes``, a member over 256 MiB inflating more than 100 times: a bomb).
"""
import io
import json
import os
import struct
import zipfile
import zlib

from deepgrad.serialization import safe_io

READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
               struct.error, UnicodeDecodeError, NotImplementedError)


def atomic_write(filepath, write, overwrite, who="model.save"):
    """:func:`deepgrad.serialization.safe_io.atomic_write` (the one atomic writer)."""
    safe_io.atomic_write(filepath, write, who=who, overwrite=overwrite)


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
            safe_io.check_member_names(found, source)
            missing = [n for n in required if n not in found]
            if missing:                 # (a truncated file can show an inner archive's list)
                raise ValueError(f"{source}: the archive is missing {missing} (a truncated "
                                 f"file, or not a model archive?)")
            unexpected = [n for n in found if n not in allowed]
            if unexpected:
                raise ValueError(f"{source}: unexpected member(s) {unexpected} in the archive; "
                                 f"it may hold only {list(allowed)} and nothing else is ever "
                                 f"loaded (no pickles, no code, no assets)")
            safe_io.check_zip_members(zf, source)
            return {info.filename: _read_member(zf, info.filename, source) for info in infos}
    except zipfile.BadZipFile as e:
        raise ValueError(f"{source} is not a valid archive (truncated or corrupted zip "
                         f"file): {e}") from None


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
