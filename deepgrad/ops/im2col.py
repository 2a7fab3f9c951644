"""The window helpers of the convolution and pooling ops: strided window views of an input
(im2col without a copy), their adjoints (col2im), spatial padding and cropping, and the
reductions over the batch that backward passes end with.

Channels-first views are (*lead, *kernel, *out) (:func:`windows`); channels-last views are
(N, *out, *kernel, C) (:func:`windows_last`), so a reshape gives the im2col matrix whose
columns follow Keras's kernel layout (*kernel, C, O).

For two spatial axes (and three in channels-last), the im2col copy
(:func:`compiled_im2col`) and col2im run as compiled loops (:mod:`deepgrad.kernels.im2col`)
when the kernels are on, with the same results bit for bit; other cases, dtypes or
non-contiguous arrays keep the NumPy code here.
"""
from operator import mul

import numpy as np
from numpy.lib.stride_tricks import as_strided

from deepgrad import kernels
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
    if _compiled_col2im(gcols, out, kernel, stride, dilation, False):
        return out
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
    if _compiled_col2im(gcols, out, kernel, stride, dilation, True):
        return out
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


def _suits(kernel, *arrays, channels_last=False):
    """True when the compiled kernels take these arrays: two spatial axes (three in
    channels-last), one float dtype (float32 or float64), C-contiguous, non-empty."""
    a = arrays[0]
    return (len(kernel) in ((2, 3) if channels_last else (2,)) and a.dtype in kernels.FLOATS
            and a.size > 0 and all(v.dtype == a.dtype and v.flags.c_contiguous for v in arrays))


def compiled_im2col(xp, cols, kernel, stride, dilation, out, channels_last=False):
    """``fill(a, z)``: the im2col copy of samples a:z of the (padded) input xp into cols by
    the compiled kernel (:mod:`deepgrad.kernels.im2col`), or None when the kernels are off
    or do not apply (then :func:`im2col_into`). cols: C-contiguous, Conv's
    (N, G, C/G kh kw, Ho Wo) or ConvLast's (N Ho Wo, kh kw C); ``out`` = (Ho, Wo). A
    channels-last volume (N, Dp, Hp, Wp, C): cols (N Do Ho Wo, kd kh kw C), ``out`` =
    (Do, Ho, Wo)."""
    if not _suits(kernel, xp, cols, channels_last=channels_last):
        return None
    if len(kernel) == 3:
        return _compiled_im2col_3d(xp, cols, kernel, stride, dilation, out)
    k = kernels.get("im2col", "im2col_nhwc" if channels_last else "im2col_nchw")
    if k is None:
        return None
    (kh, kw), (ho, wo), (sh, sw), (dh, dw) = kernel, out, stride, dilation
    N, hp = xp.shape[0], xp.shape[-3 if channels_last else -2]
    if channels_last:
        C = xp.shape[-1]
        x3, c5 = xp.reshape(N, hp, -1), cols.reshape(N, ho, wo, kh, kw * C)
        return lambda a, z: k(x3[a:z], c5[a:z], C, sh, sw, dh, dw)
    x3, c5 = xp.reshape(-1, hp, xp.shape[-1]), cols.reshape(-1, kh, kw, ho, wo)
    per = x3.shape[0] // N                                 # planes (channels) per sample
    return lambda a, z: k(x3[a * per:z * per], c5[a * per:z * per], sh, sw, dh, dw)


def _compiled_im2col_3d(xp, cols, kernel, stride, dilation, out):
    """:func:`compiled_im2col` for a channels-last volume, or None without the kernels."""
    k = kernels.get("im2col", "im2col_ndhwc")
    if k is None:
        return None
    (kd, kh, kw), (do, ho, wo) = kernel, out
    N, dp, hp, C = xp.shape[0], xp.shape[1], xp.shape[2], xp.shape[-1]
    x4, c7 = xp.reshape(N, dp, hp, -1), cols.reshape(N, do, ho, wo, kd, kh, kw * C)
    return lambda a, z: k(x4[a:z], c7[a:z], C, *stride, *dilation)


def _compiled_col2im(gcols, out, kernel, stride, dilation, channels_last):
    """col2im / col2im_last by the compiled kernel when it applies; False otherwise."""
    if not _suits(kernel, gcols, out, channels_last=channels_last) \
            or (channels_last and gcols.shape[-1] == 1 and len(kernel) == 2):
        return False                   # one channel, an image: NumPy measured as fast
    if len(kernel) == 3:               # a channels-last volume
        k = kernels.get("im2col", "col2im_ndhwc")
        if k is None:
            return False
        N, C = gcols.shape[0], gcols.shape[-1]
        k(gcols.reshape(N, *gcols.shape[1:4], kernel[0], kernel[1], -1),
          out.reshape(N, out.shape[1], out.shape[2], -1), C, *stride, *dilation)
        return True
    k = kernels.get("im2col", "col2im_nhwc" if channels_last else "col2im_nchw")
    if k is None:
        return False
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    if channels_last:
        N, ho, wo, C = gcols.shape[0], gcols.shape[1], gcols.shape[2], gcols.shape[-1]
        k(gcols.reshape(N, ho, wo, kh, kw * C), out.reshape(N, out.shape[1], -1), C,
          sh, sw, dh, dw)
    else:
        k(gcols.reshape((-1,) + gcols.shape[-4:]), out.reshape((-1,) + out.shape[-2:]),
          sh, sw, dh, dw)
    return True


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
