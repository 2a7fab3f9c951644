"""``Fold`` and ``Unfold``: sliding blocks to columns and back (PyTorch's layers).

The math lives in :mod:`deepgrad.ops.fold`.
"""
from deepgrad.nn.module import Module
from deepgrad.ops.fold import fold, unfold


class Unfold(Module):
    """Extract sliding blocks: (N, C, H, W) -> (N, C * prod(kernel_size), L) (im2col).

    Args:
        kernel_size, dilation, padding, stride: int or pair.
    Example::

        cols = nn.Unfold(kernel_size=(2, 3))(x)       # x (2, 5, 3, 4) -> (2, 30, 4)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Combine sliding blocks into an image, summing overlaps (col2im), the adjoint of
    :class:`Unfold`: (N, C * prod(kernel_size), L) -> (N, C, *output_size).

    Args:
        output_size: int or pair, the image's spatial size.
        kernel_size, dilation, padding, stride: int or pair.
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
