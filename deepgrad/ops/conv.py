"""Convolutions (seed 002, section 3; seed 004, section 4.1), as one GEMM over an im2col view.

For input x (N, C, *S) with k spatial axes (k = 1, 2, 3), weight W (O, C/groups, *K),
stride s, dilation d, written here for k = 2:

    y[n, o, i, j] = b[o] + sum_{c, p, q} W[o, c, p, q] x[n, c, s i + d p, s j + d q]

The windows x[n, c, s i + d p, s j + d q] are a strided *view* of x (no copy), laid out
as (N, C, *K, *S_out); reshaped to cols (N, G, C/G*prod(K), prod(S_out)) they turn the sum
into one batched matrix product y = W_mat @ cols. Backward, with G = dL/dy:

    dL/dW = sum_n G[n] cols[n]^T          (one GEMM per group, summed over the batch)
    dL/dcols = W_mat^T G  ->  dL/dx by col2im: add each kernel position's slice back
                                             (a loop over the prod(K) positions only)

``conv_transpose`` is the same pair run the other way round: its forward is conv's
input gradient and its backward is conv's forward. One kernel serves 1-, 2- and 3-D.
The window views, col2im, padding and the batch sum live in :mod:`deepgrad.ops.im2col`.

**Algorithms.** A 2-D 3x3, stride-1, dilation-1, groups-1 convolution with at least
:data:`~deepgrad.ops.conv_winograd.MIN_CHANNELS` input and output channels that is recorded
for backward runs Winograd F(2x2, 3x3) instead (:mod:`deepgrad.ops.conv_winograd`, either
layout; chosen by :func:`~deepgrad.ops.conv_winograd.chosen`): 16 GEMMs over the transformed
tiles each way, 2.25x fewer flops, and no im2col matrix or col2im. Measured on cnn_cifar's
second convolution (64 x 32 x 15 x 15 -> 64 channels, one thread): forward 6.6 -> 7.2 ms,
backward 18.4 -> 10.2 ms (NCHW); 5.8 -> 6.3 and 14.2 -> 9.1 ms (channels-last). Its forward
alone is slower, so a forward under ``no_grad`` stays on im2col; with 1 or 3 input channels
(the first layers) im2col wins both ways.

**Compiled kernels.** Where :mod:`deepgrad.kernels` are on, the 2-D im2col copy and col2im
run as compiled loops (:mod:`deepgrad.kernels.im2col`; same bits); the GEMMs stay BLAS.
A direct compiled convolution for the first layers' small K (27 and 9 columns) measured
slower than im2col + BLAS (cnn_cifar's 3 -> 32 channels 13.9 vs 3.7 ms, cnn_mnist's
1 -> 32 1.8 vs 0.7 ms, forward at one thread), so there is none.

``channels_last=True`` (Keras's layout, :class:`ConvLast`): x (N, *S, C) and Keras's kernel
(*K, C, O) are used as they are; the windows view is (N, *S_out, *K, C), so im2col gives
cols (N prod(S_out), prod(K) C), y = cols @ W.reshape(prod(K) C, O) is already (N, *S_out, O),
dL/dW = cols^T G and dL/dx = col2im_last(G W_mat^T): no transposes of x, W or y.

**Channels-last storage.** Winograd's transforms run channels-last. An NCHW convolution
that takes Winograd, or whose input is already stored channels-last
(:mod:`deepgrad.ops.layout`), runs :class:`ConvLast` on x's (N, H, W, C) array (x's
storage, or one transposing copy) and W's (kh, kw, C, O) view, and returns y *stored*
channels-last (shape (N, O, Ho, Wo), no copy back); ReLU, 2x2 max pooling and the next such
convolution then work on that storage as it is. Backward takes dL/dy likewise. On
cnn_cifar (one thread) this removed four NCHW <-> NHWC copies of the second block's
activations and gradients per step.
"""
from math import prod

import numpy as np

from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops import conv_winograd
from deepgrad.ops._util import operands
from deepgrad.ops.bias_act import bias_rows
from deepgrad.ops.layout import TO_NCHW, contiguous, stored_channels_last, to_channels_last
from deepgrad.ops.shape import cat
from deepgrad.ops.im2col import (  # noqa: F401  (pool, fold and tests import them from here)
    col2im, col2im_last, compiled_im2col, crop_hw, im2col_into, pad_hw, sum_batch, view_as,
    windows, windows_last)
from deepgrad.parallel import parallel_for

LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def ntuple(v, n, name="argument", what=""):
    """``3`` -> (3,) * n; a sequence of n ints (or of one) -> a tuple of n ints.

    ``name`` and ``what`` (the op and the argument) only go into the error message.
    """
    if isinstance(v, int):
        return (v,) * n
    if isinstance(v, np.integer):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) == 1 and n > 1:
        return v * n
    if len(v) != n:
        raise ValueError(f"{name}{' ' + what if what else ''}: expected an int or {n} ints, "
                         f"received {v}")
    return v


def pair(v, name="argument"):
    """``3`` -> (3, 3); ``(1, 2)`` -> (1, 2)."""
    return ntuple(v, 2, name)


class Conv(Function):
    """y = W_mat @ cols (+ b) over 1, 2 or 3 spatial axes; see the module docstring.

    Forward and backward split over the batch (:func:`deepgrad.parallel.parallel_for`):
    each chunk of samples makes its im2col copy and its per-sample GEMMs. With
    ``last=True`` (2-D, groups 1): runs :class:`ConvLast` on channels-last views of x and
    W, and returns y stored channels-last (the module docstring's "Channels-last storage");
    with ``winograd=True`` too (3x3, stride 1, see
    :func:`~deepgrad.ops.conv_winograd.chosen`), that is Winograd, which keeps its
    transformed input V.
    """

    def forward(self, x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                winograd=False, last=False):
        self.last = last
        if last:        # ConvLast's algorithm on x's (N, H, W, C) and W's (kh, kw, C, O) views
            y = ConvLast.forward(self, to_channels_last(x), w.transpose(2, 3, 1, 0), b, stride,
                                 pads, dilation, winograd)
            return y.transpose(TO_NCHW)            # stored channels-last: no copy back
        N, O, Cg, kernel = x.shape[0], w.shape[0], w.shape[1], w.shape[2:]
        xp = pad_hw(x, pads)
        out = tuple([(n - d * (k - 1) - 1) // s + 1
                     for n, k, s, d in zip(xp.shape[2:], kernel, stride, dilation)])
        win = windows(xp, kernel, stride, dilation, out)
        shape = (N, groups, Cg * prod(kernel), prod(out))
        cols = view_as(win, shape)
        copy = cols is None
        if copy:
            cols = np.empty(shape, xp.dtype)                  # the im2col copy, by chunks
            fill = compiled_im2col(xp, cols, kernel, stride, dilation, out) \
                or (lambda a, z: im2col_into(cols, win, a, z))
        wmat = w.reshape(groups, O // groups, -1)
        y = np.empty((N, groups, O // groups, shape[3]), np.result_type(w.dtype, xp.dtype))
        bias = None if b is None else b.reshape(groups, O // groups, 1)

        per = max(1, BLOCK_BYTES // max(1, cols[:1].nbytes + y[:1].nbytes))

        def chunk(a, z):                       # by blocks of samples, each one's passes in cache
            for s in range(a, z, per):
                e = min(s + per, z)
                if copy:
                    fill(s, e)
                np.matmul(wmat, cols[s:e], out=y[s:e])
                if bias is not None:
                    y[s:e] += bias

        parallel_for(N, chunk, work=cols.size + y.size)
        self.cols, self.w, self.geom = cols, w, (xp.shape[2:], stride, dilation, pads, groups)
        return y.reshape((N, O) + out)

    def backward(self, g):
        if self.last:
            gx, gw, gb = ConvLast.backward(self, to_channels_last(g))
            return (None if gx is None else gx.transpose(TO_NCHW),
                    None if gw is None else np.ascontiguousarray(gw.transpose(3, 2, 0, 1)), gb)
        padded, stride, dilation, pads, groups = self.geom
        w, cols = self.w, self.cols
        O, Cg, kernel = w.shape[0], w.shape[1], w.shape[2:]
        N = g.shape[0]
        g3 = g.reshape(N, groups, O // groups, prod(g.shape[2:]))
        want_x, want_w = self.needs_grad[0], self.needs_grad[1]
        wt = w.reshape(groups, O // groups, -1).transpose(0, 2, 1)
        gxp = np.zeros((N, groups * Cg) + padded, np.result_type(w.dtype, g.dtype)) \
            if want_x else None
        gcols = np.empty((N, groups, cols.shape[2], g3.shape[3]), gxp.dtype) if want_x else None
        gws = np.empty((N, groups, O // groups, cols.shape[2]),
                       np.result_type(g.dtype, cols.dtype)) if want_w else None
        want_b = len(self.needs_grad) == 3 and self.needs_grad[2]
        gbs = np.empty((N, O), g.dtype) if want_b else None
        ones = np.ones(g3.shape[3], g.dtype)

        def chunk(a, z):
            if want_x:                         # dL/dcols = W_mat^T G, then col2im
                np.matmul(wt, g3[a:z], out=gcols[a:z])
                col2im(gcols[a:z].reshape((z - a, groups * Cg) + kernel + g.shape[2:]),
                       padded, kernel, stride, dilation, out=gxp[a:z])
            if want_w:                         # G[n] cols[n]^T, summed over n below
                np.matmul(g3[a:z], cols[a:z].transpose(0, 1, 3, 2), out=gws[a:z])
            if want_b:                         # G[n] 1 per sample (faster than g.sum)
                np.matmul(g3[a:z].reshape(z - a, O, -1), ones, out=gbs[a:z])

        parallel_for(N, chunk, work=cols.size * (want_x + want_w) + g.size * want_b)
        gx = crop_hw(gxp, pads) if want_x else None
        gw = sum_batch(gws).reshape(w.shape) if want_w else None
        gb = gbs.sum(axis=0) if want_b else None
        return gx, gw, gb


#: ConvLast's forward GEMM runs as this many row blocks of whole samples (fewer for a
#: smaller batch), at every thread count: a GEMM's bits for a row can depend on how many
#: rows the call has, so the blocks must not follow the threads.
FORWARD_BLOCKS = 8

#: Conv's im2col forward runs blocks of samples whose cols and y take about this many
#: bytes, so the fill, the GEMM and the bias pass of a block run in the core's L2
#: (cnn_cifar's first convolution, one thread: 2.8 -> 2.4 ms; the backward, blocked
#: alike, measured no faster).
BLOCK_BYTES = 1 << 19


class ConvLast(Function):
    """Channels-last convolution with Keras's kernel layout, groups = 1:

        x (N, *S, C), W (*K, C, O):   y[n, i, o] = b[o] + sum_{p, c} W[p, c, o] x[n, s i + d p, c]

    as one GEMM y = cols @ W_mat, cols (N prod(S_out), prod(K) C) the im2col copy of
    :func:`windows_last` and W_mat = W reshaped to (prod(K) C, O) (no copy). Backward:
    dL/dW = cols^T G, dL/dcols = G W_mat^T -> dL/dx by :func:`col2im_last`, dL/db = sum G.
    Everything splits over the batch (whole samples' rows): dL/dW as one GEMM per block of
    B samples (B fixed by the shape, never by the threads), the blocks' terms then summed
    in order (one channel: one term per sample, all of a chunk's in one batched call);
    dL/db as one 1^T G per sample, summed in order.
    ``winograd=True``: :mod:`deepgrad.ops.conv_winograd` in the channels-last layout.
    A strided x or G (an NHWC array stored channels-first, say) is made C-contiguous
    first, with one copy.

    One input channel (MNIST's images; a volume likewise): x (N, H, W, 1) is stored exactly
    as NCHW's (N, 1, H, W), so the im2col copy is NCHW's, cols (N, kh kw, P) with rows of Wo (the
    channels-last copy would move runs of kw values), and each sample's y = cols^T W_mat
    multiplies the transposed view. cnn_mnist's first layer (32 x 28 x 28 x 1, 32 filters,
    one thread): forward 0.55 -> 0.42 ms (NCHW's Conv: 0.35).
    """

    def forward(self, x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1),
                winograd=False):
        x = contiguous(x)                          # e.g. stored channels-first: one copy
        if winograd:
            y, self.wino = conv_winograd.forward(x, w, b, pads)
            return y
        kernel, O = w.shape[:-2], w.shape[-1]
        N = x.shape[0]
        xp = pad_hw(x, pads, channels_last=True)
        out = tuple([(n - d * (k - 1) - 1) // s + 1
                     for n, k, s, d in zip(xp.shape[1:-1], kernel, stride, dilation)])
        win = windows_last(xp, kernel, stride, dilation, out)
        P = prod(out)
        shape = (N * P, prod(kernel) * xp.shape[-1])
        cols = view_as(win, shape)
        copy = cols is None
        wmat = w.reshape(-1, O)
        y = np.empty((N * P, O), np.result_type(xp.dtype, w.dtype))
        y3 = y.reshape(N, P, O)
        one = copy and xp.shape[-1] == 1
        if one:             # C = 1: x (N, *S, 1) is stored as NCHW's (N, 1, *S)
            cols, win = np.empty((N, shape[1], P), xp.dtype), windows(
                xp[..., 0], kernel, stride, dilation, out)
            fill = (len(kernel) == 2 and compiled_im2col(
                xp[:, None, ..., 0], cols[:, None], kernel, stride, dilation, out)) \
                or (lambda s, e: im2col_into(cols.reshape(win.shape), win, s, e))
        elif copy:
            cols = np.empty(shape, xp.dtype)                  # the im2col copy, by chunks
            fill = compiled_im2col(xp, cols, kernel, stride, dilation, out, True) \
                or (lambda s, e: im2col_into(cols.reshape(win.shape), win, s, e))

        B = -(-N // FORWARD_BLOCKS)             # samples per GEMM: fixed by the shape
        add_bias = None if b is None else bias_rows(y, b)

        def chunk(i, j):
            for k in range(i, j):
                s, e = k * B, min(k * B + B, N)
                if copy:
                    fill(s, e)
                if one:                        # each sample's (P, kh kw) = cols^T, a view
                    np.matmul(cols[s:e].transpose(0, 2, 1), wmat, out=y3[s:e])
                else:
                    np.matmul(cols[s * P:e * P], wmat, out=y[s * P:e * P])
                if add_bias is not None:
                    add_bias(s * P, e * P)

        parallel_for(-(-N // B), chunk, work=N * P * (shape[1] + O))
        self.cols, self.w, self.geom = cols, w, (xp.shape[1:-1], stride, dilation, pads)
        return y.reshape((N,) + out + (O,))

    def backward(self, g):
        g = contiguous(g)
        if hasattr(self, "wino"):
            return conv_winograd.function_backward(self, g)
        padded, stride, dilation, pads = self.geom
        w, cols = self.w, self.cols
        kernel, C, O = w.shape[:-2], w.shape[-2], w.shape[-1]
        N, P = g.shape[0], prod(g.shape[1:-1])
        g2, g3 = g.reshape(-1, O), g.reshape(N, P, O)
        want_x, want_w, want_b = (tuple(self.needs_grad) + (False,))[:3]
        B = max(1, -(-4 * O // P))             # samples per dW term: the terms <= cols / 4
        blocks = -(-N // B)
        dtype = np.result_type(g.dtype, w.dtype)
        wt = w.reshape(-1, O).T
        gxp = np.zeros((N,) + tuple(padded) + (C,), dtype) if want_x else None
        gcols = np.empty((N * P, wt.shape[1]), dtype) if want_x else None
        one = cols.ndim == 3                   # C = 1's cols (N, kh kw, P): per sample
        gws = np.empty((N if one else blocks, cols.shape[1], O), dtype) if want_w else None
        gbs = np.empty((N, O), g.dtype) if want_b else None
        ones = np.ones(P, g.dtype)

        def chunk(a, z):
            n0, n1 = a * B, min(z * B, N)      # this chunk's samples: one call each below
            if want_w and one:                 # cols[n] G[n] per sample, summed below
                np.matmul(cols[n0:n1], g3[n0:n1], out=gws[n0:n1])
            if want_b:                         # per sample: 1^T G (faster than g.sum)
                np.matmul(ones, g3[n0:n1], out=gbs[n0:n1])
            for k in range(a, z):
                s, e = k * B, min(k * B + B, N)
                rows = slice(s * P, e * P)
                if want_x:                     # dL/dcols = G W_mat^T, then col2im
                    np.matmul(g2[rows], wt, out=gcols[rows])
                    col2im_last(gcols[rows].reshape((e - s,) + g.shape[1:-1] + kernel + (C,)),
                                padded, kernel, stride, dilation, out=gxp[s:e])
                if want_w and not one:         # cols^T G over these samples' rows
                    np.matmul(cols[rows].T, g2[rows], out=gws[k])

        parallel_for(blocks, chunk, work=N * P * (cols.shape[1] * (want_x + want_w) + O))
        gx = crop_hw(gxp, pads, True) if want_x else None
        gw = sum_batch(gws).reshape(w.shape) if want_w else None
        gb = gbs.sum(axis=0) if want_b else None
        return gx, gw, gb


class ConvTranspose(Function):
    """The adjoint of :class:`Conv` in x: forward is Conv's input gradient (col2im of
    W_mat^T x), backward runs Conv's forward on the gradient."""

    def forward(self, x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1),
                groups=1, full=(0, 0)):
        N, Cin, in_size = x.shape[0], x.shape[1], x.shape[2:]
        Og, kernel = w.shape[1], w.shape[2:]
        cin_g = Cin // groups
        wmat = w.reshape(groups, cin_g, -1)
        x3 = x.reshape(N, groups, cin_g, prod(in_size))
        gcols = np.matmul(wmat.transpose(0, 2, 1), x3).reshape(
            (N, groups * Og) + kernel + in_size)
        y = np.ascontiguousarray(crop_hw(col2im(gcols, full, kernel, stride, dilation), pads))
        if b is not None:
            y += b.reshape((1, -1) + (1,) * len(in_size))
        self.x3, self.w, self.geom = x3, w, (stride, dilation, pads, groups, in_size)
        return y

    def backward(self, g):
        stride, dilation, pads, groups, in_size = self.geom
        w = self.w
        Cin, Og, kernel = w.shape[0], w.shape[1], w.shape[2:]
        N = g.shape[0]
        cols = windows(pad_hw(g, pads), kernel, stride, dilation, in_size).reshape(
            N, groups, Og * prod(kernel), prod(in_size))
        gx = gw = gb = None
        if self.needs_grad[0]:
            wmat = w.reshape(groups, Cin // groups, -1)
            gx = np.matmul(wmat, cols).reshape((N, Cin) + in_size)
        if self.needs_grad[1]:
            gw = np.matmul(self.x3, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb


# ----------------------------------------------------------------- argument checks
def same_padding(kernel, dilation):
    """padding='same': total d (k - 1) per axis, the odd one on the after side (PyTorch)."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


def _padding(padding, kernel, dilation, stride, name):
    """int / tuple / 'valid' / 'same' -> (before_0, after_0, before_1, after_1, ...)."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * (2 * n)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            return same_padding(kernel, dilation)
        raise ValueError(f"{name}: padding must be an int, a tuple of {n} ints, 'same' or "
                         f"'valid', received {padding!r}")
    p = ntuple(padding, n, name, "padding")
    if min(p) < 0:
        raise ValueError(f"{name}: padding must be non-negative, received {p}")
    return tuple(v for a in p for v in (a, a))


def _operands(name, n, input, weight, groups, stride, dilation):
    """Lift and check x, w; returns (x batched, w, unbatched?)."""
    x, w = operands(name, input, weight)
    if x.ndim not in (n + 1, n + 2):
        raise ValueError(f"{name}: expected a {n + 1}-D (unbatched) or {n + 2}-D (batched) "
                         f"input {LAYOUTS[n]}, received shape {tuple(x.shape)}")
    if w.ndim != n + 2:
        raise ValueError(f"{name}: expected a {n + 2}-D weight, received shape {tuple(w.shape)}")
    if min(w.shape[2:]) < 1:
        raise ValueError(f"{name}: kernel size should be greater than zero, but the weight "
                         f"has shape {tuple(w.shape)} (kernel {tuple(w.shape[2:])})")
    if min(stride) < 1 or min(dilation) < 1 or not isinstance(groups, (int, np.integer)) \
            or groups < 1:
        raise ValueError(f"{name}: stride, dilation and groups must be positive, received "
                         f"stride={stride}, dilation={dilation}, groups={groups}")
    unbatched = x.ndim == n + 1
    return (x.unsqueeze(0) if unbatched else x), w, unbatched


def _bias(name, bias, n):
    b = to_tensor(bias)
    if b.shape != (n,):
        raise ValueError(f"{name}: bias must have shape ({n},), received {tuple(b.shape)}")
    return b


# ----------------------------------------------------------------- convolution
def _conv_last(name, n, input, weight, bias, stride, padding, dilation, groups):
    """The channels-last convolution: x (N, *S, C) or (*S, C), Keras's weight
    (*K, C/groups, O). With groups > 1, group g (input channels g C/groups onwards, output
    channels g O/groups onwards) is a :class:`ConvLast` of its own, on a slice of x and
    of W, and the groups' outputs are concatenated on the channel axis."""
    x, w = operands(name, input, weight)
    if x.ndim not in (n + 1, n + 2) or w.ndim != n + 2:
        raise ValueError(f"{name}: channels_last expects a {n + 2}-D input (N, *spatial, C) "
                         f"(or {n + 1}-D unbatched) and a {n + 2}-D weight (*kernel, C, O); "
                         f"received input {tuple(x.shape)} and weight {tuple(w.shape)}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive integer, received {groups!r}")
    if min(stride) < 1 or min(dilation) < 1 or min(w.shape) < 1:
        raise ValueError(f"{name}: stride and dilation must be positive and the weight "
                         f"non-empty, received stride={stride}, dilation={dilation}, weight "
                         f"{tuple(w.shape)}")
    unbatched = x.ndim == n + 1
    x = x.unsqueeze(0) if unbatched else x
    kernel, C, O = w.shape[:-2], w.shape[-2], w.shape[-1]
    if x.shape[-1] != C * groups or O % groups:
        raise ValueError(f"{name}: input has {x.shape[-1]} channels (last axis of "
                         f"{tuple(x.shape)}), the weight of shape {tuple(w.shape)} with "
                         f"groups={groups} expects {C * groups} (and out channels {O} "
                         f"divisible by groups)")
    pads = _padding(padding, kernel, dilation, stride, name)
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(s + pads[2 * i] + pads[2 * i + 1] for i, s in enumerate(x.shape[1:-1]))
    if any(p < e for p, e in zip(padded, eff)):
        raise ValueError(f"{name}: kernel size {eff} (dilated) is larger than the padded input "
                         f"size {padded}; input shape {tuple(x.shape)}")
    b = None if bias is None else _bias(name, bias, O)
    G = O // groups

    def group(xg, wg, bg):
        wino = bool(conv_winograd.chosen(xg, wg, C, G, kernel, stride, dilation, 1, padded))
        return ConvLast.apply(xg, wg, *(() if bg is None else (bg,)), stride=stride,
                              pads=pads, dilation=dilation, winograd=wino)

    if groups == 1:
        y = group(x, w, b)
    else:
        y = cat([group(x[..., g * C:(g + 1) * C], w[..., g * G:(g + 1) * G],
                       None if b is None else b[g * G:(g + 1) * G]) for g in range(groups)],
                -1)
    return y.squeeze(0) if unbatched else y


def _conv(name, n, input, weight, bias, stride, padding, dilation, groups,
          channels_last=False):
    stride = ntuple(stride, n, name, "stride")
    dilation = ntuple(dilation, n, name, "dilation")
    if channels_last:
        return _conv_last(name, n, input, weight, bias, stride, padding, dilation, groups)
    x, w, unbatched = _operands(name, n, input, weight, groups, stride, dilation)
    C, O, Cg, kernel = x.shape[1], w.shape[0], w.shape[1], w.shape[2:]
    if C != Cg * groups or O % groups:
        raise ValueError(f"{name}: input has {C} channels but the weight of shape "
                         f"{tuple(w.shape)} with groups={groups} expects {Cg * groups} "
                         f"(and out channels {O} divisible by groups)")
    pads = _padding(padding, kernel, dilation, stride, name)
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(s + pads[2 * i] + pads[2 * i + 1] for i, s in enumerate(x.shape[2:]))
    if any(p < e for p, e in zip(padded, eff)):
        raise ValueError(f"{name}: kernel size {eff} (dilated) is larger than the padded input "
                         f"size {padded}; input shape {tuple(x.shape)}")
    params = dict(stride=stride, pads=pads, dilation=dilation, groups=groups)
    if conv_winograd.chosen(x, w, C, O, kernel, stride, dilation, groups, padded):
        params["winograd"] = True
    if params.get("winograd") or (n == 2 and groups == 1
                                  and stored_channels_last(x.array) is not None):
        params["last"] = True          # computed channels-last, y stored so (see Conv)
    if bias is None:
        y = Conv.apply(x, w, **params)
    else:
        y = Conv.apply(x, w, _bias(name, bias, O), **params)
    return y.squeeze(0) if unbatched else y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
           channels_last=False):
    """2-D cross-correlation (what deep learning calls convolution), NCHW or NHWC.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W); with ``channels_last`` (N, H, W, C)
            or (H, W, C).
        weight: (O, C/groups, kh, kw); with ``channels_last`` Keras's (kh, kw, C, O).
        bias: (O,) or None.
        stride, dilation: int or (sh, sw).   padding: int, (ph, pw), 'same' or 'valid'.
        groups: C and O are split into this many independent groups (with
            ``channels_last``, Keras's grouped kernel (kh, kw, C/groups, O)).
        channels_last (bool): Keras's layout for input, weight and output, computed as
            such (no transposes; :class:`ConvLast`).
    Returns:
        (N, O, Ho, Wo) (channels_last: (N, Ho, Wo, O)),
        Ho = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1.
    Backward: see the module docstring (im2col GEMMs, col2im for dL/dx).
    Example:
        >>> conv2d(x, w, padding=1).shape        # x (8, 3, 32, 32), w (16, 3, 3, 3)
        (8, 16, 32, 32)
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups,
                 channels_last)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
           channels_last=False):
    """1-D convolution over (N, C, L) (or unbatched (C, L)) with weight (O, C/groups, k);
    with ``channels_last`` over (N, L, C) with Keras's weight (k, C, O).

    y[n, o, i] = b[o] + sum_{c, p} W[o, c, p] x[n, c, s i + d p];
    L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1. Arguments as :func:`conv2d`.
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups,
                 channels_last)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
           channels_last=False):
    """3-D convolution over (N, C, D, H, W) (or unbatched (C, D, H, W)); with
    ``channels_last`` over (N, D, H, W, C) with Keras's weight (kd, kh, kw, C, O).

    y[n, o, t, i, j] = b[o] + sum_{c, r, p, q} W[o, c, r, p, q] x[n, c, s t + d r, s i + d p,
    s j + d q] with weight (O, C/groups, kd, kh, kw); each output length is
    floor((n + 2 p - d (k - 1) - 1) / s) + 1. Arguments as :func:`conv2d` with triples.
    Backward: see the module docstring.
    Example:
        >>> conv3d(x, w).shape                  # x (2, 3, 8, 8, 8), w (4, 3, 3, 3, 3)
        (2, 4, 6, 6, 6)
    """
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups,
                 channels_last)


# ----------------------------------------------------------------- transposed convolution
def _conv_transpose(name, n, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    stride = ntuple(stride, n, name, "stride")
    dilation = ntuple(dilation, n, name, "dilation")
    x, w, unbatched = _operands(name, n, input, weight, groups, stride, dilation)
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int or a tuple of {n} ints, "
                         f"received {padding!r}")
    pad = ntuple(padding, n, name, "padding")
    out_pad = ntuple(output_padding, n, name, "output_padding")
    if min(pad) < 0 or min(out_pad) < 0:
        raise ValueError(f"{name}: padding and output_padding must be non-negative, received "
                         f"{pad} and {out_pad}")
    if any(op >= max(s, d) for op, s, d in zip(out_pad, stride, dilation)):
        raise ValueError(f"{name}: output_padding {out_pad} must be smaller than either stride "
                         f"{stride} or dilation {dilation}")
    Cin, kernel = x.shape[1], w.shape[2:]
    if Cin != w.shape[0] or Cin % groups:
        raise ValueError(f"{name}: input has {Cin} channels, the weight of shape "
                         f"{tuple(w.shape)} expects {w.shape[0]} (divisible by groups={groups})")
    full = tuple((m - 1) * s + d * (k - 1) + 1 + op
                 for m, s, d, k, op in zip(x.shape[2:], stride, dilation, kernel, out_pad))
    if any(f - 2 * p <= 0 for f, p in zip(full, pad)):
        raise ValueError(f"{name}: padding {pad} leaves an empty output for input shape "
                         f"{tuple(x.shape)} and weight {tuple(w.shape)}")
    params = dict(stride=stride, pads=tuple(v for p in pad for v in (p, p)), dilation=dilation,
                  groups=groups, full=full)
    if bias is None:
        y = ConvTranspose.apply(x, w, **params)
    else:
        y = ConvTranspose.apply(x, w, _bias(name, bias, w.shape[1] * groups), **params)
    return y.squeeze(0) if unbatched else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Transposed convolution ("deconvolution"), the adjoint of conv2d, NCHW.

    Args:
        input: (N, Cin, H, W) or unbatched (Cin, H, W).
        weight: (Cin, Cout/groups, kh, kw) (PyTorch's layout).
        padding: int or pair, cut from both sides of the full output.
        output_padding: int or pair added to one side (smaller than stride or dilation).
    Returns:
        (N, Cout, Ho, Wo), Ho = (H - 1) sh - 2 ph + dh (kh - 1) + output_padding + 1.
    Backward: dL/dx = conv2d(dL/dy, W); dL/dW the same GEMM pair as conv2d's.
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution over (N, Cin, L), weight (Cin, Cout/groups, k);
    L_out = (L - 1) s - 2 p + d (k - 1) + output_padding + 1."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-D transposed convolution over (N, Cin, D, H, W), weight (Cin, Cout/groups, kd, kh,
    kw); each output length is (n - 1) s - 2 p + d (k - 1) + output_padding + 1."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)
