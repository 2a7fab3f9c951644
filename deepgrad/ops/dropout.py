"""Dropout (regularisation, seed 002): zero each element with probability p in training.

    y = x * m / (1 - p),  m_i ~ Bernoulli(1 - p)      dy/dx = m / (1 - p)

Scaling by 1/(1 - p) at training time ("inverted dropout") keeps E[y] = x, so
evaluation is the identity.
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd.function import Function, to_tensor


class Dropout(Function):
    def forward(self, x, p=0.5):
        keep = backend.rng().random(x.shape, dtype=np.float32) >= p
        self.scale = keep * np.asarray(1.0 / (1.0 - p), x.dtype)
        return x * self.scale

    def backward(self, g):
        return g * self.scale


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout; the identity when ``training`` is False or p == 0."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, received p={p}")
    x = to_tensor(input)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    return Dropout.apply(x, p=p)
