"""Normalisation layers: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm,
RMSNorm, LocalResponseNorm, CrossMapLRN2d (PyTorch's arguments, defaults, parameter and
buffer names). The math lives in :mod:`deepgrad.ops.normalization`."""
import warnings

import numpy as np

from deepgrad import backend
from deepgrad.autograd.tensor import Tensor
from deepgrad.device import check_device
from deepgrad.nn import init
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops.normalization import (
    batch_norm, cross_map_lrn2d, group_norm, instance_norm, layer_norm, local_response_norm,
    rms_norm)


def _dtype(dtype):
    return backend.default_float if dtype is None else np.dtype(dtype)


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d/3d; a subclass names the input ranks it accepts.

    Args:
        num_features (int): C, the channel count of input (N, C, *).
        eps (float): added to the variance.
        momentum (float or None): weight of each new batch in the running averages;
            None means a cumulative average (weight 1 / num_batches_tracked).
        affine (bool): learn weight (gamma, init 1) and bias (beta, init 0).
        track_running_stats (bool): keep running_mean (init 0), running_var (init 1)
            and num_batches_tracked (int64); without them eval mode uses batch statistics.
        bias (bool, keyword): with ``affine``, learn the bias too.
    Training normalises with batch statistics and updates the running ones; eval mode
    normalises with the running statistics.
    """

    _ranks = ()
    _layout = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        check_device(device, type(self).__name__)
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = _dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype))
            if bias:
                self.bias = Parameter(np.zeros(num_features, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input(self, x):
        name = type(self).__name__
        if x.ndim not in self._ranks:
            ranks = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(f"{name}: expected {ranks} input {self._layout}, received "
                             f"{x.ndim}D input of shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected input with {self.num_features} channels "
                             f"(num_features) on axis 1, received shape {tuple(x.shape)}")

    def forward(self, x):
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1
            if self.momentum is None:          # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.array)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return batch_norm(x, self.running_mean if track else None,
                          self.running_var if track else None, self.weight, self.bias,
                          use_batch_stats, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over N (and L), per channel.

    y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta. Example::

        bn = nn.BatchNorm1d(16); y = bn(x)        # x (32, 16) or (32, 16, 50)
    """

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input over N, H and W, per channel."""

    _ranks = (4,)
    _layout = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input over N, D, H and W, per channel."""

    _ranks = (5,)
    _layout = "(N, C, D, H, W)"


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` axes of each sample.

    Args:
        normalized_shape (int or tuple): the trailing shape normalised over.
        eps (float): added to the variance.
        elementwise_affine (bool): learn weight (init 1) and bias (init 0) of
            shape ``normalized_shape``.
        bias (bool): learn the bias (with ``elementwise_affine``).
    Shape: input (*, *normalized_shape) -> output of the same shape.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        check_device(device, "LayerNorm")
        self.normalized_shape = ((int(normalized_shape),) if np.ndim(normalized_shape) == 0
                                 else tuple(int(n) for n in normalized_shape))
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = _dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        ns = self.normalized_shape
        if x.ndim < len(ns) or tuple(x.shape[x.ndim - len(ns):]) != ns:
            raise ValueError(f"LayerNorm: expected input of shape (*, {', '.join(map(str, ns))}) "
                             f"for normalized_shape {ns}, received {tuple(x.shape)}")
        return layer_norm(x, ns, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalisation: the C channels in ``num_groups`` groups, each normalised per
    sample over its channels and positions, then a per-channel affine map.

    Args:
        num_groups (int): G, dividing ``num_channels``.
        num_channels (int): C of input (N, C, *).
        eps (float): added to the variance.
        affine (bool): learn per-channel weight (init 1) and bias (init 0).
        bias (bool, keyword): with ``affine``, learn the bias too.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        check_device(device, "GroupNorm")
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels must be divisible by num_groups, received "
                             f"num_channels={num_channels}, num_groups={num_groups}")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = eps, affine
        dtype = _dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(num_channels, dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected input of shape (N, {self.num_channels}, *), "
                             f"received {tuple(x.shape)}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(_BatchNorm):
    """Shared by InstanceNorm1d/2d/3d: each (n, c) normalised over its own positions.

    Args as :class:`_BatchNorm`, with PyTorch's instance-norm defaults affine=False and
    track_running_stats=False. Training (or no running statistics) uses each instance's
    statistics and updates the running ones if tracked; eval with tracked statistics
    uses them. Input (N, C, *) or unbatched (C, *); a channel count other than
    ``num_features`` is an error with ``affine`` and a warning without (as PyTorch).
    """

    _no_batch = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, x):
        name = type(self).__name__
        if x.ndim not in self._ranks:
            ranks = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(f"{name}: expected {ranks} input {self._layout}, received "
                             f"{x.ndim}D input of shape {tuple(x.shape)}")
        axis = 0 if x.ndim == self._no_batch else 1
        if x.shape[axis] != self.num_features:
            if self.affine:
                raise ValueError(f"{name}: expected input's size at dim={axis} to match "
                                 f"num_features ({self.num_features}), received shape "
                                 f"{tuple(x.shape)}")
            warnings.warn(f"{name}: input's size at dim={axis} does not match num_features "
                          f"({self.num_features}); it is not used because affine=False",
                          stacklevel=2)
        unbatched = x.ndim == self._no_batch
        if unbatched:
            x = x.unsqueeze(0)
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats,
                          0.0 if self.momentum is None else self.momentum, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) over L, per sample and channel."""

    _ranks, _layout, _no_batch = (2, 3), "(C, L) or (N, C, L)", 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) over H and W."""

    _ranks, _layout, _no_batch = (3, 4), "(C, H, W) or (N, C, H, W)", 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) over D, H and W."""

    _ranks, _layout, _no_batch = (4, 5), "(C, D, H, W) or (N, C, D, H, W)", 4


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` axes:
    y = x / sqrt(mean(x^2) + eps) * weight (see :func:`deepgrad.ops.rms_norm`).

    Args:
        normalized_shape (int or tuple): the trailing shape normalised over.
        eps (float or None): None uses the machine epsilon of the input's dtype.
        elementwise_affine (bool): learn weight (init 1) of shape ``normalized_shape``.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        check_device(device, "RMSNorm")
        self.normalized_shape = ((int(normalized_shape),) if np.ndim(normalized_shape) == 0
                                 else tuple(int(n) for n in normalized_shape))
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, _dtype(dtype)))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Normalise each channel by its neighbours' energy (AlexNet); see
    :func:`deepgrad.ops.local_response_norm`. Input (N, C, *), at least 3-D."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(LocalResponseNorm):
    """PyTorch's legacy cross-channel LRN of (N, C, H, W) input, with its window; see
    :func:`deepgrad.ops.normalization.cross_map_lrn2d`."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__(size, alpha, beta, k)

    def forward(self, x):
        return cross_map_lrn2d(x, self.size, self.alpha, self.beta, self.k)

