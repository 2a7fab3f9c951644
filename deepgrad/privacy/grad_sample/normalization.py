r"""Per-sample gradients of the normalisation layers that keep samples apart (each sample is
normalised by its own statistics), from the normalised input xhat recomputed from the
saved input as the layer computes it (:mod:`deepgrad.ops.normalization`):

    y = gamma * xhat + beta    =>   dgamma_n = sum g_n * xhat_n,   dbeta_n = sum g_n

the sums running over sample n's axes that gamma is broadcast along:

* LayerNorm: xhat over the trailing ``normalized_shape`` axes; gamma has that shape, so
  the sums run over the middle axes (N, *, *normalized_shape).
* GroupNorm: xhat per (n, group) over its channels and positions; gamma (C,): sums over
  the positions.
* InstanceNorm: xhat per (n, c) over the positions (in eval mode with tracked running
  statistics, those statistics instead); gamma (C,): sums over the positions.
* RMSNorm: xhat = x / sqrt(mean x^2 + eps) over ``normalized_shape``; dgamma as LayerNorm.

BatchNorm normalises with statistics of the whole batch, so one sample's output depends
on the others and no per-sample gradient exists: it is refused (see
:mod:`deepgrad.privacy.validators`).
"""
import numpy as np

from deepgrad.nn.normalization import (
    GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LayerNorm, RMSNorm)
from deepgrad.privacy.grad_sample.utils import register_grad_sampler


def _xhat(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _affine(layer, xhat, g, sum_axes):
    out = {}
    w, b = layer.weight, getattr(layer, "bias", None)
    if w is not None and w.requires_grad:
        out[w] = (g * xhat).sum(axis=sum_axes)
    if b is not None and b.requires_grad:
        out[b] = g.sum(axis=sum_axes)
    return out


@register_grad_sampler([LayerNorm, RMSNorm])
def compute_layer_norm_grad_sample(layer, activations, backprops):
    x = activations[0]
    k = len(layer.normalized_shape)
    axes = tuple(range(x.ndim - k, x.ndim))
    if isinstance(layer, RMSNorm):
        eps = np.finfo(x.dtype).eps if layer.eps is None else layer.eps
        xhat = x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    else:
        xhat = _xhat(x, axes, layer.eps)
    return _affine(layer, xhat, backprops, tuple(range(1, x.ndim - k)))


@register_grad_sampler(GroupNorm)
def compute_group_norm_grad_sample(layer, activations, backprops):
    x = activations[0]
    N = x.shape[0]
    xhat = _xhat(x.reshape(N, layer.num_groups, -1), (2,), layer.eps).reshape(x.shape)
    return _affine(layer, xhat, backprops, tuple(range(2, x.ndim)))


@register_grad_sampler([InstanceNorm1d, InstanceNorm2d, InstanceNorm3d])
def compute_instance_norm_grad_sample(layer, activations, backprops):
    x = activations[0]
    if x.ndim == layer._no_batch:
        raise ValueError(f"{type(layer).__name__}: per-sample gradients need a batched "
                         f"input, received shape {x.shape}")
    axes = tuple(range(2, x.ndim))
    if layer.training or not layer.track_running_stats:
        xhat = _xhat(x, axes, layer.eps)
    else:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        xhat = ((x - layer.running_mean.array.reshape(shape))
                / np.sqrt(layer.running_var.array.reshape(shape) + layer.eps))
    return _affine(layer, xhat, backprops, axes)
