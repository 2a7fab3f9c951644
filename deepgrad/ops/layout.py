"""Memory layout: the same values with their elements reordered in memory.

``contiguous`` and ``to(memory_format=channels_last)`` change only where each element
sits, never its value, so the op is the identity: y = x, dL/dx = dL/dy.

An NCHW array *stored channels-last* (PyTorch's ``channels_last`` memory format) is a
C-contiguous (N, H, W, C) array seen through ``transpose(TO_NCHW)``. The ops whose fast
algorithm runs channels-last (Winograd convolution, see :mod:`deepgrad.ops.conv`) return
their NCHW result stored so, with no copy back, and the ops that may follow (ReLU, 2x2
max pooling, the next convolution) compute on the (N, H, W, C) array underneath
(:func:`stored_channels_last`) and keep the layout; any other op reads the strided view as
NumPy does. Values and shapes are PyTorch's either way; only ``stride()`` tells. The
mirror case, an NHWC array stored channels-first (a Keras-layout array made by
transposing an NCHW one), is kept the same way by ReLU and the pooling.

Tried and dropped: running a one-channel Keras convolution as the NCHW op (its NHWC input
is NCHW in memory) with y stored channels-first. The convolution got faster, but
Flatten's NHWC-order copy and the pool gradient's transposing copy ate it (cnn_mnist
through ``fit``: 0.97x at one thread, 1.03x at two).
"""
import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.parallel import parallel_for

#: axes from NCHW to NHWC and back
TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def to_memory(channels_last):
    """(axes to the memory order, axes back) for a 4-D array of this layout stored in the
    other one: NCHW stored channels-last is ``a.transpose(TO_NHWC)`` in memory, NHWC
    stored channels-first is ``a.transpose(TO_NCHW)``."""
    return (TO_NCHW, TO_NHWC) if channels_last else (TO_NHWC, TO_NCHW)


def stored_other(a, channels_last=False):
    """The C-contiguous array under ``a``, when ``a`` is a 4-D array of this layout
    (NCHW, or NHWC with ``channels_last``) stored in the other one (and not also
    C-contiguous): (N, H, W, C) under an NCHW array, (N, C, H, W) under an NHWC one;
    else None."""
    if a.ndim != 4 or a.flags.c_contiguous:
        return None
    t = a.transpose(to_memory(channels_last)[0])
    return t if t.flags.c_contiguous else None


def stored_channels_last(a):
    """The C-contiguous (N, H, W, C) array under an NCHW ``a`` stored channels-last, else
    None (:func:`stored_other`)."""
    return stored_other(a, False)


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


def in_other(a, channels_last=False):
    """``a`` (NCHW, or NHWC with ``channels_last``) as a C-contiguous array of the other
    layout: the array underneath when it is stored so, else one transposing copy
    (:func:`contiguous`)."""
    t = stored_other(a, channels_last)
    return t if t is not None else contiguous(a.transpose(to_memory(channels_last)[0]))


def to_channels_last(a):
    """An NCHW ``a`` as a C-contiguous (N, H, W, C) array (:func:`in_other`)."""
    return in_other(a, False)


def dense(*arrays):
    """The arrays as C-contiguous arrays of one shape, for a pass element by element:
    themselves when all are C-contiguous of one shape, else the arrays underneath when
    all are 4-D arrays of one shape stored in one other layout (:func:`stored_other`);
    else None."""
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        return None
    if all(a.flags.c_contiguous for a in arrays):
        return arrays
    for last in (False, True):
        under = [stored_other(a, last) for a in arrays]
        if all(u is not None for u in under):
            return under
    return None


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
