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


def open_file(filepath):
    """The file, open for reading (binary), or Keras's "File not found" ValueError."""
    if not os.path.isfile(filepath):
        raise ValueError(f"File not found: filepath={filepath}. Please ensure the file exists "
                         f"and is a `.keras` archive or a weights file")
    return open(filepath, "rb")


def head(fh, n=8):
    """The first ``n`` bytes of an open file (its position goes back to 0)."""
    fh.seek(0)
    data = fh.read(n)
    fh.seek(0)
    return data


class ZipArchive:
    """An open model archive read in place: :meth:`check` applies every check of the
    module docstring to the member list before anything is read; JSON members are read
    whole (bounded), weights members are handed out as file objects over the file itself
    (:func:`~deepgrad.serialization.safe_io.open_member`), so no whole copy of the file
    or of a weights member is held.

    Raises:
        ValueError: not a readable zip archive (truncated or corrupted).
    """

    def __init__(self, fh, source):
        self.fh, self.source = fh, source
        try:
            self.zf = zipfile.ZipFile(fh)
        except READ_ERRORS as e:
            raise ValueError(f"{source} is not a valid .keras archive (truncated or corrupted "
                             f"zip file): {e}") from None
        self.names = [i.filename for i in self.zf.infolist()]

    @classmethod
    def open_or_none(cls, fh, source):
        """The archive, or None when ``fh`` is not a readable zip file."""
        try:
            return cls(fh, source)
        except ValueError:
            return None

    def close(self):
        self.zf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def check(self, allowed, required):
        """Names (traversal, duplicates), missing then unexpected members, sizes."""
        found, source = self.names, self.source
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
        safe_io.check_zip_members(self.zf, source)

    def read(self, name):
        try:
            return self.zf.read(name)                # checks the member's CRC-32
        except READ_ERRORS as e:
            raise ValueError(f"{self.source}: member {name} is corrupted or truncated: "
                             f"{e}") from None

    def json(self, name):
        try:
            return json.loads(self.read(name).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            if str(e).startswith(self.source):
                raise
            raise ValueError(f"{self.source}: {name} is not valid JSON ({e})") from None

    def open(self, name):
        return safe_io.open_member(self.fh, self.zf, name, self.source)
