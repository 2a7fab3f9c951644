"""Tensor attributes and conversions: device, ``to``/``cpu``/``cuda``, dtype casts, strides
and memory layout, sizes in bytes, the ``new_*`` factories and dtype predicates.

deepgrad has one device, the CPU: ``t.device`` is ``device(type='cpu')``, ``t.is_cuda`` is
False and asking for another device raises a ``RuntimeError`` naming the devices that
exist. Casts are differentiable (the gradient is cast back); ``to`` and the casts return
``self`` when nothing would change, as PyTorch's do.
"""
import numpy as np

from deepgrad import dtypes, ops
from deepgrad._scope import missing_attribute
from deepgrad.autograd import function as _function
from deepgrad.device import CPU, check_device, no_such_device
from deepgrad.dtypes import (CHANNELS_LAST_ORDER, check_layout, check_pin_memory,
                             contiguous_format, preserve_format)
from deepgrad.ops.layout import relayout

_TENSOR_SLOTS = ("array", "grad", "requires_grad")


def _check_format(mf, where):
    if mf is not None and not isinstance(mf, dtypes.memory_format):
        raise TypeError(f"{where}: memory_format must be one of deepgrad.preserve_format, "
                        f"contiguous_format, channels_last, channels_last_3d; received {mf!r}")


def _layout_order(t, mf, where):
    """The dim order (outermost first) that memory format ``mf`` asks of ``t``."""
    order = CHANNELS_LAST_ORDER[mf]
    if t.array.ndim != len(order):
        raise RuntimeError(f"{where}: required rank {len(order)} tensor to use {mf._name} "
                           f"format, received a tensor of shape {tuple(t.shape)}")
    return order


def _with_format(t, mf, where):
    """``t`` laid out as ``mf`` asks (``t`` itself when it already is)."""
    if mf is None or mf is preserve_format:
        return t
    if mf is contiguous_format:
        return t if t.array.flags.c_contiguous else relayout(t)
    order = _layout_order(t, mf, where)
    return t if t.array.transpose(order).flags.c_contiguous else relayout(t, order)


def _flag(value, name, where):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be a bool, received {type(value).__name__}")
    return bool(value)


def _is_device_like(a):
    from deepgrad.device import device
    return isinstance(a, (str, device)) or (isinstance(a, int) and not isinstance(a, bool))


def _size_args(size, where):
    """``new_zeros(2, 3)`` and ``new_zeros((2, 3))`` both give ``(2, 3)``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        out = tuple(int(s) for s in size)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: size must be ints or one tuple of ints, received "
                        f"{size!r}") from None
    if any(s < 0 for s in out):
        raise RuntimeError(f"{where}: negative dimension in size {out}")
    return out


def parse_to(args, kwargs, where):
    """Parse ``to``'s three forms into (dtype or None, copy, memory_format or None).

    Checks the device (a device other than the CPU raises), the flags and the memory
    format; shared by ``Tensor.to`` and ``Module.to``.
    """
    dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
    other = kwargs.pop("tensor", None)
    flags = {"non_blocking": kwargs.pop("non_blocking", False), "copy": kwargs.pop("copy", False)}
    mf = kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"{where}: unexpected keyword argument(s) {sorted(kwargs)}; expected "
                        f"device, dtype, non_blocking, copy, memory_format")
    rest = list(args)
    if rest:
        a = rest.pop(0)
        if isinstance(a, _function._Tensor):
            other = a
        elif dtypes.is_dtype(a) or a is float or a is int or a is bool:
            if dtype is not None:
                raise TypeError(f"{where}: dtype given twice (positionally and as dtype=)")
            dtype = a
        elif _is_device_like(a):
            if device is not None:
                raise TypeError(f"{where}: device given twice (positionally and as device=)")
            device = a
            if rest and not isinstance(rest[0], (bool, np.bool_)):
                dtype = rest.pop(0)
        else:
            raise TypeError(f"{where}: expected a dtype, a device or a tensor as the first "
                            f"argument, received {type(a).__name__}")
    if len(rest) > 2:
        raise TypeError(f"{where}: too many positional arguments ({len(args)})")
    for name, value in zip(("non_blocking", "copy"), rest):
        flags[name] = value
    _flag(flags["non_blocking"], "non_blocking", where)
    copy = _flag(flags["copy"], "copy", where)
    _check_format(mf, where)
    if other is not None:
        device, dtype = other.device, other.array.dtype if dtype is None else dtype
    check_device(device, where)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype, where)
    return dtype, copy, mf


class TensorAttributes:
    __slots__ = ()

    # ------------------------------------------------------------------ device
    device = property(lambda self: CPU, doc="Where the tensor lives: ``device(type='cpu')``.")
    is_cuda = property(lambda self: False, doc="False: deepgrad has no CUDA device.")
    is_cpu = property(lambda self: True, doc="True: every deepgrad tensor is on the CPU.")
    layout = property(lambda self: dtypes.strided, doc="``deepgrad.strided`` (dense).")
    itemsize = property(lambda self: self.array.itemsize, doc="Bytes per element.")
    nbytes = property(lambda self: self.array.nbytes, doc="``numel() * itemsize``.")

    def get_device(self):
        """The device ordinal: -1 for a CPU tensor, as PyTorch."""
        return -1

    def to(self, *args, **kwargs):
        """Convert dtype and/or device, PyTorch's three forms::

            t.to(dtype, non_blocking=False, copy=False, memory_format=preserve_format)
            t.to(device=None, dtype=None, non_blocking=False, copy=False, memory_format=...)
            t.to(other, non_blocking=False, copy=False)    # other's dtype and device

        Returns ``self`` when dtype, device and layout already match and ``copy`` is
        False; otherwise a new tensor (differentiable; the gradient is cast back). A
        device other than the CPU raises a ``RuntimeError`` naming the devices that
        exist. ``non_blocking`` is accepted: with one device every copy is synchronous.
        """
        dtype, copy, mf = parse_to(args, kwargs, "to")
        out = self if dtype is None else ops.cast(self, dtype)
        if copy and out is self:
            out = relayout(self, None if mf is contiguous_format else "K")
        return _with_format(out, mf, "to")

    def cpu(self, memory_format=preserve_format):
        """This tensor (it is on the CPU already), laid out as ``memory_format`` asks."""
        _check_format(memory_format, "cpu")
        return _with_format(self, memory_format, "cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=preserve_format):
        """Refused: deepgrad has no CUDA device (``deepgrad.cuda.is_available()`` is False)."""
        raise no_such_device("cuda" if device is None else f"cuda:{device}"
                             if isinstance(device, int) else str(device), "cuda")

    # ------------------------------------------------------------------ dtype casts
    def _cast(self, dtype, memory_format, where):
        _check_format(memory_format, where)
        return _with_format(ops.cast(self, dtype), memory_format, where)

    def float(self, memory_format=preserve_format):
        """Cast to float32 (``self`` when it is float32 already)."""
        return self._cast(np.float32, memory_format, "float")

    def double(self, memory_format=preserve_format):
        """Cast to float64."""
        return self._cast(np.float64, memory_format, "double")

    def half(self, memory_format=preserve_format):
        """Cast to float16."""
        return self._cast(np.float16, memory_format, "half")

    def long(self, memory_format=preserve_format):
        """Cast to int64 (floats are truncated toward zero)."""
        return self._cast(np.int64, memory_format, "long")

    def int(self, memory_format=preserve_format):
        """Cast to int32."""
        return self._cast(np.int32, memory_format, "int")

    def short(self, memory_format=preserve_format):
        """Cast to int16."""
        return self._cast(np.int16, memory_format, "short")

    def char(self, memory_format=preserve_format):
        """Cast to int8."""
        return self._cast(np.int8, memory_format, "char")

    def byte(self, memory_format=preserve_format):
        """Cast to uint8."""
        return self._cast(np.uint8, memory_format, "byte")

    def bool(self, memory_format=preserve_format):
        """Cast to bool (nonzero is True)."""
        return self._cast(np.bool_, memory_format, "bool")

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """With no ``dtype``: the type name, e.g. ``'torch.FloatTensor'`` (PyTorch's names,
        so code comparing them keeps working). With a dtype, a legacy type such as
        ``deepgrad.LongTensor`` or a name such as ``'torch.DoubleTensor'``: the cast."""
        if kwargs:
            raise TypeError(f"type: unexpected keyword argument(s) {sorted(kwargs)}")
        _flag(non_blocking, "non_blocking", "type")
        if dtype is None:
            return dtypes.typename(self)
        if isinstance(dtype, str):
            dtype = dtypes.dtype_from_type_string(dtype, "type")
        return ops.cast(self, dtypes.as_dtype(dtype, "type"))

    def type_as(self, other):
        """Cast to ``other``'s dtype."""
        return ops.cast(self, other.array.dtype)

    def is_floating_point(self):
        return self.array.dtype.kind == "f"

    def is_complex(self):
        """False: complex dtypes are out of deepgrad's scope."""
        return self.array.dtype.kind == "c"

    def is_signed(self):
        """True for floats and int8..int64; False for uint8 and bool."""
        return self.array.dtype.kind in "fic"

    def is_nonzero(self):
        """``bool(self)`` for a one-element tensor; an error for any other size."""
        n = self.array.size
        if n != 1:
            raise RuntimeError("is_nonzero: Boolean value of Tensor with " +
                               ("no values" if n == 0 else "more than one value") +
                               " is ambiguous")
        return bool(self.array.reshape(()) != 0)

    # ------------------------------------------------------------------ memory
    def element_size(self):
        """Bytes per element (4 for float32)."""
        return self.array.itemsize

    def ndimension(self):
        return self.array.ndim

    def nelement(self):
        return self.array.size

    def stride(self, dim=None):
        """Steps in elements (not bytes, unlike NumPy) between neighbours along each dim.

        Args:
            dim (int, optional): one dim (negative counts from the end).
        Returns:
            tuple of ints, or an int when ``dim`` is given.
        """
        arr = self.array
        steps = tuple(s // arr.itemsize for s in arr.strides)
        if dim is None:
            return steps
        n = arr.ndim
        if not -max(n, 1) <= dim < max(n, 1) or n == 0:
            raise IndexError(f"stride: dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {dim})")
        return steps[dim]

    def is_contiguous(self, memory_format=contiguous_format):
        """True when the elements lie in memory in row-major order (or in the order
        ``memory_format`` names: ``channels_last`` is NHWC for a 4-D NCHW tensor)."""
        _check_format(memory_format, "is_contiguous")
        if memory_format is contiguous_format or memory_format is preserve_format:
            return bool(self.array.flags.c_contiguous)
        order = CHANNELS_LAST_ORDER[memory_format]
        return self.array.ndim == len(order) and \
            bool(self.array.transpose(order).flags.c_contiguous)

    def contiguous(self, memory_format=contiguous_format):
        """``self`` when it is contiguous in ``memory_format``, else a contiguous copy
        (differentiable: y = x, dL/dx = dL/dy)."""
        _check_format(memory_format, "contiguous")
        if memory_format is preserve_format:
            raise RuntimeError("contiguous: preserve memory format is unsupported by "
                               "contiguous(); use contiguous_format or channels_last")
        return _with_format(self, memory_format, "contiguous")

    def pin_memory(self, device=None):
        """Refused: pinned host memory exists for copies to an accelerator."""
        check_pin_memory(True, "pin_memory")

    def is_pinned(self, device=None):
        """False: deepgrad never pins memory (there is no accelerator to copy to)."""
        check_device(device, "is_pinned")
        return False

    # ------------------------------------------------------------------ new_*
    def _new(self, array, dtype, device, requires_grad, layout, pin_memory, where):
        check_device(device, where)
        check_layout(layout, where)
        check_pin_memory(pin_memory, where)
        t = _function._Tensor(array)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def _new_dtype(self, dtype, where):
        return self.array.dtype if dtype is None else dtypes.as_dtype(dtype, where)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
                   pin_memory=False):
        """A new tensor holding a copy of ``data``, in this tensor's dtype unless ``dtype``
        is given (a tensor ``data`` is copied and detached)."""
        d = self._new_dtype(dtype, "new_tensor")
        arr = np.array(getattr(data, "array", data), dtype=d, copy=True)
        return self._new(arr, d, device, requires_grad, layout, pin_memory, "new_tensor")

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
        """A new tensor of ``size`` in this tensor's dtype; deepgrad fills it with zeros
        (PyTorch leaves it uninitialised)."""
        d = self._new_dtype(dtype, "new_empty")
        arr = np.zeros(_size_args(size, "new_empty"), d)
        return self._new(arr, d, device, requires_grad, layout, pin_memory, "new_empty")

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
        """A new tensor of zeros of ``size``, in this tensor's dtype unless ``dtype``."""
        d = self._new_dtype(dtype, "new_zeros")
        arr = np.zeros(_size_args(size, "new_zeros"), d)
        return self._new(arr, d, device, requires_grad, layout, pin_memory, "new_zeros")

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        """A new tensor of ones of ``size``, in this tensor's dtype unless ``dtype``."""
        d = self._new_dtype(dtype, "new_ones")
        arr = np.ones(_size_args(size, "new_ones"), d)
        return self._new(arr, d, device, requires_grad, layout, pin_memory, "new_ones")

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory=False):
        """A new tensor of ``size`` filled with ``fill_value``, in this tensor's dtype."""
        d = self._new_dtype(dtype, "new_full")
        arr = np.full(_size_args((size,), "new_full"), getattr(fill_value, "array", fill_value), d)
        return self._new(arr, d, device, requires_grad, layout, pin_memory, "new_full")

    def new(self, *args, device=None):
        """PyTorch's legacy ``new``: ``new(2, 3)`` an (all-zero) tensor of that size,
        ``new(data)`` a copy of data, ``new()`` an empty one; all in this tensor's dtype."""
        if not args or all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                           for a in args):
            return self.new_empty(args if args else (0,), device=device)
        if len(args) > 1:
            raise TypeError(f"new: expected sizes (ints) or one sequence of data, received "
                            f"{len(args)} arguments")
        return self.new_tensor(args[0], device=device)

    # ------------------------------------------------------------------ DLPack
    def __dlpack__(self, *, stream=None, **kwargs):
        """A DLPack capsule sharing this tensor's memory (``torch.from_dlpack(t)``,
        ``numpy.from_dlpack(t)``). Refused for a tensor that requires grad, as PyTorch."""
        if self.requires_grad:
            raise RuntimeError("__dlpack__: can't export a tensor that requires grad; use "
                               "tensor.detach()")
        return self.array.__dlpack__(stream=stream, **kwargs)

    def __dlpack_device__(self):
        """(device type, index) in DLPack's terms: (1, 0), the CPU."""
        return self.array.__dlpack_device__()

    # ------------------------------------------------------------------ missing names
    def __getattr__(self, name):
        """Only called when normal lookup fails: say that deepgrad lacks ``name``.

        Dunder probes (NumPy asks every object for ``__array_interface__`` and
        ``__array_struct__``) and private names (optional slots such as ``_meta``, read
        with ``getattr(t, "_meta", None)``) get a plain, cheap AttributeError."""
        if name[:1] == "_" or name in _TENSOR_SLOTS:
            raise AttributeError(f"'Tensor' object has no attribute {name!r}")
        if name in dtypes.NO_NUMPY_DTYPE:
            raise AttributeError(f"deepgrad.Tensor has no attribute {name!r}: "
                                 f"{dtypes.NO_NUMPY_DTYPE[name]}")
        raise missing_attribute("deepgrad.Tensor", name)

