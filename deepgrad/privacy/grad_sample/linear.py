r"""Per-sample gradients of ``nn.Linear`` (y = x W^T + b):

    dW_n = sum_s g_{n,s} x_{n,s}^T        db_n = sum_s g_{n,s}

for sample n with positions s (the middle axes of (N, *, features); one position for a
plain (N, features) input): one batched GEMM, g_n^T x_n, for all samples.
"""
import numpy as np

from deepgrad.nn.linear import Linear
from deepgrad.privacy.grad_sample.utils import register_grad_sampler


def linear_per_sample(x, g):
    """(N, out, in) = g_n^T x_n with x (N, *, in), g (N, *, out)."""
    n = x.shape[0]
    if x.ndim == 2:
        return g[:, :, None] * x[:, None, :]
    return np.matmul(g.reshape(n, -1, g.shape[-1]).transpose(0, 2, 1),
                     x.reshape(n, -1, x.shape[-1]))


def bias_per_sample(g, channel_axis=-1):
    """(N, C) = g summed over every axis but the batch and ``channel_axis``."""
    g = np.moveaxis(g, channel_axis, -1)
    return g.reshape(g.shape[0], -1, g.shape[-1]).sum(axis=1)


@register_grad_sampler(Linear)
def compute_linear_grad_sample(layer, activations, backprops):
    x = activations[0]
    out = {}
    if layer.weight.requires_grad:
        out[layer.weight] = linear_per_sample(x, backprops)
    if layer.bias is not None and layer.bias.requires_grad:
        out[layer.bias] = bias_per_sample(backprops)
    return out
