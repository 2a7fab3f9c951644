"""Memory layout: the same values with their elements reordered in memory.

``contiguous`` and ``to(memory_format=channels_last)`` change only where each element
sits, never its value, so the op is the identity: y = x, dL/dx = dL/dy.
"""
import numpy as np

from deepgrad.autograd.function import Function


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
