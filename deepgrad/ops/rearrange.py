"""Ops that rearrange elements: flip, roll, rot90, repeat_interleave, tile, sliding windows.

Values are only moved (or copied), so each backward moves G back: a flip flips it again,
a roll rolls it back, and the ops that copy an element to several places (repeat_interleave,
tile, overlapping windows) add up the gradients of the copies (they read through
``getitem``/``repeat``, whose backward accumulates).
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import normalize_axis
from deepgrad.ops.shape import getitem, movedim, repeat, reshape, transpose


class Flip(Function):
    """out[..., i, ...] = x[..., n-1-i, ...] along the flipped axes; backward flips G."""

    def forward(self, x, axes=()):
        self.axes = axes
        return np.flip(x, axes).copy()      # a new tensor, as PyTorch (not a view)

    def backward(self, g):
        return np.flip(g, self.axes)


class Roll(Function):
    """out[(i + s) mod n] = x[i] along each rolled axis; backward rolls G by -s."""

    def forward(self, x, shifts=(), axes=None):
        self.shifts, self.axes = shifts, axes
        return np.roll(x, shifts, axes)

    def backward(self, g):
        return np.roll(g, tuple(-s for s in self.shifts) if self.axes is not None
                       else -self.shifts, self.axes)


def _dims_tuple(dims):
    return tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)


def flip(input, dims):
    """Reverse the order of the elements along each axis in ``dims``.

    out[..., i, ...] = x[..., n - 1 - i, ...];   dL/dx = flip(G, dims).
    """
    x = to_tensor(input)
    axes = normalize_axis(_dims_tuple(dims), x.ndim)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dims {dims} has a repeated dim")
    if not axes or x.ndim == 0:
        return _copy(x)
    return Flip.apply(x, axes=axes)


def _copy(x):
    from deepgrad.ops.elementwise import clone
    return clone(x)


def fliplr(input):
    """Flip left-right: reverse dim 1 of a tensor of at least 2 dims."""
    x = to_tensor(input)
    if x.ndim < 2:
        raise RuntimeError(f"fliplr: input must be at least 2-d, received shape {tuple(x.shape)}")
    return flip(x, (1,))


def flipud(input):
    """Flip up-down: reverse dim 0 of a tensor of at least 1 dim."""
    x = to_tensor(input)
    if x.ndim < 1:
        raise RuntimeError("flipud: input must be at least 1-d, received a 0-d tensor")
    return flip(x, (0,))


def roll(input, shifts, dims=None):
    """Roll elements along ``dims`` by ``shifts`` (wrapping round); with ``dims=None`` the
    tensor is rolled as if flattened, then keeps its shape.

    out[(i + s) mod n] = x[i];   dL/dx = roll(G, -s).
    """
    x = to_tensor(input)
    if dims is None:
        if isinstance(shifts, (tuple, list)):
            if len(shifts) != 1:
                raise RuntimeError(f"roll: with dims=None, shifts must be one number, "
                                   f"received {shifts}")
            shifts = shifts[0]
        return Roll.apply(x, shifts=int(shifts), axes=None)
    shifts, axes = _dims_tuple(shifts), normalize_axis(_dims_tuple(dims), x.ndim)
    if len(shifts) != len(axes):
        raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    if x.ndim == 0:
        return _copy(x)
    return Roll.apply(x, shifts=tuple(int(s) for s in shifts), axes=axes)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees k times in the plane of ``dims``, from the first axis towards
    the second (as ``numpy.rot90``). A flip plus a transpose, so the gradient is G rotated
    back."""
    x = to_tensor(input)
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected exactly 2 rotation dims, received {dims}")
    if x.ndim < 2:
        raise RuntimeError(f"rot90: expected a tensor of at least 2 dims, received shape "
                           f"{tuple(x.shape)}")
    d0, d1 = normalize_axis(dims, x.ndim)
    if d0 == d1:
        raise RuntimeError(f"rot90: rotation dims must differ, received {dims}")
    k = int(k) % 4
    if k == 1:
        return transpose(flip(x, (d1,)), d0, d1)
    if k == 2:
        return flip(x, (d0, d1))
    if k == 3:
        return transpose(flip(x, (d0,)), d0, d1)
    return _copy(x)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (each slice along ``dim``) ``repeats`` times, in place order:
    [a, b] with repeats 2 -> [a, a, b, b]. ``repeats`` is an int or a tensor (one count, or
    one per element of ``dim``); ``dim=None`` works on the flattened input. With only a
    tensor of counts, ``repeat_interleave(r)`` gives [0]*r[0] + [1]*r[1] + ...

    dL/dx[i] = sum of G over the copies of x[i].
    """
    if repeats is None:
        counts = _counts("repeat_interleave", input, None)
        return _fn._Tensor._wrap(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    x = to_tensor(input)
    if dim is None:
        x, d = reshape(x, (-1,)), 0
    else:
        d = normalize_axis(dim, x.ndim)
        if x.ndim == 0:
            x = reshape(x, (1,))
    n = x.shape[d]
    counts = _counts("repeat_interleave", repeats, n)
    total = int(counts.sum())
    if output_size is not None and int(output_size) != total:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match "
                           f"the sum of the repeats {total}")
    index = np.repeat(np.arange(n), counts)
    return getitem(x, (slice(None),) * d + (index,))


def _counts(name, repeats, n):
    arr = repeats.array if isinstance(repeats, _fn._Tensor) else np.asarray(repeats)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: repeats must be integers, received dtype {arr.dtype}")
    if arr.ndim > 1:
        raise RuntimeError(f"{name}: repeats must be 0-d or 1-d, received shape {arr.shape}")
    if (arr < 0).any():
        raise RuntimeError(f"{name}: repeats can not be negative, received {arr.tolist()}")
    if n is None:
        return arr.reshape(-1)
    if arr.size == 1:
        return np.full(n, arr.reshape(-1)[0], dtype=np.int64)
    if arr.size != n:
        raise RuntimeError(f"{name}: repeats must have the same size as the input along dim, "
                           f"received {arr.size} repeats for size {n}")
    return arr


def tile(input, dims):
    """Repeat the whole tensor ``dims[i]`` times along each axis; ``dims`` shorter than the
    tensor's rank is padded with 1s in front (``numpy.tile``), longer adds leading axes."""
    x = to_tensor(input)
    dims = tuple(int(r) for r in _dims_tuple(dims))
    if any(r < 0 for r in dims):
        raise RuntimeError(f"tile: repeats can not be negative, received {dims}")
    dims = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x, dims) if dims else _copy(x)


def unfold(input, dimension, size, step):
    """Every slice of length ``size`` along ``dimension``, ``step`` apart: that axis becomes
    the number of windows (n - size) // step + 1 and a new last axis of length ``size``
    holds each window (PyTorch's ``Tensor.unfold``). Overlapping windows share elements, so
    their gradients add up."""
    x = to_tensor(input)
    size, step = int(size), int(step)
    if step <= 0:
        raise RuntimeError(f"unfold: step must be positive, received {step}")
    if x.ndim == 0:
        normalize_axis(dimension, 0)
        if size > 1:
            raise RuntimeError(f"unfold: size {size} exceeds the size 1 of a 0-d tensor")
        return reshape(x, (size,))
    d = normalize_axis(dimension, x.ndim)
    n = x.shape[d]
    if not 0 <= size <= n:
        raise RuntimeError(f"unfold: size {size} is larger than the size {n} of dimension "
                           f"{dimension} (shape {tuple(x.shape)})")
    windows = (n - size) // step + 1
    index = np.arange(windows)[:, None] * step + np.arange(size)
    return movedim(getitem(x, (slice(None),) * d + (index,)), d + 1, -1)
