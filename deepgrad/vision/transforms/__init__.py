"""``deepgrad.vision.transforms``: torchvision's image transforms (``Compose``,
``ToTensor``, ``Normalize``, ``RandomCrop``, ``RandomHorizontalFlip``,
``RandomRotation``, ``RandomAffine``, ``ColorJitter``, ``Resize``, ``CenterCrop``...)
and their :mod:`functional` forms, on PIL images, NumPy arrays and tensors. Random
parameters come from deepgrad's global generator."""
from deepgrad.vision.transforms import functional
from deepgrad.vision.transforms.functional import InterpolationMode
from deepgrad.vision.transforms._transforms import (
    CenterCrop, ColorJitter, Compose, Lambda, Normalize, PILToTensor, RandomAffine,
    RandomCrop, RandomHorizontalFlip, RandomRotation, Resize, ToPILImage, ToTensor)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "InterpolationMode", "Lambda", "Normalize",
           "PILToTensor", "RandomAffine", "RandomCrop", "RandomHorizontalFlip",
           "RandomRotation", "Resize", "ToPILImage", "ToTensor", "functional"]
