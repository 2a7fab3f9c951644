"""``deepgrad.vision``: torchvision's datasets, transforms and image utilities for
PyTorch-style code on deepgrad (``import deepgrad.vision as torchvision``).

- :mod:`~deepgrad.vision.datasets`: ``MNIST``, ``FashionMNIST``, ``CIFAR10`` with
  torchvision's ``root``/``train``/``download``/``transform``/``target_transform``,
  reading deepgrad.datasets' files (or torchvision's own layout under ``root``).
- :mod:`~deepgrad.vision.transforms`: ``Compose``, ``ToTensor``, ``Normalize``, the random
  crops, flips, rotations, affine maps and colour jitter, ``Resize``, ``CenterCrop``; on
  PIL images (Pillow is optional), NumPy arrays (H, W[, C]) and tensors (..., C, H, W).
- :mod:`~deepgrad.vision.utils`: ``make_grid`` and ``save_image`` (PNG without Pillow).
- :mod:`~deepgrad.vision.ops`: ``sigmoid_focal_loss`` (the focal loss of dense detection).

Submodules load on first use: this package imports nothing heavy.
"""
import importlib

_SUBMODULES = ("datasets", "ops", "transforms", "utils")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"deepgrad.vision.{name}")
    raise AttributeError(f"module 'deepgrad.vision' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
