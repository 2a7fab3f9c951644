"""Pooling (seed 002, section 3: max pooling), over strided window views of the input.

For 1, 2 or 3 spatial axes (written for 2), kernel k, stride s, padding p, dilation d:

    max_pool:  y[n, c, i, j] = max_{p, q} x[n, c, s i + d p, s j + d q]
               dL/dx = dL/dy routed to the argmax of each window (kept from forward)
    avg_pool:  y = (1/|window|) sum_{p, q} x[...]   dL/dx = dL/dy / |window| per position

Windows come from :func:`deepgrad.ops.conv.windows` (a strided view, no copy); backward
adds the per-window gradients back with :func:`~deepgrad.ops.conv.col2im`. Indices
(``return_indices``) are flat positions in the unpadded spatial plane of each (n, c), as
PyTorch's. Adaptive pooling is in :mod:`deepgrad.ops.pool_adaptive`.

``max_pool2d(..., channels_last=True)`` pools Keras's (N, H, W, C) as laid out: the window
view is (N, *out, *kernel, C) (:func:`~deepgrad.ops.conv.windows_last`), each kernel
position one pass over contiguous channels, output (N, Ho, Wo, C); no transposes. The
3-D ops take ``channels_last`` likewise, for (N, D, H, W, C) volumes.
"""

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops import pool_tiled
from deepgrad.ops.activation import ReLU, relu_backward
from deepgrad.ops.layout import in_other, stored_other, to_memory
from deepgrad.ops.conv import LAYOUTS, col2im, crop_hw, ntuple, pad_hw, windows, windows_last
from deepgrad.parallel import parallel_for


def _out_size(size, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:      # last window must start inside
        out -= 1
    return out


def _spatial(x, n, channels_last=False):
    return x.shape[1:1 + n] if channels_last else x.shape[x.ndim - n:]


def _ceil_pads(x, kernel, stride, padding, dilation, out, channels_last=False):
    """(before, after) pads per axis: ``padding``, plus what ceil_mode's last window needs."""
    pads = ()
    for o, s, d, k, m, p in zip(out, stride, dilation, kernel,
                                _spatial(x, len(kernel), channels_last), padding):
        pads += (p, p + max((o - 1) * s + d * (k - 1) + 1 - (m + 2 * p), 0))
    return pads


def _kernel_slices(pos, dilation, stride, out):
    """Where kernel position ``pos`` of every window sits in the padded input."""
    return tuple(slice(q * d, q * d + s * (o - 1) + 1, s)
                 for q, d, s, o in zip(pos, dilation, stride, out))


class MaxPool(Function):
    """Max over each window, as a running max over the prod(kernel) kernel positions.

    Forward keeps, per output, which kernel position won (first one at ties, as PyTorch;
    the last NaN where a window holds NaN, as PyTorch); backward routes each output's
    gradient to that position. Both loop over the kernel positions only, each step one
    vectorised pass over a strided view of the input. For 2 x 2 windows that tile the
    plane (``MaxPool2d(2)``), :mod:`deepgrad.ops.pool_tiled` gives the same results in
    fewer passes: a two-stage forward, a backward that writes each input position once.
    ``channels_last``: x is (N, *S, C) and so is y (Keras's layout, no transposes). A 4-D
    x stored in the other layout (an NCHW Winograd convolution's output, stored
    channels-last; see :mod:`deepgrad.ops.layout`) takes the tiled path on the array in
    memory, and y is stored as x is.

    **After a ReLU** (conv, ReLU, pool: the seeds' CNN block), backward also does the
    ReLU's backward, on the pooled size: with r = relu(x) the pool's input and y its
    output, ReLU's dL/dx = route(g) [r > 0], and route(g) is nonzero only at each window's
    winner, where r = y; so for windows that do not overlap

        dL/dx = route(g) [r > 0] = route(g [y > 0])

    the same bits (each input position gets one window's term, or +0). The mask then
    costs a pass over g instead of one over r (4x larger for 2x2 windows), and the ReLU
    node hands the result on as it is (:class:`~deepgrad.ops.activation.ReLU`'s
    ``premasked``). Only when r is the ReLU's output as recorded and nothing hooks it
    (no tensor hook, no ``retain_grad``); where r has another consumer, the ReLU receives
    a sum and masks it itself (masking twice changes nothing).
    """

    def forward(self, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                out=(1, 1), indices_into=None, channels_last=False, keep_out=False):
        y = self._forward(x, kernel, stride, padding, dilation, out, indices_into,
                          channels_last)
        if keep_out:                                # the input is a ReLU's: see backward
            self.out = y
        return y

    def _forward(self, x, kernel, stride, padding, dilation, out, indices_into, channels_last):
        n = len(kernel)
        pads = _ceil_pads(x, kernel, stride, padding, dilation, out, channels_last)
        self.channels_last = channels_last
        xm = stored_other(x, channels_last)
        self.other_layout = xm is not None
        if pool_tiled.applies(kernel, stride, dilation, pads):      # no padding: xp is x
            self.geom = (_spatial(x, n, channels_last), kernel, stride, dilation, pads)
            if xm is not None:                 # stored in the other layout: pool the array
                back = to_memory(channels_last)[1]             # in memory, keep y so
                y, arg = pool_tiled.forward(xm, out, not channels_last)
                y, self.arg = y.transpose(back), arg.transpose(back)
            else:
                y, self.arg = pool_tiled.forward(x, out, channels_last)
            if indices_into is not None:
                indices_into.append(self.indices(_spatial(x, n), padding))
            return y
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = pad_hw(x, pads, fill, channels_last)
        if channels_last:
            win = windows_last(xp, kernel, stride, dilation, out)    # (N, *out, *kernel, C)
            lead = (slice(None),) * (1 + n)
        else:
            win = windows(xp, kernel, stride, dilation, out)         # (N, C, *kernel, *out)
            lead = (slice(None),) * (x.ndim - n)
        positions = [win[lead + pos] for pos in np.ndindex(*kernel)]   # (N, ...) views
        itype = (np.uint8 if len(positions) <= 256 else np.int16 if len(positions) < 2 ** 15
                 else np.int64)
        y = np.empty(positions[0].shape, x.dtype)
        arg = np.empty(y.shape, itype)
        better, step = np.empty(y.shape, bool), np.empty(y.shape, itype)   # temporaries

        def chunk(a, z):                       # samples a:z
            yc, ac, bc, sc = y[a:z], arg[a:z], better[a:z], step[a:z]
            yc[...] = positions[0][a:z]
            ac[...] = 0
            for k in range(1, len(positions)):
                v = positions[k][a:z]
                np.greater(v, yc, out=bc)      # strict: the first max of a window keeps it
                np.maximum(yc, v, out=yc)
                # k grows, so the last position that beat the running max has the largest
                # k: arg = max_k(k [v_k beat it]) - plain arithmetic, faster than masked writes
                np.maximum(ac, np.multiply(bc, itype(k), out=sc), out=ac)

        parallel_for(x.shape[0], chunk, work=y.size * len(positions))
        pool_tiled.nan_winners(y, arg, positions)
        self.arg = arg
        self.geom = (_spatial(xp, n, channels_last), kernel, stride, dilation, pads)
        if indices_into is not None:                  # return_indices: hand them out
            indices_into.append(self.indices(_spatial(x, len(kernel)), padding))
        return y

    def backward(self, g):
        relu = self._absorbed_relu()
        if relu is None:
            return self._route(g)
        gx = self._route(g, self.out)
        relu.premasked = gx                         # the ReLU node hands gx on as it is
        return gx

    def _absorbed_relu(self):
        """The ReLU node whose output is this pool's input, when backward may do its
        masking (see the class docstring); else None."""
        if self.__dict__.get("out") is None:
            return None
        relu = self.inputs[0]._ctx
        if type(relu) is not ReLU or relu._meta is not None \
                or relu.__dict__.get("out") is not self.inputs[0].array:
            return None
        kernel, stride, dilation = self.geom[1:4]
        if any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation)):
            return None                             # overlapping windows
        return relu

    def _route(self, g, relu_out=None):
        """dL/dx: each output's g to its window's winner (``self.arg``), 0 elsewhere;
        ``relu_out`` (y): g [y > 0] instead of g (see the class docstring)."""
        padded, kernel, stride, dilation, pads = self.geom
        n, last = len(kernel), self.channels_last
        free = self.__dict__.get("grad_free")
        out = _spatial(g, n, last)
        lead = (slice(None),) * (1 if last else g.ndim - n)
        shape = g.shape[:len(lead)] + tuple(padded) + g.shape[len(lead) + n:]
        if pool_tiled.applies(kernel, stride, dilation, pads):
            if self.other_layout:              # as forward: on the arrays in memory
                there, back = to_memory(last)
                # after a ReLU, g as a view: the kernel reads it as stored, no copy
                gm = in_other(g, last) if relu_out is None else g.transpose(there)
                return pool_tiled.backward(
                    gm, in_other(self.arg, last),
                    tuple(shape[i] for i in there), not last,
                    None if relu_out is None else in_other(relu_out, last), free
                ).transpose(back)
            return pool_tiled.backward(g, self.arg, shape, last, relu_out, free)
        if relu_out is not None:
            g = relu_backward(g, relu_out, free)
        gx = np.zeros(shape, dtype=g.dtype)
        overlap = any(k > s for k, s in zip(kernel, stride)) or any(d != 1 for d in dilation)
        where = [lead + _kernel_slices(pos, dilation, stride, out) for pos in np.ndindex(*kernel)]
        arg = self.arg
        # g is read once per kernel position: a transposed g (a channels-last model's
        # gradient) is made contiguous once (one copy) instead of read strided each time
        g = np.ascontiguousarray(g)
        mask = np.empty(g.shape, bool)        # temporaries
        routed = np.empty(g.shape, g.dtype) if overlap else None
        bits = np.dtype(f"u{g.dtype.itemsize}")
        gbits = g.view(bits)

        # g goes to the winners only, +0 elsewhere whatever g is (as PyTorch and
        # TensorFlow): g's bits, as unsigned integers, times [arg == k] (a float product
        # would put -0 or NaN off the winner for a negative or non-finite g)
        def chunk(a, z):                       # samples a:z
            gc, ac, gxc, mc = gbits[a:z], arg[a:z], gx[a:z], mask[a:z]
            for k, dst in enumerate(where):
                np.equal(ac, k, out=mc)
                if overlap:                    # windows share positions: add
                    rc = routed[a:z]
                    np.multiply(gc, mc, out=rc.view(bits))
                    gxc[dst] += rc
                else:                          # each input position is in one window only
                    np.multiply(gc, mc, out=gxc[dst].view(bits))

        parallel_for(g.shape[0], chunk, work=g.size * len(where))
        return crop_hw(gx, pads, last)

    def indices(self, in_size, padding):
        """Flat position in the unpadded spatial plane of each window's winner (int64)."""
        kernel, stride, dilation = self.geom[1:4]
        n = len(kernel)
        kpos = np.unravel_index(self.arg.astype(np.int64), kernel)
        flat = 0
        for i in range(n):
            o = np.arange(self.arg.shape[self.arg.ndim - n + i]).reshape(
                (-1,) + (1,) * (n - 1 - i))
            flat = flat * in_size[i] + (o * stride[i] - padding[i] + kpos[i] * dilation[i])
        return flat


class AvgPool(Function):
    """Mean over each window; the divisor of each window counts what PyTorch counts.

    ``channels_last``: x is (N, *S, C) and so is y (Keras's layout): the windows are
    :func:`~deepgrad.ops.conv.windows_last`'s view, backward adds g / divisor at each
    kernel position's strided slice of dL/dx (no transposes either way).
    """

    def forward(self, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), out=(1, 1),
                count_include_pad=True, divisor_override=None, channels_last=False):
        n = len(kernel)
        ones = (1,) * n
        pads = _ceil_pads(x, kernel, stride, padding, ones, out, channels_last)
        xp = pad_hw(x, pads, channels_last=channels_last)
        if channels_last:
            total = windows_last(xp, kernel, stride, ones, out).sum(
                axis=tuple(range(1 + n, 1 + 2 * n)))
        else:
            kaxes = tuple(range(x.ndim - n, x.ndim))
            total = windows(xp, kernel, stride, ones, out).sum(axis=kaxes)
        spatial = _spatial(x, n, channels_last)
        if divisor_override:
            div = np.asarray(divisor_override, x.dtype)
        else:
            # count what each window covers: real input, plus padding if count_include_pad,
            # never the extension that ceil_mode adds
            mask = np.zeros(_spatial(xp, n, channels_last), x.dtype)
            if count_include_pad:
                mask[tuple(slice(0, m + 2 * p) for m, p in zip(spatial, padding))] = 1
            else:
                mask[tuple(slice(p, p + m) for m, p in zip(spatial, padding))] = 1
            div = windows(mask, kernel, stride, ones, out).sum(axis=tuple(range(n)))
            if channels_last:
                div = div[..., None]                  # (*out, 1) against (N, *out, C)
        self.div, self.channels_last = div, channels_last
        self.geom = (_spatial(xp, n, channels_last), kernel, stride, pads)
        return total / div

    def backward(self, g):
        padded, kernel, stride, pads = self.geom
        n, last = len(kernel), self.channels_last
        if last:                              # g / div added at each kernel position
            per = g / self.div
            gx = np.zeros(g.shape[:1] + tuple(padded) + g.shape[1 + n:], g.dtype)
            for pos in np.ndindex(*kernel):
                gx[(slice(None),) + _kernel_slices(pos, (1,) * n, stride, g.shape[1:1 + n])] += per
            return crop_hw(gx, pads, True)
        lead = g.shape[:g.ndim - n]
        per = (g / self.div).reshape(lead + (1,) * n + g.shape[g.ndim - n:])
        per = np.broadcast_to(per, lead + tuple(kernel) + g.shape[g.ndim - n:])
        return crop_hw(col2im(per, padded, kernel, stride, (1,) * n), pads)


# ----------------------------------------------------------------- argument checks
def _rank(name, n, x, channels_last=False):
    """Check x is (C, *S) or (N, C, *S) (``channels_last``: (*S, C) or (N, *S, C)); return x
    batched and whether it was not."""
    if x.ndim not in (n + 1, n + 2):
        layout = LAYOUTS[n].replace("C, ", "").replace(")", ", C)") if channels_last \
            else LAYOUTS[n]
        raise ValueError(f"{name}: expected a {n + 1}-D (unbatched) or {n + 2}-D (batched) "
                         f"input {layout}, received shape {tuple(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == n + 1 else (x, False)


def _window_args(name, n, x, kernel_size, stride, padding, dilation, ceil_mode,
                 channels_last=False):
    """Check and normalise the window arguments; the output size of each spatial axis."""
    k = ntuple(kernel_size, n, name, "kernel_size")
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = k if no_stride else ntuple(stride, n, name, "stride")
    p, d = ntuple(padding, n, name, "padding"), ntuple(dilation, n, name, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError(f"{name}: kernel_size, stride and dilation must be positive and "
                         f"padding non-negative, received kernel_size={k}, stride={s}, "
                         f"padding={p}, dilation={d}")
    if any(pp > kk // 2 for pp, kk in zip(p, k)):
        raise ValueError(f"{name}: padding {p} should be at most half of kernel size {k}")
    out = tuple(_out_size(m, kk, ss, pp, dd, ceil_mode)
                for m, kk, ss, pp, dd in zip(_spatial(x, n, channels_last), k, s, p, d))
    if min(out) < 1:
        raise ValueError(f"{name}: kernel {k} (dilation {d}) is larger than the padded input; "
                         f"input shape {tuple(x.shape)}, padding {p}, output size {out}")
    return k, s, p, d, out


def _max_pool(name, n, input, kernel_size, stride, padding, dilation, ceil_mode, with_indices,
              channels_last=False):
    if channels_last and with_indices:
        raise ValueError(f"{name}: return_indices=True is for the channels-first layout "
                         f"(PyTorch's MaxUnpool), received channels_last=True")
    x, unbatched = _rank(name, n, to_tensor(input), channels_last)
    k, s, p, d, out = _window_args(name, n, x, kernel_size, stride, padding, dilation, ceil_mode,
                                   channels_last)
    box = [] if with_indices else None
    y = MaxPool.apply(x, kernel=k, stride=s, padding=p, dilation=d, out=out, indices_into=box,
                      channels_last=channels_last, keep_out=type(x._ctx) is ReLU)
    return _with_indices(y, box, unbatched)


def _with_indices(y, box, unbatched):
    """y, or (y, indices) when ``box`` holds the indices forward handed out."""
    if box is None:
        return y.squeeze(0) if unbatched else y
    idx = _fn._Tensor._wrap(np.ascontiguousarray(box[0], dtype=np.int64))
    return (y.squeeze(0), idx.squeeze(0)) if unbatched else (y, idx)


# ----------------------------------------------------------------- max pooling
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False, *, channels_last=False):
    """Max over kh x kw windows (stride defaults to the kernel size), NCHW or NHWC.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W); with ``channels_last`` (N, H, W, C)
            or (H, W, C), pooled as laid out (no transposes), output (N, Ho, Wo, C).
        kernel_size, stride, padding, dilation: int or pair; padding <= kernel // 2,
            padded positions never win.
        ceil_mode (bool): round the output size up (a last, partial window).
        return_indices (bool): also return the flat position of each max in the H x W
            plane (int64), as :class:`MaxUnpool2d` takes them.
    Returns:
        (N, C, Ho, Wo), Ho = floor((H + 2 p - d (k - 1) - 1) / s) + 1 (ceil with ceil_mode);
        with return_indices, (values, indices).
    Backward: each output's gradient goes to its window's (first) argmax.
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices, channels_last)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max pooling over (N, C, L) or (C, L); arguments as :func:`max_pool2d`."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False, *, channels_last=False):
    """Max pooling over (N, C, D, H, W) or (C, D, H, W) (``channels_last``: (N, D, H, W, C)
    or (D, H, W, C), pooled as laid out); arguments as :func:`max_pool2d` with triples;
    indices are flat positions in the D x H x W volume."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices, channels_last)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool1d` returning (values, int64 indices)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool2d` returning (values, int64 indices)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool3d` returning (values, int64 indices)."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                     ceil_mode, True)


# ----------------------------------------------------------------- average pooling
def _avg_pool(name, n, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, channels_last=False):
    x, unbatched = _rank(name, n, to_tensor(input), channels_last)
    k, s, p, _, out = _window_args(name, n, x, kernel_size, stride, padding, 1, ceil_mode,
                                   channels_last)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{name}: divisor_override must be a positive integer, received "
                         f"{divisor_override}")
    y = AvgPool.apply(x, kernel=k, stride=s, padding=p, out=out,
                      count_include_pad=count_include_pad, divisor_override=divisor_override,
                      channels_last=channels_last)
    return y.squeeze(0) if unbatched else y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None, *, channels_last=False):
    """Mean over kh x kw windows, NCHW or NHWC (PyTorch's divisor rules for padding and
    ceil_mode).

    Args:
        input: (N, C, H, W) or (C, H, W); with ``channels_last`` (N, H, W, C) or (H, W, C),
            pooled as laid out, output (N, Ho, Wo, C).
        count_include_pad (bool): the zero padding counts in the divisor (ceil_mode's
            extension never does).
        divisor_override (int or None): divide every window's sum by this instead.
    Backward: dL/dx[pos] = sum over the windows holding pos of g / divisor.
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override, channels_last)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Average pooling over (N, C, L) or (C, L); arguments as :func:`avg_pool2d`."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None, *, channels_last=False):
    """Average pooling over (N, C, D, H, W) or (C, D, H, W) (``channels_last``:
    (N, D, H, W, C) or (D, H, W, C), pooled as laid out); arguments as :func:`avg_pool2d`."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override, channels_last)


# ----------------------------------------------------------------- shared
def scatter_plane(g, where, shape, n):
    """gx of ``shape`` (*lead, *spatial), n spatial axes, with gx[l][where[l, o]] += g[l, o].

    g and where share one shape (*lead, *out); where holds flat positions in the spatial
    plane of each lead index, as pooling indices do. Run as one bincount.
    """
    lead = shape[:len(shape) - n]
    rows, plane = int(np.prod(lead, dtype=np.int64)), int(np.prod(shape[len(lead):], dtype=np.int64))
    offset = (np.arange(rows, dtype=np.int64) * plane).reshape(lead + (1,) * n)
    gx = np.bincount((where + offset).ravel(), weights=g.ravel(), minlength=rows * plane)
    return gx.astype(g.dtype, copy=False).reshape(shape)
