"""Tensor factories with PyTorch's names and defaults (float32 unless a dtype is given)."""
import numpy as np

from deepgrad import backend
from deepgrad.autograd.tensor import Tensor, infer_array


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(int(s) for s in size[0])
    return tuple(int(s) for s in size)


def _float(dtype):
    return backend.default_float if dtype is None else np.dtype(dtype)


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (float32 for Python floats, int64 for ints)."""
    arr = np.array(infer_array(data, dtype), copy=True)
    return Tensor(arr, requires_grad=requires_grad)


def as_tensor(data, dtype=None):
    """A tensor sharing ``data``'s memory where possible."""
    return data if isinstance(data, Tensor) and dtype is None else Tensor(infer_array(data, dtype))


def from_numpy(array):
    """A tensor sharing the ndarray's memory and dtype (float64 stays float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, received {type(array).__name__}")
    return Tensor(array)


def zeros(*size, dtype=None, requires_grad=False):
    return Tensor(backend.xp.zeros(_size(size), _float(dtype)), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return Tensor(backend.xp.ones(_size(size), _float(dtype)), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None:
        dtype = infer_array(fill_value).dtype
    return Tensor(backend.xp.full(_size((size,)), fill_value, np.dtype(dtype)),
                  requires_grad=requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform on [0, 1)."""
    arr = backend.rng().random(_size(size)).astype(_float(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal."""
    arr = backend.rng().standard_normal(_size(size)).astype(_float(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def rand_like(t, dtype=None):
    return rand(t.shape, dtype=dtype or t.dtype)


def randn_like(t, dtype=None):
    return randn(t.shape, dtype=dtype or t.dtype)


def randint(low, high=None, size=None, dtype=None):
    """Integers uniform on [low, high) (``randint(high, size)`` also works, as PyTorch)."""
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError("randint: size must be given, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    arr = backend.rng().integers(low, high, size=tuple(size))
    return Tensor(arr.astype(np.int64 if dtype is None else dtype))


def randperm(n, dtype=None):
    return Tensor(backend.rng().permutation(int(n)).astype(np.int64 if dtype is None else dtype))


def arange(start, end=None, step=1, dtype=None):
    """Like ``torch.arange``: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else backend.default_float
    return Tensor(np.arange(start, end, step).astype(dtype))


def linspace(start, end, steps, dtype=None):
    return Tensor(np.linspace(start, end, int(steps)).astype(_float(dtype)))


def eye(n, m=None, dtype=None):
    return Tensor(np.eye(n, m, dtype=_float(dtype)))
