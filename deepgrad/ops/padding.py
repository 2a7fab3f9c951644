"""Padding and resampling of the trailing (spatial) axes: gathers along one axis at a time.

Along an axis of length n, each op picks for every output position j one or two source
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

with s = in/out, or 1/scale_factor when a scale factor was given, or (in-1)/(out-1)
with align_corners (PyTorch's formulas, in the input's float type).
"""
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


def pad(input, pad, mode="constant", value=0):
    """Pad the trailing axes; ``pad`` = (left, right, top, bottom, front, back, ...).

    The first pair pads the last axis, the next pair the one before it (PyTorch's order).

    Args:
        input: tensor of any shape.
        pad: tuple of ints of even length, at most 2 * ndim.
        mode: 'constant' (``value`` outside; negative pads crop), 'reflect' (mirror
            without repeating the edge, pads < n), 'replicate' (repeat the edge) or
            'circular' (wrap around, pads <= n).
        value: the fill of 'constant'.
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
        for axis, ((b, a), n) in enumerate(zip(widths, x.shape)):
            if n + b + a < 0 or n + min(b, 0) + min(a, 0) < 0:
                raise ValueError(f"pad: padding ({b}, {a}) crops more than the {n} elements of "
                                 f"dimension {axis} of input of shape {tuple(x.shape)}")
        return ConstantPad.apply(x, widths=widths, value=value)
    if mode not in _PAD_INDEX:
        raise ValueError(f"pad: mode must be one of ('constant', {', '.join(map(repr, _PAD_INDEX))}),"
                         f" received {mode!r}")
    if value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no fill value, received value={value}")
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


def _nearest_taps(n_in, n_out, scale, exact, two_d):
    """i(j) = min(floor(j s), n-1); 'nearest-exact': floor((j + 1/2) s), s in float32.

    PyTorch's 2-D kernel copies when out == in and takes j // 2 when out == 2 in
    (its ``nearest_idx``); the 1-D kernel always uses the formula.
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
    if align_corners:
        s = dtype.type(n_in - 1) / dtype.type(n_out - 1) if n_out > 1 else dtype.type(0)
        src = s * np.arange(n_out, dtype=dtype)
    else:
        s = _scale(n_in, n_out, scale, dtype)
        src = np.maximum(s * (np.arange(n_out, dtype=dtype) + dtype.type(0.5)) - dtype.type(0.5), 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    w1 = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    return ((i0, (1 - w1).astype(dtype)), (i1, w1))


_MODES = {"nearest": (3, 4), "nearest-exact": (3, 4), "linear": (3,), "bilinear": (4,)}
_LAYOUTS = {3: "(N, C, L)", 4: "(N, C, H, W)"}


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
        return tuple(int(n) for n in sizes), (None,) * k
    scales = (scale_factor,) * k if np.ndim(scale_factor) == 0 else tuple(scale_factor)
    if len(scales) != k:
        raise ValueError(f"interpolate: scale_factor {scale_factor} must have {k} entries for "
                         f"input of shape {tuple(x.shape)}")
    scales = tuple(float(s) for s in scales)
    return tuple(int(n * s) for n, s in zip(x.shape[2:], scales)), scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    """Resize the spatial axes of (N, C, L) or (N, C, H, W) input (PyTorch's formulas).

    Args:
        input: (N, C, L) or (N, C, H, W) float tensor.
        size: output length(s) of the spatial axes (int or tuple).
        scale_factor: multiplier(s) of the spatial lengths; out = floor(in * scale).
        mode: 'nearest', 'nearest-exact', 'linear' (3-D) or 'bilinear' (4-D).
        align_corners: linear modes only; True maps the corner pixels' centres onto
            each other, s = (in-1)/(out-1). Default False.
        recompute_scale_factor: True uses s = in/out even when scale_factor was given.
    Returns:
        Tensor (N, C, *size).
    Bilinear is linear interpolation along H, then along W (the weights multiply).
    Backward: scatter-add of the same weights (see the module docstring).
    Example:
        >>> interpolate(x, scale_factor=2, mode="bilinear").shape      # x (1, 3, 4, 5)
        (1, 3, 8, 10)
    """
    x = to_tensor(input)
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {tuple(_MODES)}, received {mode!r}")
    if x.ndim not in _MODES[mode]:
        wanted = " or ".join(f"{n}-D {_LAYOUTS[n]}" for n in _MODES[mode])
        raise ValueError(f"interpolate: mode {mode!r} expects {wanted} input, received shape "
                         f"{tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"interpolate: expected a floating point input, received dtype {x.dtype}")
    linear = mode in ("linear", "bilinear")
    if align_corners is not None and not linear:
        raise ValueError(f"interpolate: align_corners can only be set with the linear modes "
                         f"('linear', 'bilinear'), received mode {mode!r}")
    sizes, scales = _output_sizes(x, size, scale_factor)
    if min(sizes) <= 0:
        raise ValueError(f"interpolate: output sizes must be positive, received {sizes} for "
                         f"input of shape {tuple(x.shape)}")
    if recompute_scale_factor:
        scales = (None,) * len(sizes)
    for axis, n_out, scale in zip(range(2, x.ndim), sizes, scales):
        n_in = x.shape[axis]
        if linear and n_out == n_in:
            continue          # PyTorch copies an axis whose length does not change
        if linear:
            taps = _linear_taps(n_in, n_out, scale, bool(align_corners), x.dtype)
        else:
            taps = _nearest_taps(n_in, n_out, scale, mode == "nearest-exact", x.ndim == 4)
        x = _gather(x, axis, taps)
    return x
