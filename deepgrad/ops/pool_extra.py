"""More pooling: power-average (LP) pooling, max unpooling, fractional max pooling.

    lp_pool:     y = (sum_{window} x^p)^(1/p)  = (|window| avg_pool(x^p))^(1/p)
                 (p = inf: max of |x|); a composition of pow and avg_pool; where the
                 window's sum is 0 the gradient is 0 (as PyTorch)
    max_unpool:  y[flat = idx[i]] = x[i], zeros elsewhere;  dL/dx[i] = g[idx[i]]
    fractional max pooling (Graham, 2014): max over windows of size k whose starts
                 along an axis of length n pooled to m are, for a sample u in [0, 1),

                     a = (n - k) / (m - 1)
                     start_i = int((i + u) a) - int(u a)    (i < m - 1),   start_{m-1} = n - k

                 in the input's float type (PyTorch's interval formula); backward routes
                 each output's gradient to its window's (first) argmax.

Indices are flat positions in each (n, c) spatial plane, as :mod:`deepgrad.ops.pool`'s.
"""
from math import prod

import numpy as np

from deepgrad import backend
from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops import elementwise as _ew
from deepgrad.ops.conv import LAYOUTS, ntuple
from deepgrad.ops.pool import (
    _rank, _spatial, _with_indices, avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d,
    max_pool3d, scatter_plane)


# ----------------------------------------------------------------- LP pooling
def _lp_pool(name, n, avg, mx, input, norm_type, kernel_size, stride, ceil_mode):
    x = to_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point input, received dtype {x.dtype}")
    k = ntuple(kernel_size, n, name, "kernel_size")
    p = float(norm_type)
    if p == 0 or p != p:
        raise ValueError(f"{name}: norm_type must be a non-zero number, received {norm_type}")
    if p in (float("inf"), -float("inf")):
        m = mx(_ew.abs(x), kernel_size, stride, 0, 1, ceil_mode)
        return m if p > 0 else -mx(-_ew.abs(x), kernel_size, stride, 0, 1, ceil_mode)
    total = avg(x ** p, kernel_size, stride, 0, ceil_mode) * float(prod(k))
    nonzero = _ew.ne(total, 0).array
    safe = _ew.where(nonzero, total, 1.0)      # keeps pow's gradient finite where total = 0
    return _ew.where(nonzero, safe ** (1.0 / p), 0.0)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, L) or (C, L): y = (sum_{window} x^p)^(1/p).

    Args:
        norm_type (float): p; inf gives max pooling of |x|.
        kernel_size, stride: int (stride defaults to kernel_size); no padding.
        ceil_mode (bool): round the output length up.
    Backward: dy/dx = x^(p-1) y^(1-p) per window element (0 where the window sums to 0).
    """
    return _lp_pool("lp_pool1d", 1, avg_pool1d, max_pool1d, input, norm_type, kernel_size,
                    stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, H, W) or (C, H, W); see :func:`lp_pool1d`."""
    return _lp_pool("lp_pool2d", 2, avg_pool2d, max_pool2d, input, norm_type, kernel_size,
                    stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, D, H, W) or (C, D, H, W); see :func:`lp_pool1d`."""
    return _lp_pool("lp_pool3d", 3, avg_pool3d, max_pool3d, input, norm_type, kernel_size,
                    stride, ceil_mode)


# ----------------------------------------------------------------- max unpooling
class MaxUnpool(Function):
    """y (*lead, *out) zeros with x written at the flat spatial positions ``where``."""

    def forward(self, x, where=None, out=()):
        n = len(out)
        lead = x.shape[:x.ndim - n]
        y = np.zeros(lead + (prod(out),), x.dtype)
        flat_x = x.reshape(lead + (-1,))
        self.where = where.reshape(lead + (-1,))
        np.put_along_axis(y, self.where, flat_x, axis=-1)
        self.in_shape = x.shape
        return y.reshape(lead + tuple(out))

    def backward(self, g):
        lead = self.in_shape[:len(self.where.shape) - 1]
        flat = g.reshape(lead + (-1,))
        return np.take_along_axis(flat, self.where, axis=-1).reshape(self.in_shape)


def _unpool_size(name, x, kernel, stride, padding, output_size):
    n = len(kernel)
    default = tuple((m - 1) * s + k - 2 * p
                    for m, k, s, p in zip(_spatial(x, n), kernel, stride, padding))
    if output_size is None:
        out = default
    else:
        out = tuple(int(o) for o in output_size)
        if len(out) == n + 2:
            out = out[2:]
        if len(out) != n:
            raise ValueError(f"{name}: output_size should be a sequence containing {n} or "
                             f"{n + 2} elements, but it has a length of {len(out)}")
        for d, (o, m, s) in enumerate(zip(out, default, stride)):
            if not m - s < o < m + s:
                raise ValueError(f'{name}: invalid output_size "{out}" (dim {d} must be '
                                 f'between {m - s} and {m + s})')
    if min(out) < 0:
        raise ValueError(f"{name}: output_size must contain non-negative spatial dimensions, "
                         f"received {out}")
    return out


def _max_unpool(name, n, input, indices, kernel_size, stride, padding, output_size):
    x, unbatched = _rank(name, n, to_tensor(input))
    idx = indices.array if isinstance(indices, _fn._Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must have an integer dtype (int64), received "
                        f"{idx.dtype}")
    if unbatched:
        idx = idx[None]
    if idx.shape != x.shape:
        raise ValueError(f"{name}: indices must have the input's shape {tuple(x.shape)}, "
                         f"received {tuple(idx.shape)}")
    k = ntuple(kernel_size, n, name, "kernel_size")
    s = k if stride is None else ntuple(stride, n, name, "stride")
    p = ntuple(padding, n, name, "padding")
    out = _unpool_size(name, x, k, s, p, output_size)
    if idx.size and (idx.min() < 0 or idx.max() >= prod(out)):
        bad = idx[(idx < 0) | (idx >= prod(out))].flat[0]
        raise IndexError(f"{name}: found an invalid max index {bad} (output volumes are of "
                         f"size {'x'.join(map(str, out))})")
    y = MaxUnpool.apply(x, where=idx.astype(np.int64, copy=False), out=out)
    return y.squeeze(0) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool1d`: each value goes back to its index, zeros
    elsewhere. Output length (L - 1) s - 2 p + k unless ``output_size`` picks another
    within (that - s, that + s).

    Args:
        input: (N, C, L) or (C, L), the pooled values.
        indices: int64 of the input's shape, flat positions (from return_indices).
    Backward: dL/dx[i] = g[indices[i]]. An index repeated (overlapping pooling windows
    pick one input twice, with one value) is written once and each of its inputs gets the
    gradient there, as in PyTorch.
    """
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool2d` over (N, C, H, W); see :func:`max_unpool1d`."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool3d` over (N, C, D, H, W); see :func:`max_unpool1d`."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)


# ----------------------------------------------------------------- fractional max pooling
def intervals(u, n_in, n_out, k, dtype):
    """Window starts for samples u (any shape): PyTorch's formula, in ``dtype``."""
    u = np.asarray(u, dtype)
    starts = np.empty(u.shape + (n_out,), np.int64)
    if n_out > 1:
        alpha = dtype.type(n_in - k) / dtype.type(n_out - 1)
        i = np.arange(n_out - 1, dtype=dtype)
        starts[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) \
            - (u * alpha).astype(np.int64)[..., None]
    starts[..., -1] = n_in - k
    return starts


class FractionalMaxPool(Function):
    """Max over per-(n, c) windows gathered as (*lead, *out, *kernel); backward adds g at
    each window's first argmax."""

    def forward(self, x, starts=(), kernel=(), indices_into=None):
        n = len(kernel)
        lead = x.shape[:x.ndim - n]
        spatial = x.shape[x.ndim - n:]
        flat = 0                              # flat position of every window element
        for i, (st, k) in enumerate(zip(starts, kernel)):   # st (*lead, out_i)
            pos = st[..., None] + np.arange(k)                 # (*lead, out_i, k_i)
            pos = pos.reshape(lead + tuple(st.shape[-1] if j == i else 1 for j in range(n))
                              + tuple(k if j == i else 1 for j in range(n)))
            flat = flat * spatial[i] + pos                     # (*lead, *out, *kernel)
        out = flat.shape[len(lead):len(lead) + n]
        flat = flat.reshape(lead + out + (-1,))
        vals = np.take_along_axis(x.reshape(lead + (-1,)), flat.reshape(lead + (-1,)),
                                  axis=-1).reshape(flat.shape)
        arg = vals.argmax(axis=-1)[..., None]
        self.where = np.take_along_axis(flat, arg, axis=-1)[..., 0]
        self.shape, self.n = x.shape, n
        if indices_into is not None:
            indices_into.append(self.where)
        return np.take_along_axis(vals, arg, axis=-1)[..., 0]

    def backward(self, g):
        return scatter_plane(g, self.where, self.shape, self.n)


def _fractional(name, n, input, kernel_size, output_size, output_ratio, return_indices,
                _random_samples):
    x, unbatched = _rank(name, n, to_tensor(input))
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point input, received dtype {x.dtype}")
    k = ntuple(kernel_size, n, name, "kernel_size")
    spatial = _spatial(x, n)
    if (output_size is None) == (output_ratio is None):
        raise ValueError(f"{name} requires specifying exactly one of output_size and "
                         f"output_ratio, received {output_size} and {output_ratio}")
    if output_size is None:
        ratio = (output_ratio,) * n if np.ndim(output_ratio) == 0 else tuple(output_ratio)
        if len(ratio) != n or not all(0 < r < 1 for r in ratio):
            raise ValueError(f"{name}: output_ratio must be a number or {n} numbers in (0, 1), "
                             f"received {output_ratio}")
        output_size = tuple(int(m * r) for m, r in zip(spatial, ratio))
    out = ntuple(output_size, n, name, "output_size")
    for axis, (o, kk, m) in enumerate(zip(out, k, spatial)):
        if kk < 1 or o < 1 or o + kk - 1 > m:
            raise ValueError(f"{name}: kernel size {kk} and output size {o} do not fit input "
                             f"size {m} of spatial axis {axis} (needs output + kernel - 1 <= "
                             f"input); input shape {tuple(x.shape)}")
    N, C = x.shape[:2]
    if _random_samples is None:
        samples = backend.rng().random((N, C, n)).astype(x.dtype)
    else:
        samples = (_random_samples.array if isinstance(_random_samples, _fn._Tensor)
                   else np.asarray(_random_samples))
        if samples.shape != (N, C, n):
            raise ValueError(f"{name}: _random_samples must have shape ({N}, {C}, {n}) for "
                             f"input of shape {tuple(x.shape)} ({LAYOUTS[n]}), received "
                             f"{samples.shape}")
    # PyTorch draws sample 0 for the last axis in 2-D (W, then H), in order in 3-D
    order = (1, 0) if n == 2 else tuple(range(n))
    starts = tuple(intervals(samples[..., order[i]], m, o, kk, x.dtype)
                   for i, (m, o, kk) in enumerate(zip(spatial, out, k)))
    box = [] if return_indices else None
    y = FractionalMaxPool.apply(x, starts=starts, kernel=k, indices_into=box)
    return _with_indices(y, box, unbatched)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) (see the module docstring).

    Args:
        kernel_size: int or pair, the window.
        output_size: int or pair; or
        output_ratio: number or pair in (0, 1): output = int(input * ratio).
        return_indices (bool): also return the flat H x W position of each max.
        _random_samples: (N, C, 2) samples u in [0, 1) (drawn from deepgrad's generator
            when None); u[..., 0] places the columns, u[..., 1] the rows (PyTorch's).
    """
    return _fractional("fractional_max_pool2d", 2, input, kernel_size, output_size,
                       output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of (N, C, D, H, W) or (C, D, H, W); samples (N, C, 3) for
    (D, H, W). See :func:`fractional_max_pool2d`."""
    return _fractional("fractional_max_pool3d", 3, input, kernel_size, output_size,
                       output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """:func:`fractional_max_pool2d` returning (values, int64 indices)."""
    return _fractional("fractional_max_pool2d", 2, input, kernel_size, output_size,
                       output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """:func:`fractional_max_pool3d` returning (values, int64 indices)."""
    return _fractional("fractional_max_pool3d", 3, input, kernel_size, output_size,
                       output_ratio, True, _random_samples)
