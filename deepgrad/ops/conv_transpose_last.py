"""The transposed convolution in Keras's layouts (``keras.layers.Conv2DTranspose``): the
adjoint of :class:`~deepgrad.ops.conv.ConvLast` in its input.

For x (N, H, W, Cin) channels-last and Keras's kernel K (kh, kw, Cout, Cin), stride s,
dilation d, the full output (N, Hf, Wf, Cout), Hf = (H - 1) s0 + d0 (kh - 1) + 1:

    y[n, s i + d p, s j + d q, o] += sum_c K[p, q, o, c] x[n, i, j, c]

K is exactly ConvLast's kernel (kh, kw, C, O) with C = Cout and O = Cin, so, with
K_mat = K reshaped to (kh kw Cout, Cin) (no copy):

    forward   gcols = x K_mat^T  (N H W, kh kw Cout)  ->  y = col2im_last(gcols)
    backward  cols = im2col_last(G)  (N H W, kh kw Cout)  (ConvLast's forward copy)
              dL/dx = cols K_mat,  dL/dK = cols^T x (reshaped to K's shape)

Input, kernel and output stay channels-last: no permute of x, K or y. The Keras layer
crops (or extends) the full output to Keras's size and adds the bias after. The NCHW
:func:`~deepgrad.ops.conv_transpose2d` is the reference in the tests.
"""
from math import prod

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops._util import operands
from deepgrad.ops.conv import pair
from deepgrad.ops.im2col import col2im_last, compiled_im2col, im2col_into, windows_last
from deepgrad.parallel import matmul, parallel_for


class ConvTransposeLast(Function):
    """The module docstring's full transposed convolution, channels-last."""

    def forward(self, x, w, stride=(1, 1), dilation=(1, 1)):
        N, in_size, Cin = x.shape[0], x.shape[1:3], x.shape[3]
        kernel, Cout = w.shape[:2], w.shape[2]
        full = tuple((n - 1) * s + d * (k - 1) + 1
                     for n, k, s, d in zip(in_size, kernel, stride, dilation))
        wmat = w.reshape(-1, Cin)                            # (kh kw Cout, Cin)
        x2 = np.ascontiguousarray(x).reshape(-1, Cin)
        gcols = matmul(x2, wmat.T).reshape((N,) + in_size + kernel + (Cout,))
        y = col2im_last(gcols, full, kernel, stride, dilation)
        self.x2, self.w, self.geom = x2, w, (stride, dilation, in_size)
        return y

    def backward(self, g):
        stride, dilation, in_size = self.geom
        w, x2 = self.w, self.x2
        kernel, Cout, Cin = w.shape[:2], w.shape[2], w.shape[3]
        N, P = g.shape[0], prod(in_size)
        g = np.ascontiguousarray(g)
        cols = np.empty((N * P, prod(kernel) * Cout), g.dtype)      # im2col of G
        fill = compiled_im2col(g, cols, kernel, stride, dilation, in_size, True)
        if fill is None:
            win = windows_last(g, kernel, stride, dilation, in_size)

            def fill(a, z):
                im2col_into(cols.reshape(win.shape), win, a, z)
        parallel_for(N, fill, work=cols.size)
        gx = gw = None
        if self.needs_grad[0]:
            gx = matmul(cols, w.reshape(-1, Cin)).reshape((N,) + in_size + (Cin,))
        if self.needs_grad[1]:
            gw = matmul(cols.T, x2).reshape(w.shape)
        return gx, gw


def conv_transpose2d_last(input, kernel, stride=1, dilation=1):
    """The full transposed convolution in Keras's layouts (see the module docstring).

    Args:
        input: (N, H, W, Cin), channels-last.
        kernel: (kh, kw, Cout, Cin), Keras's ``Conv2DTranspose`` kernel.
        stride, dilation: an int or a pair.
    Returns:
        (N, (H - 1) s0 + d0 (kh - 1) + 1, (W - 1) s1 + d1 (kw - 1) + 1, Cout).

    Raises:
        ValueError: an input or kernel that is not 4-D, or whose Cin differ.
    """
    x, k = operands("conv_transpose2d_last", input, kernel)
    if x.ndim != 4 or k.ndim != 4 or k.shape[3] != x.shape[3]:
        raise ValueError(f"conv_transpose2d_last: expected input (N, H, W, Cin) and kernel "
                         f"(kh, kw, Cout, Cin) with the same Cin, received shapes "
                         f"{tuple(x.shape)} and {tuple(k.shape)}")
    return ConvTransposeLast.apply(x, k, stride=pair(stride, "stride"),
                                   dilation=pair(dilation, "dilation"))
