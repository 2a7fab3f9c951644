"""Memory layout: the same values with their elements reordered in memory.

``contiguous`` and ``to(memory_format=channels_last)`` change only where each element
sits, never its value, so the op is the identity: y = x, dL/dx = dL/dy.

An NCHW array *stored channels-last* (PyTorch's ``channels_last`` memory format) is a
C-contiguous (N, H, W, C) array seen through ``transpose(TO_NCHW)``. The ops whose fast
algorithm runs channels-last (Winograd convolution, see :mod:`deepgrad.ops.conv`) return
their NCHW result stored so, with no copy back, and the ops that may follow (ReLU, 2x2
max pooling, the next convolution) compute on the (N, H, W, C) array underneath
(:func:`stored_channels_last`) and keep the layout; any other op reads the strided view as
NumPy does. Values and shapes are PyTorch's either way; only ``stride()`` tells.
"""
import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.parallel import parallel_for

#: axes from NCHW to NHWC and back
TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def stored_channels_last(a):
    """The C-contiguous (N, H, W, C) array under ``a``, when ``a`` is a 4-D NCHW array
    stored channels-last (and not also C-contiguous); else None."""
    if a.ndim != 4 or a.flags.c_contiguous:
        return None
    t = a.transpose(TO_NHWC)
    return t if t.flags.c_contiguous else None


def contiguous(a):
    """``a`` when C-contiguous, else a C-contiguous copy made by chunks of the first axis
    split over the threads (``np.ascontiguousarray`` runs on one)."""
    if a.flags.c_contiguous:
        return a
    out = np.empty(a.shape, a.dtype)
    if a.ndim == 0:
        out[...] = a
        return out
    parallel_for(a.shape[0], lambda s, e: np.copyto(out[s:e], a[s:e]), work=a.size)
    return out


def to_channels_last(a):
    """``a`` (N, C, H, W) as a C-contiguous (N, H, W, C) array: the array underneath when
    it is stored so, else one transposing copy (:func:`contiguous`)."""
    t = stored_channels_last(a)
    return t if t is not None else contiguous(a.transpose(TO_NHWC))


def dense(*arrays):
    """The arrays as C-contiguous arrays of one shape, for a pass element by element:
    themselves when all are C-contiguous of one shape, the (N, H, W, C) arrays underneath
    when all are NCHW arrays of one shape stored channels-last; else None."""
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        return None
    if all(a.flags.c_contiguous for a in arrays):
        return arrays
    under = [stored_channels_last(a) for a in arrays]
    return None if any(u is None for u in under) else under


class Relayout(Function):
    def forward(self, x, order=None):
        if order is None:
            return np.array(x, order="C", copy=True)
        if order == "K":
            return x.copy(order="K")
        inverse = tuple(int(i) for i in np.argsort(order))
        return np.ascontiguousarray(x.transpose(order)).transpose(inverse)

    def backward(self, g):
        return g


def relayout(x, order=None):
    """A copy of ``x`` laid out in memory in dim order ``order`` (outermost first).

    ``order=None`` is row-major (C-contiguous, ``contiguous_format``); ``"K"`` keeps the
    order ``x`` has; ``(0, 2, 3, 1)`` is ``channels_last`` for an NCHW tensor: the values
    and shape are unchanged, only the strides differ. Always a new array.
    y = x, so dL/dx = dL/dy.

    Args:
        x (Tensor): any tensor.
        order (None, "K" or tuple of int): a permutation of ``range(x.ndim)``.
    """
    return Relayout.apply(x, order=order)
