"""dtypes, their limits and promotion, layouts, memory formats and the legacy tensor types.

deepgrad's dtypes are NumPy's (``deepgrad.float32 is numpy.float32``), so a tensor's
``.dtype`` compares equal to them and to NumPy dtypes. What PyTorch adds on top lives here:

* ``finfo``/``iinfo``: limits with PyTorch's attribute names (Python numbers);
* ``promote_types``/``result_type``/``can_cast``: PyTorch's promotion rules, which differ
  from NumPy's (``int64`` with ``float32`` is ``float32``; a Python float is the default
  dtype; a 0-d tensor does not raise a dimensioned tensor of the same category). deepgrad's
  binary ops follow them, except that a float32 tensor meeting a dimensioned float64
  tensor is refused instead of silently upcast;
* ``strided`` (the one layout) and the memory formats ``contiguous_format``,
  ``preserve_format``, ``channels_last``, ``channels_last_3d``;
* ``FloatTensor``, ``LongTensor``, ...: PyTorch's legacy constructors, usable as
  ``deepgrad.LongTensor([1, 2])``, ``x.type(deepgrad.FloatTensor)`` and in ``isinstance``.
"""
import numpy as np

from deepgrad import backend

float32 = np.float32
float64 = np.float64
float16 = np.float16
int64 = np.int64
int32 = np.int32
int16 = np.int16
int8 = np.int8
uint8 = np.uint8
uint16 = np.uint16
uint32 = np.uint32
uint64 = np.uint64
bool_ = np.bool_

# PyTorch's aliases (deepgrad.float, deepgrad.long, ... are set in deepgrad/__init__.py).
ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
           "short": int16, "bool": bool_}

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


#: dtypes PyTorch has and NumPy (so deepgrad) lacks, with what to use instead.
NO_NUMPY_DTYPE = {"bfloat16": "NumPy has no bfloat16; use float16 (.half()) or float32",
                  "float8_e4m3fn": "NumPy has no float8; use float16 or float32",
                  "float8_e5m2": "NumPy has no float8; use float16 or float32"}


def as_dtype(d, where):
    """``d`` as a NumPy dtype, or a ``TypeError`` naming ``where`` and what was received."""
    if isinstance(d, np.dtype):
        return d
    if isinstance(d, _LegacyTensorType):
        return d.dtype
    if isinstance(d, type) and (issubclass(d, np.generic) or d in (float, int, bool)):
        return np.dtype(d)
    raise TypeError(f"{where}: expected a dtype such as deepgrad.float32, received {d!r}")


def is_dtype(d):
    """True for a NumPy dtype or scalar type (what deepgrad accepts as a dtype)."""
    return isinstance(d, np.dtype) or (isinstance(d, type) and issubclass(d, np.generic))


# ------------------------------------------------------------------------------ limits
class finfo:
    """Machine limits of a floating dtype (``torch.finfo``), as Python floats.

    Attributes: ``bits``, ``eps`` (smallest e with 1 + e != 1), ``max``, ``min``, ``tiny``
    and ``smallest_normal`` (smallest positive normal number), ``resolution``
    (10 ** -precision), ``dtype`` (its name, e.g. ``'float32'``).

    Args:
        type: a floating dtype; default :func:`deepgrad.get_default_dtype`.
    """

    def __init__(self, type=None):
        d = backend.default_float if type is None else as_dtype(type, "finfo")
        if d.kind != "f":
            raise TypeError(f"finfo: requires a floating point dtype, received {d}; use "
                            f"deepgrad.iinfo for integer dtypes")
        info = np.finfo(d)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.smallest_normal)
        self.smallest_normal = self.tiny
        self.resolution = float(info.resolution)
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (``torch.iinfo``): ``bits``, ``min``, ``max``, ``dtype``."""

    def __init__(self, type):
        d = as_dtype(type, "iinfo")
        if d.kind not in "iu":
            raise TypeError(f"iinfo: requires an integer dtype, received {d}; use "
                            f"deepgrad.finfo for floating dtypes")
        info = np.iinfo(d)
        self.bits, self.dtype = int(info.bits), d.name
        self.min, self.max = int(info.min), int(info.max)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# ------------------------------------------------------------------------------ promotion
def promote_types(type1, type2):
    """The smallest dtype both ``type1`` and ``type2`` convert to, by PyTorch's rules.

    Within a category (bool < integer < floating) the wider type wins (``uint8`` with
    ``int8`` gives ``int16``); across categories the higher category's type wins as it is
    (``int64`` with ``float32`` gives ``float32``, where NumPy would give ``float64``).
    """
    a, b = as_dtype(type1, "promote_types"), as_dtype(type2, "promote_types")
    ra, rb = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if ra != rb:
        return a if ra > rb else b
    return np.promote_types(a, b)


def _operand_dtype(x):
    """(dtype, group) of one operand of ``result_type``: 0 dim tensor, 1 zero-dim, 2 number."""
    arr = getattr(x, "array", None)
    if isinstance(arr, np.ndarray):
        return arr.dtype, (0 if arr.ndim else 1)
    if isinstance(x, np.ndarray):
        return x.dtype, (0 if x.ndim else 1)
    if isinstance(x, (bool, np.bool_)):
        return np.dtype(np.bool_), 2
    if isinstance(x, (int, np.integer)):
        return np.dtype(np.int64), 2
    if isinstance(x, (float, np.floating)):
        return backend.default_float, 2
    raise TypeError(f"result_type: expected tensors or Python numbers, received "
                    f"{type(x).__name__}")


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(tensor, other):
    """The dtype an arithmetic op on ``tensor`` and ``other`` has in PyTorch.

    Dimensioned tensors decide first; a zero-dim tensor and then a Python number only
    matter when their category (bool < integer < floating) is higher. A Python float
    counts as the default dtype, a Python int as int64.

    Example:
        >>> deepgrad.result_type(deepgrad.tensor([1, 2]), 1.0)
        dtype('float32')
    """
    groups = [None, None, None]
    for x in (tensor, other):
        d, g = _operand_dtype(x)
        groups[g] = d if groups[g] is None else promote_types(groups[g], d)
    return np.dtype(_combine(groups[0], _combine(groups[1], groups[2])))


def can_cast(from_, to):
    """True when casting ``from_`` to ``to`` is allowed by PyTorch's casting rule: never
    to a lower category (floating -> integer, integer -> bool); any width is allowed."""
    a, b = as_dtype(from_, "can_cast"), as_dtype(to, "can_cast")
    return _KIND_RANK[a.kind] <= _KIND_RANK[b.kind]


def is_floating_point(input):
    """True when ``input`` (a Tensor) has a floating dtype."""
    arr = getattr(input, "array", None)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"is_floating_point: expected a Tensor, received {type(input).__name__}")
    return arr.dtype.kind == "f"


def is_signed(input):
    """True when ``input`` (a Tensor) has a signed dtype (floats and int8..int64)."""
    arr = getattr(input, "array", None)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"is_signed: expected a Tensor, received {type(input).__name__}")
    return arr.dtype.kind in "fi"


def is_inference(input):
    """True when ``input`` was made inside ``inference_mode`` (``Tensor.is_inference``)."""
    if not hasattr(input, "is_inference"):
        raise TypeError(f"is_inference: expected a Tensor, received {type(input).__name__}")
    return input.is_inference()


def is_nonzero(input):
    """True when the one-element tensor ``input`` is not zero (``bool(input)``, with
    PyTorch's errors for empty and many-element tensors)."""
    return input.is_nonzero()


# ------------------------------------------------------------------------------ layouts
class _Named:
    """A named constant (``deepgrad.strided``, ``deepgrad.channels_last``)."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"deepgrad.{self._name}"

    def __reduce__(self):
        return self._name


class layout(_Named):
    """How a tensor's elements are stored: deepgrad has only ``strided`` (dense)."""
    __slots__ = ()


class memory_format(_Named):
    """The order of a tensor's dims in memory (``contiguous_format``, ``channels_last``)."""
    __slots__ = ()


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

#: the memory permutation (order of dims, outermost first) of each channels-last format.
CHANNELS_LAST_ORDER = {channels_last: (0, 2, 3, 1), channels_last_3d: (0, 2, 3, 4, 1)}


def check_layout(lay, where):
    """Refuse any layout but ``strided`` (sparse layouts are out of deepgrad's scope)."""
    if lay is not None and lay is not strided:
        raise RuntimeError(f"{where}: deepgrad tensors are dense; layout must be "
                           f"deepgrad.strided, received {lay!r}")


def check_pin_memory(pin, where):
    """Refuse ``pin_memory=True``: pinned memory exists for copies to an accelerator."""
    if pin:
        raise RuntimeError(f"{where}: pin_memory=True requires an accelerator (pinned host "
                           f"memory speeds up copies to a GPU); deepgrad runs on the CPU only")


# ------------------------------------------------------------------------------ legacy types
class _LegacyTensorType:
    """``deepgrad.FloatTensor`` and friends: PyTorch's legacy typed constructors.

    ``FloatTensor(2, 3)`` makes an uninitialised 2x3 float32 tensor (deepgrad fills it
    with zeros), ``FloatTensor([1, 2])`` a float32 tensor of that data, ``FloatTensor()``
    an empty one; ``isinstance(t, FloatTensor)`` checks the dtype.
    """

    __slots__ = ("__name__", "dtype")

    def __init__(self, name, dtype):
        self.__name__, self.dtype = name, np.dtype(dtype)

    def __call__(self, *args, device=None):
        from deepgrad.autograd.tensor import Tensor
        from deepgrad.device import check_device
        check_device(device, self.__name__)
        if not args or all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                           for a in args):
            return Tensor(np.zeros(tuple(int(a) for a in args) if args else (0,), self.dtype))
        if len(args) > 1:
            raise TypeError(f"{self.__name__}: expected sizes (ints) or one sequence of data, "
                            f"received {len(args)} arguments of types "
                            f"{[type(a).__name__ for a in args]}")
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype != self.dtype:
                raise TypeError(f"{self.__name__}: expected a tensor of dtype {self.dtype}, "
                                f"received dtype {data.dtype}; use .type() to convert")
            return data
        return Tensor(np.array(data, dtype=self.dtype))

    def __instancecheck__(self, obj):
        arr = getattr(obj, "array", None)
        return isinstance(arr, np.ndarray) and arr.dtype == self.dtype and \
            hasattr(obj, "requires_grad")

    def __repr__(self):
        return f"<class 'deepgrad.{self.__name__}'>"

    def __reduce__(self):
        return self.__name__


_LEGACY = {"FloatTensor": np.float32, "DoubleTensor": np.float64, "HalfTensor": np.float16,
           "LongTensor": np.int64, "IntTensor": np.int32, "ShortTensor": np.int16,
           "CharTensor": np.int8, "ByteTensor": np.uint8, "BoolTensor": np.bool_}
LEGACY_TYPES = {name: _LegacyTensorType(name, d) for name, d in _LEGACY.items()}
LEGACY_NAME = {np.dtype(d): f"torch.{name}" for name, d in _LEGACY.items()}
FloatTensor = LEGACY_TYPES["FloatTensor"]
DoubleTensor = LEGACY_TYPES["DoubleTensor"]
HalfTensor = LEGACY_TYPES["HalfTensor"]
LongTensor = LEGACY_TYPES["LongTensor"]
IntTensor = LEGACY_TYPES["IntTensor"]
ShortTensor = LEGACY_TYPES["ShortTensor"]
CharTensor = LEGACY_TYPES["CharTensor"]
ByteTensor = LEGACY_TYPES["ByteTensor"]
BoolTensor = LEGACY_TYPES["BoolTensor"]


def dtype_from_type_string(name, where):
    """``'torch.FloatTensor'`` (or ``'deepgrad.FloatTensor'``, ``'FloatTensor'``) -> dtype."""
    short = name.rsplit(".", 1)[-1]
    if ".cuda." in name:
        from deepgrad.device import no_such_device
        raise no_such_device("cuda", where)
    if short not in LEGACY_TYPES:
        raise ValueError(f"{where}: invalid type {name!r}; expected one of "
                         f"{sorted('torch.' + n for n in LEGACY_TYPES)}")
    return LEGACY_TYPES[short].dtype


def typename(obj):
    """PyTorch's ``typename``: ``'torch.FloatTensor'`` for a float32 tensor, the qualified
    class name for other objects (``'int'``, ``'deepgrad.nn.linear.Linear'``)."""
    arr = getattr(obj, "array", None)
    if isinstance(arr, np.ndarray) and hasattr(obj, "requires_grad"):
        return LEGACY_NAME.get(arr.dtype, f"torch.{arr.dtype.name}")
    module = getattr(type(obj), "__module__", "builtins")
    qual = type(obj).__qualname__
    return qual if module in ("builtins", None) else f"{module}.{qual}"


def set_default_tensor_type(t):
    """Deprecated in PyTorch: ``set_default_tensor_type('torch.DoubleTensor')`` is
    ``set_default_dtype(float64)``. Only float CPU tensor types are accepted."""
    d = dtype_from_type_string(t, "set_default_tensor_type") if isinstance(t, str) \
        else as_dtype(t, "set_default_tensor_type")
    if d.kind != "f":
        raise TypeError(f"set_default_tensor_type: only floating-point types are supported "
                        f"as the default type, received {d}")
    backend.set_default_dtype(d)
