"""Dropout modules: inverted dropout and its channel and alpha variants, active in training
mode only (the identity in eval mode). The math is in :mod:`deepgrad.ops.dropout`."""
from deepgrad.nn.module import Module
from deepgrad.ops.dropout import (
    alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout)


class _DropoutNd(Module):
    """Stores ``p`` (checked to lie in [0, 1]) and ``inplace``; subclasses set ``_fn``."""

    _fn = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, received p={p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` during training, scale the rest by 1/(1-p)."""
    _fn = staticmethod(dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    _fn = staticmethod(dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` (3-D input is read
    as (N, C, L), with PyTorch's warning)."""
    _fn = staticmethod(dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    _fn = staticmethod(dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps the zero mean and unit variance of SELU activations. ``inplace``
    is applied (PyTorch's module accepts it without passing it on)."""
    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels of (N, C, *) input."""
    _fn = staticmethod(feature_alpha_dropout)
