"""Elementwise ops and the Tensor operators built on them: forward vs NumPy, float64 gradcheck."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import BINARY, UNARY, away_from, check_op, uniform

POSITIVE = uniform(0.5, 2.0)
NONZERO = away_from([0.0], gap=0.3)


# ----------------------------------------------------------------- binary arithmetic
@pytest.mark.parametrize("fn, ref, make", [
    (ops.add, np.add, None),
    (ops.sub, np.subtract, None),
    (ops.mul, np.multiply, None),
    (ops.div, np.divide, NONZERO),
    (ops.maximum, np.maximum, None),
    (ops.minimum, np.minimum, None),
    (ops.pow, np.power, POSITIVE),
], ids=lambda v: getattr(v, "__name__", ""))
def test_binary(fn, ref, make):
    check_op(fn, ref, BINARY, make=make)


@pytest.mark.parametrize("fn, ref, make", [
    (lambda a, b: a + b, np.add, None),
    (lambda a, b: a - b, np.subtract, None),
    (lambda a, b: a * b, np.multiply, None),
    (lambda a, b: a / b, np.divide, NONZERO),
    (lambda a, b: a ** b, np.power, POSITIVE),
], ids=["+", "-", "*", "/", "**"])
def test_binary_operators(fn, ref, make):
    check_op(fn, ref, BINARY, make=make)


@pytest.mark.parametrize("fn, ref", [
    (lambda x: x + 2, lambda x: x + 2), (lambda x: 2 + x, lambda x: 2 + x),
    (lambda x: x - 2.5, lambda x: x - 2.5), (lambda x: 2.5 - x, lambda x: 2.5 - x),
    (lambda x: x * 3, lambda x: x * 3), (lambda x: 3 * x, lambda x: 3 * x),
    (lambda x: x / 4, lambda x: x / 4), (lambda x: 4 / x, lambda x: 4 / x),
    (lambda x: x ** 2, lambda x: x ** 2), (lambda x: x ** 3, lambda x: x ** 3),
    (lambda x: x ** -1.5, lambda x: x ** -1.5), (lambda x: 2 ** x, lambda x: 2 ** x),
    (lambda x: x ** 0.5, np.sqrt), (lambda x: -x, np.negative), (lambda x: +x, lambda x: x),
    (lambda x: abs(x), np.abs),
], ids=["x+2", "2+x", "x-s", "s-x", "x*3", "3*x", "x/4", "4/x", "x**2", "x**3", "x**-1.5",
        "2**x", "x**.5", "-x", "+x", "abs"])
def test_operators_with_python_scalars_on_both_sides(fn, ref):
    check_op(fn, ref, UNARY, make=uniform(0.5, 2.0))


def test_integer_power_of_negative_base():
    check_op(lambda x: x ** 3, lambda x: x ** 3, UNARY, make=away_from([0.0]))
    check_op(lambda x: x ** 2, lambda x: x ** 2, UNARY, make=away_from([0.0]))


def test_pow_with_zero_exponent_has_zero_gradient_at_zero():
    # d/dx x^0 = 0 everywhere (PyTorch masks exponent == 0), not 0 * 0^-1 = nan
    x = dg.tensor([0.0, 1.5], requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, 0.0])


def test_pow_exponent_gradient_is_zero_for_nonpositive_base():
    b = dg.tensor(2.0, requires_grad=True)
    a = dg.tensor([-1.0, 0.0, 2.0])
    (a ** b).sum().backward()
    np.testing.assert_allclose(b.grad.array, 4.0 * np.log(2.0), rtol=1e-6)


# ----------------------------------------------------------------- unary math
@pytest.mark.parametrize("fn, ref, make", [
    (ops.neg, np.negative, None),
    (ops.exp, np.exp, None),
    (ops.log, np.log, POSITIVE),
    (ops.sqrt, np.sqrt, POSITIVE),
    (ops.abs, np.abs, away_from([0.0])),
    (ops.clone, np.copy, None),
], ids=lambda v: getattr(v, "__name__", ""))
def test_unary(fn, ref, make):
    check_op(fn, ref, UNARY, make=make)


@pytest.mark.parametrize("method, ref, make", [
    ("exp", np.exp, None), ("log", np.log, POSITIVE), ("sqrt", np.sqrt, POSITIVE),
    ("abs", np.abs, away_from([0.0])), ("neg", np.negative, None), ("clone", np.copy, None),
])
def test_unary_tensor_methods(method, ref, make):
    check_op(lambda x: getattr(x, method)(), ref, UNARY, make=make)


def test_abs_gradient_at_zero_is_zero():
    x = dg.tensor([0.0, -2.0, 3.0], requires_grad=True)
    ops.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, -1.0, 1.0])


@pytest.mark.parametrize("lo, hi", [(-0.5, 0.7), (-0.5, None), (None, 0.7)])
def test_clip(lo, hi):
    make = away_from([v for v in (lo, hi) if v is not None])
    check_op(lambda x: ops.clip(x, lo, hi), lambda x: np.clip(x, lo, hi), UNARY, make=make)
    check_op(lambda x: ops.clamp(x, min=lo, max=hi), lambda x: np.clip(x, lo, hi), UNARY,
             make=make)
    check_op(lambda x: x.clamp(lo, hi), lambda x: np.clip(x, lo, hi), UNARY, make=make)


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="at least one of min and max"):
        ops.clip(dg.ones(2), None, None)


def test_maximum_splits_the_gradient_at_ties():
    a = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = dg.tensor([1.0, 5.0, 0.0], requires_grad=True)
    ops.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.array, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.array, [0.5, 1.0, 0.0])


def test_maximum_and_minimum_tensor_methods():
    check_op(lambda a, b: a.maximum(b), np.maximum, BINARY)
    check_op(lambda a, b: a.minimum(b), np.minimum, BINARY)
    check_op(lambda a, b: a.max(b), np.maximum, [((2, 3), (3,))])
    check_op(lambda a, b: a.min(b), np.minimum, [((2, 3), (3,))])


# ----------------------------------------------------------------- where, cast
@pytest.mark.parametrize("case", BINARY)
def test_where(case):
    cond_shape = np.broadcast_shapes(*case)
    cond = np.random.default_rng(3).random(cond_shape) > 0.5
    check_op(lambda a, b: ops.where(dg.tensor(cond), a, b),
             lambda a, b: np.where(cond, a, b), [case])


def test_where_with_python_scalars():
    cond = dg.tensor([True, False, True])
    x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    np.testing.assert_array_equal(ops.where(cond, x, 0.0).array, [1.0, 0.0, 3.0])
    out = ops.where(cond, 1.0, 0.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.array, [1.0, 0.0, 1.0])


def test_where_needs_a_bool_condition():
    with pytest.raises(TypeError, match="condition must be a bool tensor"):
        ops.where(dg.tensor([1, 0]), dg.ones(2), dg.zeros(2))


def test_cast_between_float_dtypes_carries_the_gradient_back():
    x = dg.tensor([1.0, 2.0], requires_grad=True)           # float32
    y = ops.cast(x, np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.array, [2.0, 4.0])
    check_op(lambda x: ops.cast(ops.cast(x, np.float64), x.dtype), lambda x: x, UNARY)


def test_cast_to_the_same_dtype_is_identity_and_to_int_is_detached():
    x = dg.tensor([1.5, -2.5], requires_grad=True)
    assert ops.cast(x, np.float32) is x
    i = x.long()
    assert i.dtype == np.int64 and not i.requires_grad
    np.testing.assert_array_equal(i.array, [1, -2])


# ----------------------------------------------------------------- comparisons
@pytest.mark.parametrize("fn, ref", [
    (ops.eq, np.equal), (ops.ne, np.not_equal), (ops.lt, np.less),
    (ops.le, np.less_equal), (ops.gt, np.greater), (ops.ge, np.greater_equal),
    (lambda a, b: a == b, np.equal), (lambda a, b: a != b, np.not_equal),
    (lambda a, b: a < b, np.less), (lambda a, b: a <= b, np.less_equal),
    (lambda a, b: a > b, np.greater), (lambda a, b: a >= b, np.greater_equal),
])
def test_comparisons(fn, ref):
    # a grid of a few values so that equality actually happens
    check_op(fn, ref, BINARY, grad=False, make=lambda rng, s: rng.integers(-1, 2, s) * 0.5)


def test_comparisons_with_python_scalars_and_no_graph():
    x = dg.tensor([0.0, 1.0, 2.0], requires_grad=True)
    for out, expect in [(x > 1, [False, False, True]), (1 < x, [False, False, True]),
                        (x == 1.0, [False, True, False]), (x <= 1, [True, True, False])]:
        assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.array, expect)


# ----------------------------------------------------------------- dtype rules
def test_python_scalars_keep_the_tensor_dtype():
    x = dg.tensor([1.0, 2.0])
    for y in (x * 2, 2 * x, x + 0.5, 0.5 - x, x / 3, 3 / x, x ** 2, 2 ** x, x * np.float64(2)):
        assert y.dtype == np.float32


def test_integer_tensor_times_float_tensor_keeps_the_float_dtype():
    # PyTorch's category rule: int64 (op) float32 -> float32, never float64
    x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    n = dg.tensor([1, 2, 3])
    for y in (x * n, n * x, x + n, x / n, n - x, ops.where(x > 1, x, n)):
        assert y.dtype == np.float32
    (x * n).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.array, [1.0, 2.0, 3.0])


def test_mixing_float32_and_float64_tensors_raises():
    a = dg.ones(3)
    b = dg.ones(3, dtype=np.float64)
    for fn in (ops.add, ops.sub, ops.mul, ops.div, ops.pow, ops.maximum, ops.minimum):
        with pytest.raises(TypeError, match="never upcasts silently"):
            fn(a, b)
    with pytest.raises(TypeError, match="float32 and float64"):
        a * b


def test_elementwise_ops_match_torch():
    torch = pytest.importorskip("torch")
    cases = [((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 2))]
    check_op(ops.div, np.divide, cases, make=NONZERO, torch_fn=torch.div)
    check_op(ops.pow, np.power, cases, make=POSITIVE, torch_fn=torch.pow)
    check_op(ops.maximum, np.maximum, cases, torch_fn=torch.maximum)
    check_op(ops.minimum, np.minimum, cases, torch_fn=torch.minimum)
    check_op(ops.log, np.log, UNARY, make=POSITIVE, torch_fn=torch.log)
    check_op(ops.sqrt, np.sqrt, UNARY, make=POSITIVE, torch_fn=torch.sqrt)
    check_op(lambda x: ops.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), UNARY,
             make=away_from([-0.5, 0.7]), torch_fn=lambda x: torch.clamp(x, -0.5, 0.7))


def test_ieee_special_values_come_back_silently_as_in_pytorch():
    """log 0 = -inf, 1/0 = inf, 0/0 = nan, sqrt(-1) = nan, e^1000 = inf: no NumPy warnings."""
    import warnings
    import deepgrad as dg
    cases = [(lambda: dg.log(dg.tensor([0.0])), -np.inf),
             (lambda: dg.tensor([1.0]) / dg.tensor([0.0]), np.inf),
             (lambda: dg.tensor([0.0]) / dg.tensor([0.0]), np.nan),
             (lambda: dg.sqrt(dg.tensor([-1.0])), np.nan),
             (lambda: dg.tensor([0.0]) ** -1, np.inf),
             (lambda: dg.exp(dg.tensor([1000.0])), np.inf),
             (lambda: dg.log2(dg.tensor([0.0])), -np.inf),
             (lambda: dg.log1p(dg.tensor([-1.0])), -np.inf)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for make, expected in cases:
            np.testing.assert_equal(make().numpy(), np.array([expected], np.float32))
        x = dg.tensor([0.0], requires_grad=True)
        dg.log(x).sum().backward()                       # d/dx log x at 0 = inf
        np.testing.assert_equal(x.grad.numpy(), [np.inf])
