"""Searching and counting: unique, unique_consecutive, searchsorted, bucketize, histc,
histogram, histogramdd, bincount.

None of these is differentiable (their results are indices, counts or values picked by
equality); each returns tensors outside the graph.
"""
from collections import namedtuple

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops._promote import check_float, check_kind, wrap
from deepgrad.ops._util import normalize_axis

HistogramResult = namedtuple("histogram", ["hist", "bin_edges"])
HistogramddResult = namedtuple("histogramdd", ["hist", "bin_edges"])
builtins_range = range          # ``range`` is an argument name of the histogram functions


def _unique_outputs(values, inverse, counts, return_inverse, return_counts):
    out = [wrap(values)]
    if return_inverse:
        out.append(wrap(inverse.astype(np.int64)))
    if return_counts:
        out.append(wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (``dim=None``, flattened) or distinct slices along ``dim``.

    Returns the unique values, plus the inverse indices (input = values[inverse], the
    input's shape when ``dim`` is None) and the counts when asked. The values always come
    sorted ascending, which ``sorted=False`` permits. NaNs are never equal to each other.
    """
    x = to_tensor(input)
    a = x.array
    if dim is None:
        flat = a.reshape(-1)
        vals, inv, cnt = np.unique(flat, return_inverse=True, return_counts=True,
                                   equal_nan=False)
        return _unique_outputs(vals, inv.reshape(a.shape), cnt, return_inverse, return_counts)
    axis = normalize_axis(dim, a.ndim)
    vals, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
    return _unique_outputs(vals, inv.reshape(-1), cnt, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive elements (or slices along ``dim``) to one.

    Returns the values, plus inverse indices and run lengths when asked.
    """
    x = to_tensor(input)
    a = x.array
    if dim is None:
        flat = a.reshape(-1)
        starts = np.ones(flat.shape, bool)
        starts[1:] = flat[1:] != flat[:-1]
        vals, shape = flat[starts], a.shape
    else:
        axis = normalize_axis(dim, a.ndim)
        moved = np.moveaxis(a, axis, 0).reshape(a.shape[axis], -1)
        starts = np.ones(a.shape[axis], bool)
        starts[1:] = np.any(moved[1:] != moved[:-1], axis=1)
        vals, shape = np.compress(starts, a, axis=axis), (a.shape[axis],)
    inverse = (np.cumsum(starts) - 1).reshape(shape)
    counts = np.diff(np.append(np.flatnonzero(starts), starts.size))
    return _unique_outputs(vals, inverse, counts, return_inverse, return_counts)


def _index_dtype(out_int32):
    return np.int32 if out_int32 else np.int64


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Indices where ``input`` would be inserted into ``sorted_sequence`` (sorted along
    its last dim) to keep it sorted: the first such place (``side='left'``) or the last
    (``right=True`` / ``side='right'``). An N-D sequence searches each row with the
    matching row of ``input``; ``sorter`` gives the indices that sort the sequence.
    """
    if side not in (None, "left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', received {side!r}")
    if right and side == "left":
        raise ValueError(f"searchsorted: side and right can't be set to opposites, received "
                         f"side={side!r} with right=True")
    side = side or ("right" if right else "left")
    seq = to_tensor(sorted_sequence).array
    scalar = not isinstance(input, _fn._Tensor)
    values = np.asarray(input.array if not scalar else input)
    srt = None if sorter is None else to_tensor(sorter).array
    if srt is not None and srt.shape != seq.shape:
        raise ValueError(f"searchsorted: sorter must have the sequence's shape {seq.shape}, "
                         f"received {srt.shape}")
    dtype = _index_dtype(out_int32)
    if seq.ndim <= 1:
        return wrap(np.searchsorted(seq.reshape(-1), values, side=side, sorter=srt).astype(dtype))
    if values.ndim != seq.ndim or values.shape[:-1] != seq.shape[:-1]:
        raise ValueError(f"searchsorted: the boundaries' leading dims {seq.shape[:-1]} must "
                         f"match the input's {values.shape[:-1]} (received shapes {seq.shape} "
                         f"and {values.shape})")
    rows, vals = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
    srows = None if srt is None else srt.reshape(rows.shape)
    out = np.stack([np.searchsorted(r, v, side=side, sorter=None if srows is None else srows[i])
                    for i, (r, v) in enumerate(zip(rows, vals))]) if rows.shape[0] else \
        np.zeros(vals.shape, np.int64)
    return wrap(out.reshape(values.shape).astype(dtype))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each element for the 1-D sorted ``boundaries``: the index i with
    boundaries[i-1] < x <= boundaries[i] (``right=False``) or
    boundaries[i-1] <= x < boundaries[i] (``right=True``)."""
    b = to_tensor(boundaries)
    if b.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be a 1-D tensor, received shape {b.shape}")
    scalar = not isinstance(input, _fn._Tensor)
    values = np.asarray(input if scalar else input.array)
    side = "right" if right else "left"
    return wrap(np.searchsorted(b.array, values, side=side).astype(_index_dtype(out_int32)))


def _bin_index(a, edges):
    """The bin of each value for sorted ``edges``, the last bin closed on the right;
    -1 outside [edges[0], edges[-1]]."""
    idx = np.searchsorted(edges, a, side="right") - 1
    idx = np.where(a == edges[-1], len(edges) - 2, idx)
    return np.where((a < edges[0]) | (a > edges[-1]) | np.isnan(a), -1, idx)


def histc(input, bins=100, min=0, max=0):
    """Histogram with ``bins`` equal bins on [min, max] (the data's range when min = max;
    widened by 1 on each side if still equal). Values outside are ignored; the last bin
    includes max. Returns counts in the input's floating dtype."""
    x = to_tensor(input)
    check_float("histc", x)
    if bins <= 0:
        raise ValueError(f"histc: bins must be > 0, received {bins}")
    lo, hi = float(min), float(max)
    if hi < lo:
        raise ValueError(f"histc: max must be larger than min, received min={min}, max={max}")
    a = x.array.reshape(-1)
    if lo == hi and a.size:
        finite = a[np.isfinite(a)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (lo, hi)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    dt = x.array.dtype
    with np.errstate(invalid="ignore"):
        pos = np.floor((a - dt.type(lo)) * dt.type(bins) / (dt.type(hi) - dt.type(lo)))
    pos = np.where(a == dt.type(hi), bins - 1, pos)
    keep = (a >= lo) & (a <= hi)
    counts = np.bincount(pos[keep].astype(np.int64), minlength=bins)[:bins]
    return wrap(counts.astype(dt))


def _edges(name, column, bins, span, dt):
    """Bin edges for one dimension: the given 1-D tensor, or ``bins`` equal bins over
    ``span`` (default the data's min and max, widened by 0.5 each side when equal)."""
    if isinstance(bins, _fn._Tensor):
        edges = bins.array.astype(dt)
        if edges.ndim != 1 or edges.size < 2:
            raise ValueError(f"{name}: bin edges must be a 1-D tensor of at least 2 values, "
                             f"received shape {bins.shape}")
        if np.any(np.diff(edges) < 0):
            raise ValueError(f"{name}: bin edges must be non-decreasing")
        return edges
    if int(bins) <= 0:
        raise ValueError(f"{name}: bins must be > 0, received {bins}")
    if span is not None:
        lo, hi = float(span[0]), float(span[1])
    else:
        lo, hi = (float(column.min()), float(column.max())) if column.size else (0.0, 0.0)
    if hi < lo:
        raise ValueError(f"{name}: range must have min <= max, received ({lo}, {hi})")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, int(bins) + 1, dtype=dt)


def _weights(name, weight, shape):
    if weight is None:
        return None
    w = to_tensor(weight).array
    if w.shape != shape:
        raise ValueError(f"{name}: weight must have shape {shape}, received {w.shape}")
    return w


def _density(hist, widths):
    """hist / (total * bin volume)."""
    total = hist.sum()
    return hist / (total * widths) if total else hist


def histogram(input, bins, *, range=None, weight=None, density=False):
    """Histogram of ``input``: ``bins`` equal bins over ``range`` (default the data's
    min and max, widened by 0.5 each side when equal), or the edges given by a 1-D
    tensor ``bins``. Each bin is [e_i, e_{i+1}), the last one closed. ``weight`` weighs
    each element; ``density`` divides by the total and by the bin widths.

    Returns the named tuple (hist, bin_edges), both in the input's floating dtype.
    """
    x = to_tensor(input)
    check_float("histogram", x)
    a, dt = x.array.reshape(-1), x.array.dtype
    edges = _edges("histogram", a, bins, range, dt)
    w = _weights("histogram", weight, x.shape)
    idx = _bin_index(a, edges)
    keep = idx >= 0
    hist = np.bincount(idx[keep], weights=None if w is None else w.reshape(-1)[keep],
                       minlength=edges.size - 1).astype(dt)
    if density:
        hist = _density(hist, np.diff(edges))
    return HistogramResult(wrap(hist.astype(dt)), wrap(edges))


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """D-dimensional histogram of the points in the last dim of ``input`` (shape (..., D)).

    ``bins``: one int for every dim, a list of D ints, or a list of D 1-D edge tensors;
    ``range``: a flat list (min_0, max_0, ..., min_{D-1}, max_{D-1}). Bins follow
    :func:`histogram` in each dim. Returns (hist, bin_edges) with hist of shape
    (bins_0, ..., bins_{D-1}) and bin_edges a tuple of D tensors.
    """
    x = to_tensor(input)
    check_float("histogramdd", x)
    if x.ndim < 1:
        raise ValueError("histogramdd: input must have at least 1 dimension (the points' "
                         "coordinates)")
    d, dt = x.shape[-1], x.array.dtype
    pts = x.array.reshape(-1, d)
    per_dim = list(bins) if isinstance(bins, (list, tuple)) else [bins] * d
    if len(per_dim) != d:
        raise ValueError(f"histogramdd: expected {d} bin specifications (one per dim), "
                         f"received {len(per_dim)}")
    if range is not None and len(range) != 2 * d:
        raise ValueError(f"histogramdd: range must hold 2 * {d} numbers, received {len(range)}")
    spans = [None if range is None else range[2 * k:2 * k + 2] for k in builtins_range(d)]
    edges = [_edges("histogramdd", pts[:, k], per_dim[k], spans[k], dt) for k in builtins_range(d)]
    w = _weights("histogramdd", weight, x.shape[:-1])
    idx = np.stack([_bin_index(pts[:, k], edges[k]) for k in builtins_range(d)], axis=-1)
    keep = np.all(idx >= 0, axis=-1)
    shape = tuple(e.size - 1 for e in edges)
    flat = np.ravel_multi_index(tuple(idx[keep].T), shape) if d else np.zeros(0, np.int64)
    hist = np.bincount(flat, weights=None if w is None else w.reshape(-1)[keep],
                       minlength=int(np.prod(shape))).reshape(shape).astype(dt)
    if density:
        volume = np.ones(shape, dt)
        for k, e in enumerate(edges):
            volume = volume * np.diff(e).reshape([-1 if i == k else 1 for i in builtins_range(d)])
        hist = _density(hist, volume)
    return HistogramddResult(wrap(hist.astype(dt)), tuple(wrap(e) for e in edges))


def bincount(input, weights=None, minlength=0):
    """Count the occurrences of each value in a 1-D non-negative integer tensor (the
    result has length max(input) + 1, at least ``minlength``); with ``weights``, sum the
    weights instead (result in the weights' float dtype, float64 for integer weights)."""
    x = to_tensor(input)
    check_kind("bincount", x, "iub", "a 1-D tensor of non-negative integers")
    a = x.array
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise ValueError(f"bincount: only supports 1-d non-negative integral inputs, received "
                         f"shape {a.shape}" + (f" with minimum {a.min()}" if a.size else ""))
    if minlength < 0:
        raise ValueError(f"bincount: minlength must be non-negative, received {minlength}")
    if weights is None:
        return wrap(np.bincount(a, minlength=minlength).astype(np.int64))
    w = to_tensor(weights).array
    if w.shape != a.shape:
        raise ValueError(f"bincount: weights must have the input's shape {a.shape}, "
                         f"received {w.shape}")
    out_dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return wrap(np.bincount(a, weights=w, minlength=minlength).astype(out_dtype))
