"""Dropout (regularisation, seed 002) and its variants, active in training only.

    dropout:        y = x * m / (1 - p),        m ~ Bernoulli(1 - p) per element
    feature (nd):   the same with one m per (sample, channel): whole channels are zeroed
    alpha dropout:  y = a (x m + alpha' (1 - m)) + b,  alpha' = -scale * alpha of SELU,
                    a = ((1 - p) (1 + p alpha'^2))^(-1/2),  b = -a alpha' p
                    (keeps the zero mean and unit variance of SELU activations)

    dy/dx = m / (1 - p) (dropout), a m (alpha dropout).

Scaling by 1/(1 - p) at training time ("inverted dropout") keeps E[y] = x, so evaluation
is the identity. The in-place forms follow :mod:`deepgrad.ops._inplace`.
"""
import math
import warnings

import numpy as np

from deepgrad import backend
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops import _inplace

#: scale * alpha of SELU: a dropped unit is set to -_ALPHA (before the affine correction).
_ALPHA = 1.7580993408473766


class Dropout(Function):
    def forward(self, x, p=0.5):
        keep = backend.rng().random(x.shape, dtype=np.float32) >= p
        self.scale = keep * np.asarray(1.0 / (1.0 - p), x.dtype)
        return x * self.scale

    def backward(self, g):
        return g * self.scale


class MaskedAffine(Function):
    """y = x * scale + shift with constant (drawn) ``scale`` and ``shift`` that broadcast
    to x's shape: feature and alpha dropout.   dy/dx = scale."""

    def forward(self, x, scale=None, shift=None):
        self.scale = scale
        out = x * scale
        if shift is not None:
            out += shift
        return out

    def backward(self, g):
        return g * self.scale


def _check_p(name, p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, received p={p}")


def _noise_dropout(name, x, p, feature, alpha):
    """The training-mode dropout of PyTorch's ``_dropout_impl`` (p in (0, 1), nonempty x)."""
    if x.array.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point input, received dtype {x.dtype}")
    if feature and x.ndim < 2:
        raise RuntimeError(f"{name}: feature dropout requires at least 2 dimensions in the "
                           f"input (N, C, *), received shape {tuple(x.shape)}")
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = (backend.rng().random(shape, dtype=np.float32) >= p).astype(x.dtype)
    if not alpha:
        return MaskedAffine.apply(x, scale=keep * np.asarray(1.0 / (1.0 - p), x.dtype))
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shift = ((keep - 1) * _ALPHA * a + _ALPHA * a * p).astype(x.dtype, copy=False)
    return MaskedAffine.apply(x, scale=keep * np.asarray(a, x.dtype), shift=shift)


def _dropout_impl(name, input, p, train, feature=False, alpha=False):
    x = to_tensor(input)
    if p == 0 or not train or x.array.size == 0:
        return x
    if p == 1:
        return x * 0.0
    if not feature and not alpha:
        if x.array.dtype.kind != "f":
            raise TypeError(f"{name}: expected a floating-point input, received dtype {x.dtype}")
        return Dropout.apply(x, p=p)
    return _noise_dropout(name, x, p, feature, alpha)


def _run(name, input, p, training, inplace, feature=False, alpha=False):
    _check_p(name, p)
    fn = lambda x: _dropout_impl(name, x, p, training, feature, alpha)
    return _inplace.run(name, input, fn, explicit=False) if inplace else fn(input)


def _run_(name, input, p, train, feature=False, alpha=False):
    _check_p(name, p)
    return _inplace.run(name, input, lambda x: _dropout_impl(name, x, p, train, feature, alpha),
                        explicit=True)


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: y = x m / (1 - p), m ~ Bernoulli(1 - p) per element; the identity
    when ``training`` is False or p == 0.   dy/dx = m / (1 - p)."""
    return _run("dropout", input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout for SELU networks: dropped units take SELU's negative saturation value
    and an affine map a (.) + b restores zero mean and unit variance (see module doc).
    Note the default ``training=False``, as PyTorch."""
    return _run("alpha_dropout", input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: one mask entry per (N, C) pair of (N, C, *) input."""
    return _run("feature_alpha_dropout", input, p, training, inplace, feature=True, alpha=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel dropout on (N, C, L) or unbatched (C, L) input: each channel is zeroed with
    probability p, the others scaled by 1 / (1 - p)."""
    _check_p("dropout1d", p)
    x = to_tensor(input)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: expected 2D or 3D input, but received a {x.ndim}D "
                           f"input. Note that dropout1d exists to provide channel-wise dropout "
                           f"on inputs with 1 spatial dimension, a channel dimension, and an "
                           f"optional batch dimension (i.e. 2D or 3D inputs).")
    return _unbatched_feature("dropout1d", x, p, training, inplace, batched=x.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout on (N, C, H, W) input. As PyTorch: a 3-D input is read as (N, C, L)
    (with its warning), other ranks warn and are treated as (N, C, *)."""
    _check_p("dropout2d", p)
    x = to_tensor(input)
    if x.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {x.ndim}-D input to dropout2d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that "
                      "dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", UserWarning, stacklevel=2)
    return _run("dropout2d", x, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel dropout on (N, C, D, H, W) or unbatched (C, D, H, W) input; other ranks warn
    (as PyTorch) and are treated as unbatched."""
    _check_p("dropout3d", p)
    x = to_tensor(input)
    if x.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {x.ndim}-D input to dropout3d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that "
                      "dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", UserWarning, stacklevel=2)
    return _unbatched_feature("dropout3d", x, p, training, inplace, batched=x.ndim == 5)


def _unbatched_feature(name, x, p, training, inplace, batched):
    """Feature dropout of ``x``, adding (and removing) a batch dim of 1 when unbatched."""
    if batched:
        return _run(name, x, p, training, inplace, feature=True)
    fn = lambda t: _dropout_impl(name, t.unsqueeze(0), p, training, feature=True).squeeze(0)
    return _inplace.run(name, x, fn, explicit=False) if inplace else fn(x)


# ---------------------------------------------------------------- torch-level entry points
def dropout_(input, p, train):
    """``torch.dropout_``: in-place :func:`dropout` (``train`` positional, as ATen)."""
    return _run_("dropout_", input, p, train)


def feature_dropout(input, p, train):
    """``torch.feature_dropout``: channel dropout of (N, C, *) input (one mask per (N, C))."""
    return _run("feature_dropout", input, p, train, False, feature=True)


def feature_dropout_(input, p, train):
    """``torch.feature_dropout_``: in-place :func:`feature_dropout`."""
    return _run_("feature_dropout_", input, p, train, feature=True)


def alpha_dropout_(input, p, train):
    """``torch.alpha_dropout_``: in-place :func:`alpha_dropout`."""
    return _run_("alpha_dropout_", input, p, train, alpha=True)


def feature_alpha_dropout_(input, p, train):
    """``torch.feature_alpha_dropout_``: in-place :func:`feature_alpha_dropout`."""
    return _run_("feature_alpha_dropout_", input, p, train, feature=True, alpha=True)
