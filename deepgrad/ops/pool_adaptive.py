"""Adaptive pooling (PyTorch's ``adaptive_{avg,max}_pool{1,2,3}d``): the input's length n
along each pooled axis is cut into m bins, bin i = [floor(i n / m), ceil((i + 1) n / m));

    avg: y[i] = mean of bin i     as a matrix A (m, n) applied along the axis, dL/dx = A^T g
    max: y[i] = max of bin i      dL/dx: g added at each bin's (first) argmax

Split from :mod:`deepgrad.ops.pool`, whose argument checks and index helpers it uses.
"""
import math

import numpy as np

from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops.pool import _rank, _spatial, _with_indices, scatter_plane


def _bins(n_in, n_out):
    starts = [math.floor(i * n_in / n_out) for i in range(n_out)]
    ends = [math.ceil((i + 1) * n_in / n_out) for i in range(n_out)]
    return starts, ends


def _avg_matrix(n_in, n_out, dtype):
    a = np.zeros((n_out, n_in), dtype)
    for i, (s, e) in enumerate(zip(*_bins(n_in, n_out))):
        a[i, s:e] = 1.0 / (e - s)
    return a


def _along(y, a, axis):
    """Apply the matrix a (m, n) to axis ``axis`` (of length n) of y."""
    if axis == y.ndim - 1:
        return np.matmul(y, a.T)
    return np.moveaxis(np.matmul(a, np.moveaxis(y, axis, -2)), -2, axis)


class AdaptiveAvgPool(Function):
    """y = x averaged along each spatial axis by its (out, in) bin-averaging matrix A_i;
    backward applies the A_i^T."""

    def forward(self, x, mats=()):
        self.mats = mats
        first = x.ndim - len(mats)
        for i, a in enumerate(mats):
            x = _along(x, a, first + i)
        return x

    def backward(self, g):
        first = g.ndim - len(self.mats)
        for i, a in enumerate(self.mats):
            g = _along(g, a.T, first + i)
        return g


def _adaptive_size(name, n, x, output_size):
    if isinstance(output_size, (tuple, list)):
        sizes = tuple(output_size)
        if len(sizes) == 1 and n > 1:
            sizes = sizes * n
        if len(sizes) != n:
            raise ValueError(f"{name}: output_size must be an int or {n} ints (None keeps an "
                             f"axis), received {output_size}")
        out = tuple(m if o is None else int(o) for m, o in zip(_spatial(x, n), sizes))
    else:
        out = (int(output_size),) * n
    if min(out) < 0 or (min(out) == 0 and x.array.size):
        raise ValueError(f"{name}: output_size must be positive, received {output_size}")
    if min(_spatial(x, n)) < 1:
        raise ValueError(f"{name}: expected non-empty spatial axes, received shape "
                         f"{tuple(x.shape)}")
    return out


def _adaptive_avg(name, n, input, output_size):
    x, unbatched = _rank(name, n, to_tensor(input))
    out = _adaptive_size(name, n, x, output_size)
    mats = tuple(_avg_matrix(m, o, x.dtype) for m, o in zip(_spatial(x, n), out))
    y = AdaptiveAvgPool.apply(x, mats=mats)
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool2d(input, output_size):
    """Average over PyTorch's adaptive bins: (N, C, H, W) -> (N, C, *output_size).

    Bin i of an axis of length n pooled to m covers [floor(i n / m), ceil((i + 1) n / m));
    computed as one small matrix product per axis. ``output_size`` is an int or a
    pair (None keeps that axis).
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool1d(input, output_size):
    """Adaptive average pooling of (N, C, L) or (C, L) to length ``output_size``."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Adaptive average pooling of (N, C, D, H, W) or (C, D, H, W)."""
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


class AdaptiveMaxPool(Function):
    """Max over adaptive bins, gathered as (*lead, *out, *bin) with -inf for the slots a
    shorter bin leaves empty; backward adds g at each bin's (first) argmax."""

    def forward(self, x, index=(), valid=None, indices_into=None):
        n = self.n = len(index)
        lead = x.shape[:x.ndim - n]
        grid = []
        for i, idx in enumerate(index):            # idx (out_i, bin_i)
            shape = [1] * (2 * n)
            shape[i], shape[n + i] = idx.shape
            grid.append(idx.reshape(shape))
        g = x[(Ellipsis,) + tuple(grid)]           # (*lead, *out, *bin)
        g = np.where(valid, g, -np.inf).astype(x.dtype, copy=False)
        out = tuple(idx.shape[0] for idx in index)
        flat = g.reshape(lead + out + (-1,))
        arg = flat.argmax(axis=-1)
        pos = np.unravel_index(arg, tuple(idx.shape[1] for idx in index))
        where = 0
        for i, idx in enumerate(index):
            o = np.arange(out[i]).reshape((-1,) + (1,) * (n - 1 - i))
            where = where * x.shape[len(lead) + i] + idx[o, pos[i]]
        self.where, self.shape = where, x.shape     # where: flat spatial position (*lead, *out)
        if indices_into is not None:
            indices_into.append(where)
        return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]

    def backward(self, g):
        return scatter_plane(g, self.where, self.shape, self.n)


def _gather_bins(n_in, n_out):
    starts, ends = _bins(n_in, n_out)
    k = max(e - s for s, e in zip(starts, ends))
    idx = np.array(starts)[:, None] + np.arange(k)[None, :]
    valid = idx < np.array(ends)[:, None]
    return np.minimum(idx, n_in - 1), valid


def _adaptive_max(name, n, input, output_size, return_indices):
    x, unbatched = _rank(name, n, to_tensor(input))
    out = _adaptive_size(name, n, x, output_size)
    index, valid = [], True
    for i, (m, o) in enumerate(zip(_spatial(x, n), out)):
        idx, ok = _gather_bins(m, o)
        shape = [1] * (2 * n)
        shape[i], shape[n + i] = ok.shape
        index.append(idx)
        valid = valid & ok.reshape(shape)
    box = [] if return_indices else None
    y = AdaptiveMaxPool.apply(x, index=tuple(index), valid=valid, indices_into=box)
    return _with_indices(y, box, unbatched)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over PyTorch's adaptive bins (see :func:`adaptive_avg_pool2d`), NCHW.

    With ``return_indices``, also the flat H x W position of each max (int64).
    Backward: each output's gradient goes to its bin's (first) argmax.
    """
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Adaptive max pooling of (N, C, L) or (C, L); see :func:`adaptive_max_pool2d`."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Adaptive max pooling of (N, C, D, H, W) or (C, D, H, W)."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool1d` returning (values, int64 indices)."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool2d` returning (values, int64 indices)."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool3d` returning (values, int64 indices)."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, True)
