"""Convolution weights in another memory layout (PyTorch's
``torch.nn.utils.convert_conv2d_weight_memory_format`` / ``..._conv3d_...``): the values are
unchanged, the weight array is re-laid out (e.g. channels-last) in place."""
from deepgrad.autograd.tensor import Tensor
from deepgrad.autograd.version_counter import rebound

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, classes):
    if isinstance(module, classes):
        w = module.weight
        w.array = Tensor._wrap(w.array).to(memory_format=memory_format).array
        rebound()
    for child in module.children():
        _convert(child, memory_format, classes)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """Re-lay out the weight of every Conv2d/ConvTranspose2d in ``module`` (recursively)
    in ``memory_format`` (e.g. ``deepgrad.channels_last``). Returns ``module``."""
    from deepgrad.nn.conv import Conv2d, ConvTranspose2d
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """As :func:`convert_conv2d_weight_memory_format`, for Conv3d/ConvTranspose3d
    (``deepgrad.channels_last_3d``)."""
    from deepgrad.nn.conv import Conv3d, ConvTranspose3d
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
