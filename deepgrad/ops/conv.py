"""Convolutions (seed 002, section 3; seed 004, section 4.1), as one GEMM over an im2col view.

For input x (N, C, H, W), weight W (O, C/groups, kh, kw), stride s, dilation d:

    y[n, o, i, j] = b[o] + sum_{c, p, q} W[o, c, p, q] x[n, c, s i + d p, s j + d q]

The windows x[n, c, s i + d p, s j + d q] are a strided *view* of x (no copy), laid out
as (N, C, kh, kw, Ho, Wo); reshaped to cols (N, G, C/G*kh*kw, Ho*Wo) they turn the sum
into one batched matrix product y = W_mat @ cols. Backward, with G = dL/dy:

    dL/dW = sum_n G[n] cols[n]^T          (one GEMM per group, summed over the batch)
    dL/dcols = W_mat^T G  ->  dL/dx by col2im: add each kernel position's slice back
                                             (a loop over the kh*kw positions only)

``conv_transpose2d`` is the same pair run the other way round: its forward is conv2d's
input gradient and its backward is conv2d's forward. 1-D versions reshape to H = 1.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import operands


def pair(v, name="argument"):
    """``3`` -> (3, 3); ``(1, 2)`` -> (1, 2)."""
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"{name}: expected an int or a pair of ints, received {v}")
    return v


def windows(x, kernel, stride, dilation, out_hw):
    """Strided view (N, C, kh, kw, Ho, Wo) of x (N, C, H, W): window (i, j), offset (p, q)."""
    N, C = x.shape[:2]
    sn, sc, sh, sw = x.strides
    return as_strided(x, (N, C, kernel[0], kernel[1], out_hw[0], out_hw[1]),
                      (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1]),
                      writeable=False)


def col2im(gcols, in_hw, kernel, stride, dilation):
    """Adjoint of :func:`windows`: sum gcols (N, C, kh, kw, Ho, Wo) into an (N, C, H, W) array."""
    N, C, kh, kw, Ho, Wo = gcols.shape
    out = np.zeros((N, C) + tuple(in_hw), dtype=gcols.dtype)
    for p in range(kh):
        r = p * dilation[0]
        for q in range(kw):
            c = q * dilation[1]
            out[:, :, r:r + stride[0] * (Ho - 1) + 1:stride[0],
                c:c + stride[1] * (Wo - 1) + 1:stride[1]] += gcols[:, :, p, q]
    return out


def pad_hw(x, pads, value=0.0):
    """Pad the last two axes by pads = (top, bottom, left, right)."""
    t, b, l, r = pads
    if not (t or b or l or r):
        return x
    out = np.full(x.shape[:2] + (x.shape[2] + t + b, x.shape[3] + l + r), value, dtype=x.dtype)
    out[:, :, t:t + x.shape[2], l:l + x.shape[3]] = x
    return out


def crop_hw(x, pads):
    t, b, l, r = pads
    return x[:, :, t:x.shape[2] - b, l:x.shape[3] - r]


class Conv2d(Function):
    def forward(self, x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        N, C, H, W = x.shape
        O, Cg, kh, kw = w.shape
        xp = pad_hw(x, pads)
        Ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        Wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        cols = windows(xp, (kh, kw), stride, dilation, (Ho, Wo)).reshape(
            N, groups, Cg * kh * kw, Ho * Wo)                    # the im2col copy
        wmat = w.reshape(groups, O // groups, Cg * kh * kw)
        out = np.matmul(wmat, cols).reshape(N, O, Ho, Wo)
        if b is not None:
            out += b.reshape(1, O, 1, 1)
        self.cols, self.w, self.geom = cols, w, (xp.shape[2:], stride, dilation, pads, groups)
        return out

    def backward(self, g):
        padded_hw, stride, dilation, pads, groups = self.geom
        w = self.w
        O, Cg, kh, kw = w.shape
        N = g.shape[0]
        g3 = g.reshape(N, groups, O // groups, -1)
        gx = gw = gb = None
        if self.needs_grad[0]:
            wmat = w.reshape(groups, O // groups, Cg * kh * kw)
            gcols = np.matmul(wmat.transpose(0, 2, 1), g3)       # (N, G, Cg*kh*kw, Ho*Wo)
            gcols = gcols.reshape(N, groups * Cg, kh, kw, g.shape[2], g.shape[3])
            gx = crop_hw(col2im(gcols, padded_hw, (kh, kw), stride, dilation), pads)
        if self.needs_grad[1]:
            gw = np.matmul(g3, self.cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb


class ConvTranspose2d(Function):
    def forward(self, x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1),
                groups=1, full_hw=(0, 0)):
        N, Cin, H, W = x.shape
        _, Og, kh, kw = w.shape
        cin_g = Cin // groups
        wmat = w.reshape(groups, cin_g, Og * kh * kw)
        x3 = x.reshape(N, groups, cin_g, H * W)
        gcols = np.matmul(wmat.transpose(0, 2, 1), x3).reshape(N, groups * Og, kh, kw, H, W)
        out = crop_hw(col2im(gcols, full_hw, (kh, kw), stride, dilation), pads)
        out = np.ascontiguousarray(out)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        self.x3, self.w, self.geom = x3, w, (stride, dilation, pads, groups, (H, W))
        return out

    def backward(self, g):
        stride, dilation, pads, groups, in_hw = self.geom
        w = self.w
        Cin, Og, kh, kw = w.shape
        N = g.shape[0]
        gp = pad_hw(g, pads)
        cols = windows(gp, (kh, kw), stride, dilation, in_hw).reshape(
            N, groups, Og * kh * kw, in_hw[0] * in_hw[1])
        gx = gw = gb = None
        if self.needs_grad[0]:
            wmat = w.reshape(groups, Cin // groups, Og * kh * kw)
            gx = np.matmul(wmat, cols).reshape(N, Cin, *in_hw)
        if self.needs_grad[1]:
            gw = np.matmul(self.x3, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb


def _padding(padding, kernel, dilation, stride, name):
    """int / pair / 'valid' / 'same' -> (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return tuple(pads)
        raise ValueError(f"{name}: padding must be an int, a pair, 'same' or 'valid', "
                         f"received {padding!r}")
    ph, pw = pair(padding, name)
    if ph < 0 or pw < 0:
        raise ValueError(f"{name}: padding must be non-negative, received {(ph, pw)}")
    return (ph, ph, pw, pw)


def _check_conv_args(name, x, w, groups, stride, dilation):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D input (N, C, H, W), received shape "
                         f"{tuple(x.shape)}")
    if w.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D weight, received shape {tuple(w.shape)}")
    if min(stride) < 1 or min(dilation) < 1 or groups < 1:
        raise ValueError(f"{name}: stride, dilation and groups must be positive, received "
                         f"stride={stride}, dilation={dilation}, groups={groups}")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation (what deep learning calls convolution), NCHW.

    Args:
        input: (N, C, H, W).   weight: (O, C/groups, kh, kw).   bias: (O,) or None.
        stride, dilation: int or (sh, sw).   padding: int, (ph, pw), 'same' or 'valid'.
        groups: C and O are split into this many independent groups.
    Returns:
        (N, O, Ho, Wo), Ho = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1.
    """
    x, w = operands("conv2d", input, weight)
    stride, dilation = pair(stride, "conv2d stride"), pair(dilation, "conv2d dilation")
    _check_conv_args("conv2d", x, w, groups, stride, dilation)
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    if C != Cg * groups or O % groups:
        raise ValueError(f"conv2d: input has {C} channels but the weight of shape "
                         f"{tuple(w.shape)} with groups={groups} expects {Cg * groups} "
                         f"(and out channels {O} divisible by groups)")
    pads = _padding(padding, (kh, kw), dilation, stride, "conv2d")
    eff_h, eff_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if H + pads[0] + pads[1] < eff_h or W + pads[2] + pads[3] < eff_w:
        raise ValueError(f"conv2d: kernel size ({eff_h}, {eff_w}) (dilated) is larger than "
                         f"the padded input size ({H + pads[0] + pads[1]}, "
                         f"{W + pads[2] + pads[3]}); input shape {tuple(x.shape)}")
    params = dict(stride=stride, pads=pads, dilation=dilation, groups=groups)
    if bias is None:
        return Conv2d.apply(x, w, **params)
    return Conv2d.apply(x, w, _bias("conv2d", bias, O), **params)


def _bias(name, bias, n):
    b = to_tensor(bias)
    if b.shape != (n,):
        raise ValueError(f"{name}: bias must have shape ({n},), received {tuple(b.shape)}")
    return b


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Transposed convolution ("deconvolution"), the adjoint of conv2d, NCHW.

    Args:
        input: (N, Cin, H, W).   weight: (Cin, Cout/groups, kh, kw) (PyTorch's layout).
    Returns:
        (N, Cout, Ho, Wo), Ho = (H - 1) sh - 2 ph + dh (kh - 1) + output_padding + 1.
    """
    x, w = operands("conv_transpose2d", input, weight)
    stride, dilation = pair(stride), pair(dilation)
    _check_conv_args("conv_transpose2d", x, w, groups, stride, dilation)
    ph, pw = pair(padding, "conv_transpose2d padding")
    oph, opw = pair(output_padding, "conv_transpose2d output_padding")
    if oph >= max(stride[0], dilation[0]) or opw >= max(stride[1], dilation[1]):
        raise ValueError(f"conv_transpose2d: output_padding {(oph, opw)} must be smaller than "
                         f"stride {stride} or dilation {dilation}")
    N, Cin, H, W = x.shape
    if Cin != w.shape[0] or Cin % groups:
        raise ValueError(f"conv_transpose2d: input has {Cin} channels, the weight of shape "
                         f"{tuple(w.shape)} expects {w.shape[0]} (divisible by groups={groups})")
    kh, kw = w.shape[2:]
    full = ((H - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + oph,
            (W - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + opw)
    if full[0] - 2 * ph <= 0 or full[1] - 2 * pw <= 0:
        raise ValueError(f"conv_transpose2d: padding {(ph, pw)} leaves an empty output for "
                         f"input shape {tuple(x.shape)} and weight {tuple(w.shape)}")
    params = dict(stride=stride, pads=(ph, ph + 0, pw, pw), dilation=dilation, groups=groups,
                  full_hw=full)
    if bias is None:
        return ConvTranspose2d.apply(x, w, **params)
    return ConvTranspose2d.apply(x, w, _bias("conv_transpose2d", bias, w.shape[1] * groups),
                                 **params)


def _as_2d(name, x, w):
    x, w = operands(name, x, w)
    if x.ndim != 3:
        raise ValueError(f"{name}: expected a 3-D input (N, C, L), received shape {tuple(x.shape)}")
    if w.ndim != 3:
        raise ValueError(f"{name}: expected a 3-D weight, received shape {tuple(w.shape)}")
    return x.unsqueeze(2), w.unsqueeze(2)


def _one(v):
    return v if isinstance(v, str) else (1, v if isinstance(v, (int, np.integer)) else v[0])


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) with weight (O, C/groups, k): conv2d with H = 1."""
    x, w = _as_2d("conv1d", input, weight)
    pad = padding if isinstance(padding, str) else (0, _one(padding)[1])
    return conv2d(x, w, bias, _one(stride), pad, _one(dilation), groups).squeeze(2)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution over (N, Cin, L), weight (Cin, Cout/groups, k)."""
    x, w = _as_2d("conv_transpose1d", input, weight)
    return conv_transpose2d(x, w, bias, _one(stride), (0, _one(padding)[1]),
                            (0, _one(output_padding)[1]), groups, _one(dilation)).squeeze(2)
