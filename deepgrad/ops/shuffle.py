"""Channel rearrangements: pixel shuffle / unshuffle and channel shuffle (PyTorch's).

Each is a reshape, a permutation of axes and a reshape (compositions of
:mod:`deepgrad.ops.shape`, so the gradient is the inverse rearrangement):

    pixel_shuffle(r):    (*, C r^2, H, W) -> (*, C, H r, W r)
                         y[..., c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w]
    pixel_unshuffle(r):  the inverse, (*, C, H r, W r) -> (*, C r^2, H, W)
    channel_shuffle(g):  (N, C, *) with C = g m: channel a m + b moves to b g + a
"""
import numpy as np

from deepgrad.autograd.function import to_tensor


def _factor(name, what, r):
    if not isinstance(r, (int, np.integer)) or isinstance(r, bool) or r <= 0:
        raise ValueError(f"{name}: expected a positive integer {what}, received {r!r}")
    return int(r)


def pixel_shuffle(input, upscale_factor):
    """Move channel blocks into space: (*, C r^2, H, W) -> (*, C, H r, W r).

    Example:
        >>> pixel_shuffle(x, 2).shape            # x (1, 8, 3, 3)
        (1, 2, 6, 6)
    """
    x = to_tensor(input)
    r = _factor("pixel_shuffle", "upscale_factor", upscale_factor)
    if x.ndim < 3:
        raise ValueError(f"pixel_shuffle: expected an input with at least 3 dimensions "
                         f"(*, C, H, W), received shape {tuple(x.shape)}")
    *lead, C, H, W = x.shape
    if C % (r * r):
        raise ValueError(f"pixel_shuffle: the channel dimension {C} of input shape "
                         f"{tuple(x.shape)} must be divisible by upscale_factor^2 = {r * r}")
    k = len(lead)
    y = x.reshape(*lead, C // (r * r), r, r, H, W)
    y = y.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return y.reshape(*lead, C // (r * r), H * r, W * r)


def pixel_unshuffle(input, downscale_factor):
    """Move space into channel blocks: (*, C, H r, W r) -> (*, C r^2, H, W); the inverse of
    :func:`pixel_shuffle`."""
    x = to_tensor(input)
    r = _factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    if x.ndim < 3:
        raise ValueError(f"pixel_unshuffle: expected an input with at least 3 dimensions "
                         f"(*, C, H, W), received shape {tuple(x.shape)}")
    *lead, C, H, W = x.shape
    if H % r or W % r:
        raise ValueError(f"pixel_unshuffle: height {H} and width {W} of input shape "
                         f"{tuple(x.shape)} must be divisible by downscale_factor = {r}")
    k = len(lead)
    y = x.reshape(*lead, C, H // r, r, W // r, r)
    y = y.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return y.reshape(*lead, C * r * r, H // r, W // r)


def channel_shuffle(input, groups):
    """Interleave the channels of ``groups`` groups: (N, C, *) viewed as (N, g, C/g, *),
    axes 1 and 2 swapped, viewed back (ShuffleNet)."""
    x = to_tensor(input)
    g = _factor("channel_shuffle", "groups", groups)
    if x.ndim <= 2:
        raise ValueError(f"channel_shuffle: expected an input with more than 2 dimensions "
                         f"(N, C, *), received shape {tuple(x.shape)}")
    N, C, *rest = x.shape
    if C % g:
        raise ValueError(f"channel_shuffle: the number of channels {C} of input shape "
                         f"{tuple(x.shape)} must be divisible by groups = {g}")
    return x.reshape(N, g, C // g, *rest).transpose(1, 2).reshape(x.shape)
