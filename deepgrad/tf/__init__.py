"""``deepgrad.tf``: the TensorFlow names that tf.keras code touches, on deepgrad's engine.

Two ways in::

    from deepgrad import tf          # the whole tf namespace (this module)
    import deepgrad as tf            # PyTorch's namespace, plus tf's non-clashing names

**The design.** ``deepgrad``'s top level is PyTorch's (``import deepgrad as torch``), and
stays so: a name both libraries have keeps PyTorch's behaviour there. This module holds
TensorFlow's semantics for every name; ``import deepgrad as tf`` reaches it as follows:

* names PyTorch lacks (``constant``, ``Variable``, ``convert_to_tensor``, ``shape``,
  ``cast``, ``reduce_*``, ``one_hot``, ``unstack``, ``fill``, ``clip_by_value``,
  ``expand_dims``, ``boolean_mask``, ``gather_nd``, ``function``, ``GradientTape``,
  ``TensorShape``, ``newaxis`` ... and the submodules ``math``, ``config``, ``data``,
  ``keras``) load lazily from here (``deepgrad.__getattr__``);
* names both have with the same meaning on the common call forms (``reshape``,
  ``concat``, ``stack``, ``matmul``, ``square``, ``exp``, ``zeros``, the dtypes ...) are
  PyTorch's functions, which give the same values;
* names whose meanings differ stay PyTorch's on ``deepgrad`` (``split``: torch's chunk
  *size* vs tf's *number* of parts; ``gather``: ``(input, dim, index)`` vs
  ``(params, indices, axis)``; ``where(cond)``: a tuple vs an (N, rank) array;
  ``argmax(x)``: flattened vs axis 0; ``transpose``, ``range``) -- call them as
  ``deepgrad.tf.split`` etc., or write ``from deepgrad import tf``;
* the submodules both have (``nn``, ``random``, ``linalg``) keep PyTorch's names and
  add TensorFlow's function names that PyTorch's module lacks (``tf.nn.relu``,
  ``tf.nn.moments``, ``tf.random.normal``, ``tf.random.set_seed``, ``tf.linalg.band_part``),
  looked up lazily in :mod:`deepgrad.tf.nn` / ``random`` / ``linalg``.

Every function is one call of a ``keras.ops`` function or an engine op (one formula,
shared with Keras and PyTorch fronts); results are deepgrad Tensors and differentiate.
``tf.function`` runs the function eagerly (there is no graph compiler): it accepts
``input_signature``, ``jit_compile``, ``reduce_retracing`` and returns the function
itself, wrapped. Names TensorFlow has and deepgrad lacks raise AttributeError.
"""
import builtins
import functools
import importlib

import numpy as np

from deepgrad._scope import NotImplementedAttribute
from deepgrad import ops as _ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import ops as _k
from deepgrad.keras.gradient_tape import GradientTape  # noqa: F401
from deepgrad.keras.ops.core import array_of as _array_of
from deepgrad.keras.ops.core import t as _t
from deepgrad.tf.variable import Variable  # noqa: F401
from deepgrad.tf.math import (  # noqa: F401
    abs, add, add_n, argmax, argmin, ceil, clip_by_value, cos, cumsum, cumprod, divide,
    floordiv, floormod,
    equal, exp, floor, greater, greater_equal, less, less_equal, log, logical_and,
    logical_not, logical_or, maximum, minimum, multiply, negative, not_equal, pow,
    reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean, reduce_min,
    reduce_prod, reduce_std, reduce_sum, reduce_variance, round, rsqrt, sigmoid, sign, sin,
    sqrt, square, squared_difference, subtract, tanh, truediv)

float16, float32, float64 = np.float16, np.float32, np.float64
int8, int16, int32, int64 = np.int8, np.int16, np.int32, np.int64
uint8, bool = np.uint8, np.bool_                 # noqa: A001
string = np.str_
newaxis = None
DType = np.dtype


class TensorShape(tuple):
    """A shape (a tuple of ints or None) with ``as_list`` and ``rank``."""

    def __new__(cls, dims):
        return super().__new__(cls, () if dims is None else
                               tuple(None if d is None else int(d) for d in dims))

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)

    ndims = rank


# ---------------------------------------------------------------------- tensors
def constant(value, dtype=None, shape=None, name=None):
    """A constant tensor; ``shape`` broadcasts a scalar or reshapes a same-size value."""
    x = _k.convert_to_tensor(value, dtype)
    if shape is not None:
        shape = tuple(int(s) for s in shape)
        x = _ops.reshape(x, shape) if x.numel() == int(np.prod(shape, dtype=np.int64)) and \
            x.ndim else _ops.broadcast_to(x, shape)
        x = Tensor._wrap(np.ascontiguousarray(x.array))
    return x


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    if dtype is None and dtype_hint is not None and not isinstance(value, Tensor) and \
            not hasattr(value, "dtype"):
        dtype = dtype_hint
    return _k.convert_to_tensor(value, dtype)


def is_tensor(x):
    return isinstance(x, Tensor)


def identity(input, name=None):      # noqa: A002
    return _ops.clone(_t(input))


def shape(input, out_type=np.int32, name=None):     # noqa: A002
    """The shape as a 1-D int32 tensor (``x.shape`` gives the static tuple)."""
    return Tensor._wrap(np.asarray(_t(input).shape, out_type))


def size(input, out_type=np.int32, name=None):     # noqa: A002
    return Tensor._wrap(np.asarray(_t(input).numel(), out_type))


def rank(input, name=None):     # noqa: A002
    return Tensor._wrap(np.asarray(_t(input).ndim, np.int32))


def cast(x, dtype, name=None):
    return _k.cast(x, dtype)


def reshape(tensor, shape, name=None):
    return _k.reshape(tensor, tuple(int(s) for s in np.asarray(_array_of(shape)).reshape(-1)))


def transpose(a, perm=None, conjugate=False, name=None):
    return _k.transpose(a, perm)


def expand_dims(input, axis, name=None):     # noqa: A002
    return _k.expand_dims(input, axis)


def squeeze(input, axis=None, name=None):     # noqa: A002
    return _k.squeeze(input, axis)


def concat(values, axis, name=None):
    return _k.concatenate(values, axis)


def stack(values, axis=0, name="stack"):
    return _k.stack(values, axis)


def unstack(value, num=None, axis=0, name="unstack"):
    return _k.unstack(value, num, axis)


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """An int splits into that many equal parts; a list gives the parts' sizes (one may
    be -1, the rest)."""
    x = _t(value)
    n = x.shape[axis]
    if isinstance(num_or_size_splits, (int, np.integer)):
        return _k.split(x, int(num_or_size_splits), axis)
    sizes = [int(s) for s in np.asarray(_array_of(num_or_size_splits)).reshape(-1)]
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
    if sum(sizes) != n or min(sizes) < 0:
        raise ValueError(f"split: sizes {sizes} do not add up to the axis length {n}")
    return list(_ops.split(x, sizes, axis))


def tile(input, multiples, name=None):     # noqa: A002
    return _k.tile(input, [int(m) for m in np.asarray(_array_of(multiples)).reshape(-1)])


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """``params`` rows (``axis``, default 0) picked by ``indices``."""
    if batch_dims:
        raise ValueError("gather: batch_dims != 0 is not supported by deepgrad")
    return _k.take(params, indices, 0 if axis is None else axis)


def gather_nd(params, indices, batch_dims=0, name=None):
    """``params[indices[..., 0], indices[..., 1], ...]``."""
    if batch_dims:
        raise ValueError("gather_nd: batch_dims != 0 is not supported by deepgrad")
    idx = np.asarray(_array_of(indices)).astype(np.int64)
    return _ops.getitem(_t(params), tuple(idx[..., k] for k in builtins.range(idx.shape[-1])))


def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    m = np.asarray(_array_of(mask)).astype(bool)
    start = 0 if axis is None else axis
    return _ops.getitem(_t(tensor), (slice(None),) * start + (m,))


def where(condition, x=None, y=None, name=None):
    """``x`` where ``condition`` else ``y``; with neither, the (N, rank) int64 coordinates
    of the True entries."""
    if x is None and y is None:
        return Tensor._wrap(np.argwhere(np.asarray(_array_of(condition))).astype(np.int64))
    return _k.where(condition, x, y)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    dtype = np.dtype("float32" if dtype is None else dtype)
    out = _k.one_hot(indices, depth, -1 if axis is None else axis, dtype)
    if on_value is None and off_value is None:
        return out
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    return Tensor._wrap(np.where(out.array > 0, on, off).astype(dtype))


def fill(dims, value, name=None):
    return _k.full(tuple(int(d) for d in np.asarray(_array_of(dims)).reshape(-1)), value)


def zeros(shape, dtype=np.float32, name=None):
    return _k.zeros(shape, dtype)


def ones(shape, dtype=np.float32, name=None):
    return _k.ones(shape, dtype)


def zeros_like(input, dtype=None, name=None):     # noqa: A002
    return _k.zeros_like(input, dtype)


def ones_like(input, dtype=None, name=None):     # noqa: A002
    return _k.ones_like(input, dtype)


def range(start, limit=None, delta=1, dtype=None, name="range"):     # noqa: A001
    """``tf.range``: [start, limit) by ``delta`` (``range(n)`` is [0, n))."""
    return _k.arange(start, limit, delta, dtype)


def linspace(start, stop, num, name=None, axis=0):
    return _k.linspace(start, stop, num, axis=axis)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=np.float32, name=None):
    out = _k.eye(num_rows, num_columns, dtype=dtype)
    if batch_shape:
        out = _ops.broadcast_to(out, tuple(batch_shape) + tuple(out.shape))
    return out


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           name=None, **kwargs):
    a, b = _t(a), _t(b)
    if transpose_a or adjoint_a:
        a = _ops.transpose(a, -2, -1)
    if transpose_b or adjoint_b:
        b = _ops.transpose(b, -2, -1)
    return _k.matmul(a, b)


def einsum(equation, *inputs, **kwargs):
    return _k.einsum(equation, *inputs)


def tensordot(a, b, axes, name=None):
    return _k.tensordot(a, b, axes)


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    modes = {"CONSTANT": "constant", "REFLECT": "reflect", "SYMMETRIC": "symmetric"}
    if mode.upper() not in modes:
        raise ValueError(f"pad: mode must be CONSTANT, REFLECT or SYMMETRIC, received {mode!r}")
    return _k.pad(tensor, np.asarray(_array_of(paddings)), modes[mode.upper()],
                  constant_values if mode.upper() == "CONSTANT" else None)


def reverse(tensor, axis, name=None):
    return _k.flip(tensor, list(axis))


def roll(input, shift, axis, name=None):     # noqa: A002
    return _k.roll(input, shift, axis)


def sort(values, axis=-1, direction="ASCENDING", name=None):
    out = _k.sort(values, axis)
    return _k.flip(out, axis) if direction == "DESCENDING" else out


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    if direction == "DESCENDING":
        return _k.argsort(_ops.neg(_t(values)), axis)
    return _k.argsort(values, axis)


def broadcast_to(input, shape, name=None):     # noqa: A002
    return _k.broadcast_to(input, shape)


def stop_gradient(input, name=None):     # noqa: A002
    return _k.stop_gradient(input)


def meshgrid(*args, **kwargs):
    return _k.meshgrid(*args, indexing=kwargs.get("indexing", "xy"))


def executing_eagerly():
    """Always True: deepgrad runs eagerly."""
    return True


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_compile=None, **kwargs):
    """``@tf.function``: deepgrad has no graph compiler, so the function runs eagerly,
    exactly as written (Python side effects run on every call, unlike a traced graph)."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kw):
            return fn(*args, **kw)
        wrapper.python_function = fn
        return wrapper
    return decorate if func is None else decorate(func)


def print(*inputs, **kwargs):     # noqa: A001
    """``tf.print``: tensors printed as their values."""
    builtins.print(*[x.numpy() if isinstance(x, Tensor) else x for x in inputs],
                   **{k: v for k, v in kwargs.items() if k in ("sep", "end")})


_SUBMODULES = {"math": "deepgrad.tf.math", "nn": "deepgrad.tf.nn",
               "linalg": "deepgrad.tf.linalg", "random": "deepgrad.tf.random",
               "config": "deepgrad.tf.config", "data": "deepgrad.tf.data",
               "keras": "deepgrad.keras"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad.tf' has no attribute {name!r}")
    raise NotImplementedAttribute(f"deepgrad does not implement tf.{name}")
