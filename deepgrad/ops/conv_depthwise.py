"""Depthwise convolution in Keras's layout: each input channel convolved with its own
``M`` filters (``keras.layers.DepthwiseConv2D``, the first half of ``SeparableConv2D``).

For x (N, H, W, C) channels-last, Keras's depthwise kernel K (kh, kw, C, M), stride s,
dilation d, and the output channel c M + m:

    y[n, i, j, c M + m] = b[c M + m] + sum_{p, q} K[p, q, c, m] x[n, s i + d p, s j + d q, c]

That is a grouped convolution with groups = C, but no GEMM suits it (each group is a
1 x kh kw times kh kw x P product), so it runs as kh kw passes over the output, one per
kernel position (p, q), each reading the strided view X_pq[n, i, j, c] = x[n, s i + d p,
s j + d q, c] of x (:func:`~deepgrad.ops.im2col.windows_last`, no copy):

    y   = b + sum_{p, q} X_pq * K[p, q]                    (broadcast over c, m)

Backward, with G = dL/dy viewed as (N, Ho, Wo, C, M):

    dL/dK[p, q, c, m] = sum_{n, i, j} X_pq[n, i, j, c] G[n, i, j, c, m]
    dL/dx at (s i + d p, s j + d q) += sum_m G[n, i, j, c, m] K[p, q, c, m]
    dL/db = sum_{n, i, j} G

Input, kernel and output stay in Keras's layouts: no permute of x, K or y. Samples are
split over deepgrad's threads; every sum over samples is done in sample order after the
chunks, so the bits do not depend on the thread count. The NCHW grouped
:func:`~deepgrad.ops.conv2d` is the reference in the tests (same values, float64 to
1e-12).

With the compiled kernels on (:mod:`deepgrad.kernels.depthwise`), each of the three
formulas is one loop over the output, in the NumPy path's order of additions.
"""
import numpy as np

from deepgrad import kernels
from deepgrad.autograd.function import Function
from deepgrad.ops._util import operands
from deepgrad.ops.conv import pair
from deepgrad.ops.im2col import crop_hw, pad_hw, windows_last
from deepgrad.parallel import parallel_for


def _positions(kernel):
    return [(p, q) for p in range(kernel[0]) for q in range(kernel[1])]


class DepthwiseLast(Function):
    """The module docstring's depthwise convolution; ``pads`` (top, bottom, left, right).
    NumPy path: each pass reads a strided window view and writes a contiguous
    (n, Ho, Wo, C) array, one filter m at a time. Where :mod:`deepgrad.kernels` are on,
    forward and both gradients run as :mod:`deepgrad.kernels.depthwise`'s loops instead
    (the same sums in the same order)."""

    def forward(self, x, k, b=None, stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0)):
        kernel, (C, M) = k.shape[:2], k.shape[2:]
        xp = pad_hw(x, pads, channels_last=True)
        out = tuple((n - d * (kk - 1) - 1) // s + 1
                    for n, kk, s, d in zip(xp.shape[1:3], kernel, stride, dilation))
        dtype = np.result_type(x.dtype, k.dtype)
        kc = k.astype(dtype, copy=False)
        y = np.empty((x.shape[0],) + out + ((C,) if M == 1 else (C, M)), dtype)
        self.xp, self.k, self.geom = xp, kc, (kernel, stride, dilation, pads, out)
        compiled = _compiled("forward")
        if compiled is not None and dtype in kernels.FLOATS:
            xc, kf = _repeated(xp, M, dtype), kc.reshape(kernel + (C * M,))
            y = y.reshape((x.shape[0],) + out + (C * M,))
            parallel_for(x.shape[0], lambda a, z: compiled(xc[a:z], kf, y[a:z], *stride,
                                                           *dilation),
                         work=y.size * len(kernel) * 2)
            return y if b is None else np.add(y, b, out=y)

        win = windows_last(xp, kernel, stride, dilation, out)      # (N, Ho, Wo, kh, kw, C)

        def chunk(a, z):
            # per filter m: a contiguous (n, Ho, Wo, C) sum (a broadcast over a short last
            # axis of M would make NumPy's inner loops M long), then one strided store
            acc = y[a:z] if M == 1 else np.empty(y[a:z].shape[:4], dtype)
            tmp = np.empty(acc.shape, dtype)
            for m in range(M):
                for i, (p, q) in enumerate(_positions(kernel)):
                    np.multiply(win[a:z, :, :, p, q], kc[p, q, :, m],
                                out=acc if i == 0 else tmp)
                    if i:
                        acc += tmp
                if M > 1:
                    y[a:z, ..., m] = acc

        parallel_for(x.shape[0], chunk, work=y.size * len(kernel) * 2)
        y = y.reshape((x.shape[0],) + out + (C * M,))
        return y if b is None else np.add(y, b, out=y)

    def backward(self, g):
        xp, k = self.xp, self.k
        kernel, stride, dilation, pads, out = self.geom
        N, C, M = g.shape[0], k.shape[2], k.shape[3]
        want_x, want_k = self.needs_grad[0], self.needs_grad[1]
        want_b = len(self.needs_grad) == 3 and self.needs_grad[2]
        positions = _positions(kernel)
        gxp = np.zeros(xp.shape, g.dtype) if want_x else None
        gks = np.empty((N, len(positions), C * M), g.dtype) if want_k else None

        compiled_x, compiled_k = _compiled("backward_input"), _compiled("backward_kernel")
        if compiled_x is not None and g.dtype in kernels.FLOATS and g.dtype == k.dtype:
            gc = np.ascontiguousarray(g)
            xc = _repeated(xp, M, g.dtype) if want_k else None
            # the input gradient reads g and K filter-major, (.., M, C): unit-stride loops
            gt = gc.reshape(gc.shape[:3] + (C, M)).transpose(0, 1, 2, 4, 3)
            gt = np.ascontiguousarray(gt) if M > 1 else gt
            kt = np.ascontiguousarray(k.transpose(0, 1, 3, 2))

            def chunk(a, z):
                if want_x:
                    compiled_x(gt[a:z], kt, gxp[a:z], np.empty(C, g.dtype), *stride,
                               *dilation)
                if want_k:
                    compiled_k(xc[a:z], gc[a:z], gks[a:z], kernel[0], kernel[1], *stride,
                               *dilation)
        else:
            gm = g.reshape(g.shape[:3] + ((C,) if M == 1 else (C, M)))
            win = windows_last(xp, kernel, stride, dilation, out)
            chunk = self._numpy_chunk(gm, win, gxp, gks, want_x, want_k)
        parallel_for(N, chunk, work=g.size * len(positions) * (want_x + want_k) * 2)
        gx = crop_hw(gxp, pads, True) if want_x else None
        gk = gks.sum(axis=0).reshape(k.shape) if want_k else None     # samples in order
        gb = g.reshape(-1, C * M).sum(axis=0) if want_b else None
        if len(self.needs_grad) == 3:
            return gx, gk, gb
        return gx, gk

    def _numpy_chunk(self, gm, win, gxp, gks, want_x, want_k):
        """The NumPy path's backward over samples a:z (the reference of the kernels)."""
        k, (kernel, stride, dilation, _, out) = self.k, self.geom
        C, M = k.shape[2], k.shape[3]
        positions = _positions(kernel)
        dtype = gks.dtype if gks is not None else gxp.dtype

        def chunk(a, z):
            gc = gm[a:z]
            tmp = np.empty(gc.shape[:4], dtype)                    # (n, Ho, Wo, C)
            part = np.empty(gc.shape[:4], dtype) if want_x and M > 1 else None
            gk = gks[a:z].reshape(z - a, len(positions), C, M) if want_k else None
            for i, (p, q) in enumerate(positions):
                xv = win[a:z, :, :, p, q]
                for m in range(M) if want_k else ():   # per sample: sum over (i, j) of X G
                    np.multiply(xv, gc if M == 1 else gc[..., m], out=tmp)
                    np.sum(tmp.reshape(z - a, -1, C), axis=1, out=gk[:, i, :, m])
                if want_x:                     # sum_m G K[p, q, :, m] at the window's place
                    rows = slice(dilation[0] * p,
                                 dilation[0] * p + stride[0] * (out[0] - 1) + 1, stride[0])
                    cols = slice(dilation[1] * q,
                                 dilation[1] * q + stride[1] * (out[1] - 1) + 1, stride[1])
                    if M == 1:
                        contrib = np.multiply(gc, k[p, q, :, 0], out=tmp)
                    else:
                        contrib = np.multiply(gc[..., 0], k[p, q, :, 0], out=part)
                        for m in range(1, M):
                            contrib += np.multiply(gc[..., m], k[p, q, :, m], out=tmp)
                    gxp[a:z, rows, cols] += contrib
        return chunk


def _repeated(xp, M, dtype):
    """xp (N, Hp, Wp, C) as a C-contiguous (N, Hp, Wp, C M) array, channel c repeated M
    times (index c M + m, the kernel's and the output's order); xp itself when M = 1."""
    xp = np.ascontiguousarray(xp, dtype)
    return xp if M == 1 else np.repeat(xp, M, axis=-1)


def _compiled(name):
    """The compiled kernel (:mod:`deepgrad.kernels.depthwise`) or None (NumPy path)."""
    return kernels.get("depthwise", name)


def depthwise_conv2d(input, kernel, bias=None, stride=1, padding=0, dilation=1):
    """Depthwise 2-D convolution in Keras's layouts (see the module docstring).

    Args:
        input: (N, H, W, C), channels-last.
        kernel: (kh, kw, C, M), Keras's ``depthwise_kernel``.
        bias: (C M,) or None.
        stride, dilation: an int or a pair.
        padding: an int, a pair (top/bottom, left/right), or four ints (top, bottom,
            left, right): zeros added around the spatial axes.
    Returns:
        (N, Ho, Wo, C M), output channel c M + m.

    Raises:
        ValueError: an input that is not 4-D, a kernel that is not 4-D or whose C is not
            the input's, a bias of the wrong size, or a kernel larger than the padded input.
    """
    x, k = operands("depthwise_conv2d", input, kernel)
    if x.ndim != 4 or k.ndim != 4 or k.shape[2] != x.shape[3]:
        raise ValueError(f"depthwise_conv2d: expected input (N, H, W, C) and kernel "
                         f"(kh, kw, C, M) with the same C, received shapes {tuple(x.shape)} "
                         f"and {tuple(k.shape)}")
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    pads = (padding,) * 4 if isinstance(padding, int) else tuple(int(v) for v in padding)
    if len(pads) == 2:
        pads = (pads[0], pads[0], pads[1], pads[1])
    if len(pads) != 4 or min(pads) < 0:
        raise ValueError(f"depthwise_conv2d: padding must be an int, a pair or four "
                         f"non-negative ints, received {padding!r}")
    for n, kk, d, before, after, axis in zip(x.shape[1:3], k.shape[:2], dilation,
                                             pads[::2], pads[1::2], ("height", "width")):
        if n + before + after < d * (kk - 1) + 1:
            raise ValueError(f"depthwise_conv2d: the kernel's {axis} {kk} (dilation {d}) is "
                             f"larger than the padded input's {n + before + after}; input "
                             f"shape {tuple(x.shape)}")
    params = dict(stride=stride, dilation=dilation, pads=pads)
    if bias is None:
        return DepthwiseLast.apply(x, k, **params)
    _, b = operands("depthwise_conv2d", x, bias)
    if b.shape != (k.shape[2] * k.shape[3],):
        raise ValueError(f"depthwise_conv2d: bias of shape {tuple(b.shape)} does not match "
                         f"kernel {tuple(k.shape)} (expected ({k.shape[2] * k.shape[3]},))")
    return DepthwiseLast.apply(x, k, b, **params)
