"""``keras.ops`` (the part Keras 3's guides and examples use), on :mod:`deepgrad.ops`.

NumPy's names and arguments (``axis``, ``keepdims``) over deepgrad Tensors: every
function takes Tensors, arrays or numbers, returns a Tensor, and differentiates through
the engine's ops (one formula each, shared with ``deepgrad.nn``). Keras's rules kept:
``std``/``var`` are population statistics (``ddof=0``); ``ops.gelu`` defaults to the tanh
approximation (``approximate=True``, unlike ``activations.gelu``); ``leaky_relu``'s slope
defaults to 0.2; creation functions default to ``keras.backend.floatx()``. A name Keras
has and this module lacks raises AttributeError.
"""
import numpy as np

from deepgrad import ops as _ops
from deepgrad.autograd.function import to_tensor
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import backend


def _t(x):
    """A Tensor; NumPy arrays keep their dtype, Python floats become ``floatx`` (Keras's
    ``convert_to_tensor``)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return to_tensor(x)
    a = np.asarray(x)
    return to_tensor(a.astype(backend.floatx()) if a.dtype == np.float64 else a)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _dtype(dtype):
    return np.dtype(backend.floatx() if dtype is None else dtype)


# ====================================================================== core
def shape(x):
    """The shape as a tuple of ints."""
    return tuple(_t(x).shape)


def cast(x, dtype):
    return _ops.cast(_t(x), np.dtype(dtype))


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A Tensor (a Tensor of the right dtype passes through)."""
    if sparse or ragged:
        raise ValueError("convert_to_tensor: sparse and ragged tensors are not supported")
    t = _t(x)
    return t if dtype is None or t.dtype == np.dtype(dtype) else cast(t, dtype)


def convert_to_numpy(x):
    return _t(x).array.copy()


def stop_gradient(variable):
    """The value without its history: no gradient flows back through it."""
    return _t(variable).detach()


# ====================================================================== arithmetic
def add(x1, x2):
    return _t(x1) + x2


def subtract(x1, x2):
    return _t(x1) - x2


def multiply(x1, x2):
    return _t(x1) * x2


def divide(x1, x2):
    return _t(x1) / x2


true_divide = divide


def negative(x):
    return -_t(x)


def power(x1, x2):
    return _ops.pow(_t(x1), x2)


def square(x):
    x = _t(x)
    return x * x


def sqrt(x):
    return _ops.sqrt(_t(x))


def rsqrt(x):
    return _ops.rsqrt(_t(x))


def exp(x):
    return _ops.exp(_t(x))


def expm1(x):
    return _ops.expm1(_t(x))


def log(x):
    return _ops.log(_t(x))


def log1p(x):
    return _ops.log1p(_t(x))


def abs(x):          # noqa: A001  (Keras's name)
    return _ops.abs(_t(x))


absolute = abs


def sign(x):
    return _ops.sign(_t(x))


def floor(x):
    return _ops.floor(_t(x))


def ceil(x):
    return _ops.ceil(_t(x))


def round(x, decimals=0):    # noqa: A001
    return _ops.round(_t(x), decimals=decimals)


def sin(x):
    return _ops.sin(_t(x))


def cos(x):
    return _ops.cos(_t(x))


def tanh(x):
    return _ops.tanh(_t(x))


def erf(x):
    return _ops.erf(_t(x))


def maximum(x1, x2):
    return _ops.maximum(_t(x1), _t(x2))


def minimum(x1, x2):
    return _ops.minimum(_t(x1), _t(x2))


def clip(x, x_min, x_max):
    return _ops.clip(_t(x), x_min, x_max)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` else ``x2``; with neither, the indices where it holds."""
    if x1 is None and x2 is None:
        return tuple(Tensor._wrap(i) for i in np.nonzero(_t(condition).array))
    if x1 is None or x2 is None:
        raise ValueError("where: `x1` and `x2` must be given together (or neither)")
    cond = _t(condition).array.astype(bool)
    return _ops.where(cond, _t(x1), _t(x2))


# ====================================================================== comparisons
def equal(x1, x2):
    return _ops.eq(_t(x1), _t(x2))


def not_equal(x1, x2):
    return _ops.ne(_t(x1), _t(x2))


def greater(x1, x2):
    return _ops.gt(_t(x1), _t(x2))


def greater_equal(x1, x2):
    return _ops.ge(_t(x1), _t(x2))


def less(x1, x2):
    return _ops.lt(_t(x1), _t(x2))


def less_equal(x1, x2):
    return _ops.le(_t(x1), _t(x2))


def logical_and(x1, x2):
    return _ops.logical_and(_t(x1), _t(x2))


def logical_or(x1, x2):
    return _ops.logical_or(_t(x1), _t(x2))


def logical_not(x):
    return _ops.logical_not(_t(x))


# ====================================================================== reductions
def sum(x, axis=None, keepdims=False):     # noqa: A001
    return _ops.sum(_t(x), _axis(axis), keepdims)


def mean(x, axis=None, keepdims=False):
    return _ops.mean(_t(x), _axis(axis), keepdims)


def max(x, axis=None, keepdims=False, initial=None):     # noqa: A001
    out = _ops.amax(_t(x), _axis(axis), keepdims)
    return out if initial is None else _ops.maximum(out, _t(initial))


def min(x, axis=None, keepdims=False, initial=None):     # noqa: A001
    out = _ops.amin(_t(x), _axis(axis), keepdims)
    return out if initial is None else _ops.minimum(out, _t(initial))


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _t(x) if dtype is None else cast(x, dtype)
    axes = _axis(axis)
    if isinstance(axes, tuple):
        for a in sorted((a % x.ndim for a in axes), reverse=True):
            x = _ops.prod(x, a, keepdims)
        return x
    return _ops.prod(x, axes, keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation (``ddof=0``), as Keras."""
    return _ops.std(_t(x), _axis(axis), correction=0, keepdim=keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance (``ddof=0``), as Keras."""
    return _ops.var(_t(x), _axis(axis), correction=0, keepdim=keepdims)


def argmax(x, axis=None, keepdims=False):
    return _ops.argmax(_t(x), axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _ops.argmin(_t(x), axis, keepdims)


def logsumexp(x, axis=None, keepdims=False):
    return _ops.logsumexp(_t(x), _axis(axis), keepdims)


def cumsum(x, axis=None, dtype=None):
    x = _t(x) if dtype is None else cast(x, dtype)
    return _ops.cumsum(x.reshape(-1), 0) if axis is None else _ops.cumsum(x, axis)


def cumprod(x, axis=None, dtype=None):
    x = _t(x) if dtype is None else cast(x, dtype)
    return _ops.cumprod(x.reshape(-1), 0) if axis is None else _ops.cumprod(x, axis)


# ====================================================================== shapes
def reshape(x, newshape):
    return _ops.reshape(_t(x), tuple(newshape) if not isinstance(newshape, int) else (newshape,))


def transpose(x, axes=None):
    x = _t(x)
    return _ops.permute(x, tuple(reversed(range(x.ndim))) if axes is None else tuple(axes))


def expand_dims(x, axis):
    x = _t(x)
    for a in sorted(axis if isinstance(axis, (list, tuple)) else [axis]):
        x = _ops.unsqueeze(x, a)
    return x


def squeeze(x, axis=None):
    x = _t(x)
    if isinstance(axis, (list, tuple)):
        for a in sorted((a % x.ndim for a in axis), reverse=True):
            x = _ops.squeeze(x, a)
        return x
    return _ops.squeeze(x, axis)


def concatenate(xs, axis=0):
    return _ops.cat([_t(x) for x in xs], axis)


def stack(x, axis=0):
    return _ops.stack([_t(t) for t in x], axis)


def split(x, indices_or_sections, axis=0):
    """NumPy's split: ``n`` equal parts (``n`` must divide the axis) or cut points."""
    x = _t(x)
    size = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if size % indices_or_sections:
            raise ValueError(f"split: an axis of size {size} cannot be split into "
                             f"{indices_or_sections} equal sections")
        return list(_ops.split(x, size // indices_or_sections, axis))
    cuts = [0] + [int(i) for i in indices_or_sections] + [size]
    return list(_ops.split(x, [b - a for a, b in zip(cuts[:-1], cuts[1:])], axis))


def tile(x, repeats):
    return _ops.tile(_t(x), tuple(repeats) if isinstance(repeats, (list, tuple)) else (repeats,))


def repeat(x, repeats, axis=None):
    return _ops.repeat_interleave(_t(x), repeats, axis)


def broadcast_to(x, shape):      # noqa: F811  (the argument is Keras's name)
    return _ops.broadcast_to(_t(x), tuple(shape))


def take(x, indices, axis=None):
    x, idx = _t(x), np.asarray(indices.array if isinstance(indices, Tensor) else indices)
    if axis is None:
        return _ops.getitem(x.reshape(-1), idx)
    index = [slice(None)] * x.ndim
    index[axis] = idx
    return _ops.getitem(x, tuple(index))


def take_along_axis(x, indices, axis=None):
    x = _t(x)
    idx = _t(indices)
    if axis is None:
        return _ops.take_along_dim(x.reshape(-1), idx.reshape(-1), 0)
    return _ops.take_along_dim(x, idx, axis)


# ====================================================================== linear algebra
def matmul(x1, x2):
    return _ops.matmul(_t(x1), _t(x2))


def dot(x1, x2):
    """NumPy's dot: a product for scalars, a matrix product otherwise."""
    x1, x2 = _t(x1), _t(x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    if x2.ndim <= 2:
        return _ops.matmul(x1, x2)
    return _ops.tensordot(x1, x2, ([x1.ndim - 1], [x2.ndim - 2]))


def einsum(subscripts, *operands):
    return _ops.einsum(subscripts, *[_t(o) for o in operands])


def tensordot(x1, x2, axes=2):
    return _ops.tensordot(_t(x1), _t(x2), axes)


# ====================================================================== creation
def zeros(shape, dtype=None):
    return Tensor._wrap(np.zeros(shape, _dtype(dtype)))


def ones(shape, dtype=None):
    return Tensor._wrap(np.ones(shape, _dtype(dtype)))


def full(shape, fill_value, dtype=None):
    return Tensor._wrap(np.full(shape, fill_value, _dtype(dtype)))


def zeros_like(x, dtype=None):
    return Tensor._wrap(np.zeros_like(_t(x).array, dtype=dtype))


def ones_like(x, dtype=None):
    return Tensor._wrap(np.ones_like(_t(x).array, dtype=dtype))


def full_like(x, fill_value, dtype=None):
    return Tensor._wrap(np.full_like(_t(x).array, fill_value, dtype=dtype))


def arange(start, stop=None, step=1, dtype=None):
    """NumPy's arange; integers give an integer range unless ``dtype`` says otherwise."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None and values.dtype.kind == "f":
        values = values.astype(backend.floatx())
    return Tensor._wrap(values if dtype is None else values.astype(dtype))


def eye(N, M=None, k=0, dtype=None):
    return Tensor._wrap(np.eye(N, M, k, dtype=_dtype(dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if retstep:
        raise ValueError("linspace: retstep=True is not supported; compute the step as "
                         "(stop - start) / (num - 1)")
    return Tensor._wrap(np.linspace(start, stop, num, endpoint, dtype=_dtype(dtype),
                                    axis=axis))


# ====================================================================== nn
def relu(x):
    return _ops.relu(_t(x))


def relu6(x):
    return _ops.relu6(_t(x))


def sigmoid(x):
    return _ops.sigmoid(_t(x))


def softplus(x):
    return _ops.softplus(_t(x))


def softsign(x):
    return _ops.softsign(_t(x))


def silu(x):
    return _ops.silu(_t(x))


swish = silu


def gelu(x, approximate=True):
    """Keras's ``ops.gelu``: the tanh approximation by default."""
    return _ops.gelu(_t(x), approximate="tanh" if approximate else "none")


def leaky_relu(x, negative_slope=0.2):
    return _ops.leaky_relu(_t(x), negative_slope)


def elu(x, alpha=1.0):
    return _ops.elu(_t(x), alpha)


def selu(x):
    return _ops.selu(_t(x))


def softmax(x, axis=-1):
    return _ops.softmax(_t(x), dim=axis)


def log_softmax(x, axis=-1):
    return _ops.log_softmax(_t(x), dim=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """``num_classes``-wide one-hot rows (a new axis at ``axis``); out-of-range labels
    give all-zero rows, as Keras."""
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported")
    labels = np.asarray(_t(x).array).astype(np.int64)
    out = (labels[..., None] == np.arange(num_classes)).astype(_dtype(dtype))
    return Tensor._wrap(np.moveaxis(out, -1, axis) if axis != -1 else out)


def binary_crossentropy(target, output, from_logits=False):
    """Per-entry binary cross-entropy (no reduction), probabilities clipped to
    ``[eps, 1 - eps]`` or logits through the stable fused op."""
    target, output = _t(target), _t(output)
    target = target if target.dtype == output.dtype else cast(target, output.dtype)
    if from_logits:
        return _ops.binary_cross_entropy_with_logits(output, target, reduction="none")
    p = _ops.clip(output, backend.epsilon(), 1.0 - backend.epsilon())
    return _ops.binary_cross_entropy(p, target, reduction="none")


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target log p, axis)`` (no reduction over samples)."""
    target, output = _t(target), _t(output)
    target = target if target.dtype == output.dtype else cast(target, output.dtype)
    if from_logits:
        return -_ops.sum(target * _ops.log_softmax(output, dim=axis), axis)
    p = output / _ops.sum(output, axis, True)
    p = _ops.clip(p, backend.epsilon(), 1.0 - backend.epsilon())
    return -_ops.sum(target * _ops.log(p), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-log p[target]`` for integer targets (no reduction over samples)."""
    output = _t(output)
    labels = np.asarray(_t(target).array).astype(np.int64)
    if labels.ndim == output.ndim:
        labels = np.squeeze(labels, axis)
    onehot = one_hot(labels, output.shape[axis], axis=axis, dtype=output.dtype)
    return categorical_crossentropy(onehot, output, from_logits, axis)


def moments(x, axes, keepdims=False, synchronized=False):
    """``(mean, variance)`` over ``axes`` (population variance)."""
    return mean(x, axes, keepdims), var(x, axes, keepdims)


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x / max(||x||_order, eps)`` along ``axis``."""
    x = _t(x)
    eps = backend.epsilon() if epsilon is None else epsilon
    norm = _ops.sum(_ops.abs(x) ** order, axis, True) ** (1.0 / order)
    return x / _ops.maximum(norm, _t(np.asarray(eps, x.dtype)))


def is_tensor(x):
    return isinstance(x, Tensor)


__all__ = sorted(name for name, obj in list(globals().items())
                 if callable(obj) and not name.startswith("_")
                 and getattr(obj, "__module__", None) == __name__
                 and name != "to_tensor")
