"""Tensor methods of the pointwise/special/logical/reduction/scan/sort families: each is
its deepgrad.ops function with the tensor first; operators &, |, ^, ~, <<, >>, %, //."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops

X = np.array([[0.3, -0.7, 1.4], [0.9, -0.2, 0.6]], np.float32)

# method name: (call on a tensor, the same through deepgrad.ops)
CALLS = {
    "sin": (lambda t: t.sin(), lambda t: ops.sin(t)),
    "arctan2": (lambda t: t.arctan2(t + 2), lambda t: ops.atan2(t, t + 2)),
    "log1p": (lambda t: t.abs().log1p(), lambda t: ops.log1p(ops.abs(t))),
    "round": (lambda t: t.round(decimals=1), lambda t: ops.round(t, decimals=1)),
    "clamp_min": (lambda t: t.clamp_min(0.0), lambda t: ops.clamp_min(t, 0.0)),
    "lerp": (lambda t: t.lerp(t * 2, 0.3), lambda t: ops.lerp(t, t * 2, 0.3)),
    "float_power": (lambda t: t.float_power(2), lambda t: ops.float_power(t, 2)),
    "polygamma": (lambda t: t.abs().polygamma(1), lambda t: ops.polygamma(1, ops.abs(t))),
    "mvlgamma": (lambda t: (t.abs() + 2).mvlgamma(3), lambda t: ops.mvlgamma(ops.abs(t) + 2, 3)),
    "xlogy": (lambda t: t.xlogy(t.abs()), lambda t: ops.xlogy(t, ops.abs(t))),
    "divide": (lambda t: t.divide(0.3, rounding_mode="floor"),
               lambda t: ops.divide(t, 0.3, rounding_mode="floor")),
    "subtract": (lambda t: t.subtract(t, alpha=2), lambda t: ops.subtract(t, t, alpha=2)),
    "greater": (lambda t: t.greater(0.1), lambda t: ops.greater(t, 0.1)),
    "isclose": (lambda t: t.isclose(t + 1e-7), lambda t: ops.isclose(t, t + 1e-7)),
    "prod": (lambda t: t.prod(1, keepdim=True), lambda t: ops.prod(t, 1, True)),
    "nansum": (lambda t: t.nansum(0), lambda t: ops.nansum(t, 0)),
    "all": (lambda t: t.all(1), lambda t: ops.all(t, 1)),
    "count_nonzero": (lambda t: t.count_nonzero(0), lambda t: ops.count_nonzero(t, 0)),
    "aminmax": (lambda t: t.aminmax(dim=0).max, lambda t: ops.aminmax(t, dim=0).max),
    "cumsum": (lambda t: t.cumsum(1), lambda t: ops.cumsum(t, 1)),
    "cummax": (lambda t: t.cummax(0).indices, lambda t: ops.cummax(t, 0).indices),
    "logcumsumexp": (lambda t: t.logcumsumexp(1), lambda t: ops.logcumsumexp(t, 1)),
    "diff": (lambda t: t.diff(dim=0), lambda t: ops.diff(t, dim=0)),
    "sort": (lambda t: t.sort(descending=True).values, lambda t: ops.sort(t, -1, True).values),
    "topk": (lambda t: t.topk(2).indices, lambda t: ops.topk(t, 2).indices),
    "kthvalue": (lambda t: t.kthvalue(2, 0).values, lambda t: ops.kthvalue(t, 2, 0).values),
    "median": (lambda t: t.median(), lambda t: ops.median(t)),
    "quantile": (lambda t: t.quantile(0.4, dim=1), lambda t: ops.quantile(t, 0.4, 1)),
    "unique": (lambda t: t.unique(), lambda t: ops.unique(t)),
    "histc": (lambda t: t.histc(4), lambda t: ops.histc(t, 4)),
    "bincount": (lambda t: (t > 0).long().flatten().bincount(),
                 lambda t: ops.bincount((t > 0).long().flatten())),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_method_is_the_ops_function(name):
    method, function = CALLS[name]
    np.testing.assert_array_equal(method(dg.tensor(X)).numpy(), function(dg.tensor(X)).numpy())


def test_methods_are_differentiable():
    x = dg.tensor(X, dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda t: t.sin().cumprod(1).erf().sort(0).values.prod(), [x])
    assert dg.gradcheck(lambda t: t.logaddexp(t * 2).hypot(t).median(1).values, [x])


def test_bitwise_and_arithmetic_operators():
    a, b = dg.tensor([12, 7, -3]), dg.tensor([10, 3, 5])
    an, bn = a.numpy(), b.numpy()
    np.testing.assert_array_equal((a & b).numpy(), an & bn)
    np.testing.assert_array_equal((a | b).numpy(), an | bn)
    np.testing.assert_array_equal((a ^ b).numpy(), an ^ bn)
    np.testing.assert_array_equal((~a).numpy(), ~an)
    np.testing.assert_array_equal((a << 2).numpy(), an << 2)
    np.testing.assert_array_equal((a >> 1).numpy(), an >> 1)
    np.testing.assert_array_equal((6 & a).numpy(), 6 & an)
    np.testing.assert_array_equal((6 | a).numpy(), 6 | an)
    np.testing.assert_array_equal((6 ^ a).numpy(), 6 ^ an)
    np.testing.assert_array_equal((1 << b).numpy(), 1 << bn)
    np.testing.assert_array_equal((64 >> b).numpy(), 64 >> bn)
    np.testing.assert_array_equal((a % 5).numpy(), an % 5)
    np.testing.assert_array_equal((17 % b).numpy(), 17 % bn)
    np.testing.assert_array_equal((a // 2).numpy(), an // 2)
    np.testing.assert_array_equal((17 // b).numpy(), 17 // bn)
    m1, m2 = dg.tensor([True, False, True]), dg.tensor([True, True, False])
    np.testing.assert_array_equal((m1 & m2).numpy(), [True, False, False])
    np.testing.assert_array_equal((~m1).numpy(), [False, True, False])
    x = dg.tensor([7.5, -7.5], requires_grad=True)
    (x % 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


METHODS = """
sin cos tan asin acos atan sinh cosh asinh acosh atanh arcsin arccos arctan arcsinh arccosh
arctanh atan2 arctan2 deg2rad rad2deg exp2 expm1 log2 log10 log1p reciprocal rsqrt square floor
ceil trunc fix round frac sign sgn signbit nan_to_num clamp_min clamp_max hypot logaddexp
logaddexp2 lerp copysign nextafter heaviside ldexp frexp float_power fmax fmin addcmul addcdiv
erf erfc erfinv lgamma digamma polygamma mvlgamma i0 igamma igammac sinc logit xlogy divide
true_divide floor_divide fmod remainder gcd lcm multiply subtract negative positive absolute
greater greater_equal less less_equal not_equal logical_and logical_or logical_xor logical_not
bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift isclose
allclose equal isnan isinf isfinite isposinf isneginf isreal prod nansum nanmean all any
count_nonzero aminmax cumsum cumprod cummax cummin logcumsumexp diff sort argsort msort topk
kthvalue median nanmedian mode quantile nanquantile unique unique_consecutive histc histogram
bincount
""".split()
INPLACE = [n + "_" for n in METHODS if n not in (
    "signbit", "fmax", "fmin", "frexp", "logaddexp", "logaddexp2", "positive", "isclose",
    "allclose", "equal", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "prod",
    "nansum", "nanmean", "all", "any", "count_nonzero", "aminmax", "cummax", "cummin",
    "logcumsumexp", "diff", "sort", "argsort", "msort", "topk", "kthvalue", "median",
    "nanmedian", "mode", "quantile", "nanquantile", "unique", "unique_consecutive", "histc",
    "histogram", "bincount")]


def test_every_method_and_inplace_form_exists():
    missing = [n for n in METHODS + INPLACE if not callable(getattr(dg.Tensor, n, None))]
    assert not missing, f"Tensor lacks {missing}"


def test_the_method_list_is_torchs():
    torch = pytest.importorskip("torch")
    assert [n for n in METHODS + INPLACE if not hasattr(torch.Tensor, n)] == []
