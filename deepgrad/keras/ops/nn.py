"""``keras.ops.nn``: activations, losses, normalizations, convolutions, pooling, attention.

Thin calls of :mod:`deepgrad.ops` in Keras 3's signatures. Keras's rules kept:
``gelu`` defaults to the tanh approximation; ``leaky_relu``'s slope is 0.2; images are
``channels_last`` unless ``data_format='channels_first'``; conv kernels are
``(*spatial, in_channels / groups, out_channels)``, transposed-conv kernels
``(*spatial, out_channels, in_channels)``; ``padding='same'`` pads
``total = max((ceil(n / s) - 1) s + (k - 1) d + 1 - n, 0)``, the extra one after.

The activations Keras adds (``sparse_plus``, ``sparse_sigmoid``, ``squareplus``,
``sparsemax``) are engine ops, :mod:`deepgrad.ops.activation_sparse`, with their formulas.
``sparsemax`` follows its definition (Martins & Astudillo, 2016: the output sums to 1).
Keras 3.15 computes ``tau`` from the sum of the cumulative sums over the support, which
agrees with the definition only when the support has one entry (``[1, 1]`` gives
``[0, 0]`` there, ``[0.5, 0.5]`` here).
"""
import math

import numpy as np

from deepgrad import ops as _ops
from deepgrad.keras import backend
from deepgrad.keras.ops.core import array_of, axis_arg, cast, dtype_arg, f, t, wrap
from deepgrad.keras.ops.numpy_reduce import mean, var


# ---------------------------------------------------------------------- activations
def relu(x):
    return _ops.relu(t(x))


def relu6(x):
    return _ops.relu6(f(x))


def sigmoid(x):
    return _ops.sigmoid(f(x))


def softplus(x):
    return _ops.softplus(f(x))


def softsign(x):
    return _ops.softsign(f(x))


def silu(x):
    return _ops.silu(f(x))


swish = silu


def gelu(x, approximate=True):
    """Keras's ``ops.gelu``: the tanh approximation by default."""
    return _ops.gelu(f(x), approximate="tanh" if approximate else "none")


def leaky_relu(x, negative_slope=0.2):
    return _ops.leaky_relu(f(x), negative_slope)


def elu(x, alpha=1.0):
    return _ops.elu(f(x), alpha)


def selu(x):
    return _ops.selu(f(x))


def celu(x, alpha=1.0):
    return _ops.celu(f(x), alpha)


def glu(x, axis=-1):
    return _ops.glu(f(x), axis)


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``."""
    return _ops.hardsigmoid(f(x))


def hard_silu(x):
    """``x relu6(x + 3) / 6``."""
    return _ops.hardswish(f(x))


hard_swish = hard_silu


def hard_tanh(x):
    return _ops.hardtanh(f(x))


def hard_shrink(x, threshold=0.5):
    return _ops.hardshrink(f(x), threshold)


def soft_shrink(x, threshold=0.5):
    return _ops.softshrink(f(x), threshold)


def tanh_shrink(x):
    return _ops.tanhshrink(f(x))


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = t(x)
    return _ops.where(wrap(x.array > threshold), x, wrap(np.asarray(default_value, x.dtype)))


def log_sigmoid(x):
    return _ops.logsigmoid(f(x))


def sparse_plus(x):
    return _ops.sparse_plus(f(x))


def sparse_sigmoid(x):
    return _ops.sparse_sigmoid(f(x))


def squareplus(x, b=4):
    return _ops.squareplus(f(x), b)


def sparsemax(x, axis=-1):
    """The projection onto the simplex (:func:`deepgrad.ops.sparsemax`)."""
    return _ops.sparsemax(f(x), axis)


def softmax(x, axis=-1):
    x = f(x)
    if isinstance(axis, (list, tuple)) or axis is None:
        z = _ops.sub(x, _ops.logsumexp(x, axis_arg(axis), True))
        return _ops.exp(z)
    return _ops.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    x = f(x)
    if isinstance(axis, (list, tuple)) or axis is None:
        return _ops.sub(x, _ops.logsumexp(x, axis_arg(axis), True))
    return _ops.log_softmax(x, dim=axis)


# ---------------------------------------------------------------------- encodings
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """``num_classes``-wide one-hot rows (a new axis at ``axis``); out-of-range labels
    give all-zero rows, as Keras."""
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported by deepgrad")
    labels = np.asarray(array_of(x)).astype(np.int64)
    out = (labels[..., None] == np.arange(num_classes)).astype(dtype_arg(dtype))
    return wrap(np.moveaxis(out, -1, axis) if axis != -1 else out)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """1 at every class a row (the last axis of ``inputs``) contains."""
    if sparse:
        raise ValueError("multi_hot: sparse=True is not supported by deepgrad")
    num_classes = kwargs.pop("num_tokens", num_classes)
    if kwargs or num_classes is None:
        raise ValueError(f"multi_hot: give num_classes (received extra {sorted(kwargs)})")
    labels = np.asarray(array_of(inputs)).astype(np.int64)
    if labels.ndim == 0:
        labels = labels[None]
    out = (labels[..., None] == np.arange(num_classes)).any(-2).astype(dtype_arg(dtype))
    return wrap(np.moveaxis(out, -1, axis) if axis != -1 else out)


# ---------------------------------------------------------------------- losses
def _target_like(target, output):
    return cast(target, output.dtype)


def binary_crossentropy(target, output, from_logits=False):
    """Per-entry binary cross-entropy (no reduction), probabilities clipped to
    ``[eps, 1 - eps]`` or logits through the stable fused op."""
    output = f(output)
    target = _target_like(target, output)
    if from_logits:
        return _ops.binary_cross_entropy_with_logits(output, target, reduction="none")
    p = _ops.clip(output, backend.epsilon(), 1.0 - backend.epsilon())
    return _ops.binary_cross_entropy(p, target, reduction="none")


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target log p, axis)`` (no reduction over samples)."""
    output = f(output)
    target = _target_like(target, output)
    if target.shape != output.shape:
        raise ValueError(f"categorical_crossentropy: target and output must have the same "
                         f"shape, received {tuple(target.shape)} and {tuple(output.shape)}")
    if from_logits:
        return _ops.neg(_ops.sum(_ops.mul(target, _ops.log_softmax(output, dim=axis)), axis))
    p = _ops.div(output, _ops.sum(output, axis, True))
    p = _ops.clip(p, backend.epsilon(), 1.0 - backend.epsilon())
    return _ops.neg(_ops.sum(_ops.mul(target, _ops.log(p)), axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-log p[target]`` for integer targets (no reduction over samples)."""
    output = f(output)
    labels = np.asarray(array_of(target)).astype(np.int64)
    if labels.ndim == output.ndim and labels.shape[axis] == 1:
        labels = np.squeeze(labels, axis)
    onehot = one_hot(labels, output.shape[axis], axis=axis, dtype=output.dtype)
    return categorical_crossentropy(onehot, output, from_logits, axis)


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)^2))``."""
    a, b = f(x1), f(x2)
    if a.shape != b.shape:
        raise ValueError(f"psnr: inputs must have the same shape, received "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    mse = _ops.mean(_ops.square(_ops.sub(a, cast(b, a.dtype))))
    return _ops.sub(20.0 * math.log10(max_val), _ops.mul(_ops.log10(mse), 10.0))


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss: ``target`` (batch, max_label) ints, ``output`` (batch, time,
    classes) logits, ``mask_index`` the blank class (the engine's ``ctc_loss``)."""
    output = f(output)
    log_probs = _ops.permute(_ops.log_softmax(output, dim=-1), (1, 0, 2))
    return _ops.ctc_loss(log_probs, t(np.asarray(array_of(target)).astype(np.int64)),
                         t(np.asarray(array_of(output_length)).astype(np.int64)),
                         t(np.asarray(array_of(target_length)).astype(np.int64)),
                         blank=mask_index, reduction="none")


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Greedy CTC decoding: ``(decoded (1, batch, time) padded with -1, scores (batch, 1))``,
    the score being ``-sum_t max log p_t`` as Keras. Beam search is refused."""
    if strategy != "greedy":
        raise ValueError(f"ctc_decode: only strategy='greedy' is implemented in deepgrad, "
                         f"received {strategy!r}")
    z = np.asarray(array_of(inputs), np.float64)
    logp = z - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)) - \
        z.max(-1, keepdims=True)
    lengths = np.asarray(array_of(sequence_lengths)).astype(np.int64)
    best = logp.argmax(-1)
    batch, time = best.shape
    out = np.full((batch, time), -1, np.int32)
    scores = np.zeros((batch, 1))
    for b in range(batch):
        path = best[b, :lengths[b]]
        scores[b, 0] = -logp[b, np.arange(lengths[b]), path].sum()
        keep = np.ones(len(path), bool)
        if merge_repeated and len(path):
            keep[1:] = path[1:] != path[:-1]
        labels = path[keep & (path != mask_index)]
        out[b, :len(labels)] = labels
    return wrap(out[None]), wrap(scores.astype(t(inputs).dtype))


# ---------------------------------------------------------------------- normalization
def moments(x, axes, keepdims=False, synchronized=False):
    """``(mean, variance)`` over ``axes`` (population variance)."""
    return mean(x, axes, keepdims), var(x, axes, keepdims)


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x / max(||x||_order, eps)`` along ``axis``."""
    x = f(x)
    eps = backend.epsilon() if epsilon is None else epsilon
    norm = _ops.pow(_ops.sum(_ops.pow(_ops.abs(x), order), axis, True), 1.0 / order)
    return _ops.div(x, _ops.maximum(norm, wrap(np.asarray(eps, x.dtype))))


def _along(v, x, axis):
    v = cast(v, x.dtype)
    if v.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[axis] = v.shape[0]
        v = _ops.reshape(v, tuple(shape))
    return v


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + eps) * scale + offset``, the 1-D statistics laid
    along ``axis``."""
    x = f(x)
    out = _ops.mul(_ops.sub(x, _along(mean, x, axis)),
                   _ops.rsqrt(_ops.add(_along(variance, x, axis), epsilon)))
    if scale is not None:
        out = _ops.mul(out, _along(scale, x, axis))
    if offset is not None:
        out = _ops.add(out, _along(offset, x, axis))
    return out


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalize over ``axis`` (population variance, ``eps`` defaults to
    ``keras.backend.epsilon()`` as ``keras.ops``; the LayerNormalization layer passes its
    own 1e-3), then ``* gamma + beta``."""
    if kwargs.pop("rms_scaling", False):
        return rms_normalization(x, gamma, axis, epsilon)
    if kwargs:
        raise TypeError(f"layer_normalization: unsupported arguments {sorted(kwargs)}")
    x = f(x)
    eps = backend.epsilon() if epsilon is None else epsilon
    m, v = mean(x, axis, True), var(x, axis, True)
    out = _ops.mul(_ops.sub(x, m), _ops.rsqrt(_ops.add(v, eps)))
    if gamma is not None:
        out = _ops.mul(out, cast(gamma, x.dtype))
    if beta is not None:
        out = _ops.add(out, cast(beta, x.dtype))
    return out


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x^2, axis) + eps) * scale`` (``eps`` defaults to floatx's
    machine epsilon, as Keras)."""
    x = f(x)
    eps = float(np.finfo(x.dtype).eps) if epsilon is None else epsilon
    out = _ops.mul(x, _ops.rsqrt(_ops.add(_ops.mean(_ops.square(x), axis_arg(axis), True),
                                          eps)))
    return out if scale is None else _ops.mul(out, cast(scale, x.dtype))

from deepgrad.keras.ops.nn_conv import (  # noqa: E402,F401  (the rest of keras.ops.nn)
    adaptive_average_pool, adaptive_max_pool, average_pool, conv, conv_transpose,
    depth_to_space, depthwise_conv, dot_product_attention, fold, max_pool, separable_conv,
    space_to_depth, unfold)


__all__ = sorted(name for name, obj in list(globals().items())
                 if callable(obj) and not name.startswith("_")
                 and getattr(obj, "__module__", "").startswith("deepgrad.keras.ops.nn"))
