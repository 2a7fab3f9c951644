"""Reading checkpoints: the zip archive, storages, and the two unpicklers.

``weights_only=True`` unpickles with :class:`WeightsOnlyUnpickler`, whose ``find_class``
hands out only the format's own rebuild functions, containers and dtypes (the list PyTorch
2.6+ allows) plus what the user allowlisted; any other global -- ``os.system``,
``builtins.eval``, ``subprocess.Popen``, ``builtins.getattr`` -- stops the load before
anything is called, so nothing from the file runs. ``weights_only=False`` is ordinary
pickle: it runs whatever the file names and is for files you trust.
"""
import codecs
import collections
import io
import mmap
import os
import pickle
import struct
import sys
import zipfile
import zlib

import numpy as np

from deepgrad.serialization import _format as F
from deepgrad.serialization import safe_io
from deepgrad.serialization._format import CheckpointError

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")      # zipfile's structFileHeader


def _latin1_encode(obj, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` as protocol-2 pickles use it (bytes saved as latin-1 text); only
    text codecs are allowed, so a file cannot reach compression codecs through it."""
    if not isinstance(obj, str) or codecs.lookup(encoding).name not in (
            "latin-1", "iso8859-1", "utf-8", "ascii"):
        raise pickle.UnpicklingError(f"_codecs.encode is only allowed for latin-1/utf-8 "
                                     f"text, found encoding {encoding!r}")
    return codecs.encode(obj, encoding, errors)


def _out_of_scope(family, what):
    def refuse(*args, **kwargs):
        raise CheckpointError(f"checkpoint: holds {what}; {family} is out of deepgrad's scope "
                              f"(see deepgrad/_scope.py)")
    return refuse


def _allowed_globals():
    """The globals a weights-only checkpoint may name, as PyTorch's weights_only
    unpickler allows them, mapped to deepgrad's equivalents."""
    from deepgrad import dtypes
    from deepgrad.autograd.tensor import Tensor
    from deepgrad.device import device
    from deepgrad.nn.parameter import Parameter
    rc = {"collections.OrderedDict": collections.OrderedDict,
          "collections.Counter": collections.Counter,
          "torch._utils._rebuild_tensor_v2": F.rebuild_tensor_v2,
          "torch._utils._rebuild_tensor_v3": F.rebuild_tensor_v3,
          "torch._utils._rebuild_tensor": F.rebuild_tensor,
          "torch._utils._rebuild_parameter": F.rebuild_parameter,
          "torch._utils._rebuild_parameter_with_state": F.rebuild_parameter_with_state,
          "torch._tensor._rebuild_from_type_v2": F.rebuild_from_type_v2,
          "torch.serialization._get_layout": F.get_layout,
          "torch._utils._rebuild_qtensor": _out_of_scope("quantization", "a quantized tensor"),
          "torch._utils._rebuild_sparse_tensor": _out_of_scope("sparse", "a sparse tensor"),
          "torch._utils._rebuild_nested_tensor": _out_of_scope("accelerators",
                                                               "a nested tensor"),
          "torch._utils._rebuild_meta_tensor_no_storage": _out_of_scope(
              "accelerators", "a meta tensor (no data)"),
          "torch.Size": tuple, "torch.Tensor": Tensor, "torch.nn.parameter.Parameter": Parameter,
          "torch.device": device, "_codecs.encode": _latin1_encode,
          "builtins.bytearray": bytearray, "builtins.set": set, "builtins.complex": complex,
          "torch.storage.UntypedStorage": F.StorageType("UntypedStorage", np.dtype(np.uint8))}
    for name, d in F.STORAGE_DTYPE.items():
        rc[f"torch.{name}"] = F.StorageType(name, d)
    rc[f"torch.{F.BFLOAT16}"] = F.StorageType(F.BFLOAT16, None)
    for name in F.OUT_OF_SCOPE_STORAGE:
        rc[f"torch.{name}"] = F.StorageType(name, None)
    for name in list(F.TORCH_DTYPES) + ["bfloat16", "complex32", "complex64", "complex128",
                                        "cfloat", "cdouble", "float8_e4m3fn", "float8_e5m2"]:
        rc[f"torch.{name}"] = F.torch_dtype(name)
    for name, t in dtypes.LEGACY_TYPES.items():
        rc[f"torch.{name}"] = t
    return rc


_ALLOWED = None


def allowed_globals():
    global _ALLOWED
    if _ALLOWED is None:
        _ALLOWED = _allowed_globals()
    return _ALLOWED


def _py2_name(module, name):
    """Python 2 module names in old protocol-2 pickles (``__builtin__.set``)."""
    if module == "__builtin__":
        module = "builtins"
    elif module == "copy_reg":
        module = "copyreg"
    return module, name


class _StorageLoader:
    """``persistent_load`` for the storage ids of a checkpoint: reads ``data/<key>``."""

    def __init__(self, archive, restore_location):
        self.archive, self.restore = archive, restore_location
        self.loaded = {}
        self.bfloat16 = False

    def __call__(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] in ("storage", b"storage")):
            raise pickle.UnpicklingError(f"checkpoint: only storage persistent ids are "
                                         f"allowed, found {pid!r}")
        _, stype, key, location, numel = pid
        if isinstance(location, bytes):
            location = location.decode("ascii")
        if not isinstance(stype, F.StorageType) or not isinstance(key, str) or \
                not isinstance(location, str) or isinstance(numel, bool) or \
                not isinstance(numel, int) or numel < 0:
            raise CheckpointError(f"checkpoint: malformed storage id {pid!r}")
        if key in self.loaded:
            return self.loaded[key]
        if stype.name in F.OUT_OF_SCOPE_STORAGE:
            family = F.OUT_OF_SCOPE_STORAGE[stype.name]
            raise CheckpointError(f"checkpoint: holds a {stype.name}; {family} tensors are "
                                  f"out of deepgrad's scope")
        bf16 = stype.name == F.BFLOAT16
        dtype = np.dtype(np.uint16) if bf16 else stype.dtype
        raw = self.archive.record(f"data/{key}", numel * dtype.itemsize)
        arr = raw.view(dtype)
        if self.archive.byteorder != sys.byteorder and dtype.itemsize > 1:
            arr = arr.byteswap()
        if bf16:
            arr, self.bfloat16 = F.bfloat16_to_float32(arr), True
        storage = self.restore(F.Storage(arr, location), location)
        self.loaded[key] = storage
        return storage


class WeightsOnlyUnpickler(pickle.Unpickler):
    """Unpickles only tensors, containers, numbers, strings and allowlisted globals."""

    def __init__(self, file, persistent_load, user_globals, **kwargs):
        super().__init__(file, **kwargs)
        self._persistent, self._user = persistent_load, user_globals

    def find_class(self, module, name):
        module, name = _py2_name(module, name)
        full = f"{module}.{name}"
        allowed = allowed_globals()
        if full in allowed:
            return allowed[full]
        if full in self._user:
            return self._user[full]
        raise pickle.UnpicklingError(
            f"deepgrad.load: refused to load this file: it names the global {full}, which is "
            f"not one of the tensor-rebuilding functions, containers or dtypes a weights-only "
            f"checkpoint may use, and nothing from the file was run. If you trust the file "
            f"and where it came from, allowlist it with deepgrad.serialization."
            f"add_safe_globals([{full}]) (or the safe_globals context manager), or load with "
            f"weights_only=False, which runs any code the file contains.")

    def persistent_load(self, pid):
        return self._persistent(pid)


def full_unpickler(base):
    """An unpickler for ``weights_only=False``: ordinary pickle, with PyTorch's tensor
    and storage globals mapped to deepgrad's."""

    class FullUnpickler(base):
        def __init__(self, file, persistent_load, **kwargs):
            super().__init__(file, **kwargs)
            self._persistent = persistent_load

        def find_class(self, module, name):
            full = f"{module}.{name}"
            allowed = allowed_globals()
            if full in allowed:
                return allowed[full]
            if module == "torch" or module.startswith("torch."):
                raise CheckpointError(
                    f"deepgrad.load: this file pickles PyTorch's own object {full}, which "
                    f"deepgrad cannot rebuild; save model.state_dict() in PyTorch instead of "
                    f"the whole module")
            return super().find_class(module, name)

        def persistent_load(self, pid):
            return self._persistent(pid)

    return FullUnpickler


# ------------------------------------------------------------------------------ archive
class Archive:
    """A checkpoint's zip archive: the records under its one top folder."""

    def __init__(self, f, use_mmap=False):
        self.mm = None
        self.fh, self.owned = self._open(f)
        head = self.fh.read(4)
        self.fh.seek(0)
        if head[:2] != b"PK":
            self.close()
            raise CheckpointError(_not_zip_message(head))
        try:
            self.zf = zipfile.ZipFile(self.fh)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as e:
            self.close()
            raise CheckpointError(f"deepgrad.load: the file is truncated or corrupted (not a "
                                  f"readable zip archive: {e})") from None
        try:
            safe_io.check_zip_members(self.zf, "deepgrad.load", CheckpointError)
        except CheckpointError:
            self.close()
            raise
        self.prefix = self._prefix(self.zf.infolist())
        order = self.get("byteorder", required=False)
        self.byteorder = "little" if order is None else order.decode("ascii", "replace")
        if self.byteorder not in ("little", "big"):
            raise CheckpointError(f"checkpoint: unknown byte order {self.byteorder!r}")
        if use_mmap:
            if not hasattr(self.fh, "fileno"):
                raise ValueError("deepgrad.load: mmap=True needs a file path or a real file")
            self.mm = mmap.mmap(self.fh.fileno(), 0, access=mmap.ACCESS_COPY)

    @staticmethod
    def _open(f):
        if isinstance(f, (str, bytes, os.PathLike)):
            return open(f, "rb"), True
        if not hasattr(f, "read"):
            raise TypeError(f"deepgrad.load: expected a path or a readable file object, "
                            f"received {type(f).__name__}")
        if not (hasattr(f, "seek") and getattr(f, "seekable", lambda: True)()):
            return io.BytesIO(f.read()), True
        return f, False

    def _prefix(self, infos):
        names = [i.filename for i in infos]
        pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if "constants.pkl" in {n.rsplit("/", 1)[-1] for n in names}:
            raise CheckpointError("deepgrad.load: this is a TorchScript archive "
                                  "(torch.jit.save), which deepgrad cannot run; save the "
                                  "model's state_dict() with torch.save instead")
        if len(pkl) != 1:
            raise CheckpointError(f"deepgrad.load: not a PyTorch/deepgrad checkpoint: expected "
                                  f"one '<name>/data.pkl' record in the zip archive, found "
                                  f"{pkl or 'none'}")
        return pkl[0][:-len("data.pkl")]

    def get(self, name, required=True):
        full = self.prefix + name
        try:
            return self.zf.read(full)
        except KeyError:
            if required:
                raise CheckpointError(f"deepgrad.load: the checkpoint lacks its record "
                                      f"{full!r} (truncated or corrupted)") from None
            return None
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError,
                NotImplementedError) as e:
            raise CheckpointError(f"deepgrad.load: record {full!r} is corrupted ({e})") from None

    def record(self, name, nbytes):
        """The bytes of storage record ``name`` as a writable uint8 array of ``nbytes``."""
        full = self.prefix + name
        try:
            info = self.zf.getinfo(full)
        except KeyError:
            raise CheckpointError(f"deepgrad.load: the checkpoint lacks storage record "
                                  f"{full!r} (truncated or corrupted)") from None
        if info.file_size != nbytes:
            raise CheckpointError(f"deepgrad.load: storage record {full!r} holds "
                                  f"{info.file_size} bytes where its tensors need {nbytes} "
                                  f"(a corrupted file)")
        if self.mm is not None:
            return self._mapped(info, nbytes)
        buf = bytearray(nbytes)
        try:
            with self.zf.open(info) as fh:
                got = fh.readinto(buf)
                fh.read(1)                      # reach the end, where the CRC is checked
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError,
                NotImplementedError) as e:
            raise CheckpointError(f"deepgrad.load: storage record {full!r} is corrupted "
                                  f"({e})") from None
        if got != nbytes:
            raise CheckpointError(f"deepgrad.load: storage record {full!r} is truncated "
                                  f"({got} of {nbytes} bytes)")
        return np.frombuffer(buf, dtype=np.uint8)

    def _mapped(self, info, nbytes):
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError("deepgrad.load: mmap=True needs uncompressed records")
        header = self.mm[info.header_offset:info.header_offset + _LOCAL_HEADER.size]
        if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise CheckpointError(f"deepgrad.load: bad local header for {info.filename!r}")
        fields = _LOCAL_HEADER.unpack(header)
        start = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
        if start + nbytes > len(self.mm):
            raise CheckpointError(f"deepgrad.load: record {info.filename!r} runs past the end "
                                  f"of the file (truncated)")
        return np.frombuffer(self.mm, dtype=np.uint8, count=nbytes, offset=start)

    def close(self):
        if getattr(self, "zf", None) is not None:
            self.zf.close()
        if self.owned:
            self.fh.close()


def _not_zip_message(head):
    if head[:2] == b"\x80\x02" and len(head) >= 3 and head[2:3] == b"\x8a":
        return ("deepgrad.load: this is PyTorch's legacy (before 1.6) checkpoint format, "
                "which deepgrad does not read; load it in PyTorch and save it again with "
                "torch.save (the zip format)")
    if head[:1] == b"\x80":
        return ("deepgrad.load: this is a bare pickle, not a checkpoint archive; deepgrad.load "
                "reads the zip files that deepgrad.save and torch.save write")
    return (f"deepgrad.load: not a PyTorch/deepgrad checkpoint: the file is not a zip archive "
            f"(it starts with {head!r})" if head else
            "deepgrad.load: the file is empty (a truncated or unwritten checkpoint)")
