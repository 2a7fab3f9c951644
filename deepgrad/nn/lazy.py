"""Lazy modules (PyTorch's ``LazyModuleMixin`` and the ``Lazy*`` layers): the input size
(``in_features``, ``in_channels``, ``num_features``) is read from the first input.

A lazy module starts with :class:`~deepgrad.nn.parameter.UninitializedParameter` weights
and a forward pre-hook. The first call infers the size, materializes and initialises the
weights as the ordinary layer would, removes the hook and turns the module into that
ordinary class (``cls_to_become``): ``LazyLinear(10)`` becomes a ``Linear(in, 10)``.
Loading a state dict into a lazy module materializes its weights at the saved shapes.
"""
import itertools

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.conv import (
    Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
from deepgrad.nn.linear import Linear
from deepgrad.nn.normalization import (
    BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d,
    _InstanceNorm)
from deepgrad.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """Mixed in before a layer class: ``initialize_parameters(*args)`` (written by each
    lazy layer) materializes the weights at the first forward; then the module becomes
    ``cls_to_become``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """As Module's, but uninitialized tensors are saved as they are."""
        for registry, skip in ((self._parameters, ()), (self._buffers,
                                                         self._non_persistent_buffers_set)):
            for name, t in registry.items():
                if t is not None and name not in skip:
                    destination[prefix + name] = t if is_lazy(t) or keep_vars else t.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        """Materialize each uninitialized tensor at the shape the state dict gives it."""
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and t is not None and is_lazy(t) and \
                    not is_lazy(state_dict[key]):
                t.materialize(tuple(state_dict[key].shape))
        self._sizes_from_weights()

    def _sizes_from_weights(self):
        """After a state dict materialized the weights: the size attribute they imply."""

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    def has_uninitialized_params(self):
        """Whether a parameter or buffer is still uninitialized."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(),
                                                       self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None):
        """The forward pre-hook: initialize, then stop being lazy."""
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


def _input(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class LazyLinear(LazyModuleMixin, Linear):
    """A :class:`Linear` whose ``in_features`` is ``input.shape[-1]`` of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device=device, dtype=dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def _sizes_from_weights(self):
        if not is_lazy(self.weight):
            self.in_features = self.weight.shape[1]

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            x = _input(input)
            if x.ndim < 1:
                raise RuntimeError(f"{type(self).__name__}: expected an input with a feature "
                                   f"axis, received a 0-d tensor")
            with no_grad():
                self.in_features = int(x.shape[-1])
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    """``in_channels`` from the first input ((N, C, *spatial) or unbatched (C, *spatial))."""

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _sizes_from_weights(self):
        if not is_lazy(self.weight):
            w = self.weight.shape
            self.in_channels = w[0] if self.transposed else w[1] * self.groups

    def _lazy_weights(self, out_channels, bias, device, dtype):
        if isinstance(out_channels, bool) or int(out_channels) != out_channels or \
                out_channels <= 0 or out_channels % self.groups:
            raise ValueError(f"{type(self).__name__}: out_channels must be a positive int "
                             f"divisible by groups ({self.groups}), received {out_channels!r}")
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = int(out_channels)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def initialize_parameters(self, input, *args, **kwargs):
        if not self.has_uninitialized_params():
            return
        x, name = _input(input), type(self).__name__
        if x.ndim not in (self.n + 1, self.n + 2):
            raise RuntimeError(f"Expected {self.n + 1}D (unbatched) or {self.n + 2}D (batched) "
                               f"input to {name}, but got input of size: {tuple(x.shape)}")
        self.in_channels = int(x.shape[1] if x.ndim == self.n + 2 else x.shape[0])
        if self.in_channels % self.groups:
            raise ValueError(f"{name}: in_channels ({self.in_channels}) must be divisible by "
                             f"groups ({self.groups})")
        shape = ((self.in_channels, self.out_channels // self.groups) if self.transposed else
                 (self.out_channels, self.in_channels // self.groups)) + self.kernel_size
        with no_grad():
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


def _lazy_conv_init(kind):
    """LazyConvNd.__init__: PyTorch's constructor of the layer without in_channels."""
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups,
                                 False, padding_mode, device=device, dtype=dtype)
        self._lazy_weights(out_channels, bias, device, dtype)

    def __init_transposed__(self, out_channels, kernel_size, stride=1, padding=0,
                            output_padding=0, groups=1, bias=True, dilation=1,
                            padding_mode="zeros", device=None, dtype=None):
        LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, output_padding,
                                 groups, False, dilation, padding_mode, device=device,
                                 dtype=dtype)
        self._lazy_weights(out_channels, bias, device, dtype)
    return __init_transposed__ if kind == "transposed" else __init__


class LazyConv1d(_LazyConvXdMixin, Conv1d):
    """A :class:`Conv1d` whose ``in_channels`` is read from the first input."""
    cls_to_become = Conv1d
    __init__ = _lazy_conv_init("direct")


class LazyConv2d(_LazyConvXdMixin, Conv2d):
    """A :class:`Conv2d` whose ``in_channels`` is read from the first input."""
    cls_to_become = Conv2d
    __init__ = _lazy_conv_init("direct")


class LazyConv3d(_LazyConvXdMixin, Conv3d):
    """A :class:`Conv3d` whose ``in_channels`` is read from the first input."""
    cls_to_become = Conv3d
    __init__ = _lazy_conv_init("direct")


class LazyConvTranspose1d(_LazyConvXdMixin, ConvTranspose1d):
    """A :class:`ConvTranspose1d` whose ``in_channels`` is read from the first input."""
    cls_to_become = ConvTranspose1d
    __init__ = _lazy_conv_init("transposed")


class LazyConvTranspose2d(_LazyConvXdMixin, ConvTranspose2d):
    """A :class:`ConvTranspose2d` whose ``in_channels`` is read from the first input."""
    cls_to_become = ConvTranspose2d
    __init__ = _lazy_conv_init("transposed")


class LazyConvTranspose3d(_LazyConvXdMixin, ConvTranspose3d):
    """A :class:`ConvTranspose3d` whose ``in_channels`` is read from the first input."""
    cls_to_become = ConvTranspose3d
    __init__ = _lazy_conv_init("transposed")


class _LazyNormBase(LazyModuleMixin):
    """``num_features`` from the first input's channel axis (1, or 0 when unbatched)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = Tensor(0)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def _sizes_from_weights(self):
        for t in (self.weight, self.running_mean):
            if t is not None and not is_lazy(t):
                self.num_features = t.shape[0]

    def initialize_parameters(self, input, *args, **kwargs):
        if not self.has_uninitialized_params():
            return
        x, name = _input(input), type(self).__name__
        if x.ndim not in self._ranks:
            ranks = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(f"{name}: expected {ranks} input {self._layout}, received "
                             f"{x.ndim}D input of shape {tuple(x.shape)}")
        unbatched = isinstance(self, _InstanceNorm) and x.ndim == self._no_batch
        self.num_features = int(x.shape[0 if unbatched else 1])
        with no_grad():
            for t in (self.weight, self.bias, self.running_mean, self.running_var):
                if t is not None:
                    t.materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """A :class:`BatchNorm1d` whose ``num_features`` is read from the first input."""
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """A :class:`BatchNorm2d` whose ``num_features`` is read from the first input."""
    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """A :class:`BatchNorm3d` whose ``num_features`` is read from the first input."""
    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """An :class:`InstanceNorm1d` whose ``num_features`` is read from the first input
    (PyTorch's lazy defaults: ``affine=True``, ``track_running_stats=True``)."""
    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """An :class:`InstanceNorm2d` whose ``num_features`` is read from the first input."""
    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """An :class:`InstanceNorm3d` whose ``num_features`` is read from the first input."""
    cls_to_become = InstanceNorm3d
