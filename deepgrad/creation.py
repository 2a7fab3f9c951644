"""Tensor factories with PyTorch's names, arguments and defaults.

Every factory takes PyTorch's keywords: ``dtype=`` (default: float32 -- the default dtype,
see ``set_default_dtype`` -- for float results, int64 for integer ones), ``device=``
(``"cpu"``; any other device raises the no-such-device error), ``requires_grad=``, and
``layout=``/``pin_memory=`` at their defaults only (``deepgrad.strided``, False). Those
PyTorch gives ``out=`` take it: the result is written into ``out`` (resized when its shape
differs) and ``out`` is returned. The random factories live in :mod:`deepgrad.random`.
"""
import builtins
import math
import warnings

import numpy as np

from deepgrad import backend, dtypes
from deepgrad.autograd.grad_mode import state as _grad_state
from deepgrad.autograd.tensor import Tensor, describe_ragged, infer_array
from deepgrad.autograd.version_counter import bump
from deepgrad.device import check_device
from deepgrad.dtypes import check_layout, check_pin_memory

# ------------------------------------------------------------------------------ helpers
def shape_of(args, size, where):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(size=(2, 3))`` all give ``(2, 3)``."""
    if size is not None:
        if args:
            raise TypeError(f"{where}: size given both positionally and as size=")
        args = (size,)
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    shape = []
    for s in args:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) and \
                not (hasattr(s, "__index__") and getattr(s, "ndim", 0) == 0):
            raise TypeError(f"{where}: size must be a tuple of ints, received {args!r}")
        shape.append(int(s.__index__()))
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{where}: dimension sizes must be non-negative, received "
                           f"{tuple(shape)}")
    return tuple(shape)


def resolve_dtype(dtype, out, default, where):
    """``dtype`` as a NumPy dtype: ``out``'s dtype when only ``out`` is given, else
    ``default`` (a dtype, or a callable giving one) when neither is."""
    if dtype is not None:
        d = dtypes.as_dtype(dtype, where)
        if out is not None and out.array.dtype != d:
            raise RuntimeError(f"{where}: dtype {d} does not match the dtype of out= "
                               f"({out.array.dtype})")
        return d
    if out is not None:
        return out.array.dtype
    return np.dtype(default() if callable(default) else default)


def float_dtype(dtype, out, where):
    """A floating dtype: the default dtype unless ``dtype``/``out`` say otherwise."""
    return resolve_dtype(dtype, out, lambda: backend.default_float, where)


def check_options(where, device=None, layout=None, pin_memory=False):
    check_device(device, where)
    check_layout(layout, where)
    check_pin_memory(pin_memory, where)


def finish(arr, where, out=None, requires_grad=False):
    """Wrap ``arr`` as the result: written into ``out`` when given, else a new tensor
    (requiring grad when asked, which only floating dtypes may)."""
    if out is not None:
        if not isinstance(out, Tensor):
            raise TypeError(f"{where}: out must be a Tensor, received {type(out).__name__}")
        if requires_grad:
            raise RuntimeError(f"{where}: out= does not support automatic differentiation "
                               f"(requires_grad=True)")
        if out.requires_grad and _grad_state.enabled:
            raise RuntimeError(f"{where}: out= is a tensor that requires grad; out= "
                               f"arguments do not support automatic differentiation")
        if out.array.shape == arr.shape:
            out.array[...] = arr
            bump(out.array)
        else:
            out.array = np.array(arr, dtype=out.array.dtype)
        return out
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _like_dtype(input, dtype, where):
    _check_tensor(input, where)
    return input.array.dtype if dtype is None else dtypes.as_dtype(dtype, where)


def _check_tensor(input, where):
    if not isinstance(input, Tensor):
        raise TypeError(f"{where}: expected a Tensor as input, received {type(input).__name__}")


def _like_layout(input, arr, memory_format, where):
    """Lay ``arr`` out as ``input`` is (``preserve_format``, the default of the ``*_like``
    factories, as PyTorch's) or as ``memory_format`` asks."""
    from deepgrad.dtypes import CHANNELS_LAST_ORDER, contiguous_format, preserve_format
    if memory_format is contiguous_format:
        return arr
    if memory_format is None or memory_format is preserve_format:
        src = input.array
        if src.ndim > 1 and not src.flags.c_contiguous and 0 not in src.strides:
            order = tuple(np.argsort([-abs(s) for s in src.strides], kind="stable"))
            return np.ascontiguousarray(arr.transpose(order)).transpose(np.argsort(order))
        return arr
    order = CHANNELS_LAST_ORDER.get(memory_format)
    if order is None:
        raise TypeError(f"{where}: memory_format must be a deepgrad memory format, received "
                        f"{memory_format!r}")
    if arr.ndim != len(order):
        raise RuntimeError(f"{where}: required rank {len(order)} tensor to use "
                           f"{memory_format._name} format")
    return np.ascontiguousarray(arr.transpose(order)).transpose(np.argsort(order))


# ------------------------------------------------------------------------------ from data
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested lists, an ndarray or a
    tensor, which is copied and detached).

    Python floats become the default dtype (float32), Python ints int64, bools bool;
    a NumPy array keeps its dtype; ``dtype`` overrides.
    """
    check_options("tensor", device, None, pin_memory)
    arr = np.array(_infer(data, dtype, "tensor"), copy=True)
    return finish(arr, "tensor", requires_grad=requires_grad)


def _infer(data, dtype, where):
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype, where)
    try:
        return infer_array(data, dtype)
    except ValueError as e:
        ragged = describe_ragged(data)
        if ragged:
            raise ValueError(f"{where}: {ragged}; nested lists must be rectangular (lists "
                             f"of equal lengths at each depth)") from None
        raise ValueError(f"{where}: cannot make a tensor from this data ({e}); expected a "
                         f"number, an array or nested lists of equal lengths") from None


def as_tensor(data, dtype=None, device=None):
    """A tensor sharing ``data``'s memory where it can: an ndarray of the same dtype is
    shared (float64 stays float64), a tensor is returned as it is (or cast, keeping
    the graph); lists and numbers are copied."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtypes.as_dtype(dtype, "as_tensor"))
    return Tensor._wrap(_infer(data, dtype, "as_tensor"))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor, sharing memory unless a copy is needed or asked for.

    Args:
        copy (bool, optional): None shares when possible; True always copies; False
            raises when a copy cannot be avoided (a list, or a dtype change).
    """
    check_device(device, "asarray")
    want = None if dtype is None else dtypes.as_dtype(dtype, "asarray")
    src = obj.array if isinstance(obj, Tensor) else obj
    if isinstance(src, np.ndarray) and (want is None or src.dtype == want):
        if not copy and isinstance(obj, Tensor) and not requires_grad:
            return obj
        arr = src.copy() if copy else src
    elif copy is False:
        what = f"dtype {src.dtype} into dtype {want}" if isinstance(src, np.ndarray) \
            else f"a {type(obj).__name__}"
        raise ValueError(f"asarray: can't alias {what} without a copy (copy=False)")
    elif isinstance(obj, Tensor) and not requires_grad:
        return obj.to(want)               # a cast, which keeps the graph
    else:
        arr = np.array(_infer(src, want, "asarray"), copy=True)
    return finish(arr, "asarray", requires_grad=requires_grad)


def from_numpy(ndarray):
    """A tensor sharing the ndarray's memory and dtype (float64 stays float64): writes to
    either are seen by the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, received {type(ndarray).__name__}")
    if ndarray.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: can't convert an ndarray of dtype {ndarray.dtype}; "
                        f"supported dtypes are float64/32/16, int64/32/16/8, uint8..64 and bool")
    return Tensor._wrap(ndarray)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    """A 0-d tensor holding the number ``s``, in the default dtype unless ``dtype``."""
    check_options("scalar_tensor", device, layout, pin_memory)
    d = float_dtype(dtype, None, "scalar_tensor")
    return finish(np.array(getattr(s, "array", s), dtype=d).reshape(()), "scalar_tensor",
                  requires_grad=requires_grad)


# ------------------------------------------------------------------------------ filled
def _filled(fill, args, size, out, dtype, layout, device, requires_grad, pin_memory, where):
    check_options(where, device, layout, pin_memory)
    shape = shape_of(args, size, where)
    d = float_dtype(dtype, out, where)
    arr = np.zeros(shape, d) if fill == 0 else np.ones(shape, d)
    return finish(arr, where, out, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """A tensor of zeros of shape ``size`` (``zeros(2, 3)`` or ``zeros((2, 3))``)."""
    return _filled(0, size, None, out, dtype, layout, device, requires_grad, pin_memory, "zeros")


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """A tensor of ones of shape ``size``."""
    return _filled(1, size, None, out, dtype, layout, device, requires_grad, pin_memory, "ones")


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    """A tensor of shape ``size``. PyTorch leaves it uninitialised; deepgrad fills it with
    zeros (NumPy's ``empty`` would expose stale memory, and zeros cost the same)."""
    t = _filled(0, size, None, out, dtype, layout, device, requires_grad, pin_memory, "empty")
    if memory_format is not None:
        t.array = _like_layout(t, t.array, memory_format, "empty")
    return t


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """A tensor of shape ``size`` filled with ``fill_value``; its dtype follows the value
    (bool, int64 for ints, the default float dtype for floats) unless ``dtype``."""
    check_options("full", device, layout, pin_memory)
    shape = shape_of((size,), None, "full")
    fill = getattr(fill_value, "array", fill_value)
    d = resolve_dtype(dtype, out, lambda: infer_array(fill).dtype, "full")
    return finish(np.full(shape, fill, d), "full", out, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """Zeros of ``input``'s shape and dtype (unless ``dtype``)."""
    check_options("zeros_like", device, layout)
    d = _like_dtype(input, dtype, "zeros_like")
    arr = _like_layout(input, np.zeros(input.shape, d), memory_format, "zeros_like")
    return finish(arr, "zeros_like", requires_grad=requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """Ones of ``input``'s shape and dtype (unless ``dtype``)."""
    check_options("ones_like", device, layout)
    d = _like_dtype(input, dtype, "ones_like")
    arr = _like_layout(input, np.ones(input.shape, d), memory_format, "ones_like")
    return finish(arr, "ones_like", requires_grad=requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """A tensor of ``input``'s shape and dtype; zero-filled (see :func:`empty`)."""
    check_options("empty_like", device, layout)
    d = _like_dtype(input, dtype, "empty_like")
    arr = _like_layout(input, np.zeros(input.shape, d), memory_format, "empty_like")
    return finish(arr, "empty_like", requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    """``fill_value`` in ``input``'s shape and dtype (unless ``dtype``)."""
    check_options("full_like", device, layout)
    d = _like_dtype(input, dtype, "full_like")
    arr = np.full(input.shape, getattr(fill_value, "array", fill_value), d)
    return finish(_like_layout(input, arr, memory_format, "full_like"), "full_like",
                  requires_grad=requires_grad)


# ------------------------------------------------------------------------------ ranges
def _number(x, where, name):
    x = getattr(x, "array", x)
    if isinstance(x, np.ndarray):
        if x.size != 1:
            raise TypeError(f"{where}: {name} must be a number, received an array of shape "
                            f"{x.shape}")
        x = x.item()
    if not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be a number, received {type(x).__name__}")
    return x


def _range_args(start, end, step, where):
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, where, n) for v, n in
                        ((start, "start"), (end, "end"), (step, "step")))
    if step == 0:
        raise RuntimeError(f"{where}: step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"{where}: unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError(f"{where}: upper bound ({end}) and lower bound ({start}) "
                           f"inconsistent with step sign ({step})")
    return start, end, step


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Values from ``start`` up to but excluding ``end``, ``step`` apart.

    int64 when every argument is an int, else the default float dtype (float32).
    ``arange(5)`` is ``arange(0, 5)``. Length: ceil((end - start) / step).
    """
    check_options("arange", device, layout)
    start, end, step = _range_args(start, end, step, "arange")
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    d = resolve_dtype(dtype, out, np.int64 if ints else (lambda: backend.default_float), "arange")
    n = builtins.max(int(math.ceil((end - start) / step)), 0)
    if ints:
        arr = (start + step * np.arange(n, dtype=np.int64)).astype(d)
    else:
        arr = (start + step * np.arange(n, dtype=np.float64)).astype(d)
    return finish(arr, "arange", out, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    """Deprecated (as in PyTorch; use :func:`arange`): values from ``start`` to ``end``
    INCLUSIVE, ``step`` apart, in the default float dtype unless ``dtype``.
    Length: floor((end - start) / step) + 1."""
    warnings.warn("deepgrad.range is deprecated, as torch.range is, because its end is "
                  "inclusive unlike Python's range; use deepgrad.arange, which produces "
                  "values in [start, end)", UserWarning, stacklevel=2)
    check_options("range", device, layout)
    start, end, step = _range_args(start, end, step, "range")
    d = float_dtype(dtype, out, "range")
    n = int(math.floor((end - start) / step)) + 1
    return finish((start + step * np.arange(n, dtype=np.float64)).astype(d), "range", out,
                  requires_grad)


def _steps(steps, where):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"{where}: steps must be an int, received {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError(f"{where}: number of steps must be non-negative, received {steps}")
    return int(steps)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive:
    start + i (end - start) / (steps - 1). Integer dtypes truncate toward zero."""
    check_options("linspace", device, layout)
    n = _steps(steps, "linspace")
    d = float_dtype(dtype, out, "linspace")
    arr = np.linspace(_number(start, "linspace", "start"), _number(end, "linspace", "end"), n)
    return finish(arr.astype(d), "linspace", out, requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` values base ** linspace(start, end, steps) (logarithmically spaced)."""
    check_options("logspace", device, layout)
    n = _steps(steps, "logspace")
    d = float_dtype(dtype, out, "logspace")
    exps = np.linspace(_number(start, "logspace", "start"), _number(end, "logspace", "end"), n)
    arr = np.power(float(_number(base, "logspace", "base")), exps)
    return finish(arr.astype(d), "logspace", out, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The n x m identity (ones on the diagonal, m = n unless given)."""
    check_options("eye", device, layout)
    for v, name in ((n, "n"), (m, "m")):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise TypeError(f"eye: {name} must be an int, received {type(v).__name__}")
        if v is not None and v < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {v}")
    d = float_dtype(dtype, out, "eye")
    return finish(np.eye(int(n), None if m is None else int(m), dtype=d), "eye", out,
                  requires_grad)


# ------------------------------------------------------------------------------ windows
def _window(where, window_length, periodic, dtype, layout, device, requires_grad, formula):
    """A window of ``window_length`` samples: the symmetric window of N samples, or for
    ``periodic=True`` the first ``window_length`` of a symmetric window of N + 1."""
    check_options(where, device, layout)
    n = _steps(window_length, where) if not isinstance(window_length, bool) else None
    if n is None:
        raise TypeError(f"{where}: window_length must be an int")
    d = float_dtype(dtype, None, where)
    if d.kind != "f":
        raise RuntimeError(f"{where}: expects a floating point dtype, received {d}")
    if n <= 1:
        return finish(np.ones(n, d), where, requires_grad=requires_grad)
    big = n + 1 if periodic else n
    x = np.arange(big, dtype=np.float64) / (big - 1)      # n / (N - 1) in [0, 1]
    return finish(formula(x)[:n].astype(d), where, requires_grad=requires_grad)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False):
    """Hann window: w[n] = 0.5 - 0.5 cos(2 pi n / (N - 1))."""
    return _window("hann_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda x: 0.5 - 0.5 * np.cos(2 * np.pi * x))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False):
    """Hamming window: w[n] = alpha - beta cos(2 pi n / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda x: alpha - beta * np.cos(2 * np.pi * x))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """Bartlett (triangular) window: w[n] = 1 - |2n / (N - 1) - 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda x: 1 - np.abs(2 * x - 1))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """Blackman window: w[n] = 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda x: 0.42 - 0.5 * np.cos(2 * np.pi * x)
                   + 0.08 * np.cos(4 * np.pi * x))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False):
    """Kaiser window: w[n] = I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta), with I0
    the modified Bessel function of the first kind of order zero."""
    return _window("kaiser_window", window_length, periodic, dtype, layout, device,
                   requires_grad,
                   lambda x: np.i0(beta * np.sqrt(np.clip(1 - (2 * x - 1) ** 2, 0, None)))
                   / np.i0(beta))


# ------------------------------------------------------------------------------ DLPack
class _Capsule:
    """Hands a DLPack capsule (from another library's ``to_dlpack``) to NumPy."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)                       # kDLCPU, device 0


def from_dlpack(ext_tensor):
    """A tensor sharing the memory of ``ext_tensor``: any object with ``__dlpack__`` (a
    PyTorch CPU tensor, a NumPy array, a JAX CPU array...) or a DLPack capsule. Only
    CPU memory can be shared; a GPU array raises the no-such-device error."""
    obj = ext_tensor
    if type(obj).__name__ == "PyCapsule":
        obj = _Capsule(obj)
    elif not hasattr(obj, "__dlpack__"):
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, "
                        f"received {type(ext_tensor).__name__}")
    elif hasattr(obj, "__dlpack_device__") and obj.__dlpack_device__()[0] not in (1, 3):
        raise RuntimeError(f"from_dlpack: the array lives on DLPack device "
                           f"{obj.__dlpack_device__()}; deepgrad can only share CPU memory")
    return Tensor._wrap(np.from_dlpack(obj))


def to_dlpack(tensor):
    """A DLPack capsule sharing ``tensor``'s memory (read by ``torch.from_dlpack`` etc.)."""
    _check_tensor(tensor, "to_dlpack")
    return tensor.__dlpack__()


__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "scalar_tensor", "zeros", "ones",
           "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like", "arange",
           "range", "linspace", "logspace", "eye", "hann_window", "hamming_window",
           "bartlett_window", "blackman_window", "kaiser_window", "from_dlpack", "to_dlpack"]
