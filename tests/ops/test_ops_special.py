"""Special functions: forward against the standard library (math), closed forms and
identities, float64 gradcheck, and PyTorch (and mpmath, when installed) to float64
precision."""
import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import BINARY, UNARY, check_op, uniform

POSITIVE = uniform(0.1, 4.0)
EULER_GAMMA = 0.5772156649015329


def torch_op(name, *lead, **kwargs):
    """PyTorch's ``name`` (with leading non-tensor arguments), imported only when the
    comparison runs (torch is optional)."""
    def call(*args):
        import torch
        return getattr(torch, name)(*lead, *args, **kwargs)
    return call


def per_element(f):
    return lambda x: np.vectorize(f, otypes=[np.float64])(x)


def f64(values):
    return dg.tensor(np.asarray(values, np.float64))


# ------------------------------------------------------------------ erf family
def test_erf_erfc_against_math():
    check_op(ops.erf, per_element(math.erf), UNARY, make=uniform(-3, 3), torch_fn=torch_op("erf"))
    check_op(ops.erfc, per_element(math.erfc), UNARY, make=uniform(-3, 3),
             torch_fn=torch_op("erfc"))


def test_erf_erfc_to_double_precision_over_the_whole_range():
    x = np.concatenate([np.linspace(-6, 6, 2001), [0.0, 1.0, -1.0, 8.0, 26.0, 27.5, 40.0]])
    np.testing.assert_allclose(ops.erf(f64(x)).numpy(), [math.erf(v) for v in x], rtol=1e-15,
                               atol=1e-300)
    np.testing.assert_allclose(ops.erfc(f64(x)).numpy(), [math.erfc(v) for v in x], rtol=2e-14,
                               atol=1e-300)
    out = ops.erf(f64([np.inf, -np.inf, np.nan])).numpy()
    assert out[0] == 1 and out[1] == -1 and np.isnan(out[2])
    out = ops.erfc(f64([np.inf, -np.inf, np.nan])).numpy()
    assert out[0] == 0 and out[1] == 2 and np.isnan(out[2])


def test_erfinv_inverts_erf():
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 1001), 1 - np.logspace(-15, -1, 40)])
    x = ops.erfinv(f64(y)).numpy()
    np.testing.assert_allclose([math.erf(v) for v in x], y, rtol=2e-15, atol=1e-16)
    tails = 1 - np.logspace(-15, -1, 40)
    xt = ops.erfinv(f64(tails)).numpy()
    np.testing.assert_allclose([math.erfc(v) for v in xt], 1 - tails, rtol=1e-13)
    out = ops.erfinv(f64([1.0, -1.0, 1.5, -2.0, 0.0, np.nan])).numpy()
    assert np.isposinf(out[0]) and np.isneginf(out[1]) and np.isnan(out[2:4]).all()
    assert out[4] == 0 and np.isnan(out[5])


def test_erfinv_op():
    check_op(ops.erfinv, None, UNARY, make=uniform(-0.95, 0.95), torch_fn=torch_op("erfinv"))


# ------------------------------------------------------------------ gamma family
def test_lgamma_against_math():
    check_op(ops.lgamma, per_element(math.lgamma), UNARY, make=uniform(0.1, 6.0),
             torch_fn=torch_op("lgamma"))
    check_op(ops.lgamma, per_element(math.lgamma), UNARY, make=uniform(-2.9, -2.1),
             torch_fn=torch_op("lgamma"))


def test_lgamma_poles_are_inf():
    out = ops.lgamma(f64([0.0, -1.0, -2.0, np.inf, -np.inf])).numpy()
    assert np.isposinf(out).all()
    assert ops.lgamma(dg.tensor([3])).dtype == np.float32


def test_digamma_closed_forms_and_recurrence():
    x = np.linspace(0.05, 30, 600)
    psi = ops.digamma(f64(x)).numpy()
    np.testing.assert_allclose(ops.digamma(f64(x + 1)).numpy() - psi, 1 / x, rtol=1e-12)
    np.testing.assert_allclose(ops.digamma(f64([1.0, 0.5])).numpy(),
                               [-EULER_GAMMA, -EULER_GAMMA - 2 * math.log(2)], rtol=1e-15)
    # reflection: psi(1 - x) - psi(x) = pi cot(pi x)
    xn = np.linspace(-7.9, -0.1, 300) + 0.013
    lhs = ops.digamma(f64(1 - xn)).numpy() - ops.digamma(f64(xn)).numpy()
    np.testing.assert_allclose(lhs, math.pi / np.tan(math.pi * xn), rtol=1e-11, atol=1e-12)


def test_digamma_edges_match_torch_conventions():
    out = ops.digamma(f64([0.0, -0.0, -1.0, -2.0, np.inf, np.nan])).numpy()
    assert np.isneginf(out[0]) and np.isposinf(out[1])
    assert np.isnan(out[2:4]).all() and np.isposinf(out[4]) and np.isnan(out[5])


def test_digamma_op():
    check_op(ops.digamma, None, UNARY, make=uniform(0.2, 5.0), torch_fn=torch_op("digamma"))
    check_op(ops.digamma, None, UNARY, make=uniform(-1.9, -1.1), torch_fn=torch_op("digamma"))


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_recurrence_and_values(n):
    x = np.linspace(0.05, 25, 400)
    p0, p1 = ops.polygamma(n, f64(x)).numpy(), ops.polygamma(n, f64(x + 1)).numpy()
    np.testing.assert_allclose(p1 - p0, (-1) ** n * math.factorial(n) / x ** (n + 1),
                               rtol=1e-12)
    zeta = {1: math.pi ** 2 / 6, 2: 1.2020569031595942, 3: math.pi ** 4 / 90,
            5: math.pi ** 6 / 945}[n]
    # psi^(n)(1) = (-1)^(n+1) n! zeta(n+1)
    np.testing.assert_allclose(ops.polygamma(n, f64([1.0])).numpy(),
                               [(-1) ** (n + 1) * math.factorial(n) * zeta], rtol=1e-14)


@pytest.mark.parametrize("n", [0, 1, 2, 4])
def test_polygamma_op(n):
    check_op(lambda x: ops.polygamma(n, x), None, UNARY, make=uniform(0.3, 4.0),
             torch_fn=torch_op("polygamma", n))
    check_op(lambda x: ops.polygamma(n, x), None, UNARY, make=uniform(-2.8, -2.2),
             torch_fn=torch_op("polygamma", n))


def test_polygamma_poles_and_bad_n():
    assert np.isposinf(ops.polygamma(1, f64([0.0, -2.0])).numpy()).all()
    assert np.isneginf(ops.polygamma(2, f64([0.0, -1.0])).numpy()).all()
    for n in (-1, 1.5, True):
        with pytest.raises(ValueError, match="polygamma"):
            ops.polygamma(n, dg.tensor([1.0]))


def test_special_functions_against_mpmath():
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-20, 40, 300), rng.uniform(1e-4, 3, 100)])
    ref = [float(mp.digamma(v)) for v in x]
    np.testing.assert_allclose(ops.digamma(f64(x)).numpy(), ref, rtol=1e-12, atol=1e-14)
    for n in (1, 3):
        ref = [float(mp.polygamma(n, v)) for v in x]
        np.testing.assert_allclose(ops.polygamma(n, f64(x)).numpy(), ref, rtol=1e-13)
    y = np.concatenate([rng.uniform(-1, 1, 200), 1 - 10 ** rng.uniform(-15, -1, 50)])
    ref = [float(mp.erfinv(v)) for v in y]
    np.testing.assert_allclose(ops.erfinv(f64(y)).numpy(), ref, rtol=2e-15)
    z = rng.uniform(-700, 700, 200)
    ref = [float(mp.besseli(0, v)) for v in z]
    np.testing.assert_allclose(ops.i0(f64(z)).numpy(), ref, rtol=1e-14)
    a, xs = rng.uniform(0.05, 60, 200), rng.uniform(0.01, 100, 200)
    ref = [float(mp.gammainc(ai, 0, xi, regularized=True)) for ai, xi in zip(a, xs)]
    np.testing.assert_allclose(ops.igamma(f64(a), f64(xs)).numpy(), ref, rtol=1e-12, atol=1e-300)
    ref = [float(mp.gammainc(ai, xi, mp.inf, regularized=True)) for ai, xi in zip(a, xs)]
    np.testing.assert_allclose(ops.igammac(f64(a), f64(xs)).numpy(), ref, rtol=1e-12, atol=1e-300)


def test_mvlgamma():
    def ref(x, p):
        return (p * (p - 1) / 4 * math.log(math.pi)
                + sum(np.vectorize(math.lgamma)(x - i / 2) for i in range(p)))
    for p in (1, 2, 3):
        check_op(lambda x: ops.mvlgamma(x, p), lambda x: ref(x, p), UNARY,
                 make=uniform(1.2, 4.0), torch_fn=lambda x: __import__("torch").mvlgamma(x, p))
    with pytest.raises(ValueError, match="p"):
        ops.mvlgamma(dg.tensor([2.5]), 0)


# ------------------------------------------------------------------ Bessel, incomplete gamma
def _i0_series(x):
    term, total, k = 1.0, 1.0, 0
    while term > 1e-18 * total:
        k += 1
        term *= (x * x / 4) / (k * k)
        total += term
    return total


def test_i0():
    check_op(ops.i0, per_element(_i0_series), UNARY, make=uniform(-4, 4), torch_fn=torch_op("i0"))
    x = np.linspace(-45, 45, 301)
    np.testing.assert_allclose(ops.i0(f64(x)).numpy(), [_i0_series(v) for v in x], rtol=5e-15)
    assert np.isposinf(ops.i0(f64([720.0])).numpy()).all()


def _p_integer_a(n, x):
    """P(n, x) = 1 - e^-x sum_{k<n} x^k / k! for an integer n."""
    return 1 - math.exp(-x) * math.fsum(x ** k / math.factorial(k) for k in range(n))


def test_igamma_igammac_closed_form_for_integer_a():
    for n in (1, 2, 5, 12):
        x = np.linspace(0.01, 40, 400)
        want = np.array([_p_integer_a(n, v) for v in x])
        np.testing.assert_allclose(ops.igamma(f64(np.full_like(x, n)), f64(x)).numpy(), want,
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ops.igammac(f64(np.full_like(x, n)), f64(x)).numpy(), 1 - want,
                                   rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("a", [0.5, 1.7, 6.0])
def test_igamma_ops_gradient_in_x(a):
    def torch_fn(name):
        def call(x):
            import torch
            return getattr(torch, name)(torch.full_like(x, a), x)
        return call
    check_op(lambda x: ops.igamma(dg.full(x.shape, a, dtype=x.dtype), x), None, UNARY,
             make=POSITIVE, torch_fn=torch_fn("igamma"))
    check_op(lambda x: ops.igammac(dg.full(x.shape, a, dtype=x.dtype), x), None, UNARY,
             make=POSITIVE, torch_fn=torch_fn("igammac"))


def test_igamma_edges_and_no_gradient_in_a():
    a = f64([0.0, 0.0, -1.0, 1.0, 1.0, np.inf, np.inf, 2.0])
    x = f64([0.0, 1.0, 1.0, -1.0, np.inf, 1.0, np.inf, 0.0])
    p, q = ops.igamma(a, x).numpy(), ops.igammac(a, x).numpy()
    np.testing.assert_array_equal(p, [np.nan, 1, np.nan, np.nan, 1, 0, np.nan, 0])
    np.testing.assert_array_equal(q, [np.nan, 0, np.nan, np.nan, 0, 1, np.nan, 1])
    a = dg.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        ops.igamma(a, dg.tensor([1.0])).sum().backward()


# ------------------------------------------------------------------ sinc, logit, xlogy
def test_sinc():
    check_op(ops.sinc, np.sinc, UNARY, torch_fn=torch_op("sinc"))
    x = dg.tensor([0.0, 0.5], requires_grad=True)
    out = ops.sinc(x)
    out.sum().backward()
    np.testing.assert_allclose(out.numpy(), [1.0, 2 / math.pi], rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, -4 / math.pi], rtol=1e-6)


def test_logit():
    check_op(ops.logit, lambda p: np.log(p / (1 - p)), UNARY, make=uniform(0.05, 0.95),
             torch_fn=torch_op("logit"))
    def clipped_logit(p):
        z = np.clip(p, 0.2, 0.8)
        return np.log(z / (1 - z))
    check_op(lambda p: ops.logit(p, eps=0.2), clipped_logit, UNARY, make=uniform(0.1, 0.9),
             torch_fn=lambda p: __import__("torch").logit(p, eps=0.2))
    x = dg.tensor([0.05, 0.5, 0.95], requires_grad=True)
    ops.logit(x, eps=0.1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 4.0, 0.0])
    x = dg.tensor([-0.05, 0.5, 1.2], requires_grad=True)
    ops.logit(x).sum().backward()
    assert np.isnan(x.grad.numpy()[[0, 2]]).all() and x.grad.numpy()[1] == 4.0
    lo, hi = 1e-6, 1 - 1e-6                     # inputs clamped to [eps, 1 - eps]
    np.testing.assert_allclose(ops.logit(f64([0.0, 1.0]), eps=1e-6).numpy(),
                               [math.log(lo / (1 - lo)), math.log(hi / (1 - hi))], rtol=1e-15)


def test_xlogy():
    check_op(ops.xlogy, lambda x, y: x * np.log(y), BINARY, make=[uniform(), POSITIVE],
             torch_fn=torch_op("xlogy"))
    x = dg.tensor([0.0, 0.0, 2.0, 0.0], requires_grad=True)
    y = dg.tensor([0.0, 3.0, 3.0, np.nan], requires_grad=True)
    out = ops.xlogy(x, y)
    np.testing.assert_allclose(out.numpy(), [0.0, 0.0, 2 * math.log(3), np.nan], rtol=1e-6)
    out[:3].sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:3], [0.0, math.log(3), math.log(3)], rtol=1e-6)
    assert np.isnan(y.grad.numpy()[0])
    np.testing.assert_allclose(y.grad.numpy()[1:3], [0.0, 2 / 3], rtol=1e-6)
    np.testing.assert_allclose(ops.xlogy(2, dg.tensor([3.0])).numpy(), [2 * math.log(3)], rtol=1e-6)
    assert ops.xlogy(dg.tensor([1, 2]), dg.tensor([1, 2])).dtype == np.float32


@pytest.mark.parametrize("fn", [ops.erf, ops.erfc, ops.erfinv, ops.lgamma, ops.digamma,
                                ops.i0, ops.sinc, ops.logit])
def test_float32_stays_float32_and_ints_become_float32(fn):
    assert fn(dg.tensor([0.3, 0.6])).dtype == np.float32
    assert fn(dg.tensor([0.3, 0.6], dtype=dg.float64)).dtype == np.float64
    assert fn(dg.tensor([1, 2])).dtype == np.float32
    assert fn(dg.zeros(0, 2)).shape == (0, 2)
