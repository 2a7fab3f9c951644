"""``keras.ops`` core: conversion, dtypes, eager control flow, slices and scatters.

Keras's dtype rules, in the cheap form deepgrad keeps (Keras's ``result_type``):

    Python numbers are weak: ``int32_tensor + 1.5`` is ``floatx``, ``float16 + 1.0`` stays
    float16; a Python float alone is ``floatx``, a Python int ``int32``;
    among tensors: floats win over ints (``int64 + float16`` is float16), otherwise NumPy's
    promotion (``float32 + float64`` is float64, ``int8 + uint8`` is int16).

The control-flow ops (``cond``, ``while_loop``, ``fori_loop``, ``scan``, ``map``,
``switch``, ``vectorized_map``, ``associative_scan``) run eagerly as Python loops: the
engine records every step, so gradients flow through them.
"""
import builtins

import numpy as np

from deepgrad import ops as _ops
from deepgrad.autograd import no_grad
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import backend


# ---------------------------------------------------------------------- helpers
def t(x):
    """A Tensor; arrays keep their dtype, Python floats become ``floatx`` and Python ints
    int32 (Keras's ``convert_to_tensor``)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return to_tensor(np.asarray(x))
    if hasattr(x, "numpy") and not isinstance(x, (list, tuple)):        # a Variable
        value = getattr(x, "value", None)
        if isinstance(value, Tensor):
            return value
    a = np.asarray(x)
    if a.dtype == np.float64:
        a = a.astype(backend.floatx())
    elif a.dtype == np.int64:
        a = a.astype(np.int32)
    return to_tensor(a)


def f(x):
    """A float Tensor: ints and bools become ``floatx`` (Keras's rule for float-valued
    ops such as ``sqrt``, ``exp``, ``mean``)."""
    x = t(x)
    return x if x.dtype.kind == "f" else _ops.cast(x, np.dtype(backend.floatx()))


def axis_arg(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def dtype_arg(dtype):
    return np.dtype(backend.floatx() if dtype is None else standardize(dtype))


def standardize(dtype):
    """A NumPy dtype from Keras's names ('float32', 'int64', 'bool', a NumPy type)."""
    if hasattr(dtype, "name") and not isinstance(dtype, np.dtype) and \
            not isinstance(dtype, type):
        dtype = dtype.name
    return np.dtype(dtype)


def _weak_kind(x):
    if isinstance(x, builtins.bool):
        return "b"
    if isinstance(x, int):
        return "i"
    if isinstance(x, float):
        return "f"
    return None


def result_type(*xs):
    """The dtype Keras gives an op over ``xs`` (see the module docstring)."""
    strong = [np.dtype(x.dtype) for x in xs if hasattr(x, "dtype")]
    weak = [k for k in (_weak_kind(x) for x in xs if not hasattr(x, "dtype")) if k]
    if not strong:
        if "f" in weak:
            return np.dtype(backend.floatx())
        return np.dtype("int32") if "i" in weak else np.dtype(bool)
    floats = [d for d in strong if d.kind == "f"]
    out = floats[0] if floats else strong[0]
    for d in (floats or strong)[1:]:
        out = np.promote_types(out, d)
    if out.kind in "biu" and "f" in weak:
        return np.dtype(backend.floatx())
    if out.kind == "b" and "i" in weak:
        return np.dtype("int32")
    return out


def pair(x1, x2):
    """Both operands as Tensors of Keras's result dtype."""
    dtype = result_type(x1, x2)
    a, b = t(x1), t(x2)
    a = a if a.dtype == dtype else _ops.cast(a, dtype)
    b = b if b.dtype == dtype else _ops.cast(b, dtype)
    return a, b


def float_pair(x1, x2):
    a, b = pair(x1, x2)
    if a.dtype.kind != "f":
        floatx = np.dtype(backend.floatx())
        a, b = _ops.cast(a, floatx), _ops.cast(b, floatx)
    return a, b


def wrap(array):
    return Tensor._wrap(np.asarray(array))


def array_of(x):
    return t(x).array


# ---------------------------------------------------------------------- conversion
def shape(x):
    """The shape as a tuple of ints."""
    return tuple(t(x).shape)


def ndim(x):
    return t(x).ndim


def size(x):
    return int(np.prod(t(x).shape, dtype=np.int64))


def dtype(x):
    """The dtype's name ('float32')."""
    return np.dtype(t(x).dtype).name


def cast(x, dtype):
    x = t(x)
    dtype = standardize(dtype)
    return x if x.dtype == dtype else _ops.cast(x, dtype)


def saturate_cast(x, dtype):
    """``cast`` after clipping to the target dtype's range (no wrap-around)."""
    x, dtype = t(x), standardize(dtype)
    if dtype.kind in "iu" and x.dtype.kind in "fiu":
        info = np.iinfo(dtype)
        lo, hi = builtins.max(info.min, _min_of(x.dtype)), builtins.min(info.max,
                                                                         _max_of(x.dtype))
        x = _ops.clip(x, lo, hi)
    elif dtype.kind == "f" and x.dtype.kind == "f" and dtype.itemsize < x.dtype.itemsize:
        info = np.finfo(dtype)
        x = _ops.clip(x, float(info.min), float(info.max))
    return cast(x, dtype)


def _min_of(dtype):
    return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf


def _max_of(dtype):
    return np.iinfo(dtype).max if dtype.kind in "iu" else np.inf


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A Tensor (a Tensor of the right dtype passes through)."""
    if sparse or ragged:
        raise ValueError("convert_to_tensor: sparse and ragged tensors are not supported "
                         "by deepgrad (dense tensors only)")
    x = t(x)
    return x if dtype is None else cast(x, dtype)


def convert_to_numpy(x):
    return t(x).array.copy()


def is_tensor(x):
    return isinstance(x, Tensor)


def stop_gradient(variable):
    """The value without its history: no gradient flows back through it."""
    return t(variable).detach()


def custom_gradient(fn):
    """Keras's ``custom_gradient``: ``fn(*args)`` returns ``(y, grad_fn)`` and
    ``grad_fn(*upstream)`` (or ``grad_fn(*upstream, variables=...)``) returns the gradients
    of the inputs. Backward calls ``grad_fn`` on the upstream gradient."""
    def wrapper(*args):
        inputs = [t(a) for a in args]
        return _CustomGradient.apply(*inputs, fn=fn)
    return wrapper


class _CustomGradient(Function):
    """The node of a :func:`custom_gradient` function: forward runs ``fn`` without
    recording, backward is the user's ``grad_fn``."""

    def forward(self, *arrays, fn=None):
        with no_grad():
            y, self.grad_fn = fn(*[Tensor._wrap(a) for a in arrays])
        return t(y).array

    def backward(self, g):
        grads = self.grad_fn(Tensor._wrap(g))
        grads = grads if isinstance(grads, (list, tuple)) else (grads,)
        arrays = tuple(None if d is None else t(d).array for d in grads)
        return arrays if len(arrays) > 1 else arrays[0]


# ---------------------------------------------------------------------- control flow
def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (eager)."""
    return true_fn() if builtins.bool(np.asarray(array_of(pred))) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, the index clamped to the valid range as Keras."""
    i = int(np.clip(int(np.asarray(array_of(index))), 0, len(branches) - 1))
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (eager); a single
    tensor (not a tuple/list) is passed and returned as is."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    n = 0
    while (maximum_iterations is None or n < maximum_iterations) and \
            builtins.bool(np.asarray(array_of(cond(*state)))):
        out = body(*state)
        state = (out,) if single else tuple(out)
        n += 1
    return state[0] if single else (list(state) if isinstance(loop_vars, list) else state)


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""
    val = init_val
    for i in builtins.range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _leaves(x):
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _leaves(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _leaves(x[k])]
    return [x]


def _rebuild(template, leaves):
    it = iter(leaves)

    def build(tpl):
        if isinstance(tpl, (list, tuple)):
            return type(tpl)(build(i) for i in tpl)
        if isinstance(tpl, dict):
            return {k: build(tpl[k]) for k in sorted(tpl)}
        return next(it)
    return build(template)


def _stack_results(results):
    leaves = [_leaves(r) for r in results]
    stacked = []
    for j in builtins.range(len(leaves[0])):
        column = [t(row[j]) for row in leaves]
        dtype = result_type(*column)
        stacked.append(_ops.stack([cast(c, dtype) for c in column], 0))
    return _rebuild(results[0], stacked)


def _slices(xs, i):
    return _rebuild(xs, [t(leaf)[i] for leaf in _leaves(xs)])


def map(f, xs):        # noqa: A001  (Keras's name)
    """``stack([f(x) for x in xs])`` along the leading axis (nested structures allowed)."""
    n = t(_leaves(xs)[0]).shape[0]
    return _stack_results([f(_slices(xs, i)) for i in builtins.range(n)])


def vectorized_map(function, elements):
    """``map`` by another name (deepgrad has no vectorizing compiler)."""
    return map(function, elements)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns the last carry
    and the stacked ``y``s (``unroll`` is accepted: eager loops are never compiled)."""
    if xs is None and length is None:
        raise ValueError("scan: give `xs` or `length`")
    n = t(_leaves(xs)[0]).shape[0] if xs is not None else int(length)
    order = builtins.range(n - 1, -1, -1) if reverse else builtins.range(n)
    carry, ys = init, [None] * n
    for i in order:
        carry, ys[i] = f(carry, None if xs is None else _slices(xs, i))
    return carry, (None if n == 0 or ys[0] is None else _stack_results(ys))


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive prefix combination ``out[i] = f(out[i-1], elems[i])`` along ``axis``
    (sequentially, which gives the same values for an associative ``f``)."""
    leaves = [t(leaf) for leaf in _leaves(elems)]
    n = leaves[0].shape[axis]
    parts = [[_ops.select(leaf, axis, i) for leaf in leaves] for i in builtins.range(n)]
    if reverse:
        parts = parts[::-1]
    outs = [parts[0]]
    for p in parts[1:]:
        outs.append(_leaves(f(_rebuild(elems, outs[-1]), _rebuild(elems, p))))
    if reverse:
        outs = outs[::-1]
    return _rebuild(elems, [_ops.stack([o[j] for o in outs], axis)
                            for j in builtins.range(len(leaves))])


# ---------------------------------------------------------------------- slices, scatters
def unstack(x, num=None, axis=0):
    x = t(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"unstack: num={num} does not match the axis size {x.shape[axis]}")
    return list(_ops.unbind(x, axis))


def get_item(x, key):
    key = tuple(array_of(k) if isinstance(k, Tensor) else k for k in key) \
        if isinstance(key, tuple) else (array_of(key) if isinstance(key, Tensor) else key)
    return _ops.getitem(t(x), key)


def slice(inputs, start_indices, shape):     # noqa: A001  (Keras's name)
    """``inputs[start:start + shape]`` on every axis."""
    starts = [int(s) for s in np.asarray(array_of(start_indices)).reshape(-1)]
    return _ops.getitem(t(inputs), tuple(builtins.slice(s, s + int(n))
                                         for s, n in zip(starts, shape)))


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``
    (differentiable in both)."""
    x, u = t(inputs), t(updates)
    starts = [int(s) for s in np.asarray(array_of(start_indices)).reshape(-1)]
    index = tuple(builtins.slice(s, s + n) for s, n in zip(starts, u.shape))
    mask = np.zeros(x.shape, bool)
    mask[index] = True
    pads = []
    for s, n, total in reversed(list(zip(starts, u.shape, x.shape))):
        pads += [s, total - s - n]
    placed = _ops.pad(cast(u, x.dtype), tuple(pads)) if pads else cast(u, x.dtype)
    return _ops.where(wrap(mask), placed, x)


def scatter(indices, values, shape):
    """Zeros of ``shape`` with ``values`` added at ``indices`` (rows of coordinates;
    repeated coordinates accumulate)."""
    values = t(values)
    idx = np.asarray(array_of(indices)).astype(np.int64)
    zeros = wrap(np.zeros(tuple(shape), values.dtype))
    return _ops.index_put(zeros, tuple(idx[..., k] for k in builtins.range(idx.shape[-1])),
                          values, accumulate=True)


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with the entries at ``indices`` set to ``updates`` (``reduction``
    'add'/None; other reductions are refused)."""
    if reduction not in (None, "add"):
        raise ValueError(f"scatter_update: reduction must be None or 'add' in deepgrad, "
                         f"received {reduction!r}")
    x = t(inputs)
    idx = np.asarray(array_of(indices)).astype(np.int64)
    coords = tuple(idx[..., k] for k in builtins.range(idx.shape[-1]))
    return _ops.index_put(x, coords, cast(updates, x.dtype), accumulate=reduction == "add")


__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
    "custom_gradient", "dtype", "fori_loop", "get_item", "is_tensor", "map", "ndim",
    "saturate_cast", "scan", "scatter", "scatter_update", "shape", "size", "slice",
    "slice_update", "stop_gradient", "switch", "unstack", "vectorized_map", "while_loop"]
