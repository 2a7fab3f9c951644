"""``tf.nn``: activations, dropout, moments, losses with logits, conv/pool in TF's names.

Each function calls ``keras.ops`` (or the engine's fused op), so the math has one home:

    l2_loss(t)                                   = sum(t^2) / 2
    softmax_cross_entropy_with_logits(y, z)      = -sum(y log_softmax(z), axis)
    sparse_softmax_cross_entropy_with_logits(k, z) = -log_softmax(z)[k]
    sigmoid_cross_entropy_with_logits(y, z)      = max(z, 0) - z y + log(1 + e^-|z|)
    weighted_cross_entropy_with_logits(y, z, w)  = (1 - y) z + (1 + (w - 1) y) log(1 + e^-z)
                                                   (computed stably)

``dropout(x, rate)`` zeroes with probability ``rate`` and scales the rest by
``1 / (1 - rate)`` (``keras.random.dropout``). Images are NHWC (``data_format='NHWC'``;
'NCHW' is accepted), conv ``filters`` (kh, kw, in, out), as TensorFlow. ``import
deepgrad as tf`` reaches these through ``deepgrad.nn`` (PyTorch's module) for every
name ``torch.nn`` lacks.
"""
import numpy as np

from deepgrad._scope import NotImplementedAttribute
from deepgrad import ops as _ops
from deepgrad.keras import ops as _k
from deepgrad.keras import random as _random
from deepgrad.keras.ops.core import f, t
from deepgrad.tf.math import (  # noqa: F401
    l2_normalize, log_sigmoid, sigmoid, softplus, softsign, tanh)
from deepgrad.tf.math import in_top_k, top_k  # noqa: F401


def relu(features, name=None):
    return _k.relu(features)


def relu6(features, name=None):
    return _k.relu6(features)


def elu(features, name=None):
    return _k.elu(features)


def selu(features, name=None):
    return _k.selu(features)


def gelu(features, approximate=False, name=None):
    """TensorFlow's default is the exact (erf) form."""
    return _k.gelu(features, approximate)


def leaky_relu(features, alpha=0.2, name=None):
    return _k.leaky_relu(features, alpha)


def silu(features, beta=1.0):
    x = f(features)
    return _ops.mul(x, _ops.sigmoid(_ops.mul(x, beta))) if beta != 1.0 else _k.silu(x)


swish = silu


def softmax(logits, axis=None, name=None):
    return _k.softmax(logits, -1 if axis is None else axis)


def log_softmax(logits, axis=None, name=None):
    return _k.log_softmax(logits, -1 if axis is None else axis)


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), received {rate}")
    return _random.dropout(f(x), rate, noise_shape, seed)


def moments(x, axes, shift=None, keepdims=False, name=None):
    """``(mean, variance)`` over ``axes`` (population variance)."""
    return _k.moments(x, list(axes), keepdims)


def l2_loss(t, name=None):
    x = f(t)
    return _ops.mul(_ops.sum(_ops.mul(x, x)), 0.5)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    return _k.categorical_crossentropy(labels, logits, from_logits=True, axis=axis)


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    z = f(logits)
    lab = np.asarray(t(labels).array).astype(np.int64)
    if lab.shape != tuple(z.shape[:-1]):
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels of shape "
                         f"{lab.shape} must have the logits' shape without the last axis "
                         f"{tuple(z.shape[:-1])}")
    return _k.sparse_categorical_crossentropy(lab, z, from_logits=True)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    if labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy_with_logits: give labels= and logits=")
    z = f(logits)
    y = _k.cast(labels, z.dtype)
    if tuple(y.shape) != tuple(z.shape):
        raise ValueError(f"sigmoid_cross_entropy_with_logits: labels {tuple(y.shape)} and "
                         f"logits {tuple(z.shape)} must have the same shape")
    return _k.binary_crossentropy(y, z, from_logits=True)


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    z = f(logits)
    y = _k.cast(labels, z.dtype)
    log_weight = _ops.add(_ops.mul(y, pos_weight - 1.0), 1.0)
    softplus_neg = _ops.add(_ops.log1p(_ops.exp(_ops.neg(_ops.abs(z)))),
                            _ops.relu(_ops.neg(z)))               # log(1 + e^-z), stable
    return _ops.add(_ops.mul(_ops.rsub(y, 1.0), z), _ops.mul(log_weight, softplus_neg))


def bias_add(value, bias, data_format=None, name=None):
    x, b = t(value), _k.cast(bias, t(value).dtype)
    if data_format in ("NCHW", "NCW", "NCDHW", "channels_first"):
        b = _ops.reshape(b, (-1,) + (1,) * (x.ndim - 2))
    return _ops.add(x, b)


def embedding_lookup(params, ids, max_norm=None, name=None):
    if max_norm is not None:
        raise ValueError("embedding_lookup: max_norm is not supported by deepgrad")
    return _k.take(params, ids, 0)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``(x - mean) / sqrt(variance + eps) * scale + offset`` (broadcasting)."""
    x = f(x)
    out = _ops.mul(_k.subtract(x, mean), _ops.rsqrt(_k.add(variance, variance_epsilon)))
    if scale is not None:
        out = _k.multiply(out, scale)
    return out if offset is None else _k.add(out, offset)


def _fmt(data_format):
    if data_format is None or str(data_format).startswith("N") and \
            str(data_format).endswith("C"):
        return "channels_last"
    if str(data_format) in ("NCHW", "NCW", "NCDHW"):
        return "channels_first"
    raise ValueError(f"data_format must be NHWC-like or NCHW-like, received {data_format!r}")


def _strides(strides, rank):
    s = [strides] * rank if isinstance(strides, int) else list(strides)
    return s[1:-1] if len(s) == rank + 2 else s


def convolution(input, filters, strides=None, padding="VALID", data_format=None,     # noqa: A002
                dilations=None, name=None):
    rank = t(input).ndim - 2
    return _k.conv(input, filters, _strides(strides or 1, rank), padding.lower(),
                   _fmt(data_format), _strides(dilations or 1, rank))


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None,     # noqa: A002
           name=None):
    return convolution(input, filters, strides, padding, data_format, dilations)


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None,     # noqa: A002
           name=None):
    return convolution(input, filters, stride, padding, data_format, dilations)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):     # noqa: A002
    return _k.max_pool(input, _strides(ksize, 2), _strides(strides, 2), padding.lower(),
                       _fmt(data_format))


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):     # noqa: A002
    return _k.average_pool(input, _strides(ksize, 2), _strides(strides, 2), padding.lower(),
                           _fmt(data_format))


max_pool, avg_pool = max_pool2d, avg_pool2d


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedAttribute(f"deepgrad does not implement tf.nn.{name}")
