"""``keras.random``: random draws with Keras 3's seeding rules, as deepgrad Tensors.

``seed`` chooses where the numbers come from, as in Keras:

    seed=None             deepgrad's global generator (``keras.utils.set_random_seed``
                          makes runs repeat)
    seed=<int>            a fresh generator from that int: the same numbers every call
    seed=SeedGenerator    its own stream, advancing with each draw (a layer keeps one,
                          as ``Dropout(seed=...)`` and the VAE's Sampling layer do)

Draws are NumPy's (PCG64), so the numbers differ from TensorFlow's or PyTorch's for the
same seed; their distributions are the same.
"""
import numpy as np

from deepgrad import backend as _backend
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import backend


class SeedGenerator:
    """A stream of random numbers for ``seed=`` arguments (Keras 3's ``SeedGenerator``).

    Args:
        seed (int, optional): the stream's seed; None draws one from the global
            generator (so ``keras.utils.set_random_seed`` still makes runs repeat).
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"SeedGenerator: unrecognized arguments {sorted(kwargs)}")
        if seed is not None and (not isinstance(seed, (int, np.integer))
                                 or isinstance(seed, bool)):
            raise ValueError(f"SeedGenerator: seed must be an int or None, received "
                             f"{seed!r}")
        self.seed = int(_backend.rng().integers(2 ** 31)) if seed is None else int(seed)
        self.name = name or "seed_generator"
        self.generator = np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _rng(seed):
    if seed is None:
        return _backend.rng()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(f"seed must be None, an int or a keras.random.SeedGenerator, received "
                     f"{seed!r} (of type {type(seed).__name__})")


def _float(dtype):
    dtype = np.dtype(backend.floatx() if dtype is None else dtype)
    if dtype.kind != "f":
        raise ValueError(f"expected a floating-point dtype, received {dtype}")
    return dtype


def _shape(shape):
    return tuple(int(s) for s in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from N(mean, stddev^2)."""
    dtype = _float(dtype)
    return Tensor._wrap(_rng(seed).normal(mean, stddev, _shape(shape)).astype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws from U[minval, maxval)."""
    dtype = _float(dtype)
    return Tensor._wrap(_rng(seed).uniform(minval, maxval, _shape(shape)).astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """N(mean, stddev^2) redrawn outside two standard deviations."""
    dtype, rng, shape = _float(dtype), _rng(seed), _shape(shape)
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return Tensor._wrap((mean + stddev * out).astype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers in [minval, maxval)."""
    return Tensor._wrap(_rng(seed).integers(minval, maxval, _shape(shape)).astype(dtype))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``logits`` (batch, classes)."""
    z = np.asarray(logits.array if isinstance(logits, Tensor) else logits, np.float64)
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    rng = _rng(seed)
    draws = np.stack([rng.choice(p.shape[-1], size=num_samples, p=row) for row in p])
    return Tensor._wrap(draws.astype(dtype))


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order."""
    a = x.array if isinstance(x, Tensor) else np.asarray(x)
    order = _rng(seed).permutation(a.shape[axis])
    return Tensor._wrap(np.take(a, order, axis=axis))


def dropout_mask(shape, rate, noise_shape=None, dtype=None, seed=None):
    """Keep-mask scaled by ``1 / (1 - rate)``: 0 with probability ``rate``; broadcast
    along the axes ``noise_shape`` sets to 1 (``None`` entries take ``shape``'s)."""
    if noise_shape is None:
        noise_shape = shape
    noise_shape = tuple(s if n is None else int(n) for n, s in zip(noise_shape, shape))
    dtype = _float(dtype)
    if rate >= 1.0:
        return np.zeros(noise_shape, dtype)
    keep = _rng(seed).random(noise_shape) >= rate
    return (keep / (1.0 - rate)).astype(dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with each entry zeroed with probability ``rate`` and the rest scaled by
    ``1 / (1 - rate)`` (differentiable: the mask is a constant)."""
    x = inputs if isinstance(inputs, Tensor) else Tensor._wrap(np.asarray(inputs))
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1], received {rate}")
    mask = dropout_mask(tuple(x.shape), rate, noise_shape, x.dtype, seed)
    return x * Tensor._wrap(mask)


def gamma(shape, alpha, dtype=None, seed=None):
    """Draws from Gamma(alpha, 1) (shape ``alpha``, unit scale)."""
    dtype = _float(dtype)
    alpha = np.asarray(alpha.array if isinstance(alpha, Tensor) else alpha, np.float64)
    if np.any(alpha <= 0):
        raise ValueError(f"gamma: alpha must be > 0, received {alpha.tolist()}")
    return Tensor._wrap(_rng(seed).gamma(alpha, 1.0, _shape(shape)).astype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Draws from Beta(alpha, beta)."""
    dtype = _float(dtype)
    a = np.asarray(alpha.array if isinstance(alpha, Tensor) else alpha, np.float64)
    b = np.asarray(beta.array if isinstance(beta, Tensor) else beta, np.float64)
    if np.any(a <= 0) or np.any(b <= 0):
        raise ValueError(f"beta: alpha and beta must be > 0, received alpha={a.tolist()}, "
                         f"beta={b.tolist()}")
    return Tensor._wrap(_rng(seed).beta(a, b, _shape(shape)).astype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Draws from Binomial(counts, probabilities), as floats (``floatx``) as Keras."""
    dtype = _float(dtype)
    n = np.asarray(counts.array if isinstance(counts, Tensor) else counts)
    p = np.asarray(probabilities.array if isinstance(probabilities, Tensor)
                   else probabilities, np.float64)
    if np.any(p < 0) or np.any(p > 1) or np.any(n < 0):
        raise ValueError(f"binomial: counts must be >= 0 and probabilities in [0, 1], "
                         f"received counts={n.tolist()}, probabilities={p.tolist()}")
    return Tensor._wrap(_rng(seed).binomial(n.astype(np.int64), p,
                                            _shape(shape)).astype(dtype))


__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
           "randint", "shuffle", "truncated_normal", "uniform"]
