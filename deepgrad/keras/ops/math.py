"""``keras.ops.math``: segment reductions, top-k, framing, log-determinants.

Thin calls of the engine's ops: ``segment_*`` are ``index_add``/``index_reduce`` into
``num_segments`` rows (differentiable in ``data``); an empty segment gives 0 for
``segment_sum``, and the dtype's lowest/highest value for ``segment_max``/``segment_min``
(TensorFlow's rule); ``top_k`` is the engine's ``topk``; ``extract_sequences`` frames the
last axis with ``sequence_length``-long windows every ``sequence_stride`` entries.
"""
import numpy as np

from deepgrad import ops as _ops
from deepgrad.keras.ops.core import array_of, f, t, wrap


def _segments(data, segment_ids, num_segments):
    data = t(data)
    ids = np.asarray(array_of(segment_ids)).astype(np.int64)
    if ids.ndim != 1 or ids.shape[0] != data.shape[0]:
        raise ValueError(f"segment ops: segment_ids must be 1-D with one id per row of data, "
                         f"received shape {ids.shape} for data of shape {tuple(data.shape)}")
    n = int(ids.max(initial=-1)) + 1 if num_segments is None else int(num_segments)
    keep = (ids >= 0) & (ids < n)                    # out-of-range ids are dropped
    if not keep.all():
        data = _ops.getitem(data, wrap(np.nonzero(keep)[0]))
        ids = ids[keep]
    return data, wrap(ids), n


def segment_sum(data, segment_ids, num_segments=None, sorted=False):    # noqa: A002
    data, ids, n = _segments(data, segment_ids, num_segments)
    zeros = wrap(np.zeros((n,) + tuple(data.shape[1:]), data.dtype))
    return _ops.index_add(zeros, 0, ids, data)


def _segment_reduce(data, segment_ids, num_segments, reduce, empty):
    data, ids, n = _segments(data, segment_ids, num_segments)
    base = wrap(np.full((n,) + tuple(data.shape[1:]), empty, data.dtype))
    return _ops.index_reduce(base, 0, ids, data, reduce, include_self=False)


def _lowest(dtype):
    return np.finfo(dtype).min if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.finfo(dtype).max if dtype.kind == "f" else np.iinfo(dtype).max


def segment_max(data, segment_ids, num_segments=None, sorted=False):    # noqa: A002
    return _segment_reduce(data, segment_ids, num_segments, "amax", _lowest(t(data).dtype))


def segment_min(data, segment_ids, num_segments=None, sorted=False):    # noqa: A002
    return _segment_reduce(data, segment_ids, num_segments, "amin", _highest(t(data).dtype))


def segment_prod(data, segment_ids, num_segments=None, sorted=False):   # noqa: A002
    return _segment_reduce(data, segment_ids, num_segments, "prod", 1)


def top_k(x, k, sorted=True):     # noqa: A002
    """``(values, indices)`` of the ``k`` largest entries along the last axis."""
    values, indices = _ops.topk(t(x), int(k), -1, True, True)
    return values, _ops.cast(indices, np.dtype("int32"))


def in_top_k(targets, predictions, k):
    """Whether each row's target class is among its ``k`` largest predictions (ties
    counted in the target's favour, as TensorFlow)."""
    p = np.asarray(array_of(predictions))
    target = np.asarray(array_of(targets)).astype(np.int64)
    score = np.take_along_axis(p, target[:, None], 1)
    return wrap((p > score).sum(1) < k)


def logsumexp(x, axis=None, keepdims=False):
    return _ops.logsumexp(f(x), tuple(axis) if isinstance(axis, list) else axis, keepdims)


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of the last axis: (..., n) -> (..., 1 + (n - L) // s, L)."""
    x = t(x)
    n, L, s = x.shape[-1], int(sequence_length), int(sequence_stride)
    if L > n:
        raise ValueError(f"extract_sequences: sequence_length {L} exceeds the axis length {n}")
    starts = np.arange(0, n - L + 1, s)
    idx = starts[:, None] + np.arange(L)
    return _ops.getitem(x, (Ellipsis, wrap(idx)))


def logdet(x):
    """``log det(x)`` of positive-definite matrices (the engine's ``logdet``)."""
    return _ops.logdet(f(x))


def erf(x):
    return _ops.erf(f(x))


def erfinv(x):
    return _ops.erfinv(f(x))


def rsqrt(x):
    return _ops.rsqrt(f(x))


__all__ = sorted(name for name, obj in list(globals().items())
                 if callable(obj) and not name.startswith("_")
                 and getattr(obj, "__module__", None) == __name__)


def cdist(x, y):
    """Pairwise Euclidean distances ``||x_i - y_j||`` of the rows of ``x`` and ``y``."""
    a, b = f(x), f(y)
    return _ops.cdist(a, _ops.cast(b, a.dtype) if b.dtype != a.dtype else b)


__all__ = sorted(set(__all__) | {"cdist"})
