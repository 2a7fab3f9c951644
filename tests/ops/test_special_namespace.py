"""deepgrad.special (torch.special's names): erfcx, ndtr, ndtri, log_ndtr, i1, i0e, i1e,
entr, xlog1py, zeta and the aliases; forward vs the standard library and closed forms,
float64 gradcheck, PyTorch and mpmath when installed."""
import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import special
from op_harness import BINARY, UNARY, check_op, uniform


def torch_special(name, *lead):
    def call(*args):
        import torch
        return getattr(torch.special, name)(*lead, *args)
    return call


def f64(values):
    return dg.tensor(np.asarray(values, np.float64))


def per_element(f):
    return lambda x: np.vectorize(f, otypes=[np.float64])(x)


def _ndtr(v):
    return 0.5 * math.erfc(-v / math.sqrt(2))


@pytest.mark.parametrize("name, ref, make", [
    ("erfcx", per_element(lambda v: math.exp(v * v) * math.erfc(v)), uniform(-2, 4)),
    ("ndtr", per_element(_ndtr), uniform(-3, 3)),
    ("log_ndtr", per_element(lambda v: math.log(_ndtr(v))), uniform(-5, 3)),
    ("ndtri", None, uniform(0.02, 0.98)),
    ("i1", None, uniform(-4, 4)),
    ("i0e", None, uniform(-4, 4)),
    ("i1e", None, uniform(-4, 4)),
    ("entr", per_element(lambda v: -v * math.log(v)), uniform(0.1, 3)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_unary(name, ref, make):
    check_op(getattr(special, name), ref, UNARY, make=make, torch_fn=torch_special(name))


def test_ndtri_inverts_ndtr_into_the_tails():
    p = np.concatenate([np.logspace(-300, -1, 60), np.linspace(0.05, 0.95, 19)])
    x = special.ndtri(f64(p)).numpy()
    # ndtr amplifies a relative error e in x into about (1 + x^2) e in p
    back = np.array([_ndtr(v) for v in x])
    assert np.all(np.abs(back - p) <= p * (1 + x * x) * 1e-15 + 1e-300)
    out = special.ndtri(f64([0.0, 1.0, 1.5, np.nan])).numpy()
    assert np.isneginf(out[0]) and np.isposinf(out[1]) and np.isnan(out[2:]).all()


def test_erfcx_and_log_ndtr_far_out():
    def continued_fraction(v, depth=400):
        """erfcx(v) = (1/sqrt(pi)) / (v + (1/2) / (v + 1 / (v + (3/2) / (v + ...))))."""
        acc = v
        for k in range(depth, 0, -1):
            acc = v + (k / 2) / acc
        return 1 / (math.sqrt(math.pi) * acc)
    x = np.array([30.0, 49.9, 50.0, 100.0, 1e4, 1e8])
    np.testing.assert_allclose(special.erfcx(f64(x)).numpy(),
                               [continued_fraction(v) for v in x], rtol=2e-15)
    assert np.isposinf(special.erfcx(f64([-30.0])).numpy()).all()
    # ln Phi(x) ~ -x^2/2 - ln(-x) - ln(2 pi)/2 for x -> -inf
    x = np.array([-1e3, -1e5])
    want = -x * x / 2 - np.log(-x) - 0.5 * math.log(2 * math.pi) + np.log1p(-1 / x ** 2)
    np.testing.assert_allclose(special.log_ndtr(f64(x)).numpy(), want, rtol=1e-12)
    t = dg.tensor([-100.0], dtype=dg.float64, requires_grad=True)
    special.log_ndtr(t).backward()
    assert np.isfinite(t.grad.numpy()).all() and t.grad.item() == pytest.approx(100.01, rel=1e-3)


def test_bessel_values():
    x = np.linspace(-40, 40, 161)
    i0 = special.i0(f64(x)).numpy()
    np.testing.assert_allclose(special.i0e(f64(x)).numpy(), np.exp(-np.abs(x)) * i0, rtol=1e-14)
    i1 = special.i1(f64(x)).numpy()
    np.testing.assert_allclose(special.i1e(f64(x)).numpy(), np.exp(-np.abs(x)) * i1, rtol=1e-14)
    # the Wronskian-type recurrence I0'(x) = I1(x): compare with a central difference
    h = 1e-5
    d = (special.i0(f64(x + h)).numpy() - special.i0(f64(x - h)).numpy()) / (2 * h)
    np.testing.assert_allclose(d, i1, rtol=1e-7)
    assert np.isfinite(special.i0e(f64([1e6])).numpy()).all()
    assert special.modified_bessel_i0 is special.i0 and special.modified_bessel_i1 is special.i1


def test_bessel_gradients_at_zero():
    for fn in (special.i1, special.i1e):
        x = dg.tensor([0.0], dtype=dg.float64, requires_grad=True)
        fn(x).backward()
        assert x.grad.item() == 0.5


def test_special_functions_against_mpmath():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-25, 40, 200), rng.uniform(40, 1e3, 50)])
    ref = [float(mp.exp(mp.mpf(v) ** 2) * mp.erfc(v)) for v in x]
    np.testing.assert_allclose(special.erfcx(f64(x)).numpy(), ref, rtol=5e-15)
    y = np.concatenate([rng.uniform(-40, 8, 200), -(10 ** rng.uniform(1, 4, 50))])
    ref = [float(mp.log(mp.ncdf(v))) for v in y]
    np.testing.assert_allclose(special.log_ndtr(f64(y)).numpy(), ref, rtol=1e-13)
    z = rng.uniform(-800, 800, 200)
    ref = [float(mp.exp(-abs(v)) * mp.besseli(1, v)) for v in z]
    np.testing.assert_allclose(special.i1e(f64(z)).numpy(), ref, rtol=1e-14)
    s, q = rng.uniform(1.1, 8, 100), rng.uniform(0.1, 20, 100)
    ref = [float(mp.zeta(a, b)) for a, b in zip(s, q)]
    np.testing.assert_allclose(special.zeta(f64(s), f64(q)).numpy(), ref, rtol=1e-13)


def test_entr_edges():
    x = dg.tensor([0.0, -1.0, 0.5], requires_grad=True)
    out = special.entr(x)
    np.testing.assert_allclose(out.numpy(), [0.0, -np.inf, 0.5 * math.log(2)], rtol=1e-6)
    out[0].backward()
    assert np.isposinf(x.grad.numpy()[0])             # -(1 + ln 0) = +inf, as PyTorch


def test_xlog1py():
    check_op(special.xlog1py, lambda x, y: x * np.log1p(y), BINARY,
             make=[uniform(), uniform(-0.5, 2.0)], torch_fn=torch_special("xlog1py"))
    x = dg.tensor([0.0, 0.0, 2.0], requires_grad=True)
    y = dg.tensor([-1.0, np.nan, 1.0], requires_grad=True)
    out = special.xlog1py(x, y)
    np.testing.assert_allclose(out.numpy(), [0.0, np.nan, 2 * math.log(2)], rtol=1e-6)
    out[0].backward()
    assert x.grad.numpy()[0] == 0.0


def test_zeta():
    out = special.zeta(f64([2.0, 4.0, 0.5, 1.0, 2.0, 3.0, 2.5]),
                       f64([1.0, 1.0, 1.0, 1.0, -1.5, -2.0, -1.5])).numpy()
    np.testing.assert_allclose(out[:2], [math.pi ** 2 / 6, math.pi ** 4 / 90], rtol=1e-15)
    assert np.isnan(out[2]) and np.isposinf(out[3]) and np.isposinf(out[5]) and np.isnan(out[6])
    # zeta(2, -1.5) = 1/2.25 + 1/0.25 + zeta(2, 0.5), and zeta(2, 1/2) = 3 zeta(2) = pi^2/2
    np.testing.assert_allclose(out[4], 1 / 1.5 ** 2 + 1 / 0.5 ** 2 + math.pi ** 2 / 2,
                               rtol=1e-14)
    sv, qv = np.linspace(1.05, 6.0, 40), np.linspace(0.2, 9.0, 40)
    # the recurrence zeta(s, q) - zeta(s, q + 1) = q^-s, for s close to 1 too
    diff = special.zeta(f64(sv), f64(qv)).numpy() - special.zeta(f64(sv), f64(qv + 1)).numpy()
    np.testing.assert_allclose(diff, qv ** -sv, rtol=1e-10)
    s = dg.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="zeta"):
        special.zeta(s, dg.tensor([1.0])).backward()


def test_zeta_against_torch():
    torch = pytest.importorskip("torch")
    s = np.array([1.5, 2.0, 3.0, 6.5, 2.0, 4.0])
    q = np.array([0.3, 2.0, -2.5, 10.0, -0.5, 1e-3])
    np.testing.assert_allclose(special.zeta(f64(s), f64(q)).numpy(),
                               torch.special.zeta(torch.tensor(s), torch.tensor(q)).numpy(),
                               rtol=1e-12)


def test_aliases_and_reductions():
    x = dg.tensor([[0.5, -1.0, 2.0], [0.0, 1.0, 3.0]])
    assert special.gammaln is dg.lgamma and special.psi is dg.digamma
    assert special.multigammaln is dg.mvlgamma and special.gammainc is dg.igamma
    assert special.gammaincc is dg.igammac and special.expit is dg.sigmoid
    for name in ("erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "round", "sinc", "logit",
                 "xlogy", "i0", "digamma", "polygamma"):
        assert getattr(special, name) is getattr(dg, name), name
    np.testing.assert_allclose(special.logsumexp(x, 1).numpy(), dg.logsumexp(x, 1).numpy())
    np.testing.assert_allclose(special.softmax(x, 0).numpy(), dg.softmax(x, 0).numpy())
    out = special.log_softmax(x, 1, dtype=dg.float64)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), dg.log_softmax(x.double(), 1).numpy())
    with pytest.raises(AttributeError, match="does not implement"):
        special.bessel_j0


def test_every_name_is_torchs():
    torch = pytest.importorskip("torch")
    missing = [n for n in special.__all__ if not hasattr(torch.special, n)]
    assert not missing
