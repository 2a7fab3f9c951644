"""Padding and resampling of the trailing (spatial) axes: gathers along one axis at a time.

Along an axis of length n, each op picks for every output position j a few source
positions i_t(j) with weights w_t(j):

    out[j] = sum_t w_t(j) x[i_t(j)]          dL/dx[k] = sum_{t, j: i_t(j) = k} w_t(j) g[j]

so every backward is the scatter-add of the forward's weights, itself run as a gather.

    pad, constant:   x inside, ``value`` outside; a negative pad crops
    pad, reflect:    i(j) = (n-1) - |(n-1) - |j||      (mirror, edge not repeated)
    pad, replicate:  i(j) = clip(j, 0, n-1)
    pad, circular:   i(j) = j mod n                    (j from -left to n + right - 1)
                     (a negative pad first crops; n is then the length left)
    nearest:         i(j) = min(floor(j s), n-1)
    linear:          u = s (j + 1/2) - 1/2 (>= 0), or s j with align_corners;
                     i0 = floor(u), i1 = min(i0 + 1, n-1), w1 = u - i0, w0 = 1 - w1
    cubic:           u = s (j + 1/2) - 1/2 (not clamped), i = floor(u), t = u - i;
                     i_k = clip(i - 1 + k, 0, n-1), w_k = W(t + 1 - k), k = 0..3, with
                     Keys' W(x) = (a+2)|x|^3 - (a+3)|x|^2 + 1 (|x| <= 1),
                     a|x|^3 - 5a|x|^2 + 8a|x| - 4a (1 < |x| < 2), a = -0.75
    antialias:       c = s (j + 1/2), taps k in [c - r + 1/2, c + r + 1/2) with
                     r = (size / 2) max(s, 1); w_k = f((k - c + 1/2) / max(s, 1)),
                     normalised to sum 1 (f: triangle, Keys a = -0.5, Lanczos-3)

with s = in/out, or 1/scale_factor when a scale factor was given, or (in-1)/(out-1)
with align_corners (PyTorch's formulas, in the input's float type).
"""
import warnings

import numpy as np

from deepgrad.autograd.function import Function, to_tensor


class ConstantPad(Function):
    """Pad with a constant (``widths``: one (before, after) per axis; negative crops)."""

    def forward(self, x, widths=(), value=0):
        self.widths = widths
        crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, x.shape))
        grow = [(max(b, 0), max(a, 0)) for b, a in widths]
        return np.pad(x[crop], grow, constant_values=np.asarray(value, x.dtype))

    def backward(self, g):
        inner = tuple(slice(max(b, 0), n - max(a, 0)) for (b, a), n in zip(self.widths, g.shape))
        cropped = [(max(-b, 0), max(-a, 0)) for b, a in self.widths]
        return np.pad(g[inner], cropped) if any(b or a for b, a in cropped) else g[inner]


def _apply_taps(x, axis, taps):
    """sum_t w_t x.take(i_t, axis), each w_t (or 1 for None) broadcast along ``axis``."""
    out = None
    for index, w in taps:
        term = np.take(x, index, axis=axis)
        if w is not None:
            term *= w.reshape((-1,) + (1,) * (x.ndim - 1 - axis))
        out = term if out is None else np.add(out, term, out=out)
    return out


def _transpose_taps(taps, n, dtype):
    """The same map read the other way round: for each source position k < n, the output
    positions j that read it, with their weights, as c gather taps (c = the largest count;
    unused slots read position 0 with weight 0).

    So the backward's scatter-add  dx[k] = sum_{t, j: i_t(j) = k} w_t(j) g[j]  runs as c
    plain gathers, which NumPy does many times faster than np.add.at.
    """
    m = len(taps[0][0])
    dst = np.concatenate([index for index, _ in taps])
    src = np.tile(np.arange(m), len(taps))
    w = np.concatenate([np.ones(m, dtype) if w is None else w for _, w in taps])
    order = np.argsort(dst, kind="stable")
    dst, src, w = dst[order], src[order], w[order]
    counts = np.bincount(dst, minlength=n)
    slot = np.arange(dst.size) - np.repeat(np.cumsum(counts) - counts, counts)
    index = np.zeros((max(int(counts.max()), 1), n), np.int64)
    weight = np.zeros(index.shape, dtype)
    index[slot, dst], weight[slot, dst] = src, w
    return tuple((i, None if np.all(wr == 1) else wr) for i, wr in zip(index, weight))


class AxisGather(Function):
    """out = sum_t w_t x.take(i_t, axis); each tap is (index, weights or None for 1).

    Backward: the scatter-add of g with the same weights, run as the gather of the
    transposed map (:func:`_transpose_taps`).
    """

    def forward(self, x, axis=-1, taps=()):
        self.axis, self.taps, self.n = axis, taps, x.shape[axis]
        return _apply_taps(x, axis, taps)

    def backward(self, g):
        return _apply_taps(g, self.axis, _transpose_taps(self.taps, self.n, g.dtype))


def _gather(x, axis, taps):
    return AxisGather.apply(x, axis=axis, taps=taps)


# ----------------------------------------------------------------- pad
_PAD_INDEX = {
    "reflect": lambda j, n: (n - 1) - np.abs((n - 1) - np.abs(j)),
    "replicate": lambda j, n: np.clip(j, 0, n - 1),
    "circular": lambda j, n: j % n,
}


def _pad_widths(x, pad):
    """PyTorch's flat pad tuple (last axis first) -> one (before, after) per axis."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: the pad tuple must have an even length of at most 2 * ndim = "
                         f"{2 * x.ndim} for input of shape {tuple(x.shape)}, received {pad}")
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return widths


def _source_index(mode, b, a, n):
    """Source of each output position along an axis of length n padded by (b, a).

    A negative pad first crops, then the cropped length m is padded (as PyTorch).
    """
    crop = max(-b, 0)
    m = n - crop - max(-a, 0)
    limit = {"reflect": m - 1, "replicate": float("inf"), "circular": m}[mode]
    if m <= 0 or max(b, a) > limit:
        return None
    return _PAD_INDEX[mode](np.arange(-max(b, 0), m + max(a, 0)), m) + crop


def pad(input, pad, mode="constant", value=None):
    """Pad the trailing axes; ``pad`` = (left, right, top, bottom, front, back, ...).

    The first pair pads the last axis, the next pair the one before it (PyTorch's order).

    Args:
        input: tensor of any shape.
        pad: tuple of ints of even length, at most 2 * ndim.
        mode: 'constant' (``value`` outside; negative pads crop), 'reflect' (mirror
            without repeating the edge, pads < n), 'replicate' (repeat the edge) or
            'circular' (wrap around, pads <= n).
        value: the fill of 'constant' (None: 0).
    The non-constant modes pad the last 1, 2 or 3 axes of a (k+1)-D or (k+2)-D input
    (k = len(pad) // 2), as PyTorch.
    Returns:
        Tensor with the padded axes grown by left + right.
    Backward: constant: the gradient's interior; the others scatter-add g to the
    source of every output position (see the module docstring).
    Example:
        >>> pad(x, (1, 1, 2, 0), mode="reflect").shape      # x (1, 3, 4, 5)
        (1, 3, 6, 7)
    """
    x = to_tensor(input)
    widths = _pad_widths(x, pad)
    if mode == "constant":
        value = 0 if value is None else value
        for axis, ((b, a), n) in enumerate(zip(widths, x.shape)):
            if n + b + a < 0 or n + min(b, 0) + min(a, 0) < 0:
                raise ValueError(f"pad: padding ({b}, {a}) crops more than the {n} elements of "
                                 f"dimension {axis} of input of shape {tuple(x.shape)}")
        return ConstantPad.apply(x, widths=widths, value=value)
    if mode not in _PAD_INDEX:
        raise ValueError(f"pad: mode must be one of ('constant', {', '.join(map(repr, _PAD_INDEX))}),"
                         f" received {mode!r}")
    if value is not None and value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no fill value, received value={value}")
    k = len(pad) // 2
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 dimensions of a (k+1)-D "
                         f"or (k+2)-D input (k = len(pad) // 2); received a pad of length "
                         f"{len(pad)} for input of shape {tuple(x.shape)}")
    for axis, ((b, a), n) in enumerate(zip(widths, x.shape)):
        if not (b or a):
            continue
        index = _source_index(mode, b, a, n)
        if index is None:
            rule = {"reflect": "pads < m", "circular": "pads <= m", "replicate": "m >= 1"}[mode]
            raise ValueError(f"pad: padding ({b}, {a}) does not fit mode {mode!r} at dimension "
                             f"{axis} of input of shape {tuple(x.shape)}: with m the length left "
                             f"after negative pads crop, it needs {rule}")
        x = _gather(x, axis, ((index, None),))
    return x


# ----------------------------------------------------------------- interpolate
def _scale(n_in, n_out, scale, dtype):
    """s = 1/scale_factor when one was given, else in/out (PyTorch's compute_scales_value)."""
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(n_in) / dtype.type(n_out)


def _corner_scale(n_in, n_out, scale, align_corners, dtype):
    """PyTorch's area_pixel_compute_scale: (in-1)/(out-1) with align_corners, else s."""
    if align_corners:
        return dtype.type(n_in - 1) / dtype.type(n_out - 1) if n_out > 1 else dtype.type(0)
    return _scale(n_in, n_out, scale, dtype)


def _nearest_taps(n_in, n_out, scale, exact, two_d):
    """i(j) = min(floor(j s), n-1); 'nearest-exact': floor((j + 1/2) s), s in float32.

    PyTorch's 2-D kernel copies when out == in and takes j // 2 when out == 2 in
    (its ``nearest_idx``); the 1-D and 3-D kernels always use the formula.
    """
    j = np.arange(n_out)
    if two_d and not exact and n_out == n_in:
        return ((j, None),)
    if two_d and not exact and n_out == 2 * n_in:
        return ((j // 2, None),)
    s = _scale(n_in, n_out, scale, np.dtype(np.float32))
    src = ((j + 0.5) * np.float64(s)).astype(np.float32) if exact else j.astype(np.float32) * s
    return ((np.minimum(np.floor(src).astype(np.int64), n_in - 1), None),)


def _linear_taps(n_in, n_out, scale, align_corners, dtype):
    """The two neighbours i0, i1 and weights w0, w1 of every output position."""
    s = _corner_scale(n_in, n_out, scale, align_corners, dtype)
    j = np.arange(n_out, dtype=dtype)
    src = s * j if align_corners else np.maximum(s * (j + dtype.type(0.5)) - dtype.type(0.5), 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    w1 = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    return ((i0, (1 - w1).astype(dtype)), (i1, w1))


def _cubic1(x, a):
    """Keys' cubic convolution kernel on |x| <= 1."""
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x, a):
    """Keys' cubic convolution kernel on 1 < |x| < 2."""
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _cubic_taps(n_in, n_out, scale, align_corners, dtype):
    """Four neighbours i-1 .. i+2 (clamped to the edge) with Keys' weights, a = -0.75."""
    s = _corner_scale(n_in, n_out, scale, align_corners, dtype)
    j = np.arange(n_out, dtype=dtype)
    src = s * j if align_corners else s * (j + dtype.type(0.5)) - dtype.type(0.5)
    i = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i.astype(dtype), 0, 1).astype(dtype)
    a, one = dtype.type(-0.75), dtype.type(1)
    weights = (_cubic2(t + one, a), _cubic1(t, a), _cubic1(one - t, a), _cubic2(one - t + one, a))
    return tuple((np.clip(i - 1 + k, 0, n_in - 1), w.astype(dtype)) for k, w in enumerate(weights))


def _aa_filter(kind, x):
    """The antialiasing filters: triangle (bilinear), Keys a = -0.5 (bicubic), Lanczos-3."""
    x = np.abs(x)
    if kind == "bilinear":
        return np.where(x < 1, 1 - x, 0)
    if kind == "bicubic":
        a = x.dtype.type(-0.5)
        return np.where(x < 1, _cubic1(x, a), np.where(x < 2, _cubic2(x, a), 0))
    px = np.pi * x
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(x == 0, 1, 3 * np.sin(px) * np.sin(px / 3) / (px * px))
    return np.where(x < 3, w, 0)


_AA_SIZE = {"bilinear": 2, "bicubic": 4, "lanczos": 6}


def _antialias_taps(n_in, n_out, scale, align_corners, dtype, kind):
    """PyTorch's (and PIL's) antialiased resampling: output j averages the inputs within
    ``support`` of its centre c = s (j + 1/2), weighted by filter((k - c + 1/2) / max(s, 1))
    and normalised to sum 1; the support widens with the downscaling factor s."""
    s = _corner_scale(n_in, n_out, scale, align_corners, dtype)
    half = dtype.type(_AA_SIZE[kind] / 2)
    support = half * s if s >= 1 else half
    invscale = dtype.type(1) / s if s >= 1 else dtype.type(1)
    center = s * (np.arange(n_out, dtype=dtype) + dtype.type(0.5))
    xmin = np.maximum((center - support + dtype.type(0.5)).astype(np.int64), 0)
    xsize = np.minimum((center + support + dtype.type(0.5)).astype(np.int64), n_in) - xmin
    width = int(np.ceil(support)) * 2 + 1 if s >= 1 else _AA_SIZE[kind]
    xsize = np.clip(xsize, 0, width)
    k = np.arange(width)[:, None]
    w = _aa_filter(kind, ((k + xmin - center).astype(dtype) + dtype.type(0.5)) * invscale)
    w = np.where(k < xsize, w, 0).astype(dtype)
    total = w.sum(axis=0)
    w = np.where(total != 0, w / np.where(total != 0, total, 1), w).astype(dtype)
    return tuple((np.minimum(xmin + kk, n_in - 1), w[kk]) for kk in range(width))


# mode -> (input ranks, taps along one axis or None for 'area')
_MODES = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "linear": (3,), "bilinear": (4,),
          "bicubic": (4,), "trilinear": (5,), "area": (3, 4, 5), "lanczos": (4,)}
_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear", "lanczos")
_LAYOUTS = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}


def _output_sizes(x, size, scale_factor):
    """The resized lengths of the spatial axes, and the scale factors PyTorch passes on."""
    k = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        sizes = (size,) * k if np.ndim(size) == 0 else tuple(size)
        if len(sizes) != k:
            raise ValueError(f"interpolate: size {size} must have {k} entries for input of "
                             f"shape {tuple(x.shape)}")
        if not all(isinstance(n, (int, np.integer)) for n in sizes):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, received "
                            f"{size}")
        return tuple(int(n) for n in sizes), (None,) * k
    scales = (scale_factor,) * k if np.ndim(scale_factor) == 0 else tuple(scale_factor)
    if len(scales) != k:
        raise ValueError(f"interpolate: scale_factor {scale_factor} must have {k} entries for "
                         f"input of shape {tuple(x.shape)}")
    scales = tuple(float(s) for s in scales)
    return tuple(int(n * s) for n, s in zip(x.shape[2:], scales)), scales


def _check_mode(x, mode, align_corners, antialias):
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {tuple(_MODES)}, received {mode!r}")
    if x.ndim not in _MODES[mode]:
        wanted = " or ".join(f"{n}-D {_LAYOUTS[n]}" for n in _MODES[mode])
        raise ValueError(f"interpolate: mode {mode!r} expects {wanted} input, received shape "
                         f"{tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"interpolate: expected a floating point input, received dtype {x.dtype}")
    if align_corners is not None and mode not in _INTERPOLATING:
        raise ValueError(f"interpolate: align_corners can only be set with the linear modes "
                         f"{_INTERPOLATING}, received mode {mode!r}")
    if antialias and mode not in _AA_SIZE:
        raise ValueError(f"interpolate: antialias=True is only available with the modes "
                         f"{tuple(_AA_SIZE)} (4-D input), received mode {mode!r}")
    if mode == "lanczos" and (not antialias or align_corners):
        raise ValueError("interpolate: mode 'lanczos' requires antialias=True and "
                         f"align_corners False, received antialias={antialias}, "
                         f"align_corners={align_corners}")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial axes of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input.

    Each axis is resampled on its own (the multi-axis modes are separable), with
    PyTorch's source positions u(j) for output j (s = in/out, or 1/scale_factor when one
    was given, or (in-1)/(out-1) with align_corners):

        nearest        x[min(floor(j s), n-1)]          nearest-exact  x[floor((j + 1/2) s)]
        linear,        (1 - t) x[i] + t x[i+1],  u = s (j + 1/2) - 1/2 (>= 0) or s j,
          bilinear,      i = floor(u), t = u - i
          trilinear
        bicubic        sum_{k=-1..2} W(t - k) x[clip(i + k)], Keys' kernel W, a = -0.75
        area           adaptive average pooling to the output size
        antialias      (bilinear, bicubic, lanczos) a filter widened by the downscaling
                       factor, normalised per output (PIL's resampling)

    Args:
        input: float tensor with 1, 2 or 3 spatial axes.
        size: output length(s) of the spatial axes (int or tuple).
        scale_factor: multiplier(s) of the spatial lengths; out = floor(in * scale).
        mode: 'nearest', 'nearest-exact', 'area', 'linear' (3-D), 'bilinear', 'bicubic',
            'lanczos' (4-D, antialias only) or 'trilinear' (5-D).
        align_corners: interpolating modes only; True maps the corner pixels' centres onto
            each other. Default False.
        recompute_scale_factor: True uses s = in/out even when scale_factor was given.
        antialias: filter before downsampling (bilinear, bicubic, lanczos; 4-D).
    Returns:
        Tensor (N, C, *size).
    Backward: the scatter-add of the same weights (see the module docstring), the exact
    adjoint of the forward. (PyTorch's 'nearest' backward on 3-D and 5-D input and its
    'bicubic' backward switch to a copy or j // 2 index map when out = in or 2 in, even
    where their forward used the formula with a scale factor; there the gradients differ.)
    Example:
        >>> interpolate(x, scale_factor=2, mode="bilinear").shape      # x (1, 3, 4, 5)
        (1, 3, 8, 10)
    """
    x = to_tensor(input)
    _check_mode(x, mode, align_corners, antialias)
    if recompute_scale_factor and size is not None:
        raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                         "explicit size")
    sizes, scales = _output_sizes(x, size, scale_factor)
    if min(sizes) <= 0:
        raise ValueError(f"interpolate: output sizes must be positive, received {sizes} for "
                         f"input of shape {tuple(x.shape)}")
    if mode == "area":
        from deepgrad.ops.pool_adaptive import _adaptive_avg
        return _adaptive_avg("interpolate", x.ndim - 2, x, sizes)
    if recompute_scale_factor:
        scales = (None,) * len(sizes)
    corners = bool(align_corners)
    for axis, n_out, scale in zip(range(2, x.ndim), sizes, scales):
        n_in = x.shape[axis]
        if antialias:
            taps = _antialias_taps(n_in, n_out, scale, corners, x.dtype, mode)
        elif mode == "bicubic":
            taps = _cubic_taps(n_in, n_out, scale, corners, x.dtype)
        elif mode in _INTERPOLATING:
            if n_out == n_in:
                continue      # PyTorch copies an axis whose length does not change
            taps = _linear_taps(n_in, n_out, scale, corners, x.dtype)
        else:
            taps = _nearest_taps(n_in, n_out, scale, mode == "nearest-exact", x.ndim == 4)
        x = _gather(x, axis, taps)
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """``F.upsample``, PyTorch's deprecated name of :func:`interpolate` (warns, as PyTorch)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """``F.upsample_nearest`` (deprecated): :func:`interpolate` with mode='nearest'."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """``F.upsample_bilinear`` (deprecated): :func:`interpolate` with mode='bilinear',
    align_corners=True."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
