"""``keras.ops.image``: resizing, colour spaces, padding/cropping, patches, blur.

Images are (H, W, C) or (N, H, W, C) in ``channels_last`` (``data_format=
'channels_first'`` for (N, C, H, W)); every function is differentiable through the
engine's ops (``interpolate``, ``unfold``, ``conv2d``, ``where``):

    rgb_to_grayscale:  0.2989 R + 0.5870 G + 0.1140 B   (one channel kept)
    rgb_to_hsv:        V = max, S = (max - min) / V, H by the sextant of the max (dm-pix)
    hsv_to_rgb:        c = V (1 - S + S clip(|6H mod 6 - k| ...))  (dm-pix, as Keras)
    gaussian_blur:     a depthwise convolution with the outer product of normalised
                       1-D Gaussians: rows from (kernel_size[1], sigma[1]), columns
                       from (kernel_size[0], sigma[0]); zero 'same' padding (TensorFlow)
    resize:            PyTorch's ``interpolate`` (half-pixel centres; nearest is
                       'nearest-exact'), as Keras's torch backend

``affine_transform`` is the engine's projective warp (:func:`deepgrad.ops.affine_transform`).
    sobel_edges:       (dy, dx) with the 3x3 Sobel kernels [[-1,-2,-1],[0,0,0],[1,2,1]]
                       and its transpose, reflect padding (TensorFlow's), stacked last
    ssim:              mean over pixels and channels of
                       (2 mu1 mu2 + c1)(2 s12 + c2) / ((mu1^2 + mu2^2 + c1)(s1^2 + s2^2 + c2)),
                       local moments under a normalised Gaussian window ('valid'),
                       c1 = (k1 max_val)^2, c2 = (k2 max_val)^2   (Keras's formula)

Names of ``keras.ops.image`` not provided (``map_coordinates``,
``perspective_transform``, ``elastic_transform``, ``scale_and_translate``,
``extract_patches_3d``) raise AttributeError.
"""
import numpy as np

from deepgrad._scope import NotImplementedAttribute
from deepgrad import ops as _ops
from deepgrad.keras import backend
from deepgrad.keras.ops.core import array_of as _array_of
from deepgrad.keras.ops.core import f, wrap

_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


def _prepare(images, data_format):
    """A float (N, C, H, W) tensor, and how to undo the layout."""
    fmt = backend.image_data_format() if data_format is None else data_format
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', "
                         f"received {data_format!r}")
    x = f(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 "
                         f"(batch of images). Received input with shape: "
                         f"images.shape={tuple(x.shape)}")
    single = x.ndim == 3
    if single:
        x = _ops.unsqueeze(x, 0)
    if fmt == "channels_last":
        x = _ops.permute(x, (0, 3, 1, 2))
    return x, fmt, single


def _finish(y, fmt, single):
    if fmt == "channels_last":
        y = _ops.permute(y, (0, 2, 3, 1))
    return _ops.squeeze(y, 0) if single else y


def resize(images, size, interpolation="bilinear", antialias=False,
           crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_mode="constant",
           fill_value=0.0, data_format=None):
    """Resize to ``size`` = (height, width)."""
    if interpolation not in _MODES:
        raise ValueError(f"resize: interpolation must be one of {sorted(_MODES)} in "
                         f"deepgrad, received {interpolation!r}")
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise ValueError("resize: crop_to_aspect_ratio/pad_to_aspect_ratio are not "
                         "implemented by deepgrad; crop or pad first (crop_images, "
                         "pad_images)")
    if len(size) != 2:
        raise ValueError(f"resize: size must be (height, width), received {size!r}")
    x, fmt, single = _prepare(images, data_format)
    mode = _MODES[interpolation]
    y = _ops.interpolate(x, size=tuple(int(s) for s in size), mode=mode,
                         align_corners=False if mode in ("bilinear", "bicubic") else None,
                         antialias=bool(antialias) and mode != "nearest-exact")
    return _finish(y, fmt, single)


def rgb_to_grayscale(images, data_format=None):
    x, fmt, single = _prepare(images, data_format)
    w = wrap(np.array([0.2989, 0.587, 0.114], x.dtype).reshape(1, 3, 1, 1))
    return _finish(_ops.sum(_ops.mul(x, w), 1, True), fmt, single)


def rgb_to_hsv(images, data_format=None):
    x, fmt, single = _prepare(images, data_format)
    eps = np.finfo(x.dtype).eps
    x = _ops.where(wrap(np.abs(x.array) < eps), wrap(np.zeros((), x.dtype)), x)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    value = _ops.maximum(_ops.maximum(r, g), b)
    rng = _ops.sub(value, _ops.minimum(_ops.minimum(r, g), b))
    pos_v, pos_r = value.array > 0, rng.array > 0
    one, zero = wrap(np.ones((), x.dtype)), wrap(np.zeros((), x.dtype))
    safe_v = _ops.where(wrap(pos_v), value, one)
    safe_r = _ops.where(wrap(pos_r), rng, one)
    sat = _ops.where(wrap(pos_v), _ops.div(rng, safe_v), zero)
    norm = _ops.reciprocal(_ops.mul(safe_r, 6.0))
    hue = _ops.where(wrap(value.array == g.array), _ops.add(_ops.mul(norm, _ops.sub(b, r)),
                                                            2.0 / 6.0),
                     _ops.add(_ops.mul(norm, _ops.sub(r, g)), 4.0 / 6.0))
    hue = _ops.where(wrap(value.array == r.array), _ops.mul(norm, _ops.sub(g, b)), hue)
    hue = _ops.add(_ops.where(wrap(pos_r), hue, zero), wrap((hue.array < 0).astype(x.dtype)))
    return _finish(_ops.stack([hue, sat, value], 1), fmt, single)


def hsv_to_rgb(images, data_format=None):
    x, fmt, single = _prepare(images, data_format)
    h, s, v = x[:, 0], x[:, 1], x[:, 2]
    dh = _ops.mul(_ops.remainder(h, 1.0), 6.0)
    dr = _ops.clip(_ops.sub(_ops.abs(_ops.sub(dh, 3.0)), 1.0), 0.0, 1.0)
    dg = _ops.clip(_ops.rsub(_ops.abs(_ops.sub(dh, 2.0)), 2.0), 0.0, 1.0)
    db = _ops.clip(_ops.rsub(_ops.abs(_ops.sub(dh, 4.0)), 2.0), 0.0, 1.0)
    one_minus_s = _ops.rsub(s, 1.0)
    planes = [_ops.mul(v, _ops.add(one_minus_s, _ops.mul(s, d))) for d in (dr, dg, db)]
    return _finish(_ops.stack(planes, 1), fmt, single)


def _box(name, top, bottom, height, target):
    """(top, bottom) amounts from any two of (top, bottom, target) (Keras's rule)."""
    given = [v is not None for v in (top, bottom, target)]
    if sum(given) != 2:
        raise ValueError(f"{name}: give exactly two of top/bottom/target "
                         f"(received top={top}, bottom={bottom}, target={target})")
    if top is None:
        top = abs(target - height) - bottom
    if bottom is None:
        bottom = abs(target - height) - top
    if top < 0 or bottom < 0:
        raise ValueError(f"{name}: the amounts must be >= 0, received top={top}, "
                         f"bottom={bottom} for a size of {height} and target {target}")
    return int(top), int(bottom)


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Zero-pad to ``target`` sizes or by the given amounts."""
    x, fmt, single = _prepare(images, data_format)
    top, bottom = _box("pad_images", top_padding, bottom_padding, x.shape[2], target_height)
    left, right = _box("pad_images", left_padding, right_padding, x.shape[3], target_width)
    return _finish(_ops.pad(x, (left, right, top, bottom)), fmt, single)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop to ``target`` sizes or by the given amounts."""
    x, fmt, single = _prepare(images, data_format)
    top, bottom = _box("crop_images", top_cropping, bottom_cropping, x.shape[2], target_height)
    left, right = _box("crop_images", left_cropping, right_cropping, x.shape[3], target_width)
    h, w = x.shape[2] - top - bottom, x.shape[3] - left - right
    if h <= 0 or w <= 0:
        raise ValueError(f"crop_images: the crop leaves a {h}x{w} image")
    return _finish(x[:, :, top:top + h, left:left + w], fmt, single)


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """(N, H', W', p_h p_w C) patches (each patch flattened (p_h, p_w, C), as TF)."""
    ph, pw = (size, size) if isinstance(size, int) else tuple(size)
    strides = (ph, pw) if strides is None else (
        (strides, strides) if isinstance(strides, int) else tuple(strides))
    dil = (dilation_rate,) * 2 if isinstance(dilation_rate, int) else tuple(dilation_rate)
    x, fmt, single = _prepare(images, data_format)
    n, c, h, w = x.shape
    if padding == "same":
        pads = []
        for length, k, s, d in ((h, ph, strides[0], dil[0]), (w, pw, strides[1], dil[1])):
            total = max((-(-length // s) - 1) * s + (k - 1) * d + 1 - length, 0)
            pads.append((total // 2, total - total // 2))
        x = _ops.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    elif padding != "valid":
        raise ValueError(f"extract_patches: padding must be 'valid' or 'same', received "
                         f"{padding!r}")
    hp, wp = x.shape[2], x.shape[3]
    cols = _ops.unfold(x, (ph, pw), dil, 0, strides)                  # (N, C ph pw, L)
    oh = (hp - dil[0] * (ph - 1) - 1) // strides[0] + 1
    ow = (wp - dil[1] * (pw - 1) - 1) // strides[1] + 1
    cols = _ops.reshape(cols, (n, c, ph * pw, oh, ow))
    y = _ops.permute(cols, (0, 3, 4, 2, 1))                           # (N, oh, ow, p, C)
    y = _ops.reshape(y, (n, oh, ow, ph * pw * c))
    if fmt == "channels_first":
        y = _ops.permute(y, (0, 3, 1, 2))
    return _ops.squeeze(y, 0) if single else y


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur each channel with a normalised Gaussian (zero 'same' padding keeps the size;
    ``kernel_size``/``sigma`` are (x, y) pairs, as Keras)."""
    x, fmt, single = _prepare(images, data_format)
    kw, kh = (kernel_size,) * 2 if isinstance(kernel_size, int) else tuple(kernel_size)
    sw, sh = (sigma,) * 2 if isinstance(sigma, (int, float)) else tuple(sigma)

    def g(k, s):
        r = np.arange(k) - (k - 1) / 2.0
        v = np.exp(-r ** 2 / (2.0 * s ** 2))
        return v / v.sum()
    kernel = np.outer(g(kh, sh), g(kw, sw)).astype(x.dtype)
    c = x.shape[1]
    weight = wrap(np.broadcast_to(kernel, (c, 1, kh, kw)).copy())
    x = _ops.pad(x, ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2))
    return _finish(_ops.conv2d(x, weight, None, 1, 0, 1, c), fmt, single)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Warp by projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (the map from
    output to input pixel coordinates), one per image or shared."""
    x, fmt, single = _prepare(images, data_format)
    y = _ops.affine_transform(x, np.asarray(_array_of(transform)), interpolation, fill_mode,
                              float(fill_value))
    return _finish(y, fmt, single)


def sobel_edges(images, data_format=None):
    """(…, H, W, C, 2) gradients [dy, dx] of each channel (see the module docstring)."""
    x, fmt, single = _prepare(images, data_format)
    c = x.shape[1]
    dy = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], x.dtype)
    kernels = wrap(np.stack([np.broadcast_to(k, (c, 3, 3)) for k in (dy, dy.T)], 1)
                   .reshape(2 * c, 1, 3, 3))
    padded = _ops.pad(x, (1, 1, 1, 1), mode="reflect")
    y = _ops.conv2d(padded, kernels, None, 1, 0, 1, c)              # (N, 2C, H, W)
    n, _, h, w = y.shape
    y = _ops.permute(_ops.reshape(y, (n, c, 2, h, w)), (0, 3, 4, 1, 2))   # (N, H, W, C, 2)
    if fmt == "channels_first":
        y = _ops.permute(y, (0, 3, 1, 2, 4))
    return _ops.squeeze(y, 0) if single else y


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """The structural similarity of two images (a batch gives one value per image)."""
    a, fmt, single = _prepare(image1, data_format)
    b, _, _ = _prepare(image2, data_format)
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"ssim: the images must have the same shape, received "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    b = b if b.dtype == a.dtype else _ops.cast(b, a.dtype)
    n, c, h, w = a.shape
    r = np.arange(filter_size) - (filter_size - 1) / 2.0
    g = np.exp(-r ** 2 / (2.0 * filter_sigma ** 2))
    g /= g.sum()
    window = wrap(np.outer(g, g).astype(a.dtype).reshape(1, 1, filter_size, filter_size))

    def local(v):                            # the Gaussian-weighted local mean, per channel
        return _ops.conv2d(_ops.reshape(v, (n * c, 1, h, w)), window)
    mu1, mu2 = local(a), local(b)
    s1 = _ops.sub(local(_ops.mul(a, a)), _ops.mul(mu1, mu1))
    s2 = _ops.sub(local(_ops.mul(b, b)), _ops.mul(mu2, mu2))
    s12 = _ops.sub(local(_ops.mul(a, b)), _ops.mul(mu1, mu2))
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    num = _ops.mul(_ops.add(_ops.mul(_ops.mul(mu1, mu2), 2.0), c1),
                   _ops.add(_ops.mul(s12, 2.0), c2))
    den = _ops.mul(_ops.add(_ops.add(_ops.mul(mu1, mu1), _ops.mul(mu2, mu2)), c1),
                   _ops.add(_ops.add(s1, s2), c2))
    per_image = _ops.mean(_ops.reshape(_ops.div(num, den), (n, -1)), 1)
    return _ops.squeeze(per_image, 0) if single else per_image


__all__ = ["affine_transform", "crop_images", "extract_patches", "gaussian_blur",
           "hsv_to_rgb", "pad_images", "resize", "rgb_to_grayscale", "rgb_to_hsv",
           "sobel_edges", "ssim"]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedAttribute(f"deepgrad does not implement keras.ops.image.{name}")
