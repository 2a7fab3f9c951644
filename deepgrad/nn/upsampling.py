"""Resizing layers: Upsample, UpsamplingNearest2d, UpsamplingBilinear2d (PyTorch's names).

Each wraps :func:`deepgrad.ops.padding.interpolate`, where the formulas live.
"""
from deepgrad.nn.module import Module
from deepgrad.ops.padding import interpolate


class Upsample(Module):
    """Resize the spatial axes of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input.

    Args:
        size (int or tuple): output spatial size; or
        scale_factor (float or tuple): multiplier of the spatial size (out = floor(in * s)).
        mode (str): 'nearest' (default), 'nearest-exact', 'area', 'linear' (3-D),
            'bilinear' or 'bicubic' (4-D), 'trilinear' (5-D).
        align_corners (bool): interpolating modes only; see
            :func:`deepgrad.ops.padding.interpolate`.
        recompute_scale_factor (bool): resample with in/out instead of the given scale.
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
        if x.ndim not in (3, 4, 5):
            raise ValueError(f"{type(self).__name__}: expected 3D (N, C, L), 4D (N, C, H, W) or "
                             f"5D (N, C, D, H, W) input, received shape {tuple(x.shape)}")
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
