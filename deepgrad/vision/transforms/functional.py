"""The image operations behind :mod:`deepgrad.vision.transforms`, by the names of
``torchvision.transforms.functional``, on three kinds of image:

- a tensor (..., C, H, W) (float in [0, 1], or uint8 in [0, 255]);
- a NumPy array (H, W) or (H, W, C) (what the datasets give without Pillow);
- a PIL image (with Pillow), converted to an array and back.

Each op returns the kind it was given. The geometry is torchvision's tensor algorithm:
an output pixel p (centred coordinates) samples the input at A^-1 (p - c - t) + c, with
A = scale * R(angle) * Shear(sx, sy) about the centre c (``_inverse_affine_matrix``),
through :func:`deepgrad.nn.functional.grid_sample` (nearest or bilinear, zeros outside,
then ``fill``); resizing is :func:`deepgrad.nn.functional.interpolate` (antialiased for
bilinear and bicubic, as torchvision's default). Colour: ``blend(a, b, r) = clamp(r a +
(1 - r) b)``: brightness blends with black, contrast with the mean grey level, saturation
with the grey image (0.2989 R + 0.587 G + 0.114 B); hue rotates H in HSV space.
uint8 images are computed in float and rounded back, as torchvision does.
"""
import math
import numbers
from enum import Enum

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.ops.grid_sample import grid_sample
from deepgrad.ops.padding import interpolate


class InterpolationMode(Enum):
    """torchvision's interpolation modes (those deepgrad resamples with)."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _mode(interpolation, allowed):
    try:
        mode = InterpolationMode(interpolation.value if isinstance(interpolation, Enum)
                                 else interpolation)
    except ValueError:
        mode = None
    if mode not in allowed:
        raise ValueError(f"interpolation must be one of {[m.name for m in allowed]} "
                         f"(InterpolationMode or its string), received {interpolation!r}")
    return mode


# ====================================================================== image kinds
def _pil_module():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def _is_pil(img):
    Image = _pil_module()
    return Image is not None and isinstance(img, Image.Image)


def _to_chw(img):
    """(array (..., C, H, W), a function giving the result back in img's kind)."""
    if isinstance(img, Tensor):
        return img.array, Tensor
    if _is_pil(img):
        Image, mode = _pil_module(), img.mode
        a = np.asarray(img)
        chw = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)

        def back(out):
            out = out[0] if out.shape[0] == 1 and a.ndim == 2 else out.transpose(1, 2, 0)
            return Image.fromarray(np.ascontiguousarray(out), mode=mode if a.ndim == 3 else None)
        return chw, back
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img[None], lambda out: out[0]
        if img.ndim == 3:
            return img.transpose(2, 0, 1), lambda out: np.ascontiguousarray(out.transpose(1, 2, 0))
        raise ValueError(f"an image array must be (H, W) or (H, W, C), received shape "
                         f"{img.shape}")
    raise TypeError(f"img should be a PIL Image, a NumPy array (H, W[, C]) or a Tensor "
                    f"(..., C, H, W). Got {type(img)}")


def get_dimensions(img):
    """[channels, height, width] of an image of any kind."""
    a, _ = _to_chw(img)
    if a.ndim < 2:
        raise ValueError(f"an image tensor must be (..., H, W), received shape {a.shape}")
    return [a.shape[-3] if a.ndim >= 3 else 1, a.shape[-2], a.shape[-1]]


def get_image_size(img):
    """[width, height], as torchvision's ``get_image_size``."""
    _, h, w = get_dimensions(img)
    return [w, h]


def _as_float(a):
    return a.astype(np.float32) if a.dtype.kind in "biu" else a


def _cast_back(out, dtype):
    if dtype.kind in "biu":
        info = np.iinfo(dtype)
        return np.clip(np.round(out), info.min, info.max).astype(dtype)
    return out.astype(dtype, copy=False)


# ====================================================================== conversions
def to_tensor(pic):
    """PIL image or array (H, W[, C]) -> tensor (C, H, W); uint8 becomes float32 / 255,
    other dtypes keep their values, as ``torchvision.transforms.functional.to_tensor``."""
    if _is_pil(pic):
        if pic.mode == "1":
            a = 255 * np.asarray(pic, dtype=np.uint8)
        else:
            a = np.asarray(pic)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        a = pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if a.ndim == 2:
        a = a[:, :, None]
    chw = np.ascontiguousarray(a.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        return Tensor(chw.astype(np.float32) / np.float32(255))
    return Tensor(chw)


def pil_to_tensor(pic):
    """PIL image -> uint8 tensor (C, H, W), values kept."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    a = np.asarray(pic)
    return Tensor(np.ascontiguousarray((a[:, :, None] if a.ndim == 2 else a).transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    """Tensor (C, H, W) or array (H, W[, C]) -> PIL image (needs Pillow); float values in
    [0, 1] are scaled by 255, as torchvision does."""
    Image = _pil_module()
    if Image is None:
        raise ImportError("to_pil_image needs Pillow: pip install pillow")
    if isinstance(pic, Tensor):
        a = pic.array
        if a.ndim == 2:
            a = a[None]
        if a.ndim != 3:
            raise ValueError(f"pic should be 2/3 dimensional. Got {a.ndim} dimensions.")
        if a.dtype.kind == "f":
            a = (a * 255).astype(np.uint8)
        a = a.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        a = pic if pic.ndim == 3 else pic[:, :, None]
        if a.dtype.kind == "f":
            a = (a * 255).astype(np.uint8)
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    return Image.fromarray(np.ascontiguousarray(a[:, :, 0] if a.shape[2] == 1 else a), mode=mode)


def normalize(tensor, mean, std, inplace=False):
    """``(x - mean[c]) / std[c]`` per channel of a float tensor (..., C, H, W)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    a = tensor.array
    if a.dtype.kind != "f":
        raise TypeError(f"Input tensor should be a float tensor. Got {a.dtype}.")
    if a.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(a.shape)}")
    m = np.asarray(mean, dtype=a.dtype).reshape(-1, 1, 1)
    s = np.asarray(std, dtype=a.dtype).reshape(-1, 1, 1)
    if (s == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {a.dtype}, leading to "
                         f"division by zero.")
    if m.shape[0] not in (1, a.shape[-3]) or s.shape[0] not in (1, a.shape[-3]):
        raise ValueError(f"mean and std need 1 or {a.shape[-3]} values (one per channel), "
                         f"received {m.shape[0]} and {s.shape[0]}")
    if inplace:
        a -= m
        a /= s
        return tensor
    return Tensor((a - m) / s)


# ====================================================================== geometry
def _size_pair(size, name):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(f"{name}: please provide only two dimensions (h, w) for size, "
                         f"received {size}")
    return size


def _pad_widths(padding):
    """torchvision's padding -> (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return (padding[0],) * 4
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders: ``padding`` = all sides, (left/right, top/bottom), or (left, top,
    right, bottom); modes 'constant' (``fill``), 'edge', 'reflect', 'symmetric'."""
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"Padding mode should be either constant, edge, reflect or "
                         f"symmetric, received {padding_mode!r}")
    left, top, right, bottom = _pad_widths(padding)
    a, back = _to_chw(img)
    widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        out = np.pad(a, widths, mode="constant", constant_values=fill)
    else:
        out = np.pad(a, widths, mode=padding_mode)
    return back(out)


def crop(img, top, left, height, width):
    """The window rows top..top+height-1, columns left..left+width-1 (zero-padded where it
    leaves the image)."""
    a, back = _to_chw(img)
    h, w = a.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        a = np.pad(a, [(0, 0)] * (a.ndim - 2) + [(max(-top, 0), max(bottom - h, 0)),
                                                 (max(-left, 0), max(right - w, 0))])
        top, left = max(top, 0), max(left, 0)
    return back(np.ascontiguousarray(a[..., top:top + height, left:left + width]))


def center_crop(img, output_size):
    """The central (h, w) window; an image smaller than it is first zero-padded evenly."""
    th, tw = _size_pair(output_size, "center_crop")
    _, h, w = get_dimensions(img)
    if tw > w or th > h:
        img = pad(img, [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                        (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0])
        _, h, w = get_dimensions(img)
        if tw == w and th == h:
            return img
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def hflip(img):
    """Mirror left-right."""
    a, back = _to_chw(img)
    return back(np.ascontiguousarray(a[..., ::-1]))


def vflip(img):
    """Mirror top-bottom."""
    a, back = _to_chw(img)
    return back(np.ascontiguousarray(a[..., ::-1, :]))


def _resized_size(h, w, size, max_size):
    if isinstance(size, numbers.Number) or len(size) == 1:
        requested = int(size if isinstance(size, numbers.Number) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1")
    return _size_pair(size, "resize")


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` = (h, w), or make the smaller edge ``size`` (keeping the aspect
    ratio; the longer edge at most ``max_size``). Bilinear and bicubic are antialiased by
    default (a filter widened by the downscaling factor, as PIL and torchvision)."""
    mode = _mode(interpolation, tuple(InterpolationMode))
    a, back = _to_chw(img)
    h, w = a.shape[-2:]
    oh, ow = _resized_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return img
    lead = a.shape[:-2]
    x = _as_float(a).reshape((-1,) + a.shape[-3:] if a.ndim >= 3 else (1, 1, h, w))
    with no_grad():
        kwargs = {} if mode.value.startswith("nearest") else {
            "align_corners": False, "antialias": bool(antialias)}
        out = interpolate(Tensor(x), size=(oh, ow), mode=mode.value, **kwargs).array
    if mode is InterpolationMode.BICUBIC and a.dtype == np.uint8:
        out = np.clip(out, 0, 255)
    return back(_cast_back(out.reshape(lead + (oh, ow)), a.dtype))


def _inverse_affine_matrix(center, angle, translate, scale, shear):
    """torchvision's inverse of  T C R S Sh C^-1  (a 2x3 matrix as 6 numbers)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def _expanded_size(matrix, w, h):
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    new = pts @ np.asarray(matrix, np.float32).reshape(2, 3).T       # float32, as torchvision
    half = np.array([w * 0.5, h * 0.5], np.float32)
    lo, hi = new.min(0) + half, new.max(0) + half
    tol = np.float32(1e-4)                   # cut precision so 12 + 1e-6 does not ceil to 13
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def _warp(a, matrix, mode, fill, out_w, out_h):
    """Sample (..., C, H, W) at the inverse-mapped output grid (torchvision's
    ``_gen_affine_grid`` + ``grid_sample`` + fill through a mask channel)."""
    h, w = a.shape[-2:]
    xs = np.linspace(-out_w * 0.5 + 0.5, out_w * 0.5 - 0.5, out_w)
    ys = np.linspace(-out_h * 0.5 + 0.5, out_h * 0.5 - 0.5, out_h)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], 1.0), -1)    # (oh, ow, 3)
    theta = np.asarray(matrix, np.float64).reshape(2, 3)
    grid = (base @ theta.T / np.array([0.5 * w, 0.5 * h]))[None]
    x = _as_float(a)
    flat = x.reshape((-1,) + x.shape[-3:] if x.ndim >= 3 else (1, 1, h, w))
    if fill is not None:
        flat = np.concatenate([flat, np.ones_like(flat[:, :1])], axis=1)
    with no_grad():
        out = grid_sample(Tensor(flat), Tensor(np.broadcast_to(
            grid, (flat.shape[0],) + grid.shape[1:]).astype(flat.dtype)),
            mode=mode.value, padding_mode="zeros", align_corners=False).array
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:]
        fill_v = np.asarray(fill, out.dtype).reshape(-1, 1, 1)
        if mode is InterpolationMode.NEAREST:
            out = np.where(mask < 0.5, fill_v, out)
        else:
            out = out * mask + (1.0 - mask) * fill_v
    return _cast_back(out.reshape(a.shape[:-2] + (out_h, out_w)), a.dtype)


def _fill_list(fill, channels):
    if fill is None:
        return None
    values = [float(fill)] if isinstance(fill, numbers.Number) else [float(f) for f in fill]
    if len(values) not in (1, channels):
        raise ValueError(f"The number of elements in 'fill' does not match the number of "
                         f"channels of the image ({len(values)} != {channels})")
    return values


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotate by ``angle`` degrees (counter-clockwise), translate by (tx, ty) pixels, scale,
    and shear by (sx, sy) degrees, about ``center`` (default: the image centre)."""
    mode = _mode(interpolation, (InterpolationMode.NEAREST, InterpolationMode.BILINEAR))
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise TypeError(f"Argument translate should be a sequence of length 2, received "
                        f"{translate!r}")
    if scale <= 0.0:
        raise ValueError(f"Argument scale should be positive, received {scale}")
    shear = [float(shear), 0.0] if isinstance(shear, numbers.Number) else [float(s) for s in shear]
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    a, back = _to_chw(img)
    c, h, w = get_dimensions(img)
    center_f = [0.0, 0.0] if center is None else [
        float(v) - s * 0.5 for v, s in zip(center, (w, h))]
    matrix = _inverse_affine_matrix(center_f, -float(angle), [float(t) for t in translate],
                                    float(scale), shear)
    return back(_warp(a, matrix, mode, _fill_list(fill, c), w, h))


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center``; ``expand`` enlarges
    the output to hold the whole rotated image."""
    mode = _mode(interpolation, (InterpolationMode.NEAREST, InterpolationMode.BILINEAR))
    a, back = _to_chw(img)
    c, h, w = get_dimensions(img)
    center_f = [0.0, 0.0] if center is None else [
        float(v) - s * 0.5 for v, s in zip(center, (w, h))]
    matrix = _inverse_affine_matrix(center_f, -float(angle), [0.0, 0.0], 1.0, [0.0, 0.0])
    ow, oh = _expanded_size(matrix, w, h) if expand else (w, h)
    return back(_warp(a, matrix, mode, _fill_list(fill, c), ow, oh))


# ====================================================================== colour
def _bound(dtype):
    return 1.0 if dtype.kind == "f" else float(np.iinfo(dtype).max)


def _blend(a, b, ratio):
    out = np.clip(ratio * _as_float(a) + (1.0 - ratio) * b, 0, _bound(a.dtype))
    return out.astype(a.dtype) if a.dtype.kind == "f" else out.astype(a.dtype)


def _channels(a, name):
    if a.ndim < 3 or a.shape[-3] not in (1, 3):
        raise TypeError(f"{name}: input image channel should be 1 or 3, received shape "
                        f"{a.shape}")
    return a.shape[-3]


def rgb_to_grayscale(img, num_output_channels=1):
    """0.2989 R + 0.587 G + 0.114 B (one channel, or repeated to three)."""
    a, back = _to_chw(img)
    if _channels(a, "rgb_to_grayscale") == 1:
        g = a
    else:
        r, gr, b = _as_float(a)[..., 0, :, :], _as_float(a)[..., 1, :, :], _as_float(a)[..., 2, :, :]
        g = (0.2989 * r + 0.587 * gr + 0.114 * b).astype(a.dtype)[..., None, :, :]
    return back(np.repeat(g, num_output_channels, axis=-3) if num_output_channels == 3 else g)


def adjust_brightness(img, brightness_factor):
    """Blend with black: ``clamp(f x)`` (0 black, 1 unchanged)."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    a, back = _to_chw(img)
    _channels(a, "adjust_brightness")
    return back(_blend(a, 0.0, brightness_factor))


def adjust_contrast(img, contrast_factor):
    """Blend with the mean grey level (0 uniform grey, 1 unchanged)."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    a, back = _to_chw(img)
    if _channels(a, "adjust_contrast") == 3:
        grey = _to_chw(rgb_to_grayscale(Tensor(a)))[0]
    else:
        grey = a
    mean = _as_float(grey).mean(axis=(-3, -2, -1), keepdims=True)
    return back(_blend(a, mean, contrast_factor))


def adjust_saturation(img, saturation_factor):
    """Blend with the grey image (0 grey, 1 unchanged, 2 twice as saturated)."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    a, back = _to_chw(img)
    if _channels(a, "adjust_saturation") == 1:
        return img
    grey = _as_float(_to_chw(rgb_to_grayscale(Tensor(a)))[0])
    return back(_blend(a, grey, saturation_factor))


def _rgb2hsv(x):
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(axis=-3), x.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_divisor = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(x):
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [np.select([i == k for k in range(6)], [c[ch] for c in choices]) for ch in range(3)]
    return np.stack(out, axis=-3).astype(x.dtype)


def adjust_hue(img, hue_factor):
    """Shift the hue by ``hue_factor`` in [-0.5, 0.5] turns of the HSV colour wheel."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    a, back = _to_chw(img)
    if _channels(a, "adjust_hue") == 1:
        return img
    x = a.astype(np.float32) / np.float32(255) if a.dtype == np.uint8 else a
    hsv = _rgb2hsv(x)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + hue_factor, 1.0)
    out = _hsv2rgb(hsv)
    if a.dtype == np.uint8:
        out = (out * (255 + 1.0 - 1e-3)).astype(np.uint8)
    return back(out)
