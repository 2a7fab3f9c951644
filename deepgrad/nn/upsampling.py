"""Resizing and padding layers: Upsample and the padding modules (PyTorch's names).

Each wraps a function of :mod:`deepgrad.ops.padding`, where the formulas live.
"""
from deepgrad.nn.module import Module
from deepgrad.ops.padding import interpolate, pad


class Upsample(Module):
    """Resize the spatial axes of (N, C, L) or (N, C, H, W) input.

    Args:
        size (int or tuple): output spatial size; or
        scale_factor (float or tuple): multiplier of the spatial size (out = floor(in * s)).
        mode (str): 'nearest' (default), 'nearest-exact', 'linear' (3-D) or 'bilinear' (4-D).
        align_corners (bool): linear modes only; see :func:`deepgrad.ops.padding.interpolate`.
    Example::

        up = nn.Upsample(scale_factor=2, mode="bilinear")   # (1, 3, 8, 8) -> (1, 3, 16, 16)
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size, self.mode, self.align_corners = size, mode, align_corners
        self.scale_factor = (None if scale_factor is None else
                             tuple(float(s) for s in scale_factor)
                             if isinstance(scale_factor, (tuple, list)) else float(scale_factor))
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected 3D (N, C, L) or 4D (N, C, H, W) "
                             f"input, received shape {tuple(x.shape)}")
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self):
        what = f"scale_factor={self.scale_factor}" if self.size is None else f"size={self.size}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode='nearest' (PyTorch's older name)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode='bilinear' and align_corners=True (PyTorch's older name)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


# ----------------------------------------------------------------- padding
class _Pad(Module):
    """Pads the last ``_dims`` axes; an int pads every side by the same amount."""

    _dims, _mode, _ranks = 2, "constant", (3, 4)

    def __init__(self, padding, value=0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self._dims)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self._dims:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a "
                             f"{2 * self._dims}-tuple, received {padding}")
        self.padding, self.value = padding, value

    def forward(self, x):
        if x.ndim not in self._ranks:
            ranks = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(f"{type(self).__name__}: expected {ranks} input, received shape "
                             f"{tuple(x.shape)}")
        if self._mode == "constant":
            return pad(x, self.padding, "constant", self.value)
        return pad(x, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self._mode == "constant" else "")


class ConstantPad1d(_Pad):
    """Pad the last axis of (C, L) or (N, C, L) by (left, right) with ``value``."""
    _dims, _ranks = 1, (2, 3)


class ConstantPad2d(_Pad):
    """Pad (left, right, top, bottom) of (C, H, W) or (N, C, H, W) with ``value``."""


class ZeroPad1d(_Pad):
    """Pad the last axis of (C, L) or (N, C, L) by (left, right) with zeros."""
    _dims, _ranks = 1, (2, 3)

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(_Pad):
    """Pad (left, right, top, bottom) of (C, H, W) or (N, C, H, W) with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ReflectionPad1d(_Pad):
    """Mirror the last axis at its edges (edge not repeated); pads < length."""
    _dims, _mode, _ranks = 1, "reflect", (2, 3)


class ReflectionPad2d(_Pad):
    """Mirror H and W at their edges (edge not repeated); pads < length."""
    _mode = "reflect"


class ReplicationPad1d(_Pad):
    """Repeat the edge values of the last axis."""
    _dims, _mode, _ranks = 1, "replicate", (2, 3)


class ReplicationPad2d(_Pad):
    """Repeat the edge values of H and W."""
    _mode = "replicate"
