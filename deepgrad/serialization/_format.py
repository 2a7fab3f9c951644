"""PyTorch's checkpoint format, the parts both the writer and the reader need.

A checkpoint is an uncompressed zip archive with one top folder ``<name>/``::

    <name>/data.pkl            the object, pickled (protocol 2); every tensor is a call
                               torch._utils._rebuild_tensor_v2(storage, offset, size,
                               stride, requires_grad, OrderedDict()) whose ``storage`` is a
                               persistent id ('storage', torch.FloatStorage, key, 'cpu', numel)
    <name>/data/<key>          the raw bytes of storage ``key`` (little-endian), aligned to
                               64 bytes in the file
    <name>/byteorder           "little"
    <name>/version             "3"
    <name>/.storage_alignment  "64"

This module maps PyTorch's storage types and dtypes to NumPy's and holds the rebuild
functions a checkpoint may call: they check every size, stride and offset against the
storage before making a view, so a hostile file cannot read outside the data it holds.
"""
import collections
import warnings

import numpy as np

#: NumPy dtype -> PyTorch's legacy typed-storage class name.
STORAGE_NAME = {np.dtype(np.float32): "FloatStorage", np.dtype(np.float64): "DoubleStorage",
                np.dtype(np.float16): "HalfStorage", np.dtype(np.int64): "LongStorage",
                np.dtype(np.int32): "IntStorage", np.dtype(np.int16): "ShortStorage",
                np.dtype(np.int8): "CharStorage", np.dtype(np.uint8): "ByteStorage",
                np.dtype(np.bool_): "BoolStorage"}
STORAGE_DTYPE = {name: d for d, name in STORAGE_NAME.items()}

#: dtypes PyTorch stores as an UntypedStorage plus a dtype (``_rebuild_tensor_v3``).
UNTYPED_DTYPES = (np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64))

#: PyTorch dtype name (``torch.float32`` -> "float32") -> NumPy dtype.
TORCH_DTYPES = {"float32": np.float32, "float": np.float32, "float64": np.float64,
                "double": np.float64, "float16": np.float16, "half": np.float16,
                "int64": np.int64, "long": np.int64, "int32": np.int32, "int": np.int32,
                "int16": np.int16, "short": np.int16, "int8": np.int8, "uint8": np.uint8,
                "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64, "bool": np.bool_}

#: storage types whose families deepgrad leaves out, with the family's name.
OUT_OF_SCOPE_STORAGE = {"ComplexFloatStorage": "complex", "ComplexDoubleStorage": "complex",
                        "QInt8Storage": "quantization", "QUInt8Storage": "quantization",
                        "QInt32Storage": "quantization", "QUInt4x2Storage": "quantization",
                        "QUInt2x4Storage": "quantization"}


class CheckpointError(RuntimeError):
    """A checkpoint file that is not a valid PyTorch/deepgrad checkpoint (truncated,
    corrupted, not a zip archive, or holding an impossible tensor)."""


class StorageType:
    """What a ``torch.FloatStorage`` (etc.) global stands for when a checkpoint is read."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"torch.{self.name}"


BFLOAT16 = "BFloat16Storage"


class Storage:
    """A loaded storage: a flat, writable ndarray; tensors are views into it."""

    __slots__ = ("array", "location")

    def __init__(self, array, location):
        self.array, self.location = array, location


class UnsupportedDtype:
    """A PyTorch dtype NumPy lacks (``torch.bfloat16``, ``torch.complex64``...), as a value
    read from a checkpoint; a tensor of that dtype cannot be rebuilt."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __eq__(self, other):
        return isinstance(other, UnsupportedDtype) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


def torch_dtype(name):
    """``torch.<name>`` as read from a checkpoint: a NumPy dtype class, or a marker."""
    d = TORCH_DTYPES.get(name)
    return d if d is not None else UnsupportedDtype(name)


def bfloat16_to_float32(raw):
    """bfloat16 bits (uint16) -> float32 values: bfloat16 is the top half of a float32."""
    return (raw.astype(np.uint32) << 16).view(np.float32)


# ------------------------------------------------------------------------------ rebuild
def _ints(values, what):
    if not isinstance(values, (tuple, list)) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise CheckpointError(f"checkpoint: tensor {what} must be a tuple of ints, found "
                              f"{values!r}")
    return tuple(values)


def view_of(storage, offset, size, stride, dtype=None):
    """A view of ``storage``: ``size`` elements ``stride`` apart from ``offset``, all
    checked to lie inside the storage (no view ever reads outside the file's data)."""
    if not isinstance(storage, Storage):
        raise CheckpointError(f"checkpoint: a tensor's storage must come from the archive, "
                              f"found {type(storage).__name__}")
    arr = storage.array
    if dtype is not None:
        dtype = np.dtype(dtype)
        if arr.dtype != dtype:
            if arr.nbytes % dtype.itemsize:
                raise CheckpointError(f"checkpoint: storage of {arr.nbytes} bytes does not "
                                      f"hold whole {dtype} elements")
            arr = arr.view(dtype)
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise CheckpointError(f"checkpoint: storage offset must be an int >= 0, found {offset!r}")
    if len(size) != len(stride) or any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise CheckpointError(f"checkpoint: impossible tensor layout size={size} "
                              f"stride={stride}")
    if 0 not in size:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= arr.size:
            raise CheckpointError(f"checkpoint: a tensor of size {size}, stride {stride} at "
                                  f"offset {offset} reads past its storage of {arr.size} "
                                  f"elements (a corrupted or hostile file)")
    elif offset > arr.size:
        raise CheckpointError(f"checkpoint: storage offset {offset} past the storage's "
                              f"{arr.size} elements")
    itemsize = arr.dtype.itemsize
    # np.ndarray over the storage (not as_strided): the view's .base is the storage, so
    # saving it again finds the shared buffer; NumPy re-checks the bounds as well.
    return np.ndarray(size, arr.dtype, buffer=arr, offset=offset * itemsize,
                      strides=tuple(s * itemsize for s in stride))


#: the tensor-metadata key deepgrad writes for a NumPy array saved as a tensor. PyTorch's
#: ``_rebuild_tensor_v2`` passes metadata to ``set_tensor_metadata``, which reads only its
#: own keys ("conj", "neg"), so PyTorch loads such an array as a plain tensor.
NDARRAY_KEY = "deepgrad.ndarray"


def _check_hooks(backward_hooks, metadata=None):
    """Refuse saved hooks and PyTorch's conjugate/negative bits; True for a NumPy array
    that deepgrad saved as a tensor (metadata ``{NDARRAY_KEY: True}``)."""
    if backward_hooks and len(backward_hooks):
        raise CheckpointError("checkpoint: tensors with saved backward hooks cannot be loaded "
                              "(hooks are code; PyTorch does not save them either)")
    if not metadata:
        return False
    if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
        raise CheckpointError(f"checkpoint: malformed tensor metadata {metadata!r}")
    bits = {k: v for k, v in metadata.items() if v}
    if bits == {NDARRAY_KEY: True}:
        return True
    if bits:
        raise CheckpointError(f"checkpoint: tensor metadata {bits!r} (conjugate/negative "
                              f"bits) is not supported by deepgrad")
    return False


def _tensor(arr, requires_grad):
    from deepgrad.autograd.tensor import Tensor
    t = Tensor._wrap(arr)
    if requires_grad is True and arr.dtype.kind == "f":
        t.requires_grad = True
    return t


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      metadata=None):
    """``torch._utils._rebuild_tensor_v2``: a tensor viewing ``storage`` (an ndarray when
    deepgrad saved one)."""
    view = view_of(storage, storage_offset, size, stride)
    if _check_hooks(backward_hooks, metadata):
        return view
    return _tensor(view, requires_grad)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      dtype, metadata=None):
    """``torch._utils._rebuild_tensor_v3``: an untyped storage viewed as ``dtype``."""
    ndarray = _check_hooks(backward_hooks, metadata)
    if isinstance(dtype, UnsupportedDtype) or not (isinstance(dtype, type) and
                                                   issubclass(dtype, np.generic)):
        raise CheckpointError(f"checkpoint: a tensor of dtype {dtype!r}, which deepgrad "
                              f"(NumPy) does not have")
    view = view_of(storage, storage_offset, size, stride, dtype)
    return view if ndarray else _tensor(view, requires_grad)


def rebuild_tensor(storage, storage_offset, size, stride):
    """``torch._utils._rebuild_tensor`` (older checkpoints)."""
    return _tensor(view_of(storage, storage_offset, size, stride), False)


def rebuild_parameter(data, requires_grad, backward_hooks):
    """``torch._utils._rebuild_parameter``: a deepgrad ``nn.Parameter``."""
    from deepgrad.nn.parameter import Parameter
    _check_hooks(backward_hooks)
    if isinstance(data, np.ndarray):
        data = _tensor(data, False)
    _check_is_tensor(data, "_rebuild_parameter")
    return Parameter(data, requires_grad=bool(requires_grad) and data.dtype.kind == "f")


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """``torch._utils._rebuild_parameter_with_state``: only an empty Python state."""
    if state:
        raise CheckpointError(f"checkpoint: a Parameter with Python attributes "
                              f"{sorted(state) if isinstance(state, dict) else state!r} "
                              f"cannot be rebuilt by deepgrad")
    return rebuild_parameter(data, requires_grad, backward_hooks)


def rebuild_from_type_v2(func, new_type, args, state):
    """``torch._tensor._rebuild_from_type_v2``: ``func(*args)`` as ``new_type`` (a Tensor or
    a Parameter) with an empty Python state."""
    from deepgrad.autograd.tensor import Tensor
    from deepgrad.nn.parameter import Parameter
    if func not in (rebuild_tensor_v2, rebuild_tensor_v3, rebuild_tensor, rebuild_parameter,
                    rebuild_parameter_with_state):
        raise CheckpointError(f"checkpoint: _rebuild_from_type_v2 may only call a tensor "
                              f"rebuild function, found {func!r}")
    if not isinstance(args, tuple):
        raise CheckpointError("checkpoint: _rebuild_from_type_v2 arguments must be a tuple")
    t = func(*args)
    if isinstance(t, np.ndarray):
        t = _tensor(t, False)
    if any(state) if isinstance(state, tuple) else state:
        raise CheckpointError("checkpoint: tensors with Python attributes cannot be rebuilt "
                              "by deepgrad")
    if new_type is Parameter and not isinstance(t, Parameter):
        return Parameter(t, requires_grad=t.requires_grad)
    if new_type is not Tensor and new_type is not Parameter:
        raise CheckpointError(f"checkpoint: tensor subclass {new_type!r} is not supported")
    return t


def _check_is_tensor(data, where):
    from deepgrad.autograd.tensor import Tensor
    if not isinstance(data, Tensor):
        raise CheckpointError(f"checkpoint: {where} expects a tensor, found "
                              f"{type(data).__name__}")


def get_layout(name):
    """``torch.serialization._get_layout``: only the strided (dense) layout exists."""
    from deepgrad.dtypes import strided
    if name != "torch.strided":
        raise CheckpointError(f"checkpoint: layout {name!r} is out of deepgrad's scope "
                              f"(only dense, torch.strided tensors)")
    return strided


def warn_bfloat16():
    warnings.warn("checkpoint holds bfloat16 tensors; NumPy has no bfloat16, so deepgrad "
                  "loads them as float32 (exactly: every bfloat16 is a float32)",
                  UserWarning, stacklevel=4)


OrderedDict = collections.OrderedDict
