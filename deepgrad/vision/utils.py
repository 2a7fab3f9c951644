"""Image grids and image files, as ``torchvision.utils`` makes and saves them.

:func:`make_grid` tiles a batch (B, C, H, W) into one image (C, H', W'): ``nrow`` images
per row, ``padding`` pixels of ``pad_value`` around each; one-channel images are repeated
to three channels. With ``normalize=True`` the values are first mapped to [0, 1] by

    x <- (clamp(x, lo, hi) - lo) / max(hi - lo, 1e-5)

with (lo, hi) = ``value_range`` or the batch's (or, with ``scale_each``, each image's) own
min and max. :func:`save_image` writes ``round(255 x)`` clamped to [0, 255]: through
Pillow when it is installed (any format Pillow writes), else PNG through deepgrad's own
encoder (:mod:`deepgrad.vision._png`).
"""
import math
import os

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.vision import _png

__all__ = ["make_grid", "save_image"]


def _batch_array(tensor):
    if isinstance(tensor, Tensor):
        return tensor.array
    if isinstance(tensor, list) and tensor and all(isinstance(t, Tensor) for t in tensor):
        shapes = {t.shape for t in tensor}
        if len(shapes) != 1:
            raise ValueError(f"make_grid: the images of a list must have one shape, received "
                             f"{sorted(shapes)}")
        return np.stack([t.array for t in tensor])
    raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")


def _normalize(a, value_range, scale_each):
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError(f"make_grid: value_range has to be a tuple (min, max), received "
                        f"{value_range!r}")

    def norm(t):
        lo, hi = value_range if value_range is not None else (float(t.min()), float(t.max()))
        np.clip(t, lo, hi, out=t)
        t -= lo
        t /= max(hi - lo, 1e-5)

    a = a.copy()
    if scale_each:
        for t in a:
            norm(t)
    else:
        norm(a)
    return a


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0, **kwargs):
    """Tile images into one image, as ``torchvision.utils.make_grid``.

    Args:
        tensor (Tensor or list of Tensor): a batch (B, C, H, W), one image (C, H, W) or
            (H, W), or a list of same-shaped images.
        nrow (int): images per row (the grid is ceil(B / nrow) rows of min(nrow, B)).
        padding (int): pixels between and around the images.
        normalize (bool): map values to [0, 1] (see the module docstring).
        value_range (tuple, optional): (min, max) used by ``normalize``; default: the data's.
        scale_each (bool): normalize each image by its own min and max.
        pad_value (float): the value of the padding pixels.
        range: deprecated alias of ``value_range`` (warns, as torchvision).
    Returns:
        Tensor: (C, H', W') with C = 3 for one-channel input; one image comes back
        without tiling (and without padding).
    """
    if "range" in kwargs:
        import warnings
        warnings.warn("range will be deprecated, please use value_range instead.")
        value_range = kwargs.pop("range")
    if kwargs:
        raise TypeError(f"make_grid() got unexpected keyword arguments {sorted(kwargs)}")
    a = _batch_array(tensor)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        if a.shape[0] == 1:
            a = np.concatenate([a, a, a], 0)
        a = a[None]
    if a.ndim != 4:
        raise ValueError(f"make_grid: expected images (B, C, H, W), (C, H, W) or (H, W), "
                         f"received shape {a.shape}")
    if a.shape[1] == 1:
        a = np.concatenate([a, a, a], 1)
    if normalize:
        a = _normalize(a, value_range, scale_each)
    if a.shape[0] == 1:
        return Tensor(a[0].copy())
    nmaps = a.shape[0]
    xmaps = min(int(nrow), nmaps)
    ymaps = int(math.ceil(nmaps / xmaps))
    height, width = a.shape[2] + padding, a.shape[3] + padding
    grid = np.full((a.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value,
                   dtype=a.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = a[k]
    return Tensor(grid)


def _format_of(fp, format):
    if format is not None:
        return format.lower()
    name = os.fspath(fp) if isinstance(fp, (str, os.PathLike)) else None
    if name is None:
        raise ValueError("save_image: writing to a file object needs format=, e.g. "
                         "format='png'")
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    if not ext:
        raise ValueError(f"save_image: cannot tell the image format of {name!r}; give a "
                         f"file extension or format=")
    return ext


def save_image(tensor, fp, format=None, **kwargs):
    """Save an image or a batch (tiled by :func:`make_grid` with ``kwargs``) to a file, as
    ``torchvision.utils.save_image``.

    Pixels are ``uint8(clamp(255 x + 0.5, 0, 255))``. With Pillow installed any format it
    writes is accepted; without it, PNG only (deepgrad's encoder).

    Args:
        tensor (Tensor or list of Tensor): values in [0, 1] (or use ``normalize=True``).
        fp (str, os.PathLike or binary file object): where to write.
        format (str, optional): the image format; by default from the file name.
        **kwargs: :func:`make_grid`'s arguments.
    """
    fmt = _format_of(fp, format)
    grid = make_grid(tensor, **kwargs).array
    if grid.ndim == 2:
        grid = grid[None]
    ndarr = np.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        Image.fromarray(ndarr.squeeze(2) if ndarr.shape[2] == 1 else ndarr).save(fp, format=format)
        return
    if fmt != "png":
        raise ValueError(f"save_image: format {fmt!r} needs Pillow (pip install pillow); "
                         f"without it deepgrad writes PNG only")
    _png.write_png(fp, ndarr)
