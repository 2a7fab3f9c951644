"""Sliding blocks: ``unfold`` (im2col) and its adjoint ``fold`` (col2im), as PyTorch's.

For x (N, C, H, W), kernel (kh, kw), dilation d, padding p, stride s, the L = Ho * Wo
blocks of the zero-padded input become columns:

    unfold:  cols[n, (c, a, b), (i, j)] = x_pad[n, c, s i + d a, s j + d b]
             (N, C*kh*kw, L), row index c kh kw + a kw + b, column index i Wo + j
    fold:    y[n, c, h, w] = sum over the (block, offset) pairs that land on (h, w) of
             cols[n, (c, a, b), (i, j)], the padding cut off afterwards

fold is the adjoint of unfold, so each one's backward is the other's forward:
dL/dx = fold(dL/dcols) and dL/dcols = unfold(dL/dy). Both use the strided window view of
:func:`deepgrad.ops.conv.windows` and :func:`~deepgrad.ops.conv.col2im`.
"""
from math import prod

from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops.conv import col2im, crop_hw, ntuple, pad_hw, windows


def _blocks(size, kernel, dilation, padding, stride):
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, d, p, s in zip(size, kernel, dilation, padding, stride))


def _im2col(x, kernel, dilation, pads, stride, blocks):
    N, C = x.shape[:2]
    return windows(pad_hw(x, pads), kernel, stride, dilation, blocks).reshape(
        N, C * prod(kernel), prod(blocks))


def _col2im(cols, size, kernel, dilation, pads, stride, blocks):
    N = cols.shape[0]
    C = cols.shape[1] // prod(kernel)
    padded = tuple(n + pads[2 * i] + pads[2 * i + 1] for i, n in enumerate(size))
    g = cols.reshape((N, C) + tuple(kernel) + tuple(blocks))
    return crop_hw(col2im(g, padded, kernel, stride, dilation), pads)


class Unfold(Function):
    """cols = im2col(x); backward col2im (see the module docstring)."""

    def forward(self, x, kernel=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), stride=(1, 1),
                blocks=(1, 1)):
        self.geom = (x.shape[2:], kernel, dilation, pads, stride, blocks)
        return _im2col(x, kernel, dilation, pads, stride, blocks)

    def backward(self, g):
        return _col2im(g, *self.geom)


class Fold(Function):
    """y = col2im(cols); backward im2col (see the module docstring)."""

    def forward(self, x, size=(1, 1), kernel=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0),
                stride=(1, 1), blocks=(1, 1)):
        self.geom = (kernel, dilation, pads, stride, blocks)
        return _col2im(x, size, kernel, dilation, pads, stride, blocks)

    def backward(self, g):
        return _im2col(g, *self.geom)


def _args(name, kernel_size, dilation, padding, stride):
    k = ntuple(kernel_size, 2, name, "kernel_size")
    d, p = ntuple(dilation, 2, name, "dilation"), ntuple(padding, 2, name, "padding")
    s = ntuple(stride, 2, name, "stride")
    if min(k) < 1 or min(d) < 1 or min(s) < 1 or min(p) < 0:
        raise ValueError(f"{name}: kernel_size, dilation and stride must be positive and "
                         f"padding non-negative, received kernel_size={k}, dilation={d}, "
                         f"padding={p}, stride={s}")
    return k, d, p, s


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks: (N, C, H, W) -> (N, C * kh * kw, L) (im2col).

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        kernel_size, dilation, padding, stride: int or pair (padding is zeros).
    Returns:
        (N, C*kh*kw, L), L = prod over axes of floor((n + 2p - d(k-1) - 1) / s) + 1.
    Backward: dL/dx = fold(dL/dcols) (see the module docstring).
    Example:
        >>> unfold(x, 2).shape                # x (1, 3, 4, 5)
        (1, 12, 12)
    """
    x = to_tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"unfold: expected a 3-D (unbatched) or 4-D (batched) input "
                         f"(N, C, H, W), received shape {tuple(x.shape)}")
    unbatched = x.ndim == 3
    x = x.unsqueeze(0) if unbatched else x
    k, d, p, s = _args("unfold", kernel_size, dilation, padding, stride)
    blocks = _blocks(x.shape[2:], k, d, p, s)
    if min(blocks) < 1:
        raise ValueError(f"unfold: kernel_size={k}, dilation={d} and padding={p} give "
                         f"{blocks} sliding blocks for input of spatial size "
                         f"{tuple(x.shape[2:])}; each must be at least one")
    y = Unfold.apply(x, kernel=k, dilation=d, pads=(p[0], p[0], p[1], p[1]), stride=s,
                     blocks=blocks)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding blocks into an image, summing overlaps (col2im): the adjoint of
    :func:`unfold`.

    Args:
        input: (N, C * kh * kw, L) or unbatched (C * kh * kw, L), L the number of blocks
            an (output_size) image has.
        output_size: int or pair (H, W).
        kernel_size, dilation, padding, stride: int or pair, as given to unfold.
    Returns:
        (N, C, H, W).
    Backward: dL/dcols = unfold(dL/dy).
    """
    x = to_tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"fold: expected a 2-D (unbatched) or 3-D (batched) input "
                         f"(N, C * prod(kernel_size), L), received shape {tuple(x.shape)}")
    unbatched = x.ndim == 2
    x = x.unsqueeze(0) if unbatched else x
    size = ntuple(output_size, 2, "fold", "output_size")
    k, d, p, s = _args("fold", kernel_size, dilation, padding, stride)
    if x.shape[1] % prod(k):
        raise ValueError(f"fold: expected size of input's dimension 1 to be divisible by the "
                         f"product of kernel_size {k}, received shape {tuple(x.shape)}")
    blocks = _blocks(size, k, d, p, s)
    if min(blocks) < 1 or prod(blocks) != x.shape[2]:
        raise ValueError(f"fold: output_size={size}, kernel_size={k}, dilation={d}, "
                         f"padding={p} and stride={s} give {blocks} sliding blocks, expected "
                         f"input dimension 2 to be {prod(blocks)}, received shape "
                         f"{tuple(x.shape)}")
    y = Fold.apply(x, size=size, kernel=k, dilation=d, pads=(p[0], p[0], p[1], p[1]),
                   stride=s, blocks=blocks)
    return y.squeeze(0) if unbatched else y
