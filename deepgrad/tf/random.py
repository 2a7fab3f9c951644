"""``tf.random``: draws as deepgrad Tensors, seeded by ``tf.random.set_seed``.

``set_seed(s)`` seeds deepgrad's global generator (the one ``keras.random`` uses with
``seed=None``, weight initialisers, dropout and ``tf.data`` shuffling), so a program
repeats run to run. An op-level ``seed=`` int gives the same numbers on every call
(``keras.random``'s rule; TensorFlow would advance an internal counter instead). The
draws are NumPy's (PCG64): same distributions as TensorFlow, different numbers.
"""
import numpy as np

from deepgrad._scope import NotImplementedAttribute
from deepgrad import backend as _backend
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import random as _kr


def set_seed(seed):
    """Seed the global generator (``tf.random.set_seed``)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"set_seed: seed must be an int, received {seed!r}")
    _backend.manual_seed(int(seed))


def _dtype(dtype):
    return None if dtype is None else np.dtype(getattr(dtype, "name", dtype))


def normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None):
    return _kr.normal(shape, mean, stddev, _dtype(dtype), seed)


def uniform(shape, minval=0, maxval=None, dtype=np.float32, seed=None, name=None):
    """Floats in [minval, maxval) (maxval defaults to 1); integer dtypes need maxval."""
    dtype = np.dtype(getattr(dtype, "name", dtype))
    if dtype.kind in "iu":
        if maxval is None:
            raise ValueError("uniform: an integer dtype needs maxval")
        return _kr.randint(shape, minval, maxval, dtype, seed)
    return _kr.uniform(shape, minval, 1.0 if maxval is None else maxval, dtype, seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None):
    return _kr.truncated_normal(shape, mean, stddev, _dtype(dtype), seed)


def categorical(logits, num_samples, dtype=np.int64, seed=None, name=None):
    return _kr.categorical(logits, num_samples, _dtype(dtype), seed)


def shuffle(value, seed=None, name=None):
    return _kr.shuffle(value, 0, seed)


def gamma(shape, alpha, beta=None, dtype=np.float32, seed=None, name=None):
    """Gamma(alpha, rate beta) draws of shape ``shape + alpha.shape``."""
    a = np.asarray(alpha, np.float64)
    out = _kr.gamma(tuple(shape) + a.shape, a, _dtype(dtype), seed)
    return out if beta is None else Tensor._wrap((out.array / np.asarray(beta)).astype(
        out.dtype))


def poisson(shape, lam, dtype=np.float32, seed=None, name=None):
    lam = np.asarray(lam, np.float64)
    return Tensor._wrap(_kr._rng(seed).poisson(lam, tuple(shape) + lam.shape).astype(
        np.dtype(getattr(dtype, "name", dtype))))


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedAttribute(f"deepgrad does not implement tf.random.{name}")
