"""Pooling layers, 1-, 2- and 3-D (PyTorch's arguments, attributes and reprs).

The math lives in :mod:`deepgrad.ops.pool` (max, average),
:mod:`deepgrad.ops.pool_adaptive` (adaptive) and :mod:`deepgrad.ops.pool_extra`
(power-average, unpooling, fractional max pooling).
"""
from deepgrad.nn.module import Module
from deepgrad.ops import pool, pool_adaptive, pool_extra
from deepgrad.ops.conv import ntuple


# ----------------------------------------------------------------- max pooling
class _MaxPoolNd(Module):
    """Max over windows; ``return_indices`` also returns the flat position of each max."""

    _op = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return self._op(x, self.kernel_size, self.stride, self.padding, self.dilation,
                        ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over windows of (N, C, L) or (C, L); see :func:`deepgrad.ops.max_pool1d`."""

    _op = staticmethod(pool.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Max over windows: (N, C, H, W) -> (N, C, H_out, W_out); see
    :func:`deepgrad.ops.max_pool2d`."""

    _op = staticmethod(pool.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """Max over windows of (N, C, D, H, W) or (C, D, H, W)."""

    _op = staticmethod(pool.max_pool3d)


# ----------------------------------------------------------------- average pooling
class _AvgPoolNd(Module):
    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of (N, C, L) or (C, L); see :func:`deepgrad.ops.avg_pool1d`."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = ntuple(kernel_size, 1, "AvgPool1d", "kernel_size")
        self.stride = ntuple(stride if stride is not None else kernel_size, 1, "AvgPool1d",
                             "stride")
        self.padding = ntuple(padding, 1, "AvgPool1d", "padding")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x):
        return pool.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                               self.count_include_pad)


class _AvgPool(_AvgPoolNd):
    _op = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x):
        return self._op(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                        self.count_include_pad, self.divisor_override)


class AvgPool2d(_AvgPool):
    """Mean over windows: (N, C, H, W) -> (N, C, H_out, W_out); see
    :func:`deepgrad.ops.avg_pool2d` for the divisor rules."""

    _op = staticmethod(pool.avg_pool2d)


class AvgPool3d(_AvgPool):
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W)."""

    _op = staticmethod(pool.avg_pool3d)


# ----------------------------------------------------------------- adaptive pooling
class _AdaptiveAvgPoolNd(Module):
    _op = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return self._op(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average into a fixed output length (PyTorch's bins): (N, C, L) -> (N, C, output_size)."""

    _op = staticmethod(pool_adaptive.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average into a fixed output size (PyTorch's bins); None in output_size keeps an axis."""

    _op = staticmethod(pool_adaptive.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average (N, C, D, H, W) into a fixed output size (PyTorch's bins)."""

    _op = staticmethod(pool_adaptive.adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(_AdaptiveAvgPoolNd):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        return self._op(x, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max into a fixed output length (PyTorch's bins); optionally with indices."""

    _op = staticmethod(pool_adaptive.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max into a fixed output size (PyTorch's bins); optionally with indices."""

    _op = staticmethod(pool_adaptive.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max of (N, C, D, H, W) into a fixed output size; optionally with indices."""

    _op = staticmethod(pool_adaptive.adaptive_max_pool3d)


# ----------------------------------------------------------------- power-average pooling
class _LPPoolNd(Module):
    _op = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, x):
        return self._op(x, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling of (N, C, L): (sum over each window of x^p)^(1/p)."""

    _op = staticmethod(pool_extra.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling of (N, C, H, W); see :func:`deepgrad.ops.lp_pool2d`."""

    _op = staticmethod(pool_extra.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling of (N, C, D, H, W)."""

    _op = staticmethod(pool_extra.lp_pool3d)


# ----------------------------------------------------------------- unpooling
class _MaxUnpoolNd(Module):
    """Partial inverse of max pooling: values back at their indices, zeros elsewhere.

    ``forward(input, indices, output_size=None)``; ``output_size`` resolves the sizes
    that several inputs pool to.
    """

    n, _op = 2, None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = ntuple(kernel_size, self.n, name, "kernel_size")
        self.stride = ntuple(stride if stride is not None else kernel_size, self.n, name,
                             "stride")
        self.padding = ntuple(padding, self.n, name, "padding")

    def forward(self, input, indices, output_size=None):
        return self._op(input, indices, self.kernel_size, self.stride, self.padding,
                        output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of :class:`MaxPool1d` given its indices: (N, C, L_in) -> (N, C, L_out)."""

    n, _op = 1, staticmethod(pool_extra.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of :class:`MaxPool2d` given its indices."""

    _op = staticmethod(pool_extra.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """Inverse of :class:`MaxPool3d` given its indices."""

    n, _op = 3, staticmethod(pool_extra.max_unpool3d)


# ----------------------------------------------------------------- fractional max pooling
class _FractionalMaxPoolNd(Module):
    """Max over windows at pseudo-random, increasing start positions (Graham, 2014).

    Args:
        kernel_size: int or tuple, the window.
        output_size: the output's spatial size; or
        output_ratio: a fraction in (0, 1) of the input's spatial size.
        return_indices (bool): also return the flat position of each max.
        _random_samples: (N, C, n) samples in [0, 1) that fix the start positions
            (a buffer; drawn anew each call when None).
    """

    n, _op = 2, None

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = ntuple(kernel_size, self.n, name, "kernel_size")
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = (None if output_size is None
                            else ntuple(output_size, self.n, name, "output_size"))
        self.output_ratio = None
        if output_ratio is not None:
            ratio = (output_ratio,) * self.n if not isinstance(output_ratio, (tuple, list)) \
                else tuple(output_ratio)
            self.output_ratio = tuple(float(r) for r in ratio)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a "
                             f"pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{name}: only one of output_size and output_ratio may be "
                             f"specified, received {output_size} and {output_ratio}")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"{name}: output_ratio must be between 0 and 1 (got "
                             f"{output_ratio})")

    def forward(self, x):
        return self._op(x, self.kernel_size, self.output_size, self.output_ratio,
                        self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, H, W); see :func:`deepgrad.ops.fractional_max_pool2d`."""

    _op = staticmethod(pool_extra.fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, D, H, W)."""

    n, _op = 3, staticmethod(pool_extra.fractional_max_pool3d)
