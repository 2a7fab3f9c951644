"""Activations: forward vs NumPy, float64 gradcheck, PyTorch on the side, and stability."""
import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import UNARY, away_from, check_op, uniform

AXIS_CASES = [(), (1,), (4,), (1, 3), (2, 3), (2, 1, 3), (2, 3, 4)]
_erf = np.vectorize(math.erf)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


@pytest.mark.parametrize("fn, ref, make", [
    (ops.relu, lambda x: np.maximum(x, 0), away_from([0.0])),
    (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), away_from([0.0])),
    (lambda x: ops.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), away_from([0.0])),
    (ops.elu, lambda x: np.where(x > 0, x, np.expm1(x)), away_from([0.0])),
    (lambda x: ops.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)),
     away_from([0.0])),
    (ops.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), None),
    (lambda x: ops.gelu(x, approximate="tanh"), np_gelu_tanh, None),
    (ops.sigmoid, np_sigmoid, None),
    (ops.tanh, np.tanh, None),
    (ops.softplus, np_softplus, None),
    (lambda x: ops.softplus(x, beta=2.0, threshold=1.0),
     lambda x: np_softplus(x, 2.0, 1.0), away_from([0.5])),
    (ops.silu, lambda x: x * np_sigmoid(x), None),
], ids=["relu", "leaky_relu", "leaky_relu_0.2", "elu", "elu_0.5", "gelu", "gelu_tanh",
        "sigmoid", "tanh", "softplus", "softplus_beta2", "silu"])
def test_elementwise_activation(fn, ref, make):
    check_op(fn, ref, UNARY, make=make or uniform(-3.0, 3.0))


@pytest.mark.parametrize("method, ref, make", [
    ("relu", lambda x: np.maximum(x, 0), away_from([0.0])),
    ("sigmoid", np_sigmoid, None),
    ("tanh", np.tanh, None),
])
def test_activation_tensor_methods(method, ref, make):
    check_op(lambda x: getattr(x, method)(), ref, UNARY, make=make)


@pytest.mark.parametrize("fn, ref", [(ops.softmax, np_softmax),
                                     (ops.log_softmax, np_log_softmax)],
                         ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [-1, 0])
def test_softmax_family(fn, ref, dim):
    check_op(lambda x: fn(x, dim), lambda x: ref(x, dim), AXIS_CASES)
    check_op(lambda x: fn(x, axis=dim), lambda x: ref(x, dim), [(2, 3)])


def test_softmax_middle_axis_and_methods():
    check_op(lambda x: ops.softmax(x, 1), lambda x: np_softmax(x, 1), [(2, 3, 4), (2, 1, 3)])
    check_op(lambda x: x.softmax(1), lambda x: np_softmax(x, 1), [(2, 3, 4)])
    check_op(lambda x: x.log_softmax(-2), lambda x: np_log_softmax(x, -2), [(2, 3, 4)])


def test_softmax_rows_sum_to_one():
    x = dg.randn(4, 5)
    np.testing.assert_allclose(ops.softmax(x, -1).sum(-1).array, np.ones(4), rtol=1e-6)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate must be"):
        ops.gelu(dg.ones(2), approximate="fast")


def test_softmax_dim_out_of_range():
    with pytest.raises(IndexError, match="out of range"):
        ops.softmax(dg.ones(2, 3), dim=2)


def test_activations_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    cases = [(), (3,), (2, 3)]
    check_op(ops.gelu, None, cases, torch_fn=F.gelu)
    check_op(lambda x: ops.gelu(x, approximate="tanh"), None, cases,
             torch_fn=lambda x: F.gelu(x, approximate="tanh"))
    check_op(lambda x: ops.elu(x, 0.7), None, cases, make=away_from([0.0]),
             torch_fn=lambda x: F.elu(x, 0.7))
    check_op(lambda x: ops.leaky_relu(x, 0.1), None, cases, make=away_from([0.0]),
             torch_fn=lambda x: F.leaky_relu(x, 0.1))
    check_op(lambda x: ops.softplus(x, 2.0, 1.5), None, cases, make=away_from([0.75]),
             torch_fn=lambda x: F.softplus(x, 2.0, 1.5))
    check_op(ops.silu, None, cases, torch_fn=F.silu)
    check_op(ops.sigmoid, None, cases, torch_fn=torch.sigmoid)
    check_op(lambda x: ops.softmax(x, 0), None, [(3,), (2, 3)],
             torch_fn=lambda x: torch.softmax(x, 0))
    check_op(lambda x: ops.log_softmax(x, -1), None, [(3,), (2, 3)],
             torch_fn=lambda x: torch.log_softmax(x, -1))


# ----------------------------------------------------------------- stability
BIG = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 3.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", [
    lambda x: ops.softmax(x, -1), lambda x: ops.log_softmax(x, -1), ops.sigmoid, ops.tanh,
    ops.softplus, ops.silu, ops.elu, ops.gelu, lambda x: ops.gelu(x, approximate="tanh"),
], ids=["softmax", "log_softmax", "sigmoid", "tanh", "softplus", "silu", "elu", "gelu",
        "gelu_tanh"])
def test_large_logits_give_finite_values_and_gradients(fn, dtype):
    x = dg.tensor(BIG, dtype=dtype, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = fn(x)
        assert np.all(np.isfinite(y.array))
        (y * dg.tensor(np.linspace(-1, 1, 9).reshape(3, 3), dtype=dtype)).sum().backward()
    assert x.grad.dtype == dtype
    assert np.all(np.isfinite(x.grad.array))


def test_large_logits_values():
    x = dg.tensor(BIG, dtype=np.float64)
    np.testing.assert_allclose(ops.softmax(x, -1).array[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(ops.softmax(x, -1).array[1], [1 / 3] * 3)
    np.testing.assert_allclose(ops.log_softmax(x, -1).array[0], [0.0, -2e4, -1e4])
    np.testing.assert_allclose(ops.sigmoid(x).array[0], [1.0, 0.0, 0.5])
    np.testing.assert_allclose(ops.softplus(x).array[0], [1e4, 0.0, np.log(2)])


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_accurate_in_the_tails_and_silent_on_overflow(dtype, compiled):
    """Relative accuracy where sigma is tiny (the tanh form 0.5 (1 + tanh(x/2)) cancelled
    to 0 there in float32), no overflow warning or FloatingPointError where e^-x
    overflows, on the NumPy path and the compiled one (skipped without numba)."""
    from deepgrad import kernels
    if compiled and not kernels.available() and kernels.build() is None:
        pytest.skip("no compiled kernels")
    x = np.array([-1000.0, -80.0, -30.0, -20.0, -5.0, 0.0, 5.0, 20.0, 1000.0], dtype)
    with np.errstate(over="ignore"):
        want = 1 / (1 + np.exp(-x.astype(np.float64)))         # sigma(-1000) = 0
    for shape in (x.shape, (3, 3)):
        with kernels.use(compiled), np.errstate(all="raise"):
            got = dg.sigmoid(dg.tensor(x.reshape(shape))).numpy().reshape(-1)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=4 * np.finfo(dtype).eps, atol=0)
    with kernels.use(compiled), np.errstate(all="raise"):
        scalar = dg.sigmoid(dg.tensor(x[0])).numpy()
    assert scalar.shape == () and scalar == 0


def test_sigmoid_and_tanh_promote_integer_and_bool_input_to_float32_as_pytorch():
    import deepgrad as dg
    for fn, ref in ((dg.sigmoid, lambda v: 1 / (1 + np.exp(-v))), (dg.tanh, np.tanh)):
        for data in ([0, 1, -2], [True, False]):
            out = fn(dg.tensor(data))
            assert out.dtype == np.float32
            np.testing.assert_allclose(out.numpy(), ref(np.array(data, dtype=np.float64)),
                                       rtol=1e-6)
