"""Pointwise math (exp/log variants, powers, rounding, signs, two-operand ufuncs, clamp
with tensor bounds): forward vs NumPy, float64 gradcheck, torch, dtypes and edge cases."""
import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import BINARY, UNARY, away_from, check_op, uniform

POSITIVE = uniform(0.2, 3.0)
INTEGERS = [-2.0, -1.0, 0.0, 1.0, 2.0]
HALVES = [-1.5, -0.5, 0.5, 1.5]
TERNARY = [((), (), ()), ((2, 3), (2, 3), (2, 3)), ((3,), (2, 3), ()), ((2, 1), (1, 3), (2, 3))]


def torch_op(name, **kwargs):
    """PyTorch's ``name``, imported only when the comparison runs (torch is optional)."""
    def call(*args):
        import torch
        return getattr(torch, name)(*args, **kwargs)
    return call


# ------------------------------------------------------------------ exp / log / powers
@pytest.mark.parametrize("fn, ref, make, tname", [
    (ops.exp2, np.exp2, None, "exp2"),
    (ops.expm1, np.expm1, None, "expm1"),
    (ops.log2, np.log2, POSITIVE, "log2"),
    (ops.log10, np.log10, POSITIVE, "log10"),
    (ops.log1p, np.log1p, uniform(-0.8, 2.0), "log1p"),
    (ops.reciprocal, np.reciprocal, away_from([0.0], gap=0.3), "reciprocal"),
    (ops.rsqrt, lambda x: 1 / np.sqrt(x), POSITIVE, "rsqrt"),
    (ops.square, np.square, None, "square"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_exp_log_family(fn, ref, make, tname):
    check_op(fn, ref, UNARY, make=make, torch_fn=torch_op(tname))


def test_expm1_log1p_are_accurate_near_zero():
    x = dg.tensor([1e-10, -1e-12], dtype=dg.float64)
    np.testing.assert_allclose(ops.expm1(x).numpy(), [math.expm1(1e-10), math.expm1(-1e-12)],
                               rtol=1e-15)
    np.testing.assert_allclose(ops.log1p(x).numpy(), [math.log1p(1e-10), math.log1p(-1e-12)],
                               rtol=1e-15)


def test_reciprocal_rsqrt_edges():
    assert np.isposinf(ops.reciprocal(dg.tensor([0.0])).numpy()).all()
    out = ops.rsqrt(dg.tensor([0.0, -1.0])).numpy()
    assert np.isposinf(out[0]) and np.isnan(out[1])


def test_dtypes_of_integer_inputs():
    i = dg.tensor([1, 2, 3])
    assert ops.exp2(i).dtype == np.float32 and ops.reciprocal(i).dtype == np.float32
    assert ops.square(i).dtype == np.int64 and ops.square(dg.tensor([True])).dtype == np.int64
    assert ops.floor(i).dtype == np.int64 and ops.sign(i).dtype == np.int64
    assert ops.sign(dg.tensor([True, False])).dtype == np.bool_
    for fn in (ops.exp, ops.log, ops.sqrt):          # never float64 (NumPy) or float16 (bool)
        assert fn(i).dtype == np.float32 and fn(dg.tensor([True])).dtype == np.float32


# ------------------------------------------------------------------ rounding and signs
@pytest.mark.parametrize("fn, ref, points, tname", [
    (ops.floor, np.floor, INTEGERS, "floor"),
    (ops.ceil, np.ceil, INTEGERS, "ceil"),
    (ops.trunc, np.trunc, INTEGERS, "trunc"),
    (ops.fix, np.trunc, INTEGERS, "fix"),
    (ops.round, np.round, HALVES, "round"),
    (ops.frac, lambda x: x - np.trunc(x), INTEGERS, "frac"),
    (ops.sign, np.sign, [0.0], "sign"),
    (ops.sgn, np.sign, [0.0], "sign"),     # torch.sgn hands back a ZeroTensor gradient
], ids=lambda v: v if isinstance(v, str) else "")
def test_rounding_and_signs(fn, ref, points, tname):
    check_op(fn, ref, UNARY, make=away_from(points, low=-2.4, high=2.4), torch_fn=torch_op(tname))


def test_round_halves_to_even_and_decimals():
    x = dg.tensor([0.5, 1.5, 2.5, -0.5, -2.5])
    np.testing.assert_array_equal(ops.round(x).numpy(), [0.0, 2.0, 2.0, -0.0, -2.0])
    y = dg.tensor([1.2345, 2.5, -0.125], dtype=dg.float64)
    np.testing.assert_allclose(ops.round(y, decimals=2).numpy(), [1.23, 2.5, -0.12])
    np.testing.assert_array_equal(ops.round(dg.tensor([1234.5, 250.0]), decimals=-2).numpy(),
                                  [1200.0, 200.0])


@pytest.mark.parametrize("decimals", [1, 2, -1])
def test_round_decimals_against_torch(decimals):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).uniform(-50, 50, 200)
    for dt, tdt in ((np.float32, torch.float32), (np.float64, torch.float64)):
        out = ops.round(dg.tensor(x.astype(dt)), decimals=decimals).numpy()
        want = torch.round(torch.tensor(x.astype(dt), dtype=tdt), decimals=decimals).numpy()
        np.testing.assert_array_equal(out, want)


def test_rounding_has_zero_gradient():
    x = dg.tensor([0.3, 1.7, -2.2], requires_grad=True)
    (ops.floor(x) + ops.ceil(x) + ops.round(x) + ops.trunc(x) + ops.sign(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_rounding_refuses_bool_and_decimals_on_ints():
    with pytest.raises(TypeError, match="floor"):
        ops.floor(dg.tensor([True]))
    with pytest.raises(TypeError, match="decimals"):
        ops.round(dg.tensor([1, 2]), decimals=1)
    with pytest.raises(TypeError, match="frac"):
        ops.frac(dg.tensor([1, 2]))


def test_integer_rounding_is_a_copy():
    i = dg.tensor([1, -2])
    out = ops.round(i)
    np.testing.assert_array_equal(out.numpy(), [1, -2])
    assert out.array is not i.array


def test_sign_of_nan_is_zero_and_signbit():
    np.testing.assert_array_equal(ops.sign(dg.tensor([np.nan, -3.0, 0.0])).numpy(), [0, -1, 0])
    np.testing.assert_array_equal(ops.signbit(dg.tensor([-0.0, 0.0, -1.0, 2.0])).numpy(),
                                  [True, False, True, False])
    assert ops.signbit(dg.tensor([1, -1])).dtype == np.bool_


def test_nan_to_num():
    x = dg.tensor([np.nan, np.inf, -np.inf, 2.0], requires_grad=True)
    out = ops.nan_to_num(x)
    f32 = np.finfo(np.float32)
    np.testing.assert_array_equal(out.numpy(), [0.0, f32.max, f32.min, 2.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 1])   # 1 where finite
    out = ops.nan_to_num(dg.tensor([np.nan, np.inf, -np.inf]), nan=1.0, posinf=5.0, neginf=-5.0)
    np.testing.assert_array_equal(out.numpy(), [1.0, 5.0, -5.0])
    check_op(ops.nan_to_num, np.nan_to_num, UNARY, torch_fn=torch_op("nan_to_num"))


# ------------------------------------------------------------------ clamp
def test_clamp_min_max_scalars():
    make = away_from([-0.5, 0.5])
    check_op(lambda x: ops.clamp_min(x, -0.5), lambda x: np.maximum(x, -0.5), UNARY, make=make,
             torch_fn=lambda x: __import__("torch").clamp_min(x, -0.5))
    check_op(lambda x: ops.clamp_max(x, 0.5), lambda x: np.minimum(x, 0.5), UNARY, make=make,
             torch_fn=lambda x: __import__("torch").clamp_max(x, 0.5))


def _bounds(rng, shape):
    return rng.uniform(-1.0, 1.0, shape)


def test_clamp_with_tensor_bounds_gives_gradients_to_the_bounds():
    # x, lo, hi drawn independently: lo > hi happens, where max wins (as PyTorch)
    cases = [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()), ((4,), (), (4,))]
    check_op(lambda x, lo, hi: ops.clamp(x, lo, hi),
             lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi), cases,
             make=[uniform(-2, 2), _bounds, _bounds], torch_fn=torch_op("clamp"))
    check_op(lambda x, lo: ops.clamp(x, min=lo), np.maximum, BINARY, torch_fn=torch_op("clamp_min"))
    check_op(lambda x, hi: ops.clamp_max(x, hi), np.minimum, BINARY, torch_fn=torch_op("clamp_max"))


def test_clamp_dtypes_and_errors():
    assert ops.clamp(dg.tensor([1, 5]), 1.5).dtype == np.float32
    assert ops.clamp(dg.tensor([1, 5]), 2).dtype == np.int64
    np.testing.assert_array_equal(ops.clamp(dg.tensor([1.0, 5.0]), 3, 2).numpy(), [2.0, 2.0])
    with pytest.raises(ValueError, match="min and max"):
        ops.clamp(dg.tensor([1.0]))


# ------------------------------------------------------------------ two operands
@pytest.mark.parametrize("fn, ref, make, tname", [
    (ops.hypot, np.hypot, away_from([0.0], gap=0.2), "hypot"),
    (ops.logaddexp, np.logaddexp, None, "logaddexp"),
    (ops.logaddexp2, np.logaddexp2, None, "logaddexp2"),
    (ops.copysign, np.copysign, away_from([0.0], gap=0.1), "copysign"),
    (ops.nextafter, np.nextafter, None, "nextafter"),
    (ops.fmax, np.fmax, None, "fmax"),
    (ops.fmin, np.fmin, None, "fmin"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_two_operand(fn, ref, make, tname):
    check_op(fn, ref, BINARY, make=make, torch_fn=torch_op(tname))


def test_logaddexp_is_stable():
    out = ops.logaddexp(dg.tensor([1000.0, -1000.0]), dg.tensor([1000.0, -1000.0])).numpy()
    np.testing.assert_allclose(out, [1000 + np.log(2), -1000 + np.log(2)])


def test_fmax_fmin_ignore_nan_and_ties_go_to_input():
    a = dg.tensor([1.0, np.nan, 2.0, np.nan], requires_grad=True)
    b = dg.tensor([np.nan, 3.0, 2.0, np.nan], requires_grad=True)
    out = ops.fmax(a, b)
    np.testing.assert_array_equal(out.numpy(), [1.0, 3.0, 2.0, np.nan])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 0, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [0, 1, 0, 0])
    np.testing.assert_array_equal(ops.fmin(dg.tensor([1, 5]), dg.tensor([2, 2])).numpy(), [1, 2])


def test_copysign_gradient_at_zero_and_int_promotion():
    a = dg.tensor([-3.5, 0.0, 4.0], requires_grad=True)
    b = dg.tensor([2.0, 3.0, -1.0], requires_grad=True)
    ops.copysign(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [-1.0, 0.0, -1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0, 0.0])
    assert ops.copysign(dg.tensor([1, 2]), -1).dtype == np.float32


def test_lerp():
    check_op(ops.lerp, lambda a, b, w: a + w * (b - a), TERNARY,
             make=[uniform(), uniform(), uniform(-0.5, 1.5)], torch_fn=torch_op("lerp"))
    check_op(lambda a, b: ops.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a), BINARY,
             torch_fn=lambda a, b: __import__("torch").lerp(a, b, 0.3))
    a, b = dg.tensor([1.0, -2.0]), dg.tensor([3.0, 7.0])
    np.testing.assert_array_equal(ops.lerp(a, b, 1.0).numpy(), b.numpy())   # exact at w = 1
    with pytest.raises(TypeError, match="lerp"):
        ops.lerp(dg.tensor([1, 2]), dg.tensor([1, 2]), 0.5)
    with pytest.raises(TypeError, match="weight"):
        ops.lerp(a, b, dg.tensor([0.5], dtype=dg.float64))


def test_heaviside():
    x = dg.tensor([-1.0, 0.0, 2.0, np.nan, -0.0])
    np.testing.assert_array_equal(ops.heaviside(x, dg.tensor([0.5])).numpy(),
                                  [0.0, 0.5, 1.0, 0.0, 0.5])     # NaN gives 0, as PyTorch
    check_op(ops.heaviside, np.heaviside, BINARY, grad=False)
    with pytest.raises(TypeError, match="one dtype"):
        ops.heaviside(dg.tensor([1, 2]), dg.tensor([0.5]))
    y = dg.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="heaviside"):
        ops.heaviside(y, dg.tensor([0.5])).sum().backward()


def test_ldexp():
    check_op(lambda x, e: ops.ldexp(x, e), lambda x, e: x * 2.0 ** e, BINARY,
             torch_fn=torch_op("ldexp"))
    out = ops.ldexp(dg.tensor([1.0, 3.0]), dg.tensor([3, -1]))
    np.testing.assert_array_equal(out.numpy(), [8.0, 1.5])
    assert ops.ldexp(dg.tensor([1]), dg.tensor([3])).dtype == np.float32


def test_frexp():
    check_op(ops.frexp, np.frexp, UNARY, make=uniform(1.05, 1.95),
             torch_fn=lambda x: tuple(__import__("torch").frexp(x)))
    m, e = ops.frexp(dg.tensor([8.0, 0.3, 0.0, -3.0]))
    assert e.dtype == np.int32
    np.testing.assert_array_equal(m.numpy(), np.float32([0.5, 0.6, 0.0, -0.75]))
    np.testing.assert_array_equal(e.numpy(), [4, -1, 0, 2])
    assert ops.frexp(dg.tensor([2.0])).mantissa is not None
    with pytest.raises(TypeError, match="frexp"):
        ops.frexp(dg.tensor([1]))


def test_float_power_is_float64_and_differentiable():
    a = dg.tensor([1.5, 2.0], requires_grad=True)
    b = dg.tensor([2.0, 0.5], requires_grad=True)
    out = ops.float_power(a, b)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), np.float64([1.5, 2.0]) ** np.float64([2.0, 0.5]))
    out.sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 0.5 * 2.0 ** -0.5], rtol=1e-6)
    assert ops.float_power(dg.tensor([2]), 2).dtype == np.float64
    x = [dg.tensor(v, dtype=dg.float64, requires_grad=True) for v in ([1.5, 0.7], [2.5, -1.0])]
    assert dg.gradcheck(ops.float_power, x)


def test_addcmul_addcdiv():
    check_op(lambda a, b, c: ops.addcmul(a, b, c, value=0.5), lambda a, b, c: a + 0.5 * b * c,
             TERNARY, torch_fn=lambda a, b, c: __import__("torch").addcmul(a, b, c, value=0.5))
    check_op(lambda a, b, c: ops.addcdiv(a, b, c, value=2), lambda a, b, c: a + 2 * b / c,
             TERNARY, make=[uniform(), uniform(), away_from([0.0], gap=0.3)],
             torch_fn=lambda a, b, c: __import__("torch").addcdiv(a, b, c, value=2))
    check_op(ops.addcmul, lambda a, b, c: a + b * c, TERNARY)
    with pytest.raises(TypeError, match="integer division"):
        ops.addcdiv(dg.tensor([1]), dg.tensor([1]), dg.tensor([2]))


# ------------------------------------------------------------------ elementwise aliases
def test_aliases_and_alpha():
    check_op(lambda a, b: ops.subtract(a, b, alpha=2.5), lambda a, b: a - 2.5 * b, BINARY,
             torch_fn=lambda a, b: __import__("torch").subtract(a, b, alpha=2.5))
    check_op(lambda a, b: ops.add(a, b, alpha=-3), lambda a, b: a - 3 * b, BINARY,
             torch_fn=lambda a, b: __import__("torch").add(a, b, alpha=-3))
    check_op(ops.multiply, np.multiply, BINARY, torch_fn=torch_op("multiply"))
    check_op(ops.negative, np.negative, UNARY, torch_fn=torch_op("negative"))
    check_op(ops.absolute, np.abs, UNARY, make=away_from([0.0]), torch_fn=torch_op("absolute"))
    x = dg.tensor([1.0])
    assert ops.positive(x) is x
    with pytest.raises(TypeError, match="alpha"):
        ops.subtract(dg.tensor([3]), 2, alpha=0.5)
    for fn in (ops.negative, ops.positive, ops.absolute):
        with pytest.raises(TypeError, match="bool"):
            fn(dg.tensor([True]))


def test_true_division_of_integers_is_float32():
    out = ops.div(dg.tensor([1, 2]), dg.tensor([2, 2]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [0.5, 1.0])


def test_rsub():
    check_op(lambda a, b: ops.rsub(a, b, alpha=2), lambda a, b: b - 2 * a, BINARY,
             torch_fn=lambda a, b: __import__("torch").rsub(a, b, alpha=2))
    np.testing.assert_array_equal(ops.rsub(dg.tensor([1.0, 2.0]), 5).numpy(), [4.0, 3.0])
