"""Keras's projective image warp ``affine_transform``, as a composition of
:func:`deepgrad.ops.grid_sample` (no backward of its own).

``transform`` holds ``[a0, a1, a2, b0, b1, b2, c0, c1]`` per image; the output pixel at
column x, row y reads the input at

    (x', y') = ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k),   k = c0 x + c1 y + 1

(pixel centres at integer coordinates), with bilinear or nearest interpolation and what
lies outside the image given by ``fill_mode``:

    constant  fill_value            (k j i h | a b c d | e f g h) -> (v v v v | a b c d | v v)
    nearest   the edge pixel        (a a a a | a b c d | d d d d)
    reflect   mirrored at the edge  (d c b a | a b c d | d c b a)
    wrap      tiled                 (a b c d | a b c d | a b c d)

The gradient reaches the images (through grid_sample); the transform is data.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops.elementwise import add, sub
from deepgrad.ops.grid_sample import grid_sample
from deepgrad.ops.padding import pad

_FILL = {"constant": "zeros", "nearest": "border", "reflect": "reflection", "wrap": "zeros"}
_INTERPOLATION = ("bilinear", "nearest")


def _source_points(transform, height, width, dtype=np.float64):
    """(N, H, W) source x' and y' of every output pixel."""
    t = np.asarray(transform, dtype)
    y, x = np.meshgrid(np.arange(height, dtype=dtype), np.arange(width, dtype=dtype),
                       indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i, None, None] for i in range(8))
    k = c0 * x + c1 * y + 1.0
    return (a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0):
    """Warp (N, C, H, W) images by projective transforms (Keras's ``affine_transform``).

    Args:
        images: (N, C, H, W) float tensor.
        transform: (N, 8) or (8,) array of ``[a0, a1, a2, b0, b1, b2, c0, c1]``, the map
            from output to input coordinates (module docstring).
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"reflect"`` or ``"wrap"``.
        fill_value (float): the constant outside the image for ``"constant"``.
    Returns:
        (N, C, H, W) tensor of the images' dtype.
    Example:
        >>> affine_transform(x, [1, 0, -2, 0, 1, 0, 0, 0])   # content moves 2 pixels right
    """
    x = to_tensor(images)
    if interpolation not in _INTERPOLATION:
        raise ValueError(f"affine_transform: interpolation must be one of {_INTERPOLATION}, "
                         f"received {interpolation!r}")
    if fill_mode not in _FILL:
        raise ValueError(f"affine_transform: fill_mode must be one of {sorted(_FILL)}, "
                         f"received {fill_mode!r}")
    t = np.asarray(getattr(transform, "array", transform),
                   np.float64)
    if t.ndim == 1:
        t = t[None]
    if x.ndim != 4 or t.ndim != 2 or t.shape[1] != 8 or t.shape[0] not in (1, x.shape[0]):
        raise ValueError(f"affine_transform: expected images (N, C, H, W) and transform (N, 8) "
                         f"or (8,); received images {tuple(x.shape)} and transform "
                         f"{tuple(np.shape(transform))}")
    n, _, height, width = x.shape
    t = np.broadcast_to(t, (n, 8))
    if interpolation == "nearest":
        return _nearest(x, t, fill_mode, fill_value)
    sx, sy = _source_points(t, height, width)
    if fill_mode == "wrap":                      # tile by one pixel, then wrap the points
        x = pad(x, (1, 1, 1, 1), mode="circular")
        sx, sy = np.mod(sx, width) + 1, np.mod(sy, height) + 1
        height, width = height + 2, width + 2
    grid = np.stack([(2 * sx + 1) / width - 1, (2 * sy + 1) / height - 1], axis=-1)
    grid = _fn._Tensor._wrap(grid.astype(x.array.dtype))
    if fill_mode == "constant" and fill_value:
        shift = _fn._Tensor._wrap(np.asarray(fill_value, x.array.dtype))
        out = grid_sample(sub(x, shift), grid, interpolation, "zeros", align_corners=False)
        return add(out, shift)
    return grid_sample(x, grid, interpolation, _FILL[fill_mode], align_corners=False)


def _fold_index(i, n, fill_mode):
    """Integer indices mapped into [0, n) by the fill mode (and whether they were inside)."""
    inside = (i >= 0) & (i < n)
    if fill_mode == "reflect":
        i = np.mod(i, 2 * n)
        i = np.where(i >= n, 2 * n - 1 - i, i)
    elif fill_mode == "wrap":
        i = np.mod(i, n)
    else:
        i = np.clip(i, 0, n - 1)
    return i, inside


def _nearest(x, t, fill_mode, fill_value):
    """Nearest-neighbour warp: each output pixel copies the input pixel at the source point
    rounded half to even (then folded by the fill mode), as Keras rounds."""
    n, c, height, width = x.shape
    sx, sy = _source_points(t, height, width, x.array.dtype)
    cols, in_x = _fold_index(np.round(sx).astype(np.int64), width, fill_mode)
    rows, in_y = _fold_index(np.round(sy).astype(np.int64), height, fill_mode)
    batch = np.broadcast_to(np.arange(n)[:, None, None], rows.shape)
    out = x[batch, :, rows, cols]                       # (N, H, W, C)
    out = out.permute(0, 3, 1, 2)
    if fill_mode != "constant":
        return out
    keep = _fn._Tensor._wrap((in_x & in_y)[:, None].astype(x.array.dtype))
    fill = _fn._Tensor._wrap((~(in_x & in_y))[:, None] * np.asarray(fill_value, x.array.dtype))
    return add(out * keep, fill)
