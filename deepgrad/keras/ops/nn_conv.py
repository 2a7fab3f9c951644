"""``keras.ops.nn`` convolutions, pooling, rearrangements and attention (Keras 3's
signatures over the engine's NCHW ops).

An input in ``channels_last`` (N, *spatial, C) is permuted to (N, C, *spatial) and back
(but a 2-D depthwise convolution, which runs channels-last as it is);
kernels are Keras's ``(*spatial, in / groups, out)``, permuted to the engine's
``(out, in / groups, *spatial)``. ``padding='same'`` pads each spatial axis by
``total = max((ceil(n / s) - 1) s + (k - 1) d + 1 - n, 0)``, ``total // 2`` before and
the rest after (TensorFlow's rule, which Keras follows); a transposed convolution is the
full ``(n - 1) s + (k - 1) d + 1`` output cropped to Keras's length (JAX's padding
rule, which the TensorFlow backend matches).
"""
import math

import numpy as np

from deepgrad import ops as _ops
from deepgrad.keras import backend
from deepgrad.keras.ops.core import cast, f, t, wrap

_CONV = {1: _ops.conv1d, 2: _ops.conv2d, 3: _ops.conv3d}
_CONV_T = {1: _ops.conv_transpose1d, 2: _ops.conv_transpose2d, 3: _ops.conv_transpose3d}
_MAX = {1: _ops.max_pool1d, 2: _ops.max_pool2d, 3: _ops.max_pool3d}
_AVG = {1: _ops.avg_pool1d, 2: _ops.avg_pool2d, 3: _ops.avg_pool3d}
_AMAX = {1: _ops.adaptive_max_pool1d, 2: _ops.adaptive_max_pool2d,
         3: _ops.adaptive_max_pool3d}
_AAVG = {1: _ops.adaptive_avg_pool1d, 2: _ops.adaptive_avg_pool2d,
         3: _ops.adaptive_avg_pool3d}


def _format(data_format):
    fmt = backend.image_data_format() if data_format is None else str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', "
                         f"received {data_format!r}")
    return fmt


def _first(x, fmt):
    return _ops.moveaxis(x, -1, 1) if fmt == "channels_last" else x


def _back(y, fmt):
    return _ops.moveaxis(y, 1, -1) if fmt == "channels_last" else y


def _tuple(v, rank, name):
    v = tuple(int(i) for i in v) if isinstance(v, (list, tuple)) else (int(v),) * rank
    if len(v) != rank:
        raise ValueError(f"{name} must have {rank} entries, received {v}")
    return v


def _rank(x):
    rank = x.ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"expected a 3-D, 4-D or 5-D input (batch, *spatial, channels), "
                         f"received shape {tuple(x.shape)}")
    return rank


def _same_pads(sizes, kernel, strides, dilation):
    pads = []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _pad_spatial(x, pads, value=0.0):
    """Pad the spatial axes of an (N, C, *spatial) tensor by (before, after) pairs."""
    if not any(b or a for b, a in pads):
        return x
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    return _ops.pad(x, tuple(flat), value=value)


def _padding(padding):
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', received {padding!r}")
    return p


# ---------------------------------------------------------------------- convolutions
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (N = 1, 2, 3); groups = in_channels / kernel's in-channels."""
    fmt, padding = _format(data_format), _padding(padding)
    x = f(inputs)
    rank = _rank(x)
    w = cast(kernel, x.dtype)
    s, d = _tuple(strides, rank, "strides"), _tuple(dilation_rate, rank, "dilation_rate")
    x = _first(x, fmt)
    groups = x.shape[1] // w.shape[-2]
    if groups * w.shape[-2] != x.shape[1]:
        raise ValueError(f"conv: the input has {x.shape[1]} channels, which the kernel's "
                         f"{w.shape[-2]} input channels do not divide")
    if padding == "same":
        x = _pad_spatial(x, _same_pads(x.shape[2:], w.shape[:rank], s, d))
    w = _ops.permute(w, (rank + 1, rank) + tuple(range(rank)))
    return _back(_CONV[rank](x, w, None, s, 0, d, groups), fmt)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Each input channel convolved with its own ``multiplier`` filters: kernel
    ``(*spatial, in, multiplier)``, output channels ``in * multiplier``. 2-D
    channels-last runs :func:`deepgrad.ops.depthwise_conv2d` on the input and kernel as
    they are (no permutes)."""
    w = t(kernel)
    rank = w.ndim - 2
    if rank == 2 and _format(data_format) == "channels_last":
        x = f(inputs)
        w, padding = cast(kernel, x.dtype), _padding(padding)
        s, d = _tuple(strides, 2, "strides"), _tuple(dilation_rate, 2, "dilation_rate")
        pads = (_same_pads(x.shape[1:3], w.shape[:2], s, d) if padding == "same"
                else [(0, 0), (0, 0)])
        return _ops.depthwise_conv2d(x, w, None, s, tuple(v for p in pads for v in p), d)
    full = _ops.reshape(w, tuple(w.shape[:rank]) + (1, w.shape[-2] * w.shape[-1]))
    return conv(inputs, full, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """``depthwise_conv`` then a 1x1 ``conv`` with ``pointwise_kernel``."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format)


def _transpose_pads(k, s, d, padding, output_padding):
    """(left, right) pads of Keras's transposed convolution (JAX's rule)."""
    k = (k - 1) * d + 1
    if padding == "valid":
        extra = max(k, s) - k if output_padding is None else output_padding
        return k - 1, k - 1 + extra
    pad_len = s + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, k - 1)
    return left, pad_len - left


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """The transposed convolution; kernel ``(*spatial, out, in)``."""
    fmt, padding = _format(data_format), _padding(padding)
    x = f(inputs)
    rank = _rank(x)
    w = cast(kernel, x.dtype)
    s, d = _tuple(strides, rank, "strides"), _tuple(dilation_rate, rank, "dilation_rate")
    outp = (None,) * rank if output_padding is None else _tuple(output_padding, rank,
                                                                "output_padding")
    x = _first(x, fmt)
    w_t = _ops.permute(w, (rank + 1, rank) + tuple(range(rank)))        # (in, out, *k)
    y = _CONV_T[rank](x, w_t, None, s, 0, 0, 1, d)                      # the full output
    for axis in range(rank):
        k_eff = (w.shape[axis] - 1) * d[axis] + 1
        left, right = _transpose_pads(w.shape[axis], s[axis], d[axis], padding, outp[axis])
        crop_l, crop_r = k_eff - 1 - left, k_eff - 1 - right
        dim = axis + 2
        if crop_l < 0 or crop_r < 0:
            pads = [(0, 0)] * rank
            pads[axis] = (max(-crop_l, 0), max(-crop_r, 0))
            y = _pad_spatial(y, pads)
            crop_l, crop_r = max(crop_l, 0), max(crop_r, 0)
        y = _ops.narrow(y, dim, crop_l, y.shape[dim] - crop_l - crop_r)
    return _back(y, fmt)


# ---------------------------------------------------------------------- pooling
def _pool(inputs, pool_size, strides, padding, data_format, mode):
    fmt, padding = _format(data_format), _padding(padding)
    x = f(inputs)
    rank = _rank(x)
    k = _tuple(pool_size, rank, "pool_size")
    s = k if strides is None else _tuple(strides, rank, "strides")
    x = _first(x, fmt)
    pads = _same_pads(x.shape[2:], k, s, (1,) * rank) if padding == "same" else \
        [(0, 0)] * rank
    if mode == "max":
        y = _MAX[rank](_pad_spatial(x, pads, -np.inf), k, s)
    else:
        y = _AVG[rank](_pad_spatial(x, pads), k, s)
        if any(b or a for b, a in pads):          # average over the real entries only
            ones = wrap(np.ones((1, 1) + tuple(x.shape[2:]), x.dtype))
            y = _ops.div(y, _AVG[rank](_pad_spatial(ones, pads), k, s))
    return _back(y, fmt)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "max")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "average")


def adaptive_average_pool(inputs, output_size, data_format=None):
    fmt, x = _format(data_format), f(inputs)
    rank = _rank(x)
    return _back(_AAVG[rank](_first(x, fmt), _tuple(output_size, rank, "output_size")), fmt)


def adaptive_max_pool(inputs, output_size, data_format=None):
    fmt, x = _format(data_format), f(inputs)
    rank = _rank(x)
    return _back(_AMAX[rank](_first(x, fmt), _tuple(output_size, rank, "output_size")), fmt)


# ---------------------------------------------------------------------- rearrangements
def depth_to_space(x, block_size, data_format="channels_last"):
    """(N, H, W, C b^2) -> (N, H b, W b, C) (TensorFlow's ``depth_to_space``, DCR order)."""
    fmt, x = _format(data_format), t(x)
    x = _first(x, fmt)
    n, c, h, w = x.shape
    b = int(block_size)
    y = _ops.reshape(x, (n, b, b, c // (b * b), h, w))
    y = _ops.permute(y, (0, 3, 4, 1, 5, 2))
    return _back(_ops.reshape(y, (n, c // (b * b), h * b, w * b)), fmt)


def space_to_depth(x, block_size, data_format="channels_last"):
    """(N, H b, W b, C) -> (N, H, W, C b^2), the inverse of :func:`depth_to_space`."""
    fmt, x = _format(data_format), t(x)
    x = _first(x, fmt)
    n, c, h, w = x.shape
    b = int(block_size)
    y = _ops.reshape(x, (n, c, h // b, b, w // b, b))
    y = _ops.permute(y, (0, 3, 5, 1, 2, 4))
    return _back(_ops.reshape(y, (n, c * b * b, h // b, w // b)), fmt)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``unfold`` (im2col) of an (N, C, H, W) input: (N, C k_h k_w, L)."""
    return _ops.unfold(f(x), kernel_size, dilation, padding, stride)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse of :func:`unfold` (overlaps add)."""
    return _ops.fold(f(x), output_size, kernel_size, dilation, padding, stride)


# ---------------------------------------------------------------------- attention
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """``softmax(q k^T * scale + bias, masked) v`` over (batch, seq, heads, dim) inputs
    (Keras's layout); ``scale`` defaults to ``1 / sqrt(dim)``; ``mask`` is True where
    attention is allowed; ``attn_logits_soft_cap`` c gives ``c tanh(logits / c)``."""
    if flash_attention:
        raise ValueError("dot_product_attention: flash_attention needs a GPU kernel; "
                         "deepgrad computes the plain form (pass flash_attention=None)")
    if bias is not None and mask is not None:
        raise ValueError("dot_product_attention: only one of `bias` and `mask` can be "
                         "provided (Keras's rule); received both")
    q, k, v = f(query), f(key), f(value)
    k, v = cast(k, q.dtype), cast(v, q.dtype)
    if q.ndim != 4:
        raise ValueError(f"dot_product_attention: expected (batch, seq, heads, dim) inputs, "
                         f"received query shape {tuple(q.shape)}")
    heads, kv_heads = q.shape[2], k.shape[2]
    if heads != kv_heads:                       # grouped-query attention
        k = _ops.repeat_interleave(k, heads // kv_heads, 2)
        v = _ops.repeat_interleave(v, heads // kv_heads, 2)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    qh, kh, vh = (_ops.permute(a, (0, 2, 1, 3)) for a in (q, k, v))
    logits = _ops.mul(_ops.matmul(qh, _ops.transpose(kh, -2, -1)), scale)
    if bias is not None:
        logits = _ops.add(logits, cast(bias, q.dtype))
    if attn_logits_soft_cap is not None:
        cap = float(attn_logits_soft_cap)
        logits = _ops.mul(_ops.tanh(_ops.div(logits, cap)), cap)
    allowed = None
    if mask is not None:
        allowed = np.asarray(t(mask).array).astype(bool)
    if is_causal:
        causal = np.tril(np.ones((q.shape[1], k.shape[1]), bool))
        allowed = causal if allowed is None else allowed & causal
    if allowed is not None:
        big = np.finfo(q.dtype).min / 2
        logits = _ops.where(wrap(np.broadcast_to(allowed, logits.shape)), logits,
                            wrap(np.asarray(big, q.dtype)))
    out = _ops.matmul(_ops.softmax(logits, dim=-1), vh)
    return _ops.permute(out, (0, 2, 1, 3))


__all__ = sorted(name for name, obj in list(globals().items())
                 if callable(obj) and not name.startswith("_")
                 and getattr(obj, "__module__", None) == __name__)
