"""Writing checkpoints in PyTorch's zip format, atomically.

The object is pickled first (protocol 2, as ``torch.save``): a tensor becomes
``torch._utils._rebuild_tensor_v2(<storage id>, offset, size, stride, requires_grad,
OrderedDict())``, an ndarray the same call with the metadata ``{"deepgrad.ndarray": True}``
(PyTorch reads a tensor, deepgrad an ndarray), a Parameter
``torch._utils._rebuild_parameter(...)``,
deepgrad's dtypes ``torch.float32`` etc. and devices ``torch.device('cpu')``; NumPy
scalars become Python numbers. Tensors that view one NumPy buffer share one storage, as
views of one storage do in PyTorch. Only then is anything written, so an object that
cannot be pickled leaves no file behind.
"""
import io
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

from deepgrad.serialization import _format as F

ALIGNMENT = 64
_ZIP64_LIMIT = (1 << 31) - 1


class _Global:
    """A global ``module.name`` written into the pickle by name (PyTorch's functions and
    types, which deepgrad must name without importing torch)."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):          # save_reduce() requires a callable
        raise TypeError(f"{self.module}.{self.name} is a name written into a checkpoint")


class _TensorData:
    """The tensor inside a Parameter's ``_rebuild_parameter(tensor, ...)`` call."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


class _StorageRef:
    __slots__ = ("key", "type_name", "numel")

    def __init__(self, key, type_name, numel):
        self.key, self.type_name, self.numel = key, type_name, numel


def _root(arr):
    """The ndarray that owns ``arr``'s memory, following ``.base`` (also through the
    wrapper objects ``np.lib.stride_tricks.as_strided`` leaves as a base)."""
    root = arr
    while True:
        base = root.base
        if isinstance(base, np.ndarray):
            root = base
        elif isinstance(getattr(base, "base", None), np.ndarray) and \
                hasattr(base, "__array_interface__"):
            root = base.base
        else:
            return root


def _address(arr):
    return arr.__array_interface__["data"][0]


class Storages:
    """The storages of the tensors pickled so far: one per NumPy buffer and dtype."""

    def __init__(self):
        self.records = []           # key -> C-contiguous ndarray whose bytes are written
        self._by_root = {}

    def add(self, arr):
        """(storage ref, offset, stride), all in elements, for ``arr``."""
        dtype = arr.dtype
        size = dtype.itemsize
        root = _root(arr)
        offset = _address(arr) - _address(root)
        shared = (root.flags.c_contiguous and root.nbytes % size == 0 and offset >= 0 and
                  offset % size == 0 and all(s >= 0 and s % size == 0 for s in arr.strides))
        if shared:
            extent = offset + (sum((n - 1) * s for n, s in zip(arr.shape, arr.strides)) + size
                               if arr.size else 0)
            shared = extent <= root.nbytes
        if shared:
            ident = (id(root), dtype.str)
            key = self._by_root.get(ident)
            if key is None:
                key = self._by_root[ident] = len(self.records)
                self.records.append(root)
            numel = root.nbytes // size
            return (self._ref(key, dtype, numel), offset // size,
                    tuple(s // size for s in arr.strides))
        copy = np.array(arr, order="C", copy=True)
        key = len(self.records)
        self.records.append(copy)
        return self._ref(key, dtype, copy.size), 0, tuple(s // size for s in copy.strides)

    @staticmethod
    def _ref(key, dtype, numel):
        if dtype in F.UNTYPED_DTYPES:
            return _StorageRef(str(key), None, numel * dtype.itemsize)
        return _StorageRef(str(key), F.STORAGE_NAME[dtype], numel)


def _torch_global_name(obj):
    """``torch.<name>`` for a NumPy dtype (or scalar type) PyTorch also has and for a
    legacy tensor type (``deepgrad.FloatTensor``), else None."""
    from deepgrad.dtypes import LEGACY_TYPES, _LegacyTensorType
    if isinstance(obj, _LegacyTensorType):
        return obj.__name__ if LEGACY_TYPES.get(obj.__name__) is obj else None
    if not (isinstance(obj, np.dtype) or isinstance(obj, type) and issubclass(obj, np.generic)):
        return None
    d = np.dtype(obj)
    return d.name if d.name in F.TORCH_DTYPES and d.kind in "biuf" else None


class Pickler(pickle._Pickler):
    """pickle's Python pickler, writing deepgrad objects under PyTorch's names."""

    def __init__(self, file, protocol, storages):
        super().__init__(file, protocol)
        self.storages = storages

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            stype = _Global("torch.storage", "UntypedStorage") if obj.type_name is None \
                else _Global("torch", obj.type_name)
            return ("storage", stype, obj.key, "cpu", obj.numel)
        return None

    def save(self, obj, save_persistent_id=True):
        if type(obj) is _Global:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
            return
        if isinstance(obj, np.generic):
            return super().save(obj.item(), save_persistent_id)
        name = _torch_global_name(obj)
        if name is not None:
            self.write(pickle.GLOBAL + f"torch\n{name}\n".encode("utf-8"))
            return
        return super().save(obj, save_persistent_id)

    def reducer_override(self, obj):
        from deepgrad.autograd.tensor import Tensor
        from deepgrad.device import device
        from deepgrad.dtypes import strided
        from deepgrad.nn.parameter import Parameter
        if isinstance(obj, Parameter):
            return (_Global("torch._utils", "_rebuild_parameter"),
                    (_TensorData(obj.array), obj.requires_grad, F.OrderedDict()))
        if isinstance(obj, (Tensor, _TensorData)):
            return self._tensor(obj.array, getattr(obj, "requires_grad", False))
        if isinstance(obj, np.ndarray):
            return self._tensor(obj, False, ndarray=True)
        if isinstance(obj, device):
            return (_Global("torch", "device"), (str(obj),))
        if obj is strided:
            return (_Global("torch.serialization", "_get_layout"), ("torch.strided",))
        return NotImplemented

    def _tensor(self, arr, requires_grad, ndarray=False):
        """The rebuild call of one tensor; an ndarray carries the metadata that makes
        deepgrad load it as an ndarray again (PyTorch reads it as a tensor)."""
        if arr.dtype.kind not in "biuf" or arr.dtype.byteorder == (
                ">" if sys.byteorder == "little" else "<"):
            raise pickle.PicklingError(
                f"deepgrad.save: cannot save an array of dtype {arr.dtype} (PyTorch's format "
                f"holds native-order bool, integer and float tensors)")
        ref, offset, stride = self.storages.add(arr)
        args = (ref, offset, tuple(arr.shape), stride, bool(requires_grad), F.OrderedDict())
        metadata = ({F.NDARRAY_KEY: True},) if ndarray else ()
        if ref.type_name is None:
            return (_Global("torch._utils", "_rebuild_tensor_v3"),
                    args + (_Global("torch", arr.dtype.name),) + metadata)
        return (_Global("torch._utils", "_rebuild_tensor_v2"), args + metadata)


def pickle_object(obj, protocol=2):
    """(pickle bytes, Storages) for ``obj``; raises before anything is written."""
    if isinstance(protocol, bool) or not isinstance(protocol, int) or \
            not 2 <= protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"deepgrad.save: pickle_protocol must be an int in "
                         f"[2, {pickle.HIGHEST_PROTOCOL}], received {protocol!r}")
    buf, storages = io.BytesIO(), Storages()
    Pickler(buf, protocol, storages).dump(obj)
    return buf.getvalue(), storages


# ------------------------------------------------------------------------------ zip
def _write_record(zf, name, data):
    """An uncompressed record whose data starts at a multiple of 64 bytes in the file
    (PyTorch pads its local header the same way, so records can be memory-mapped)."""
    nbytes = data.nbytes if isinstance(data, memoryview) else len(data)
    zip64 = 20 if nbytes * 1.05 > _ZIP64_LIMIT else 0
    offset = zf.start_dir
    base = offset + 30 + len(name.encode("utf-8")) + zip64 + 4
    pad = (-base) % ALIGNMENT
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = nbytes
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=bool(zip64)) as w:
        w.write(data)


def write_archive(fh, prefix, pkl, storages, byteorder_record=True):
    """Write the zip archive to the binary file object ``fh`` (positioned at 0)."""
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_record(zf, f"{prefix}/data.pkl", pkl)
        _write_record(zf, f"{prefix}/.storage_alignment", str(ALIGNMENT).encode())
        if byteorder_record:
            _write_record(zf, f"{prefix}/byteorder", sys.byteorder.encode())
        for key, arr in enumerate(storages.records):
            flat = arr.reshape(-1).view(np.uint8) if arr.size else np.zeros(0, np.uint8)
            _write_record(zf, f"{prefix}/data/{key}", memoryview(flat))
        _write_record(zf, f"{prefix}/version", b"3\n")


def archive_name(f):
    """The archive's top folder: the file's name without its extension, as PyTorch."""
    if isinstance(f, (str, bytes, os.PathLike)):
        base = os.path.basename(os.fsdecode(f))
        stem = base.rsplit(".", 1)[0] if "." in base[1:] else base
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in stem)
        return safe or "archive"
    return "archive"
