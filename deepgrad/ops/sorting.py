"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian,
mode, quantile, nanquantile.

Every differentiable result here is a selection of input elements, so one primitive,
:class:`TakeAlongAxis`, carries all the gradients: each output's gradient goes back to
the index it was taken from (PyTorch's ``value_selecting_reduction_backward``). NaN sorts
as the largest value, as in PyTorch.
"""
from collections import namedtuple

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._promote import wrap
from deepgrad.ops._util import normalize_axis
from deepgrad.ops.elementwise import where
from deepgrad.ops.pointwise import lerp
from deepgrad.ops.shape import stack

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])
NanmedianResult = namedtuple("nanmedian", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class TakeAlongAxis(Function):
    """out = take_along_axis(x, indices, axis).   dL/dx[indices] += g (scatter-add;
    ``unique`` indices along the axis, as a sort's permutation, use a plain scatter)."""

    def forward(self, x, indices=None, axis=0, unique=False):
        self.shape, self.indices, self.axis, self.unique = x.shape, indices, axis, unique
        return np.take_along_axis(x, indices, axis)

    def backward(self, g):
        out = np.zeros(self.shape, g.dtype)
        if self.unique:
            np.put_along_axis(out, self.indices, g, self.axis)
            return out
        idx = np.broadcast_to(self.indices, g.shape)
        full = list(np.indices(idx.shape, sparse=True))
        full[self.axis] = idx
        np.add.at(out, tuple(full), g)
        return out


def take_along_axis(x, indices, axis, unique=False):
    """Differentiable ``np.take_along_axis`` (used by the sorting and scan families)."""
    return TakeAlongAxis.apply(to_tensor(x), indices=indices, axis=axis, unique=unique)


def _order(a, axis, descending):
    """Stable sorting order of ``a`` along ``axis``; NaN counts as the largest value.

    Descending keeps equal elements in their original order: sort the reversed array
    ascending (stable), then reverse the result and map indices back.
    """
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    order = np.flip(np.argsort(np.flip(a, axis), axis=axis, kind="stable"), axis)
    return (n - 1 - order).astype(np.int64)


def _dim(name, x, dim):
    return normalize_axis(dim, x.ndim) if x.ndim else None


def sort(input, dim=-1, descending=False, *, stable=False):
    """Sort along ``dim``; returns (values, indices) with values = input[indices].

    Always stable (equal elements keep their order), which ``stable=False`` allows.
    Gradients flow back through the indices.
    """
    x = to_tensor(input)
    axis = _dim("sort", x, dim)
    if axis is None:
        return SortResult(take_along_axis(x.reshape(1), np.zeros(1, np.int64), 0).reshape(()),
                          wrap(np.zeros((), np.int64)))
    idx = _order(x.array, axis, descending).astype(np.int64, copy=False)
    return SortResult(take_along_axis(x, idx, axis, unique=True), wrap(idx))


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (int64); see :func:`sort`."""
    return sort(input, dim, descending, stable=stable).indices


def msort(input):
    """Sort along the first dim (``sort(input, 0).values``)."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices.

    Results come in sorted order whatever ``sorted`` says (an unsorted order is allowed,
    not required). Gradients flow back through the indices.
    """
    x = to_tensor(input)
    axis = _dim("topk", x, dim)
    n = 1 if axis is None else x.shape[axis]
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range: k={k}, the dim has {n} elements")
    if axis is None:
        idx = np.zeros(k, np.int64)
        return TopkResult(take_along_axis(x.reshape(1), idx, 0).reshape(x.shape if k else (0,)),
                          wrap(idx.reshape(() if k else (0,))))
    idx = _order(x.array, axis, largest)
    idx = np.take(idx, np.arange(k), axis=axis)
    return TopkResult(take_along_axis(x, idx, axis, unique=True), wrap(idx))


def _select(result, x, axis, idx, keepdim):
    """(values, indices) from ``idx`` (size 1 along ``axis``), gradients through the index."""
    values = take_along_axis(x, idx, axis, unique=True)
    if not keepdim:
        values, idx = values.squeeze(axis), np.squeeze(idx, axis)
    return result(values, wrap(idx))


def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest element (k counts from 1) along ``dim`` and its index."""
    x = to_tensor(input)
    axis = _dim("kthvalue", x, dim)
    n = 1 if axis is None else x.shape[axis]
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue: selected number k out of range: k={k}, the dim has "
                           f"{n} elements")
    if axis is None:
        return KthvalueResult(x.clone(), wrap(np.zeros((), np.int64)))
    idx = np.take(_order(x.array, axis, False), [k - 1], axis=axis)
    return _select(KthvalueResult, x, axis, idx, keepdim)


def _median_position(a, axis, ignore_nan):
    """Index into the sorted axis of the lower median (NaNs sort to the end)."""
    if ignore_nan:
        count = np.sum(~np.isnan(a), axis=axis, keepdims=True)
        return np.maximum((count - 1) // 2, 0)
    n = a.shape[axis]
    nans = np.sum(np.isnan(a), axis=axis, keepdims=True) if a.dtype.kind == "f" else 0
    # any NaN makes the median NaN: point at the first NaN (sorted just after the numbers)
    return np.where(nans > 0, n - nans, (n - 1) // 2)


class EvenlyDistribute(Function):
    """A whole-tensor statistic equal to some elements: the gradient is shared equally
    by every element equal to the result (PyTorch's ``evenly_distribute_backward``)."""

    def forward(self, x, value=None):
        self.mask = np.isnan(x) if np.isnan(value) else (x == value)
        return np.asarray(value, x.dtype)

    def backward(self, g):
        return self.mask * (g / np.asarray(max(int(self.mask.sum()), 1), g.dtype))


def _median(name, result, input, dim, keepdim, ignore_nan):
    x = to_tensor(input)
    if dim is None:                             # the whole tensor: one value
        if x.array.size == 0:
            return wrap(np.asarray(np.nan, x.dtype))
        flat = x.array.reshape(-1)
        pos = int(np.reshape(_median_position(flat, 0, ignore_nan), -1)[0])
        return EvenlyDistribute.apply(x, value=flat[_order(flat, 0, False)[pos]])
    axis = _dim(name, x, dim)
    if axis is None:
        return result(x.clone(), wrap(np.zeros((), np.int64)))
    if x.shape[axis] == 0:
        raise IndexError(f"{name}: cannot take the median of an empty dim {dim} (shape {x.shape})")
    order = _order(x.array, axis, False)
    pos = _median_position(x.array, axis, ignore_nan)
    idx = np.take_along_axis(order, np.broadcast_to(pos, _keep_shape(x.shape, axis)), axis)
    return _select(result, x, axis, idx, keepdim)


def _keep_shape(shape, axis):
    return tuple(1 if i == axis else n for i, n in enumerate(shape))


def median(input, dim=None, keepdim=False):
    """The lower median (the smaller middle element for an even count); NaN if any NaN.

    Without ``dim``: one value, its gradient shared by the elements equal to it. With
    ``dim``: (values, indices), the gradient going to the index.
    """
    return _median("median", MedianResult, input, dim, keepdim, ignore_nan=False)


def nanmedian(input, dim=None, keepdim=False):
    """:func:`median` of the non-NaN elements (NaN only where all are NaN)."""
    return _median("nanmedian", NanmedianResult, input, dim, keepdim, ignore_nan=True)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones)
    and the index of its last occurrence; the gradient goes to that index."""
    x = to_tensor(input)
    axis = _dim("mode", x, dim)
    if axis is None:
        return ModeResult(x.clone(), wrap(np.zeros((), np.int64)))
    if x.shape[axis] == 0:
        raise IndexError(f"mode: cannot take the mode of an empty dim {dim} (shape {x.shape})")
    order = _order(x.array, axis, False)
    s = np.take_along_axis(x.array, order, axis)
    pos = np.arange(s.shape[axis]).reshape([-1 if i == axis else 1 for i in range(s.ndim)])
    starts = np.concatenate([np.ones(_keep_shape(s.shape, axis), bool),
                             np.diff(s, axis=axis) != 0], axis=axis)
    run_start = np.maximum.accumulate(np.where(starts, pos, 0), axis=axis)
    count = pos - run_start + 1               # the run length so far; peaks at a run's end
    best = np.expand_dims(np.argmax(count, axis=axis), axis)   # first peak: smallest value
    idx = np.take_along_axis(order, best, axis)                # stable: the last occurrence
    return _select(ModeResult, x, axis, idx, keepdim)


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    x = to_tensor(input)
    if x.array.dtype.kind != "f":
        raise TypeError(f"{name}: input tensor must be either float or double dtype, "
                        f"received {x.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{name}: interpolation must be one of {_INTERPOLATIONS}, "
                         f"received {interpolation!r}")
    if isinstance(q, _fn._Tensor):
        if q.dtype != x.dtype or q.ndim > 1:
            raise TypeError(f"{name}: q must be a scalar or a 1-D tensor of the input's dtype "
                            f"{x.dtype}, received dtype {q.dtype} and shape {q.shape}")
        qs, many = q.array.reshape(-1).astype(np.float64), q.ndim == 1
    else:
        qs, many = np.asarray([q], np.float64), False
    if np.any((qs < 0) | (qs > 1)) or np.any(np.isnan(qs)):
        raise ValueError(f"{name}: q must be in the range [0, 1], received {qs.tolist()}")
    if x.array.size == 0:
        raise IndexError(f"{name}: input tensor must be non-empty, received shape {x.shape}")
    shape = x.shape
    if dim is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = normalize_axis(dim, x.ndim) if x.ndim else None
        if axis is None:
            x, axis = x.reshape(1), 0
    a = x.array
    order = _order(a, axis, False)
    srt = take_along_axis(x, order, axis, unique=True)
    kshape = _keep_shape(a.shape, axis)
    nans = np.sum(np.isnan(a), axis=axis, keepdims=True)
    count = a.shape[axis] - nans if ignore_nan else np.full(kshape, a.shape[axis])
    outs = [_one_quantile(srt, axis, qv, count, nans, interpolation, ignore_nan) for qv in qs]
    outs = [_quantile_shape(o, axis, dim, keepdim, shape) for o in outs]
    return stack(outs, 0) if many else outs[0]


def _one_quantile(srt, axis, qv, count, nans, interpolation, ignore_nan):
    dt = srt.array.dtype                       # ranks in the input's dtype, as PyTorch
    rank = np.asarray(qv, dt) * (count - 1).astype(dt)
    if interpolation == "nearest":
        rank = np.round(rank)                   # halves to even, as PyTorch
    lo_i = np.clip(np.floor(rank), 0, None).astype(np.int64)
    hi_i = np.clip(np.ceil(rank), 0, None).astype(np.int64)
    lo = take_along_axis(srt, lo_i, axis)
    if interpolation in ("lower", "nearest"):
        out = lo
    else:
        hi = take_along_axis(srt, hi_i, axis)
        if interpolation == "higher":
            out = hi
        else:
            w = (np.full(rank.shape, 0.5, dt) if interpolation == "midpoint"
                 else rank - np.floor(rank))
            out = lerp(lo, hi, _fn._Tensor._wrap(np.asarray(w, dt)))
    if not ignore_nan and np.any(nans):        # a NaN anywhere in the slice: the result is NaN
        out = where(_fn._Tensor._wrap(np.broadcast_to(nans > 0, out.shape)), np.nan, out)
    return out


def _quantile_shape(out, axis, dim, keepdim, shape):
    if dim is None:
        return out.reshape((1,) * len(shape) if keepdim else ())
    return out if keepdim else out.squeeze(axis) if len(shape) else out.reshape(())


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles along ``dim`` (all elements by default), q in [0, 1] a number
    or a 1-D tensor (then its dim comes first in the result). With n values sorted,
    rank = q (n - 1) and ``interpolation`` picks between the neighbours:
    'linear' lo + (hi - lo)(rank - floor(rank)), 'lower', 'higher', 'midpoint',
    'nearest' (rank rounded half to even). NaN where a slice holds a NaN.

    Gradients flow to the (one or two) selected elements, with the interpolation weights.
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """:func:`quantile` of the non-NaN elements (NaN only where a slice is all NaN)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)

