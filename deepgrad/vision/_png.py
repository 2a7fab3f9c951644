"""A minimal PNG encoder and decoder (8-bit grey, grey+alpha, RGB, RGBA; no interlace),
so image files need no Pillow.

A PNG file is the 8-byte signature then chunks ``length, type, data, CRC-32``: ``IHDR``
(width, height, bit depth 8, colour type 0/4/2/6), one or more ``IDAT`` (the zlib stream
of the scanlines, each preceded by its filter byte) and ``IEND``. The encoder writes
filter 0 (None) on every row; the decoder undoes the five filters of the standard
(None, Sub, Up, Average, Paeth), so it reads files written by other tools too.
"""
import os
import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: channels -> PNG colour type.
_COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}
_CHANNELS = {v: k for k, v in _COLOUR_TYPE.items()}


def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(array):
    """The bytes of a PNG file holding ``array``.

    Args:
        array (np.ndarray): uint8, shape (H, W) or (H, W, C) with C in 1, 2, 3, 4
            (grey, grey + alpha, RGB, RGBA).
    Returns:
        bytes
    """
    a = np.asarray(array)
    if a.dtype != np.uint8:
        raise TypeError(f"encode_png: expected a uint8 array, received dtype {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in _COLOUR_TYPE or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"encode_png: expected shape (H, W) or (H, W, C) with C in 1..4 and "
                         f"H, W >= 1, received {np.asarray(array).shape}")
    h, w, c = a.shape
    rows = np.concatenate([np.zeros((h, 1), np.uint8), a.reshape(h, w * c)], axis=1)
    header = struct.pack(">IIBBBBB", w, h, 8, _COLOUR_TYPE[c], 0, 0, 0)
    return (SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b""))


def write_png(fp, array):
    """Write ``array`` (see :func:`encode_png`) to a path or a binary file object; a
    path is written atomically (temporary file, then rename)."""
    data = encode_png(array)
    if hasattr(fp, "write"):
        fp.write(data)
        return
    path = os.fspath(fp)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(kind, row, prev, bpp):
    """Undo one scanline's filter (in place on ``row``, an int array)."""
    if kind == 0:
        return row
    if kind == 2:
        return (row + prev) & 0xFF
    if kind not in (1, 3, 4):
        raise ValueError(f"decode_png: unknown filter type {kind}")
    out = row.copy()
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + left) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + ((left + prev[i]) >> 1)) & 0xFF
        else:
            upleft = prev[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + _paeth(left, prev[i], upleft)) & 0xFF
    return out


def decode_png(data):
    """The uint8 array (H, W) or (H, W, C) of a non-interlaced 8-bit PNG file's bytes."""
    if data[:8] != SIGNATURE:
        raise ValueError("decode_png: not a PNG file (bad signature)")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("decode_png: no IHDR chunk")
    w, h, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(f"decode_png: only 8-bit non-interlaced grey/RGB(A) files are read, "
                         f"received bit depth {depth}, colour type {colour}, interlace "
                         f"{interlace}")
    c = _CHANNELS[colour]
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, 1 + w * c)
    out, prev = np.empty((h, w * c), np.int64), np.zeros(w * c, np.int64)
    for y in range(h):
        prev = out[y] = _unfilter(int(raw[y, 0]), raw[y, 1:].astype(np.int64), prev, c)
    out = out.astype(np.uint8).reshape(h, w, c)
    return out[:, :, 0] if c == 1 else out
