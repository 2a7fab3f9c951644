"""``keras.ops`` shapes, joins, splits, indexing and selection (NumPy's names).

Thin calls of the engine's shape/indexing ops (:mod:`deepgrad.ops.shape`,
:mod:`deepgrad.ops.indexing`, :mod:`deepgrad.ops.rearrange`, :mod:`deepgrad.ops.join`),
so gradients flow through every one of them. Joins bring their inputs to one result
dtype first (Keras's rule).
"""
import builtins

import numpy as np

from deepgrad import ops as _ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.ops.core import array_of, cast, result_type, t, wrap


def _same_dtype(xs):
    xs = [t(x) for x in xs]
    dtype = result_type(*xs)
    return [x if x.dtype == dtype else _ops.cast(x, dtype) for x in xs]


# ---------------------------------------------------------------------- shapes
def reshape(x, newshape):
    return _ops.reshape(t(x), tuple(newshape) if not isinstance(newshape, int)
                        else (newshape,))


def ravel(x):
    return _ops.reshape(t(x), (-1,))


def transpose(x, axes=None):
    x = t(x)
    return _ops.permute(x, tuple(reversed(range(x.ndim))) if axes is None else tuple(axes))


def moveaxis(x, source, destination):
    return _ops.moveaxis(t(x), source, destination)


def swapaxes(x, axis1, axis2):
    return _ops.swapaxes(t(x), axis1, axis2)


def expand_dims(x, axis):
    x = t(x)
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    out_ndim = x.ndim + len(axes)
    for a in sorted(a % out_ndim for a in axes):
        x = _ops.unsqueeze(x, a)
    return x


def squeeze(x, axis=None):
    x = t(x)
    if isinstance(axis, (list, tuple)):
        for a in sorted((a % x.ndim for a in axis), reverse=True):
            x = _ops.squeeze(x, a)
        return x
    return _ops.squeeze(x, axis)


def broadcast_to(x, shape):
    return _ops.broadcast_to(t(x), tuple(shape))


def copy(x):
    return _ops.clone(t(x))


def view(x, dtype=None):
    """The same bytes read as ``dtype`` (no gradient: a reinterpretation)."""
    x = t(x)
    return x if dtype is None else wrap(x.array.view(np.dtype(dtype)))


def tile(x, repeats):
    x = t(x)
    reps = tuple(repeats) if isinstance(repeats, (list, tuple)) else (repeats,)
    if len(reps) < x.ndim:
        reps = (1,) * (x.ndim - len(reps)) + reps
    return _ops.tile(x, reps)


def repeat(x, repeats, axis=None):
    x = t(x)
    if axis is None:
        x, axis = _ops.reshape(x, (-1,)), 0
    if isinstance(repeats, (list, tuple, np.ndarray, Tensor)):
        repeats = t(np.asarray(array_of(repeats), np.int64))
    return _ops.repeat_interleave(x, repeats, axis)


def flip(x, axis=None):
    x = t(x)
    axes = tuple(range(x.ndim)) if axis is None else (
        tuple(axis) if isinstance(axis, (list, tuple)) else (axis,))
    return _ops.flip(x, axes)


def fliplr(x):
    return _ops.fliplr(t(x))


def flipud(x):
    return _ops.flipud(t(x))


def roll(x, shift, axis=None):
    x = t(x)
    if axis is None:
        return _ops.reshape(_ops.roll(_ops.reshape(x, (-1,)), shift, 0), x.shape)
    return _ops.roll(x, shift, axis)


def rot90(array, k=1, axes=(0, 1)):
    return _ops.rot90(t(array), k, tuple(axes))


def pad(x, pad_width, mode="constant", constant_values=None):
    """NumPy's ``pad``: ``pad_width`` ((before, after) per axis, or one pair/int for all);
    modes 'constant', 'reflect', 'symmetric', 'edge'/'wrap' through the engine's pad."""
    x = t(x)
    width = np.broadcast_to(np.asarray(pad_width, np.int64), (x.ndim, 2))
    if mode != "constant" and constant_values not in (None, 0):
        raise ValueError(f"pad: constant_values is only used with mode='constant', "
                         f"received mode={mode!r}")
    modes = {"constant": "constant", "reflect": "reflect", "symmetric": "symmetric",
             "edge": "replicate", "wrap": "circular"}
    if mode not in modes:
        raise ValueError(f"pad: mode must be one of {sorted(modes)}, received {mode!r}")
    flat = []
    for before, after in reversed(width.tolist()):
        flat += [before, after]
    if mode == "constant":
        return _ops.pad(x, tuple(flat), value=0 if constant_values is None else constant_values)
    if mode == "symmetric":
        return _pad_symmetric(x, width)
    return _pad_by_axis(x, width, modes[mode])


def _pad_by_axis(x, width, mode):
    """Non-constant pads one axis at a time (the engine pads trailing axes of a batch)."""
    for axis, (before, after) in enumerate(width.tolist()):
        if before or after:
            moved = _ops.moveaxis(x, axis, -1)
            lead = moved.shape[:-1]
            flat = _ops.reshape(moved, (1, -1, moved.shape[-1]))
            padded = _ops.pad(flat, (before, after), mode=mode)
            x = _ops.moveaxis(_ops.reshape(padded, lead + (padded.shape[-1],)), -1, axis)
    return x


def _pad_symmetric(x, width):
    for axis, (before, after) in enumerate(width.tolist()):
        if before or after:
            n = x.shape[axis]
            idx = np.concatenate([np.arange(before)[::-1] % n, np.arange(n),
                                  (n - 1 - np.arange(after)) % n])
            x = _ops.index_select(x, axis, wrap(idx))
    return x


# ---------------------------------------------------------------------- joins and splits
def concatenate(xs, axis=0):
    xs = _same_dtype(xs)
    if axis is None:
        xs, axis = [_ops.reshape(x, (-1,)) for x in xs], 0
    return _ops.cat(xs, axis)


def append(x1, x2, axis=None):
    return concatenate([x1, x2], axis)


def stack(x, axis=0):
    return _ops.stack(_same_dtype(x), axis)


def hstack(xs):
    return _ops.hstack(_same_dtype(xs))


def vstack(xs):
    return _ops.vstack(_same_dtype(xs))


def dstack(xs):
    return _ops.dstack(_same_dtype(xs))


def split(x, indices_or_sections, axis=0):
    """NumPy's split: ``n`` equal parts (``n`` must divide the axis) or cut points."""
    x = t(x)
    size = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if size % indices_or_sections:
            raise ValueError(f"split: an axis of size {size} cannot be split into "
                             f"{indices_or_sections} equal sections")
        return list(_ops.split(x, size // int(indices_or_sections), axis))
    return array_split(x, indices_or_sections, axis)


def array_split(x, indices_or_sections, axis=0):
    """``split`` that allows unequal parts (the first ``size % n`` get one more)."""
    x = t(x)
    size = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if n <= 0:
            raise ValueError(f"array_split: the number of sections must be > 0, received {n}")
        lengths = [size // n + (1 if i < size % n else 0) for i in range(n)]
    else:
        cuts = [builtins.min(builtins.max(int(i), 0), size) for i in indices_or_sections]
        bounds = [0] + cuts + [size]
        lengths = [builtins.max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
    return list(_ops.split(x, lengths, axis))


def hsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=1 if t(x).ndim > 1 else 0)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=2)


# ---------------------------------------------------------------------- indexing
def take(x, indices, axis=None):
    x, idx = t(x), np.asarray(array_of(indices)).astype(np.int64)
    if axis is None:
        return _ops.getitem(_ops.reshape(x, (-1,)), idx)
    index = [slice(None)] * x.ndim
    index[axis] = idx
    return _ops.getitem(x, tuple(index))


def take_along_axis(x, indices, axis=None):
    x, idx = t(x), t(np.asarray(array_of(indices)).astype(np.int64))
    if axis is None:
        return _ops.take_along_dim(_ops.reshape(x, (-1,)), _ops.reshape(idx, (-1,)), 0)
    shape = list(np.broadcast_shapes(
        tuple(1 if d == axis % x.ndim else n for d, n in enumerate(x.shape)),
        tuple(1 if d == axis % x.ndim else n for d, n in enumerate(idx.shape))))
    xs, ids = list(shape), list(shape)
    xs[axis], ids[axis] = x.shape[axis], idx.shape[axis]
    return _ops.take_along_dim(_ops.broadcast_to(x, tuple(xs)),
                               _ops.broadcast_to(idx, tuple(ids)), axis)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` else ``x2``; with neither, the indices where it holds."""
    if x1 is None and x2 is None:
        return tuple(wrap(i.astype(np.int32)) for i in np.nonzero(array_of(condition)))
    if x1 is None or x2 is None:
        raise ValueError("where: `x1` and `x2` must be given together (or neither)")
    a, b = _same_dtype([x1, x2])
    return _ops.where(wrap(np.asarray(array_of(condition)).astype(bool)), a, b)


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, else ``default`` (NumPy's ``select``)."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist and choicelist must have the same length, "
                         f"received {len(condlist)} and {len(choicelist)}")
    choices = _same_dtype(list(choicelist) + [default])
    out = choices[-1]
    for cond, choice in reversed(list(zip(condlist, choices[:-1]))):
        out = _ops.where(wrap(np.asarray(array_of(cond)).astype(bool)), choice, out)
    return out


def unravel_index(indices, shape):
    """A tuple of int32 coordinate arrays."""
    return tuple(wrap(i.astype(np.int32)) for i in
                 np.unravel_index(np.asarray(array_of(indices)).astype(np.int64), shape))


def meshgrid(*x, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', received {indexing!r}")
    return list(_ops.meshgrid(*[t(v) for v in x], indexing=indexing))


# ---------------------------------------------------------------------- triangles, diagonals
def tril(x, k=0):
    return _ops.tril(t(x), k)


def triu(x, k=0):
    return _ops.triu(t(x), k)


def diag(x, k=0):
    return _ops.diag(t(x), k)


def diagflat(x, k=0):
    return _ops.diagflat(t(x), k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    return _ops.diagonal(t(x), offset, axis1, axis2)


def trace(x, offset=0, axis1=0, axis2=1):
    x = t(x)
    d = _ops.diagonal(x, offset, axis1, axis2)
    if x.dtype == np.bool_ or x.dtype.kind in "iu" and x.dtype.itemsize < 4:
        d = cast(d, "int32")
    return _ops.sum(d, -1)



# ---------------------------------------------------------------------- einops
def _groups(side):
    """'b (h w) c' -> [['b'], ['h', 'w'], ['c']]."""
    groups, current = [], None
    for token in side.replace("(", " ( ").replace(")", " ) ").split():
        if token == "(":
            if current is not None:
                raise ValueError(f"rearrange: nested parentheses in {side!r}")
            current = []
        elif token == ")":
            if current is None:
                raise ValueError(f"rearrange: unbalanced parentheses in {side!r}")
            groups.append(current)
            current = None
        elif current is not None:
            current.append(token)
        else:
            groups.append([token])
    if current is not None:
        raise ValueError(f"rearrange: unbalanced parentheses in {side!r}")
    return groups


def rearrange(tensor, pattern, **axes_lengths):
    """einops' ``rearrange``: ``'b h w c -> b (h w) c'``, groups split with sizes from
    ``axes_lengths`` (one size per group may be inferred). A reshape, a transpose and a
    reshape of the engine, so it differentiates. Ellipses are not supported."""
    x = t(tensor)
    if "->" not in pattern or "..." in pattern:
        raise ValueError(f"rearrange: expected 'left -> right' without '...', received "
                         f"{pattern!r}")
    left, right = (_groups(side) for side in pattern.split("->"))
    if len(left) != x.ndim:
        raise ValueError(f"rearrange: the pattern's left side has {len(left)} axes, the "
                         f"tensor {x.ndim} (shape {tuple(x.shape)})")
    sizes = {}
    for group, n in zip(left, x.shape):
        unknown = [a for a in group if a not in axes_lengths]
        known = int(np.prod([axes_lengths[a] for a in group if a in axes_lengths],
                            dtype=np.int64))
        if len(unknown) > 1 and len(group) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in {group}")
        if unknown and (n % known):
            raise ValueError(f"rearrange: axis of size {n} is not divisible by {known}")
        for a in group:
            sizes[a] = axes_lengths[a] if a in axes_lengths else n // known
        if int(np.prod([sizes[a] for a in group], dtype=np.int64)) != n:
            raise ValueError(f"rearrange: sizes {[sizes[a] for a in group]} do not make "
                             f"the axis of size {n}")
    names = [a for g in left for a in g]
    out_names = [a for g in right for a in g]
    if sorted(names) != sorted(out_names) or len(set(names)) != len(names):
        raise ValueError(f"rearrange: both sides must name the same axes once each, "
                         f"received {pattern!r}")
    y = _ops.reshape(x, tuple(sizes[a] for a in names))
    y = _ops.permute(y, tuple(names.index(a) for a in out_names))
    return _ops.reshape(y, tuple(int(np.prod([sizes[a] for a in g], dtype=np.int64))
                                 for g in right))


__all__ = sorted(name for name, obj in list(globals().items())
                 if callable(obj) and not name.startswith("_")
                 and getattr(obj, "__module__", None) == __name__)
