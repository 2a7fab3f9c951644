"""``keras.ops`` creation functions, window functions and products (NumPy's names).

Creation functions default to ``keras.backend.floatx()`` for float values and int32 for
integer ranges (Keras's rule); the products call the engine's ``matmul``/``tensordot``/
``einsum`` so they differentiate.
"""
import numpy as np

from deepgrad import ops as _ops
from deepgrad.keras import backend
from deepgrad.keras.ops.core import (
    array_of, cast, dtype_arg, f, pair, result_type, standardize, t, wrap)


# ---------------------------------------------------------------------- creation
def array(x, dtype=None):
    x = t(x)
    return x if dtype is None else cast(x, dtype)


def zeros(shape, dtype=None):
    return wrap(np.zeros(shape, dtype_arg(dtype)))


def ones(shape, dtype=None):
    return wrap(np.ones(shape, dtype_arg(dtype)))


def empty(shape, dtype=None):
    """Keras's ``empty`` (zeros here: uninitialised memory has no use in NumPy code)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    value = np.asarray(array_of(fill_value))
    dtype = standardize(dtype) if dtype is not None else result_type(
        fill_value if hasattr(fill_value, "dtype") else value.item() if value.ndim == 0
        else t(fill_value))
    return wrap(np.full(shape, value, dtype))


def _like(x, dtype):
    return standardize(dtype) if dtype is not None else t(x).dtype


def zeros_like(x, dtype=None):
    return wrap(np.zeros(t(x).shape, _like(x, dtype)))


def ones_like(x, dtype=None):
    return wrap(np.ones(t(x).shape, _like(x, dtype)))


def empty_like(x, dtype=None):
    return zeros_like(x, dtype)


def full_like(x, fill_value, dtype=None):
    return wrap(np.full(t(x).shape, array_of(fill_value), _like(x, dtype)))


def arange(start, stop=None, step=None, dtype=None):
    """NumPy's arange; Python ints give int32, any float ``floatx``."""
    step = 1 if step is None else step
    values = np.arange(start, stop, step) if stop is not None else np.arange(0, start, step)
    if dtype is None:
        dtype = result_type(*(v for v in (start, stop, step) if v is not None))
    return wrap(values.astype(standardize(dtype)))


def eye(N, M=None, k=0, dtype=None):
    return wrap(np.eye(N, M, k, dtype=dtype_arg(dtype)))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    return wrap(np.tri(N, M, k, dtype=dtype_arg(dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    values = np.linspace(array_of(start), array_of(stop), num, endpoint, retstep=retstep,
                         axis=axis)
    if retstep:
        values, step = values
        return wrap(values.astype(dtype_arg(dtype))), wrap(np.asarray(step, dtype_arg(dtype)))
    return wrap(values.astype(dtype_arg(dtype)))


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return wrap(np.logspace(array_of(start), array_of(stop), num, endpoint, base,
                            axis=axis).astype(dtype_arg(dtype)))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return wrap(np.geomspace(array_of(start), array_of(stop), num, endpoint,
                             axis=axis).astype(dtype_arg(dtype)))


# ---------------------------------------------------------------------- windows
def _window(fn, n, *args):
    return wrap(fn(int(n), *args).astype(backend.floatx()))


def bartlett(x):
    """The Bartlett (triangular) window of length ``x``."""
    return _window(np.bartlett, x)


def blackman(x):
    return _window(np.blackman, x)


def hamming(x):
    return _window(np.hamming, x)


def hanning(x):
    return _window(np.hanning, x)


def kaiser(x, beta):
    return _window(np.kaiser, x, beta)


# ---------------------------------------------------------------------- products
def matmul(x1, x2):
    a, b = pair(x1, x2)
    if a.dtype == np.bool_:
        a, b = cast(a, "int32"), cast(b, "int32")
    return _ops.matmul(a, b)


def dot(x1, x2):
    """NumPy's dot: a product for scalars, a matrix product otherwise."""
    a, b = pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return _ops.mul(a, b)
    if b.ndim <= 2:
        return _ops.matmul(a, b)
    return _ops.tensordot(a, b, ([a.ndim - 1], [b.ndim - 2]))


def vdot(x1, x2):
    a, b = pair(x1, x2)
    return _ops.dot(_ops.reshape(a, (-1,)), _ops.reshape(b, (-1,)))


def inner(x1, x2):
    a, b = pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return _ops.mul(a, b)
    return _ops.inner(a, b)


def outer(x1, x2):
    a, b = pair(x1, x2)
    return _ops.outer(_ops.reshape(a, (-1,)), _ops.reshape(b, (-1,)))


def kron(x1, x2):
    a, b = pair(x1, x2)
    return _ops.kron(a, b)


def tensordot(x1, x2, axes=2):
    a, b = pair(x1, x2)
    return _ops.tensordot(a, b, axes)


def einsum(subscripts, *operands, **kwargs):
    if kwargs:
        raise TypeError(f"einsum: unsupported arguments {sorted(kwargs)}")
    xs = [t(o) for o in operands]
    dtype = result_type(*xs)
    return _ops.einsum(subscripts, *[cast(x, dtype) for x in xs])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors get a zero third component, and a 2-D
    pair gives the z component only, as NumPy)."""
    a, b = pair(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _ops.moveaxis(a, axisa, -1), _ops.moveaxis(b, axisb, -1)
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return _ops.sub(_ops.mul(a[..., 0], b[..., 1]), _ops.mul(a[..., 1], b[..., 0]))
    a, b = _to3(a), _to3(b)
    a, b = _ops.broadcast_tensors(a, b)
    return _ops.moveaxis(_ops.cross(a, b, dim=-1), -1, axisc)


def _to3(v):
    if v.shape[-1] == 3:
        return v
    if v.shape[-1] != 2:
        raise ValueError(f"cross: vectors must have 2 or 3 components, received "
                         f"{v.shape[-1]}")
    return _ops.pad(v, (0, 1))


def vander(x, N=None, increasing=False):
    return _ops.vander(t(x), N, increasing)


def corrcoef(x):
    return _ops.corrcoef(f(x))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` applied to every entry of its (broadcast) tensor arguments and the
    results stacked back into the broadcast shape; each call goes through the engine, so
    the result differentiates. ``signature`` (core dimensions) is not supported."""
    if signature is not None:
        raise ValueError("vectorize: signature= is not supported by deepgrad; map over "
                         "the leading axis with keras.ops.map instead")
    excluded = set(excluded or ())

    def wrapper(*args):
        pos = [i for i in range(len(args)) if i not in excluded]
        tensors = _ops.broadcast_tensors(*[t(args[i]) for i in pos])
        shape = tensors[0].shape
        flat = [_ops.reshape(x, (-1,)) for x in tensors]
        outs = []
        for k in range(int(np.prod(shape, dtype=np.int64))):
            call = list(args)
            for i, x in zip(pos, flat):
                call[i] = x[k]
            outs.append(t(pyfunc(*call)))
        if not outs:
            return wrap(np.zeros(shape, result_type(*tensors)))
        return _ops.reshape(_ops.stack(outs, 0), tuple(shape) + tuple(outs[0].shape))
    return wrapper


__all__ = sorted(name for name, obj in list(globals().items())
                 if callable(obj) and not name.startswith("_")
                 and getattr(obj, "__module__", None) == __name__)
