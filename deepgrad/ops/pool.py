"""Pooling (seed 002, section 3: max pooling), over strided window views of the input.

    max_pool:  y[n, c, i, j] = max_{p, q} x[n, c, s i + d p, s j + d q]
               dL/dx = dL/dy routed to the argmax of each window (kept from forward)
    avg_pool:  y = (1/|window|) sum_{p, q} x[...]   dL/dx = dL/dy / |window| per position

Windows come from :func:`deepgrad.ops.conv.windows` (a strided view, no copy); backward
adds the per-window gradients back with :func:`~deepgrad.ops.conv.col2im`. Adaptive
pooling picks PyTorch's bins start = floor(i H / Ho), end = ceil((i + 1) H / Ho).
"""
import math

import numpy as np

from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops.conv import col2im, crop_hw, pad_hw, pair, windows


def _out_size(size, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:      # last window must start inside
        out -= 1
    return out


class MaxPool2d(Function):
    """Max over each window, as a running max over the kh*kw kernel positions.

    Forward keeps, per output, which kernel position won (first one at ties, as PyTorch);
    backward routes each output's gradient to that position. Both loop over the kernel
    positions only, each step one vectorised pass over a strided view of the input.
    """

    def forward(self, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                out_hw=(1, 1)):
        kh, kw = kernel
        extra = [max((o - 1) * s + d * (k - 1) + 1 - (n + 2 * p), 0)
                 for o, s, d, k, n, p in zip(out_hw, stride, dilation, kernel, x.shape[2:], padding)]
        pads = (padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1])
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = pad_hw(x, pads, fill)
        win = windows(xp, kernel, stride, dilation, out_hw)          # (N, C, kh, kw, Ho, Wo)
        out = win[:, :, 0, 0].copy()
        arg = np.zeros(out.shape, np.int16)
        for k in range(1, kh * kw):
            v = win[:, :, k // kw, k % kw]
            better = v > out                 # strict: the first max of a window keeps it
            np.maximum(out, v, out=out)
            # k grows, so the last position that beat the running max has the largest k:
            # arg = max_k(k [v_k beat it]) - plain arithmetic, much faster than masked writes
            np.maximum(arg, better * np.int16(k), out=arg)
        self.arg, self.geom = arg, (xp.shape[2:], kernel, stride, dilation, pads)
        return out

    def backward(self, g):
        padded_hw, kernel, stride, dilation, pads = self.geom
        Ho, Wo = g.shape[2:]
        gx = np.zeros(g.shape[:2] + tuple(padded_hw), dtype=g.dtype)
        overlap = kernel != stride or dilation != (1, 1)
        for k in range(kernel[0] * kernel[1]):
            r, c = (k // kernel[1]) * dilation[0], (k % kernel[1]) * dilation[1]
            view = gx[:, :, r:r + stride[0] * (Ho - 1) + 1:stride[0],
                      c:c + stride[1] * (Wo - 1) + 1:stride[1]]
            routed = g * (self.arg == k)
            if overlap:
                view += routed
            else:
                view[...] = routed           # each input position is in one window only
        return crop_hw(gx, pads)


class AvgPool2d(Function):
    def forward(self, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), out_hw=(1, 1),
                count_include_pad=True, divisor_override=None):
        extra = [max((o - 1) * s + k - (n + 2 * p), 0)
                 for o, s, k, n, p in zip(out_hw, stride, kernel, x.shape[2:], padding)]
        pads = (padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1])
        xp = pad_hw(x, pads)
        total = windows(xp, kernel, stride, (1, 1), out_hw).sum(axis=(2, 3))
        if divisor_override:
            div = np.asarray(divisor_override, x.dtype)
        else:
            # count what each window covers: real input, plus padding if count_include_pad,
            # never the extension that ceil_mode adds
            mask = np.zeros((1, 1) + xp.shape[2:], x.dtype)
            inner = (slice(None), slice(None), slice(pads[0], pads[0] + x.shape[2]),
                     slice(pads[2], pads[2] + x.shape[3]))
            if count_include_pad:
                mask[:, :, :x.shape[2] + 2 * padding[0], :x.shape[3] + 2 * padding[1]] = 1
            else:
                mask[inner] = 1
            div = windows(mask, kernel, stride, (1, 1), out_hw).sum(axis=(2, 3))
        self.div, self.geom = div, (xp.shape[2:], kernel, stride, pads)
        return total / div

    def backward(self, g):
        padded_hw, kernel, stride, pads = self.geom
        per = np.broadcast_to((g / self.div)[:, :, None, None], g.shape[:2] + kernel + g.shape[2:])
        return crop_hw(col2im(per, padded_hw, kernel, stride, (1, 1)), pads)


class AdaptiveAvgPool2d(Function):
    """y = A_h x A_w^T per (n, c), A the (out, in) averaging matrix of the bins."""

    def forward(self, x, ah=None, aw=None):
        self.ah, self.aw = ah, aw
        return np.matmul(np.matmul(ah, x), aw.T)

    def backward(self, g):
        return np.matmul(np.matmul(self.ah.T, g), self.aw)


def _bins(n_in, n_out):
    starts = [math.floor(i * n_in / n_out) for i in range(n_out)]
    ends = [math.ceil((i + 1) * n_in / n_out) for i in range(n_out)]
    return starts, ends


def _avg_matrix(n_in, n_out, dtype):
    a = np.zeros((n_out, n_in), dtype)
    for i, (s, e) in enumerate(zip(*_bins(n_in, n_out))):
        a[i, s:e] = 1.0 / (e - s)
    return a


def _check_4d(name, x):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D input (N, C, H, W), received shape {tuple(x.shape)}")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over kh x kw windows (stride defaults to the kernel size), NCHW."""
    x = to_tensor(input)
    _check_4d("max_pool2d", x)
    k = pair(kernel_size, "max_pool2d kernel_size")
    s = k if stride is None or stride == [] else pair(stride, "max_pool2d stride")
    p, d = pair(padding, "max_pool2d padding"), pair(dilation, "max_pool2d dilation")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"max_pool2d: padding {p} should be at most half of kernel size {k}")
    out_hw = tuple(_out_size(n, kk, ss, pp, dd, ceil_mode)
                   for n, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d))
    if min(out_hw) < 1:
        raise ValueError(f"max_pool2d: kernel {k} (dilation {d}) is larger than the padded "
                         f"input; input shape {tuple(x.shape)}, padding {p}")
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported yet")
    return MaxPool2d.apply(x, kernel=k, stride=s, padding=p, dilation=d, out_hw=out_hw)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over kh x kw windows, NCHW (PyTorch's divisor rules for padding and ceil_mode)."""
    x = to_tensor(input)
    _check_4d("avg_pool2d", x)
    k = pair(kernel_size, "avg_pool2d kernel_size")
    s = k if stride is None or stride == [] else pair(stride, "avg_pool2d stride")
    p = pair(padding, "avg_pool2d padding")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"avg_pool2d: padding {p} should be at most half of kernel size {k}")
    out_hw = tuple(_out_size(n, kk, ss, pp, 1, ceil_mode)
                   for n, kk, ss, pp in zip(x.shape[2:], k, s, p))
    if min(out_hw) < 1:
        raise ValueError(f"avg_pool2d: kernel {k} is larger than the padded input; input "
                         f"shape {tuple(x.shape)}, padding {p}")
    return AvgPool2d.apply(x, kernel=k, stride=s, padding=p, out_hw=out_hw,
                           count_include_pad=count_include_pad, divisor_override=divisor_override)


def _adaptive_size(name, x, output_size):
    out = pair(output_size, name) if not isinstance(output_size, (tuple, list)) or None not in output_size \
        else tuple(x.shape[2 + i] if o is None else int(o) for i, o in enumerate(output_size))
    if min(out) < 1:
        raise ValueError(f"{name}: output_size must be positive, received {output_size}")
    return out


def adaptive_avg_pool2d(input, output_size):
    """Average over PyTorch's adaptive bins, as two small matrix products."""
    x = to_tensor(input)
    _check_4d("adaptive_avg_pool2d", x)
    oh, ow = _adaptive_size("adaptive_avg_pool2d", x, output_size)
    ah = _avg_matrix(x.shape[2], oh, x.dtype)
    aw = _avg_matrix(x.shape[3], ow, x.dtype)
    return AdaptiveAvgPool2d.apply(x, ah=ah, aw=aw)


class AdaptiveMaxPool2d(Function):
    """Max over adaptive bins, gathered as (N, C, Ho, kh, Wo, kw) with -inf padding."""

    def forward(self, x, rows=None, cols=None, valid=None):
        g = x[:, :, rows[:, :, None, None], cols[None, None, :, :]]    # (N, C, Ho, kh, Wo, kw)
        g = np.where(valid, g, -np.inf).astype(x.dtype, copy=False)
        N, C, Ho, kh, Wo, kw = g.shape
        flat = g.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, kh * kw)
        arg = flat.argmax(axis=-1)
        self.shape, self.arg, self.rows, self.cols, self.k = x.shape, arg, rows, cols, (kh, kw)
        return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]

    def backward(self, g):
        kh, kw = self.k
        r = self.rows[np.arange(self.rows.shape[0])[:, None], self.arg // kw]   # (N,C,Ho,Wo)
        c = self.cols[np.arange(self.cols.shape[0])[None, :], self.arg % kw]
        gx = np.zeros(self.shape, dtype=g.dtype)
        N, C = self.shape[:2]
        n = np.arange(N)[:, None, None, None]
        ch = np.arange(C)[None, :, None, None]
        np.add.at(gx, (n, ch, r, c), g)
        return gx


def _gather_bins(n_in, n_out):
    starts, ends = _bins(n_in, n_out)
    k = max(e - s for s, e in zip(starts, ends))
    idx = np.array(starts)[:, None] + np.arange(k)[None, :]
    valid = idx < np.array(ends)[:, None]
    return np.minimum(idx, n_in - 1), valid


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over PyTorch's adaptive bins (each bin's argmax gets the gradient)."""
    x = to_tensor(input)
    _check_4d("adaptive_max_pool2d", x)
    oh, ow = _adaptive_size("adaptive_max_pool2d", x, output_size)
    rows, vr = _gather_bins(x.shape[2], oh)
    cols, vc = _gather_bins(x.shape[3], ow)
    valid = vr[:, :, None, None] & vc[None, None, :, :]
    return AdaptiveMaxPool2d.apply(x, rows=rows, cols=cols, valid=valid)


def _pool1d(fn, name, input, kernel_size, stride, padding, **kw):
    x = to_tensor(input)
    if x.ndim != 3:
        raise ValueError(f"{name}: expected a 3-D input (N, C, L), received shape {tuple(x.shape)}")
    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
    s = k if stride is None else (stride if isinstance(stride, int) else stride[0])
    p = padding if isinstance(padding, int) else padding[0]
    return fn(x.unsqueeze(2), (1, k), (1, s), (0, p), **kw).squeeze(2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling over (N, C, L)."""
    d = dilation if isinstance(dilation, int) else dilation[0]
    return _pool1d(max_pool2d, "max_pool1d", input, kernel_size, stride, padding,
                   dilation=(1, d), ceil_mode=ceil_mode)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Average pooling over (N, C, L)."""
    return _pool1d(avg_pool2d, "avg_pool1d", input, kernel_size, stride, padding,
                   ceil_mode=ceil_mode, count_include_pad=count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    x = to_tensor(input)
    if x.ndim != 3:
        raise ValueError(f"adaptive_avg_pool1d: expected a 3-D input (N, C, L), received "
                         f"shape {tuple(x.shape)}")
    o = output_size if isinstance(output_size, int) else output_size[0]
    return adaptive_avg_pool2d(x.unsqueeze(2), (1, o)).squeeze(2)
