"""The transposed convolution in Keras's layouts (``keras.layers.Conv2DTranspose``): the
adjoint of :class:`~deepgrad.ops.conv.ConvLast` in its input.

For x (N, H, W, Cin) channels-last and Keras's kernel K (kh, kw, Cout, Cin), stride s,
dilation d, the full output (N, Hf, Wf, Cout), Hf = (H - 1) s0 + d0 (kh - 1) + 1:

    y[n, s i + d p, s j + d q, o] += sum_c K[p, q, o, c] x[n, i, j, c]

K is exactly ConvLast's kernel (kh, kw, C, O) with C = Cout and O = Cin, so, with
K_mat = K reshaped to (kh kw Cout, Cin) (no copy):

    forward   gcols = x K_mat^T  (N H W, kh kw Cout)  ->  y = col2im_last(gcols) (+ b)
    backward  cols = im2col_last(G)  (N H W, kh kw Cout)  (ConvLast's forward copy)
              dL/dx = cols K_mat,  dL/dK = cols^T x (reshaped to K's shape),
              dL/db = G summed over every axis but the last

Input, kernel and output stay channels-last: no permute of x, K or y. The same for
volumes (:func:`conv_transpose3d_last`, x (N, D, H, W, Cin), K (kd, kh, kw, Cout, Cin)).
The bias is added in the op's own pass over y (:func:`~deepgrad.ops.bias_act.bias_add`):
``y + b`` as a separate op broadcasts over runs of Cout elements: on an (8, 32, 32, 32, 8)
float32 output, 2.6-2.9 ms against 0.7-0.8, and dL/db as the GEMV 1^T G 0.3 ms against
``g.sum(axis=0)``'s 5.5. The Keras layer crops (or extends) the full
output to Keras's size: when it only crops, the op adds the bias (crop then add equals add
then crop); an extension gets the bias too, so there the layer adds it after. The NCHW
:func:`~deepgrad.ops.conv_transpose2d` is the reference in the tests.
"""
from math import prod

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops._util import operands
from deepgrad.ops.bias_act import bias_add
from deepgrad.ops.conv import _bias, ntuple
from deepgrad.ops.im2col import col2im_last, compiled_im2col, im2col_into, windows_last
from deepgrad.parallel import matmul, parallel_for


class ConvTransposeLast(Function):
    """The module docstring's full transposed convolution, channels-last."""

    def forward(self, x, w, b=None, stride=(1, 1), dilation=(1, 1)):
        N, in_size, Cin = x.shape[0], x.shape[1:-1], x.shape[-1]
        kernel, Cout = w.shape[:-2], w.shape[-2]
        full = tuple((n - 1) * s + d * (k - 1) + 1
                     for n, k, s, d in zip(in_size, kernel, stride, dilation))
        wmat = w.reshape(-1, Cin)                            # (kh kw Cout, Cin)
        x2 = np.ascontiguousarray(x).reshape(-1, Cin)
        gcols = matmul(x2, wmat.T).reshape((N,) + in_size + kernel + (Cout,))
        y = col2im_last(gcols, full, kernel, stride, dilation)
        if b is not None:                 # in place, one compiled pass (any channel count)
            bias_add(y, b)
        self.x2, self.w, self.geom = x2, w, (stride, dilation, in_size)
        return y

    def backward(self, g):
        stride, dilation, in_size = self.geom
        w, x2 = self.w, self.x2
        kernel, Cout, Cin = w.shape[:-2], w.shape[-2], w.shape[-1]
        N, P = g.shape[0], prod(in_size)
        g = np.ascontiguousarray(g)
        cols = np.empty((N * P, prod(kernel) * Cout), g.dtype)      # im2col of G
        fill = compiled_im2col(g, cols, kernel, stride, dilation, in_size, True)
        if fill is None:
            win = windows_last(g, kernel, stride, dilation, in_size)

            def fill(a, z):
                im2col_into(cols.reshape(win.shape), win, a, z)
        parallel_for(N, fill, work=cols.size)
        gx = gw = gb = None
        if len(self.needs_grad) > 2 and self.needs_grad[2]:     # 1^T G: a GEMV, where
            g2 = g.reshape(-1, Cout)                # g.sum(axis=0) runs over Cout at a time
            gb = np.matmul(np.ones(g2.shape[0], g.dtype), g2)
        if self.needs_grad[0]:
            gx = matmul(cols, w.reshape(-1, Cin)).reshape((N,) + in_size + (Cin,))
        if self.needs_grad[1]:
            gw = matmul(cols.T, x2).reshape(w.shape)
        return gx, gw, gb


def conv_transpose2d_last(input, kernel, stride=1, dilation=1, bias=None):
    """The full transposed convolution in Keras's layouts (see the module docstring).

    Args:
        input: (N, H, W, Cin), channels-last.
        kernel: (kh, kw, Cout, Cin), Keras's ``Conv2DTranspose`` kernel.
        stride, dilation: an int or a pair.
        bias: (Cout,) or None, added to every output position (in the op's own pass:
            ``y + bias`` after it would broadcast over runs of Cout elements).
    Returns:
        (N, (H - 1) s0 + d0 (kh - 1) + 1, (W - 1) s1 + d1 (kw - 1) + 1, Cout).

    Raises:
        ValueError: an input or kernel that is not 4-D, or whose Cin differ.
    """
    return _conv_transpose_last("conv_transpose2d_last", 2, input, kernel, stride, dilation,
                                bias)


def conv_transpose3d_last(input, kernel, stride=1, dilation=1, bias=None):
    """:func:`conv_transpose2d_last` for volumes: input (N, D, H, W, Cin), Keras's
    ``Conv3DTranspose`` kernel (kd, kh, kw, Cout, Cin), stride and dilation an int or a
    triple, bias (Cout,) or None; output (N, (D - 1) s0 + d0 (kd - 1) + 1, ..., Cout)."""
    return _conv_transpose_last("conv_transpose3d_last", 3, input, kernel, stride, dilation,
                                bias)


def _conv_transpose_last(name, n, input, kernel, stride, dilation, bias):
    x, k = operands(name, input, kernel)
    if x.ndim != n + 2 or k.ndim != n + 2 or k.shape[-1] != x.shape[-1]:
        spatial, window = ("H, W", "kh, kw") if n == 2 else ("D, H, W", "kd, kh, kw")
        raise ValueError(f"{name}: expected input (N, {spatial}, Cin) and kernel "
                         f"({window}, Cout, Cin) with the same Cin, received shapes "
                         f"{tuple(x.shape)} and {tuple(k.shape)}")
    params = dict(stride=ntuple(stride, n, name, "stride"),
                  dilation=ntuple(dilation, n, name, "dilation"))
    if bias is None:
        return ConvTransposeLast.apply(x, k, **params)
    return ConvTransposeLast.apply(x, k, _bias(name, bias, k.shape[-2]), **params)
