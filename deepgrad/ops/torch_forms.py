"""The ``torch.<name>`` forms of nn ops (``torch.conv2d``, ``torch.batch_norm``, ...).

PyTorch exposes these at the top level with its ATen signatures, which differ from
``torch.nn.functional``'s in argument order (``torch.embedding(weight, indices)``,
``torch.batch_norm(input, weight, bias, running_mean, ...)``) or in what they return
(``torch.adaptive_max_pool1d`` gives (values, indices)). Each form here only reorders
arguments and calls the op of the family file that owns the math.
"""
from deepgrad.ops import normalization as _norm, pool as _pool
from deepgrad.ops.conv import (  # noqa: F401  (same signatures as torch.nn.functional's)
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d)
from deepgrad.ops.pool import avg_pool1d, adaptive_avg_pool1d  # noqa: F401
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
    return _pool.adaptive_max_pool1d(input, output_size, return_indices=True)


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
