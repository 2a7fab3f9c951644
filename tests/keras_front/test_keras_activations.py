"""deepgrad.keras.activations: each function against NumPy (float32 and float64), float64
gradient checks, relu's options, the registry, and (when Keras 3 is installed) Keras."""
import math
import os

import numpy as np
import pytest

from deepgrad import Tensor, gradcheck
from deepgrad.keras import activations as A
from deepgrad.keras import registry

X = np.linspace(-4.3, 4.1, 24).reshape(4, 6)
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _elu(x, a=1.0):
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))


def _softplus(x):
    return np.logaddexp(0, x)


ALPHA, SCALE = 1.6732632423543772, 1.0507009873554805
REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "linear": lambda x: x,
    "elu": _elu,
    "selu": lambda x: SCALE * _elu(x, ALPHA),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(x)),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "log_sigmoid": lambda x: -_softplus(-x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "tanh_shrink": lambda x: x - np.tanh(x),
}


# Keras 3's newer activations (some take arguments or change the shape) have their
# references and gradient checks in test_keras_activations_extra.py
TESTED_IN_EXTRA = {"glu", "hard_shrink", "hard_tanh", "soft_shrink", "sparse_plus",
                   "sparse_sigmoid", "sparsemax", "squareplus", "threshold"}


def test_every_registered_activation_has_a_reference():
    assert set(REFERENCE) | TESTED_IN_EXTRA == set(registry.builtins("activations"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_matches_numpy(name, dtype):
    out = A.get(name)(Tensor(X.astype(dtype)))
    assert out.dtype == dtype and out.shape == X.shape
    tol = 2e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.array, REFERENCE[name](X), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_gradcheck(name):
    x = Tensor(X + 0.013, requires_grad=True)        # keep away from kinks at 0 and +-3
    assert gradcheck(A.get(name), (x,))


@pytest.mark.parametrize("kwargs", [
    {"negative_slope": 0.1}, {"max_value": 6.0}, {"threshold": 1.0}, {"max_value": 2.5},
    {"negative_slope": 0.1, "max_value": 3.0, "threshold": 0.5},
    {"negative_slope": 0.2, "threshold": -1.0}])
def test_relu_options(kwargs):
    slope, top, thr = (kwargs.get("negative_slope", 0.0), kwargs.get("max_value"),
                       kwargs.get("threshold", 0.0))
    expected = np.where(X >= thr, X, slope * (X - thr))
    if top is not None:
        expected = np.where(X >= top, top, expected)
    out = A.relu(Tensor(X), **kwargs)
    np.testing.assert_allclose(out.array, expected, atol=1e-12)
    assert gradcheck(lambda x: A.relu(x, **kwargs), (Tensor(X + 0.013, requires_grad=True),))


def test_softmax_axis_gelu_approximate_and_arrays():
    np.testing.assert_allclose(A.softmax(Tensor(X), axis=0).array, _softmax(X, 0), rtol=1e-12)
    tanh_form = 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(A.gelu(Tensor(X), approximate=True).array, tanh_form, rtol=1e-12)
    np.testing.assert_allclose(A.softsign(X).array, REFERENCE["softsign"](X))   # ndarray in


def test_registry():
    assert A.get(None) is A.linear and A.get("swish") is A.silu and A.swish is A.silu
    assert A.get(np.tanh) is np.tanh
    assert A.serialize(A.relu) == "relu" and A.serialize(A.swish) == "silu"
    assert A.serialize(None) is None
    assert A.deserialize("elu") is A.elu and A.get({"class_name": "function",
                                                   "config": "tanh"}) is A.tanh
    with pytest.raises(ValueError, match=r"Unknown activation function 'rellu'.*'relu'"):
        A.get("rellu")
    with pytest.raises(ValueError, match="Could not interpret"):
        A.get(3)
    with pytest.raises(ValueError, match="cannot be serialized"):
        A.serialize(lambda x: x)


def test_matches_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = X.astype(np.float32)
    for name in REFERENCE:
        ref = keras.ops.convert_to_numpy(keras.activations.get(name)(x))
        np.testing.assert_allclose(A.get(name)(Tensor(x)).array, ref, rtol=1e-5, atol=1e-6,
                                   err_msg=name)
    ref = keras.ops.convert_to_numpy(keras.activations.relu(x, 0.1, 3.0, 0.5))
    np.testing.assert_allclose(A.relu(Tensor(x), 0.1, 3.0, 0.5).array, ref, atol=1e-6)
