r"""Per-sample gradients of convolutions (``nn.Conv1d``/``Conv2d``/``Conv3d``), by the im2col
form the convolution op itself uses (:mod:`deepgrad.ops.conv`): with cols_n the
(G, C/G * prod(K), L) windows of sample n's (padded) input and g_n its (G, O/G, L) output
gradient over the L output positions,

    dW_n = g_n cols_n^T   (per group; reshaped to (O, C/G, *K))      db_n = sum_L g_n,

one batched GEMM for the whole batch. :func:`conv_per_sample` is shared with the Keras
front's channels-last convolutions (the layer moves channels first).
"""
from math import prod

import numpy as np

from deepgrad.nn.conv import Conv1d, Conv2d, Conv3d
from deepgrad.nn.functional import pad as _pad
from deepgrad.autograd.tensor import Tensor
from deepgrad.ops.conv import _padding, pad_hw, windows
from deepgrad.privacy.grad_sample.utils import register_grad_sampler


def conv_per_sample(x, g, kernel, stride, pads, dilation, groups):
    """(N, O, C/G, *K) per-sample weight gradients of a channels-first convolution.

    Args:
        x: input (N, C, *S) before padding.   g: dL/dy (N, O, *S_out).
        kernel, stride, dilation: per spatial axis.   pads: (before_0, after_0, ...).
        groups (int): G.
    """
    N, O, out = g.shape[0], g.shape[1], g.shape[2:]
    xp = pad_hw(x, pads)
    Cg = x.shape[1] // groups
    cols = windows(xp, kernel, stride, dilation, out).reshape(N, groups, Cg * prod(kernel),
                                                             prod(out))
    g3 = g.reshape(N, groups, O // groups, prod(out))
    return np.matmul(g3, cols.transpose(0, 1, 3, 2)).reshape((N, O, Cg) + tuple(kernel))


@register_grad_sampler([Conv1d, Conv2d, Conv3d])
def compute_conv_grad_sample(layer, activations, backprops):
    x = activations[0]
    n = layer.n
    if x.ndim == n + 1:
        raise ValueError(f"{type(layer).__name__}: per-sample gradients need a batched "
                         f"input, received shape {x.shape}")
    pads = _padding(layer.padding, layer.kernel_size, layer.dilation, layer.stride,
                    type(layer).__name__)
    if layer.padding_mode != "zeros":        # the layer pads the input itself, then 0
        x = _pad(Tensor._wrap(x), layer._reversed_padding_repeated_twice,
                 mode=layer.padding_mode).array
        pads = (0,) * (2 * n)
    out = {}
    if layer.weight.requires_grad:
        out[layer.weight] = conv_per_sample(x, backprops, layer.kernel_size, layer.stride,
                                            pads, layer.dilation, layer.groups)
    if layer.bias is not None and layer.bias.requires_grad:
        out[layer.bias] = backprops.reshape(backprops.shape[0], backprops.shape[1], -1).sum(-1)
    return out
