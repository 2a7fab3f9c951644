"""The ``torch.<name>`` forms of nn ops (``torch.conv2d``, ``torch.batch_norm``, ...).

PyTorch exposes these at the top level with its ATen signatures, which differ from
``torch.nn.functional``'s in argument order (``torch.embedding(weight, indices)``,
``torch.batch_norm(input, weight, bias, running_mean, ...)``) or in what they return
(``torch.adaptive_max_pool1d`` gives (values, indices)). Each form here only reorders
arguments and calls the op of the family file that owns the math.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.ops import normalization as _norm, pool as _pool, pool_adaptive as _adaptive
from deepgrad.ops.embedding import (
    _bags, bag_max, embedding as _embedding, embedding_bag as _embedding_bag)
from deepgrad.ops.conv import (  # noqa: F401  (same signatures as torch.nn.functional's)
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d)
from deepgrad.ops.pool import avg_pool1d  # noqa: F401
from deepgrad.ops.pool_adaptive import adaptive_avg_pool1d  # noqa: F401
from deepgrad.ops.shuffle import pixel_shuffle, pixel_unshuffle, channel_shuffle  # noqa: F401


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool1d``: :func:`deepgrad.ops.max_pool1d` without return_indices."""
    return _pool.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool2d``: :func:`deepgrad.ops.max_pool2d` without return_indices."""
    return _pool.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool3d``: :func:`deepgrad.ops.max_pool3d` without return_indices."""
    return _pool.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """``torch.max_pool1d_with_indices``: (values, int64 indices)."""
    return _pool.max_pool1d_with_indices(input, kernel_size, stride, padding, dilation,
                                         ceil_mode)


def adaptive_max_pool1d(input, output_size):
    """``torch.adaptive_max_pool1d``: (values, int64 indices), always both."""
    return _adaptive.adaptive_max_pool1d(input, output_size, return_indices=True)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled=True):
    """``torch.batch_norm`` (ATen order: weight and bias first); ``cudnn_enabled`` has
    nothing to select on a CPU. See :func:`deepgrad.ops.batch_norm`."""
    return _norm.batch_norm(input, running_mean, running_var, weight, bias, training,
                            momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """``torch.layer_norm``; see :func:`deepgrad.ops.layer_norm`."""
    return _norm.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """``torch.group_norm``; see :func:`deepgrad.ops.group_norm`."""
    return _norm.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled=True):
    """``torch.instance_norm`` (ATen order); see :func:`deepgrad.ops.instance_norm`."""
    return _norm.instance_norm(input, running_mean, running_var, weight, bias,
                               use_input_stats, momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``torch.rms_norm``; see :func:`deepgrad.ops.rms_norm`."""
    return _norm.rms_norm(input, normalized_shape, weight, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding`` (ATen order: weight first; padding_idx -1 means none, as ATen's).
    See :func:`deepgrad.ops.embedding`."""
    return _embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """``torch.embedding_bag``: (output, offset2bag, bag_size, max_indices), ATen's four.

    ``mode`` is 0 (sum), 1 (mean) or 2 (max). The auxiliaries are what ATen's CPU kernel
    returns: offset2bag the bag of each position, bag_size the non-padding count per bag
    (zeros for 'sum'), max_indices the winning row per (bag, column) for 'max', bag_size
    again for 'mean', zeros for 'sum'. (ATen's float32 fast path for 'sum' without
    padding_idx leaves offset2bag empty; here it is always filled.)
    """
    if mode not in (0, 1, 2):
        raise ValueError(f"embedding_bag: mode must be 0 (sum), 1 (mean) or 2 (max), "
                         f"received {mode!r}")
    name = ("sum", "mean", "max")[mode]
    out = _embedding_bag(indices, weight, offsets, scale_grad_by_freq=scale_grad_by_freq,
                             mode=name, sparse=sparse, per_sample_weights=per_sample_weights,
                             include_last_offset=include_last_offset, padding_idx=padding_idx)
    w = weight.array if isinstance(weight, _fn._Tensor) else np.asarray(weight)
    idx = indices.array if isinstance(indices, _fn._Tensor) else np.asarray(indices)
    flat, bag, B = _bags("embedding_bag", idx, offsets, include_last_offset)
    keep = np.ones(flat.shape, bool) if padding_idx is None else flat != padding_idx % len(w)
    count = np.bincount(bag[keep], minlength=B).astype(np.int64)
    wrap = _fn._Tensor._wrap
    if mode == 0:
        zeros = np.zeros(B, np.int64)
        return out, wrap(bag.astype(np.int64)), wrap(zeros), wrap(zeros.copy())
    if mode == 1:
        return out, wrap(bag.astype(np.int64)), wrap(count), wrap(count.copy())
    _, first = bag_max(w[flat], bag, keep, B)
    best = (np.where(first < len(flat), flat[np.minimum(first, len(flat) - 1)], 0)
            if len(flat) else np.zeros(first.shape, np.int64))
    return out, wrap(bag.astype(np.int64)), wrap(count), wrap(best.astype(np.int64))
