"""Pooling layers (NCHW / NCL), PyTorch's arguments."""
from deepgrad.nn.module import Module
from deepgrad.ops import pool


class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0, **options):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.options = options

    def extra_repr(self):
        opts = "".join(f", {k}={v}" for k, v in self.options.items())
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}{opts}"


class MaxPool2d(_Pool):
    """Max over windows: (N, C, H, W) -> (N, C, H_out, W_out)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation=dilation, ceil_mode=ceil_mode)

    def forward(self, x):
        return pool.max_pool2d(x, self.kernel_size, self.stride, self.padding, **self.options)


class MaxPool1d(MaxPool2d):
    """Max over windows of (N, C, L)."""

    def forward(self, x):
        return pool.max_pool1d(x, self.kernel_size, self.stride, self.padding, **self.options)


class AvgPool2d(_Pool):
    """Mean over windows: (N, C, H, W) -> (N, C, H_out, W_out)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad)
        if divisor_override is not None:
            self.options["divisor_override"] = divisor_override

    def forward(self, x):
        return pool.avg_pool2d(x, self.kernel_size, self.stride, self.padding, **self.options)


class AvgPool1d(_Pool):
    """Mean over windows of (N, C, L)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad)

    def forward(self, x):
        return pool.avg_pool1d(x, self.kernel_size, self.stride, self.padding, **self.options)


class _Adaptive(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_Adaptive):
    """Average into a fixed output size (PyTorch's bins)."""

    def forward(self, x):
        return pool.adaptive_avg_pool2d(x, self.output_size)


class AdaptiveAvgPool1d(_Adaptive):
    def forward(self, x):
        return pool.adaptive_avg_pool1d(x, self.output_size)


class AdaptiveMaxPool2d(_Adaptive):
    """Max into a fixed output size (PyTorch's bins)."""

    def forward(self, x):
        return pool.adaptive_max_pool2d(x, self.output_size)
