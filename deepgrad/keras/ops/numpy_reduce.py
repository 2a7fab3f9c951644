"""``keras.ops`` reductions, scans, sorting and statistics (NumPy's names and arguments).

``axis`` is an int, a tuple/list of ints or None (all axes); ``keepdims`` keeps the
reduced axes with length 1. Keras's rules kept: ``std``/``var`` are population statistics
(``ddof=0``); ``mean``/``std``/``var``/``median``/``quantile`` of integers give ``floatx``;
``median`` averages the two middle values (NumPy's, not PyTorch's lower median);
the ``nan*`` variants ignore NaNs, and a slice of NaNs only gives NaN. Multi-axis forms
move the reduced axes to the end and flatten them, then call the engine's one-axis op.
"""
import builtins

import numpy as np

from deepgrad import ops as _ops
from deepgrad.keras.ops.core import array_of, axis_arg, cast, f, t, wrap


def _axes(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    axis = axis_arg(axis)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(int(a) % builtins.max(x.ndim, 1) for a in axes))


def _flat_last(x, axis):
    """``x`` with the ``axis`` axes flattened into one last axis, and the kept shape."""
    axes = _axes(x, axis)
    rest = [d for d in range(x.ndim) if d not in axes]
    moved = _ops.permute(x, tuple(rest + list(axes))) if x.ndim else x
    kept = tuple(x.shape[d] for d in rest)
    return _ops.reshape(moved, kept + (-1,)), axes


def _keep(out, x, axes, keepdims):
    if not keepdims:
        return out
    return _ops.reshape(out, tuple(1 if d in axes else n for d, n in enumerate(x.shape)))


def _by_last(op, x, axis, keepdims, **kw):
    flat, axes = _flat_last(x, axis)
    return _keep(op(flat, -1, **kw), x, axes, keepdims)


# ---------------------------------------------------------------------- sums and means
def _int_acc(x):
    """Bools and small ints accumulate in int32 (Keras's rule)."""
    if x.dtype == np.bool_ or x.dtype.kind in "iu" and x.dtype.itemsize < 4:
        return cast(x, "int32")
    return x


def _as(out, x):
    return out if out.dtype == x.dtype else cast(out, x.dtype)


def sum(x, axis=None, keepdims=False):     # noqa: A001
    x = _int_acc(t(x))
    return _as(_ops.sum(x, axis_arg(axis), keepdims), x)


def mean(x, axis=None, keepdims=False):
    return _ops.mean(f(x), axis_arg(axis), keepdims)


def average(x, axis=None, weights=None):
    """``sum(x w) / sum(w)`` along ``axis`` (a 1-D ``weights`` runs along ``axis``)."""
    x = f(x)
    if weights is None:
        return mean(x, axis)
    w = cast(weights, x.dtype)
    if axis is not None and w.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[axis] = w.shape[0]
        w = _ops.reshape(w, tuple(shape))
    den = _ops.sum(_ops.broadcast_to(w, x.shape) if w.shape != x.shape else w, axis)
    return _ops.div(_ops.sum(_ops.mul(x, w), axis), den)


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _int_acc(t(x) if dtype is None else cast(x, dtype))
    return _as(_by_last(_ops.prod, x, axis, keepdims), x)


def std(x, axis=None, keepdims=False):
    """Population standard deviation (``ddof=0``), as Keras."""
    return _ops.std(f(x), axis_arg(axis), correction=0, keepdim=keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance (``ddof=0``), as Keras."""
    return _ops.var(f(x), axis_arg(axis), correction=0, keepdim=keepdims)


def max(x, axis=None, keepdims=False, initial=None):     # noqa: A001
    out = _ops.amax(t(x), axis_arg(axis), keepdims)
    return out if initial is None else _ops.maximum(out, cast(initial, out.dtype))


def min(x, axis=None, keepdims=False, initial=None):     # noqa: A001
    out = _ops.amin(t(x), axis_arg(axis), keepdims)
    return out if initial is None else _ops.minimum(out, cast(initial, out.dtype))


def amax(x, axis=None, keepdims=False):
    return _ops.amax(t(x), axis_arg(axis), keepdims)


def amin(x, axis=None, keepdims=False):
    return _ops.amin(t(x), axis_arg(axis), keepdims)


def ptp(x, axis=None, keepdims=False):
    """``max - min`` along ``axis``."""
    return _ops.sub(amax(x, axis, keepdims), amin(x, axis, keepdims))


def all(x, axis=None, keepdims=False):    # noqa: A001
    return _by_last(_ops.all, cast(x, bool), axis, keepdims)


def any(x, axis=None, keepdims=False):    # noqa: A001
    return _by_last(_ops.any, cast(x, bool), axis, keepdims)


def count_nonzero(x, axis=None):
    return cast(sum(_ops.ne(t(x), 0), axis), "int32")


def argmax(x, axis=None, keepdims=False):
    return cast(_ops.argmax(t(x), axis, keepdims), "int32")


def argmin(x, axis=None, keepdims=False):
    return cast(_ops.argmin(t(x), axis, keepdims), "int32")


# ---------------------------------------------------------------------- NaN-ignoring forms
def _zero_nan(x, fill=0.0):
    x = f(x)
    return _ops.where(wrap(np.isnan(x.array)), wrap(np.asarray(fill, x.dtype)), x)


def _nan_count(x, axis, keepdims):
    return sum(wrap(~np.isnan(f(x).array)), axis, keepdims)


def nansum(x, axis=None, keepdims=False):
    return _ops.sum(_zero_nan(x), axis_arg(axis), keepdims)


def nanmean(x, axis=None, keepdims=False):
    s = nansum(x, axis, keepdims)
    return _ops.div(s, cast(_nan_count(x, axis, keepdims), s.dtype))


def nanvar(x, axis=None, keepdims=False):
    x = f(x)
    keep = wrap((~np.isnan(x.array)).astype(x.dtype))
    d = _ops.mul(_ops.sub(_zero_nan(x), nanmean(x, axis, True)), keep)
    return _ops.div(_ops.sum(_ops.square(d), axis_arg(axis), keepdims),
                    cast(_nan_count(x, axis, keepdims), x.dtype))


def nanstd(x, axis=None, keepdims=False):
    return _ops.sqrt(nanvar(x, axis, keepdims))


def nanprod(x, axis=None, keepdims=False):
    return prod(_zero_nan(x, 1.0), axis, keepdims)


def _all_nan(x, axis, keepdims):
    return wrap(np.isnan(f(x).array).all(axis=axis_arg(axis), keepdims=keepdims))


def nanmax(x, axis=None, keepdims=False):
    out = _ops.amax(_zero_nan(x, -np.inf), axis_arg(axis), keepdims)
    return _ops.where(_all_nan(x, axis, keepdims), wrap(np.asarray(np.nan, out.dtype)), out)


def nanmin(x, axis=None, keepdims=False):
    out = _ops.amin(_zero_nan(x, np.inf), axis_arg(axis), keepdims)
    return _ops.where(_all_nan(x, axis, keepdims), wrap(np.asarray(np.nan, out.dtype)), out)


def nanargmax(x, axis=None, keepdims=False):
    return argmax(_zero_nan(x, -np.inf), axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    return argmin(_zero_nan(x, np.inf), axis, keepdims)


def nancumsum(x, axis=None, dtype=None):
    return cumsum(_zero_nan(x), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    return cumprod(_zero_nan(x, 1.0), axis, dtype)


# ---------------------------------------------------------------------- scans
def cumsum(x, axis=None, dtype=None):
    x = _int_acc(t(x) if dtype is None else cast(x, dtype))
    out = _ops.cumsum(_ops.reshape(x, (-1,)), 0) if axis is None else _ops.cumsum(x, axis)
    return _as(out, x)


def cumprod(x, axis=None, dtype=None):
    x = _int_acc(t(x) if dtype is None else cast(x, dtype))
    out = _ops.cumprod(_ops.reshape(x, (-1,)), 0) if axis is None else _ops.cumprod(x, axis)
    return _as(out, x)


def diff(a, n=1, axis=-1):
    return _ops.diff(t(a), n, axis)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The trapezoid rule along ``axis`` (sample points ``x`` or spacing ``dx``)."""
    y = f(y)
    if x is not None:
        return _ops.trapezoid(y, cast(x, y.dtype), dim=axis)
    return _ops.trapezoid(y, dx=dx, dim=axis)


# ---------------------------------------------------------------------- order statistics
_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1], a scalar or 1-D) with NumPy's
    ``method``; a 1-D ``q`` adds a leading axis."""
    if method not in _METHODS:
        raise ValueError(f"quantile: method must be one of {_METHODS}, received {method!r}")
    x = f(x)
    qs = np.asarray(array_of(q), np.float64)
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"quantile: q must be in [0, 1], received {qs.tolist()}")
    flat, axes = _flat_last(x, axis)
    out = _ops.quantile(flat, wrap(qs.astype(x.dtype)), -1, interpolation=method)
    if not keepdims:
        return out
    lead = (qs.size,) if qs.ndim else ()
    return _ops.reshape(out, lead + tuple(1 if d in axes else n for d, n in enumerate(x.shape)))


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` with ``q`` in percent."""
    return quantile(x, np.asarray(array_of(q), np.float64) / 100.0, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    """The median (the mean of the two middle values for an even count, as NumPy)."""
    return quantile(x, 0.5, axis, "linear", keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    if method not in _METHODS:
        raise ValueError(f"nanquantile: method must be one of {_METHODS}, received {method!r}")
    x = f(x)
    qs = np.asarray(array_of(q), np.float64)
    flat, axes = _flat_last(x, axis)
    out = _ops.nanquantile(flat, wrap(qs.astype(x.dtype)), -1, interpolation=method)
    if not keepdims:
        return out
    lead = (qs.size,) if qs.ndim else ()
    return _ops.reshape(out, lead + tuple(1 if d in axes else n for d, n in enumerate(x.shape)))


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return nanquantile(x, np.asarray(array_of(q), np.float64) / 100.0, axis, method, keepdims)


def nanmedian(x, axis=None, keepdims=False):
    return nanquantile(x, 0.5, axis, "linear", keepdims)


def sort(x, axis=-1):
    x = t(x)
    if axis is None:
        return _ops.sort(_ops.reshape(x, (-1,)), 0, stable=True)[0]
    return _ops.sort(x, axis, stable=True)[0]


def argsort(x, axis=-1):
    x = t(x)
    if axis is None:
        x, axis = _ops.reshape(x, (-1,)), 0
    return cast(_ops.argsort(x, axis, stable=True), "int32")


def argpartition(x, kth, axis=-1):
    """Indices that put the ``kth`` entry in its sorted place, smaller ones before it
    (a full stable argsort satisfies this; the order within each side may differ from
    NumPy's introselect)."""
    return argsort(x, axis)


def searchsorted(sorted_sequence, values, side="left"):
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', received {side!r}")
    seq = t(sorted_sequence)
    if seq.ndim != 1:
        raise ValueError(f"searchsorted: sorted_sequence must be 1-D, received shape "
                         f"{tuple(seq.shape)}")
    return wrap(np.searchsorted(seq.array, array_of(values), side=side).astype(np.int32))


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts of each non-negative int (weighted sums with ``weights``); a 2-D ``x``
    counts each row."""
    if sparse:
        raise ValueError("bincount: sparse=True is not supported by deepgrad")
    x = np.asarray(array_of(x)).astype(np.int64)
    if x.ndim == 1:
        return _ops.bincount(wrap(x), None if weights is None else t(weights), minlength)
    length = builtins.max(int(x.max(initial=-1)) + 1, minlength)
    rows = [_ops.bincount(wrap(r), None if weights is None else t(weights)[i], length)
            for i, r in enumerate(x)]
    return _ops.stack(rows, 0)


def histogram(x, bins=10, range=None):     # noqa: A002  (Keras's name)
    """``(counts, bin_edges)`` of a 1-D ``x`` (NumPy's ``histogram``)."""
    counts, edges = np.histogram(array_of(x), bins=bins, range=range)
    xd = t(x).dtype
    return wrap(counts.astype(np.int32)), wrap(edges.astype(xd if xd.kind == "f" else
                                                            np.float32))


def unique(x, sorted=True, return_index=False, return_inverse=False,   # noqa: A002
           return_counts=False, axis=None, size=None, fill_value=None):
    """NumPy's ``unique``; ``size`` pads (with ``fill_value``, default the minimum) or
    truncates the values to a fixed length."""
    out = np.unique(array_of(x), return_index=return_index, return_inverse=return_inverse,
                    return_counts=return_counts, axis=axis)
    out = list(out) if isinstance(out, tuple) else [out]
    if size is not None:
        vals = out[0]
        fill = vals.min() if fill_value is None and vals.size else (fill_value or 0)
        out[0] = np.concatenate([vals[:size], np.full(builtins.max(size - len(vals), 0),
                                                      fill, vals.dtype)])
    res = [wrap(out[0])] + [wrap(o.astype(np.int32)) for o in out[1:]]
    return res[0] if len(res) == 1 else tuple(res)


def nonzero(x):
    """A tuple of int32 index arrays, one per axis."""
    return tuple(wrap(i.astype(np.int32)) for i in np.nonzero(array_of(x)))


def correlate(x1, x2, mode="valid"):
    """NumPy's 1-D cross-correlation ``c[k] = sum_n x1[n + k] x2[n]`` (differentiable:
    a 1-D convolution of the engine)."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', received "
                         f"{mode!r}")
    a, b = t(x1), t(x2)
    dtype = np.result_type(a.dtype, b.dtype, np.float32)
    a, b = cast(a, dtype), cast(b, dtype)
    swap = b.shape[0] > a.shape[0]
    if swap:
        a, b = b, a
    n, m = a.shape[0], b.shape[0]
    pad = {"valid": (0, 0), "full": (m - 1, m - 1), "same": (m // 2, m - 1 - m // 2)}[mode]
    if mode == "same" and swap:
        pad = (m - 1 - m // 2, m // 2)
    y = _ops.conv1d(_ops.reshape(a, (1, 1, n)), _ops.reshape(b, (1, 1, m)))
    y = _ops.reshape(y, (-1,))
    if pad != (0, 0):
        y = _ops.conv1d(_ops.pad(_ops.reshape(a, (1, 1, n)), pad), _ops.reshape(b, (1, 1, m)))
        y = _ops.reshape(y, (-1,))
    return _ops.flip(y, (0,)) if swap else y


__all__ = sorted(name for name, obj in list(globals().items())
                 if callable(obj) and not name.startswith("_")
                 and getattr(obj, "__module__", None) == __name__)
