"""Weight initialisation (``torch.nn.init``): fills tensors in place, keeping their dtype.

fan_in / fan_out of a weight of shape (out, in, *kernel) are in * prod(kernel) and
out * prod(kernel). With gain g:

    xavier (glorot) uniform:  U(-a, a),  a = g sqrt(6 / (fan_in + fan_out))
    xavier normal:            N(0, s^2), s = g sqrt(2 / (fan_in + fan_out))
    kaiming (he) uniform:     U(-b, b),  b = g sqrt(3 / fan)
    kaiming normal:           N(0, s^2), s = g / sqrt(fan)
"""
import math
import warnings

import numpy as np

from deepgrad import backend
from deepgrad.autograd.version_counter import bump

_GAINS = {
    "linear": lambda p: 1.0, "identity": lambda p: 1.0, "sigmoid": lambda p: 1.0,
    "conv1d": lambda p: 1.0, "conv2d": lambda p: 1.0, "conv3d": lambda p: 1.0,
    "conv_transpose1d": lambda p: 1.0, "conv_transpose2d": lambda p: 1.0,
    "tanh": lambda p: 5.0 / 3, "relu": lambda p: math.sqrt(2.0),
    "leaky_relu": lambda p: math.sqrt(2.0 / (1 + (0.01 if p is None else p) ** 2)),
    "selu": lambda p: 0.75,
}


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table)."""
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; "
                         f"expected one of {sorted(_GAINS)}")
    return _GAINS[nonlinearity](param)


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than "
                         f"2 dimensions (shape {tuple(tensor.shape)})")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', received {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    tensor.array[...] = values
    bump(tensor.array)
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    return _fill(tensor, backend.rng().uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    return _fill(tensor, backend.rng().normal(mean, std, tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Normal N(mean, std^2) redrawn until inside [a, b]."""
    out = backend.rng().normal(mean, std, tensor.shape)
    bad = (out < a) | (out > b)
    while bad.any():
        out[bad] = backend.rng().normal(mean, std, int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, out)


def constant_(tensor, val):
    return _fill(tensor, val)


def zeros_(tensor):
    return _fill(tensor, 0)


def ones_(tensor):
    return _fill(tensor, 1)


def eye_(tensor):
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, received shape {tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor, gain=1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain=1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _zero_element(tensor):
    """PyTorch's rule: initialising a tensor with no elements is a no-op (with a warning)."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    if _zero_element(tensor):
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    if _zero_element(tensor):
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)))


def orthogonal_(tensor, gain=1.0):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"received shape {tuple(tensor.shape)}")
    rows = tensor.shape[0]
    cols = tensor.array.size // rows
    flat = backend.rng().standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


# Keras's names for the same schemes
glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
