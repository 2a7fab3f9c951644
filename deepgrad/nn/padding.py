"""Padding layers, 1-, 2- and 3-D (PyTorch's names, arguments and reprs).

Each pads the last 1, 2 or 3 axes with :func:`deepgrad.ops.padding.pad`, where the index
formulas of the modes live: constant (``value``; a negative pad crops), reflect
(mirror, edge not repeated), replicate (repeat the edge), circular (wrap around).
"""
from deepgrad.nn.module import Module
from deepgrad.ops.padding import pad

_LAYOUT = {1: "2D or 3D", 2: "3D or 4D", 3: "4D or 5D"}


class _PadNd(Module):
    """``padding``: an int (every side) or 2 * dims ints (last axis first, as F.pad)."""

    _dims, _mode = 2, "constant"

    def __init__(self, padding):
        super().__init__()
        n = 2 * self._dims
        if isinstance(padding, int):
            padding = (padding,) * n
        padding = tuple(int(p) for p in padding)
        if len(padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a {n}-tuple, "
                             f"received {padding}")
        self.padding = padding

    def forward(self, x):
        if x.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"{type(self).__name__}: expected {_LAYOUT[self._dims]} input, "
                             f"received shape {tuple(x.shape)}")
        return pad(x, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """Pads with ``value`` (F.pad's constant mode: any rank with enough axes)."""

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, x):
        return pad(x, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last axis by (left, right) with ``value``: (*, L) -> (*, L + left + right)."""
    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad (left, right, top, bottom) of the last two axes with ``value``."""
    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad (left, right, top, bottom, front, back) of the last three axes with ``value``."""
    _dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last axis by (left, right) with zeros."""
    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad (left, right, top, bottom) of the last two axes with zeros."""
    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad (left, right, top, bottom, front, back) of the last three axes with zeros."""
    _dims = 3


class ReflectionPad1d(_PadNd):
    """Mirror the last axis of (C, L) or (N, C, L) at its edges (edge not repeated);
    pads < length."""
    _dims, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror H and W of (C, H, W) or (N, C, H, W) at their edges; pads < length."""
    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror D, H and W of (C, D, H, W) or (N, C, D, H, W) at their edges; pads < length."""
    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last axis of (C, L) or (N, C, L)."""
    _dims, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of H and W of (C, H, W) or (N, C, H, W)."""
    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of D, H and W of (C, D, H, W) or (N, C, D, H, W)."""
    _dims, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Wrap the last axis of (C, L) or (N, C, L) around: the end pads the start and the
    start pads the end; pads <= length."""
    _dims, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wrap H and W of (C, H, W) or (N, C, H, W) around; pads <= length."""
    _dims, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Wrap D, H and W of (C, D, H, W) or (N, C, D, H, W) around; pads <= length."""
    _dims, _mode = 3, "circular"
