"""The window helpers of the convolution and pooling ops: strided window views of an input
(im2col without a copy), their adjoints (col2im), spatial padding and cropping, and the
reductions over the batch that backward passes end with.

Channels-first views are (*lead, *kernel, *out) (:func:`windows`); channels-last views are
(N, *out, *kernel, C) (:func:`windows_last`), so a reshape gives the im2col matrix whose
columns follow Keras's kernel layout (*kernel, C, O).
"""
from operator import mul

import numpy as np
from numpy.lib.stride_tricks import as_strided

from deepgrad.parallel import parallel_for, serial


def windows(x, kernel, stride, dilation, out):
    """Strided view (*lead, *kernel, *out) of x (*lead, *spatial): window i, offset p.

    The last len(kernel) axes of x are spatial; element [..., p, i] of the view is
    x[..., s i + d p] (per spatial axis).
    """
    k = len(kernel)
    lead, sp = x.strides[:-k], x.strides[-k:]
    return as_strided(x, x.shape[:-k] + tuple(kernel) + tuple(out),
                      lead + tuple(map(mul, sp, dilation)) + tuple(map(mul, sp, stride)),
                      writeable=False)


def col2im(gcols, in_size, kernel, stride, dilation, out=None):
    """Adjoint of :func:`windows`: sum gcols (*lead, *kernel, *out) into (*lead, *in_size)
    (into ``out``, zeros of that shape, when given)."""
    k = len(kernel)
    out_size = gcols.shape[-k:]
    lead = gcols.shape[:-2 * k]
    if out is None:
        out = np.zeros(lead + tuple(in_size), dtype=gcols.dtype)
    every = (slice(None),) * len(lead)
    for pos in np.ndindex(*kernel):
        dst = tuple(slice(p * d, p * d + s * (o - 1) + 1, s)
                    for p, d, s, o in zip(pos, dilation, stride, out_size))
        out[every + dst] += gcols[every + pos]
    return out


def pad_hw(x, pads, value=0.0, channels_last=False):
    """Pad the spatial axes by pads = (before_0, after_0, before_1, after_1, ...) (for two
    axes: (top, bottom, left, right)): the last len(pads) // 2 axes, or with
    ``channels_last`` the axes after the batch axis (x (N, *S, C))."""
    if not any(pads):
        return x
    k = len(pads) // 2
    first = 1 if channels_last else x.ndim - k
    spatial = x.shape[first:first + k]
    out = np.full(x.shape[:first] + tuple(n + pads[2 * i] + pads[2 * i + 1]
                                          for i, n in enumerate(spatial)) + x.shape[first + k:],
                  value, x.dtype)
    out[(slice(None),) * first + tuple(slice(pads[2 * i], pads[2 * i] + n)
                                       for i, n in enumerate(spatial))] = x
    return out


def crop_hw(x, pads, channels_last=False):
    """Inverse of :func:`pad_hw`: cut pads = (before_0, after_0, ...) off the spatial axes."""
    k = len(pads) // 2
    first = 1 if channels_last else x.ndim - k
    spatial = x.shape[first:first + k]
    return x[(slice(None),) * first + tuple(slice(pads[2 * i], n - pads[2 * i + 1])
                                            for i, n in enumerate(spatial))]


def windows_last(x, kernel, stride, dilation, out):
    """Strided view (N, *out, *kernel, C) of a channels-last x (N, *spatial, C).

    Element [n, i, p, c] of the view is x[n, s i + d p, c] (per spatial axis), so a
    reshape to (N prod(out), prod(kernel) C) is the im2col matrix whose columns are
    ordered as Keras's kernel (*kernel, C, O) is laid out.
    """
    k = len(kernel)
    sp = x.strides[1:1 + k]
    return as_strided(x, (x.shape[0],) + tuple(out) + tuple(kernel) + (x.shape[-1],),
                      (x.strides[0],) + tuple(map(mul, sp, stride))
                      + tuple(map(mul, sp, dilation)) + (x.strides[-1],), writeable=False)


def col2im_last(gcols, in_size, kernel, stride, dilation, out=None):
    """Adjoint of :func:`windows_last`: sum gcols (N, *out, *kernel, C) into (N, *in_size, C)
    (into ``out``, zeros of that shape, when given)."""
    k = len(kernel)
    out_size = gcols.shape[1:1 + k]
    if out is None:
        out = np.zeros((gcols.shape[0],) + tuple(in_size) + (gcols.shape[-1],),
                       dtype=gcols.dtype)
    outs = (slice(None),) * (1 + k)
    for pos in np.ndindex(*kernel):
        dst = tuple(slice(p * d, p * d + s * (o - 1) + 1, s)
                    for p, d, s, o in zip(pos, dilation, stride, out_size))
        out[(slice(None),) + dst] += gcols[outs + pos]
    return out


def view_as(a, shape):
    """``a.reshape(shape)`` when that is a view (no copy), else None."""
    try:
        return np.reshape(a, shape, copy=False)
    except ValueError:
        return None
    except TypeError:                          # NumPy < 2.1: no copy argument
        return a.reshape(shape) if a.flags.c_contiguous else None


def im2col_into(cols, win, a, z):
    """The im2col copy of samples a:z: cols[a:z] (C-contiguous) <- the window view win[a:z]."""
    cols[a:z].reshape(win[a:z].shape)[...] = win[a:z]


def sum_batch(a):
    """a.sum(axis=0) for a (N, ...), split over the output elements (threads), each one
    still summed over n = 0, 1, ..., N-1 in order."""
    if serial(a.size):
        return a.sum(axis=0)
    flat = a.reshape(a.shape[0], -1)
    out = np.empty(flat.shape[1], a.dtype)
    parallel_for(flat.shape[1], lambda s, e: np.sum(flat[:, s:e], axis=0, out=out[s:e]),
                 work=flat.size)
    return out.reshape(a.shape[1:])
