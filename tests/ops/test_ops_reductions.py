"""prod, nansum/nanmean, all/any/count_nonzero, aminmax, std_mean/var_mean and the norms:
forward vs NumPy, gradients (gradcheck and PyTorch's conventions at zeros and ties)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import UNARY, check_op, uniform

SHAPES = [(), (4,), (2, 3), (2, 3, 4)]


def torch_op(name, *lead, **kwargs):
    def call(*args):
        import torch
        return getattr(torch, name)(*args, *lead, **kwargs)
    return call


# ------------------------------------------------------------------ prod
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (-1, True), (1, False)])
def test_prod(dim, keepdim):
    cases = [s for s in SHAPES if dim is None or len(s) > (dim if dim >= 0 else -dim - 1)]
    check_op(lambda x: ops.prod(x, dim, keepdim) if dim is not None else ops.prod(x),
             lambda x: np.prod(x, axis=dim, keepdims=keepdim if dim is not None else False),
             cases, make=uniform(0.5, 1.5),
             torch_fn=(lambda x: __import__("torch").prod(x, dim, keepdim)) if dim is not None
             else torch_op("prod"))


def test_prod_gradient_with_zeros_matches_torch():
    x = dg.tensor([1.0, 0.0, 3.0, 2.0], requires_grad=True)
    ops.prod(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 6.0, 0.0, 0.0])
    x = dg.tensor([1.0, 0.0, 3.0, 0.0], requires_grad=True)
    ops.prod(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    x = dg.tensor([[2.0, 0.0], [3.0, 4.0]], dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda t: ops.prod(t, 1), [x])
    assert dg.gradcheck(lambda t: ops.prod(t), [x])


def test_prod_dtypes_and_errors():
    assert ops.prod(dg.tensor(np.array([2, 3], np.int32))).dtype == np.int64
    assert ops.prod(dg.tensor([True, True])).dtype == np.int64
    assert ops.prod(dg.tensor([2, 3]), dtype=dg.float64).dtype == np.float64
    assert ops.prod(dg.zeros(0)).item() == 1.0
    with pytest.raises(TypeError, match="single int"):
        ops.prod(dg.ones(2, 3), dim=(0, 1))


# ------------------------------------------------------------------ NaN-ignoring
def _with_nans(rng, shape):
    x = rng.uniform(-2, 2, shape)
    if x.size > 1:
        x.flat[rng.choice(x.size, x.size // 3, replace=False)] = np.nan
    return x


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1)])
def test_nansum_nanmean(dim):
    x = _with_nans(np.random.default_rng(1), (3, 4))
    for fn, ref in ((ops.nansum, np.nansum), (ops.nanmean, np.nanmean)):
        t = dg.tensor(x, requires_grad=True)
        out = fn(t, dim, keepdim=True)
        np.testing.assert_allclose(out.numpy(), ref(x, axis=dim, keepdims=True), rtol=1e-6)
        out.sum().backward()
        g = t.grad.numpy()
        assert np.all(g[np.isnan(x)] == 0)
        if fn is ops.nansum:
            np.testing.assert_array_equal(g[~np.isnan(x)], 1.0)
    check_op(lambda t: ops.nansum(t, dim), lambda t: np.nansum(t, axis=dim), [(3, 4)],
             torch_fn=lambda t: __import__("torch").nansum(t, dim))
    check_op(lambda t: ops.nanmean(t, dim), lambda t: np.nanmean(t, axis=dim), [(3, 4)],
             torch_fn=lambda t: __import__("torch").nanmean(t, dim))


def test_nan_reductions_dtypes():
    assert ops.nansum(dg.tensor([1, 2])).item() == 3
    with pytest.raises(TypeError, match="nanmean"):
        ops.nanmean(dg.tensor([1, 2]))
    assert np.isnan(ops.nanmean(dg.tensor([np.nan, np.nan])).item())


# ------------------------------------------------------------------ logical reductions
def test_all_any_count_nonzero():
    x = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    t = dg.tensor(x)
    for fn, ref in ((ops.all, np.all), (ops.any, np.any)):
        assert fn(t).dtype == np.bool_ and fn(t).shape == ()
        for dim in (0, 1, -1, (0, 1)):
            np.testing.assert_array_equal(fn(t, dim).numpy(), ref(x, axis=dim))
            np.testing.assert_array_equal(fn(t, dim, keepdim=True).numpy(),
                                          ref(x, axis=dim, keepdims=True))
    assert ops.all(dg.tensor(np.array([2, 0], np.uint8))).dtype == np.uint8
    assert bool(ops.all(dg.zeros(0))) and not bool(ops.any(dg.zeros(0)))
    assert ops.count_nonzero(t).item() == 3
    np.testing.assert_array_equal(ops.count_nonzero(t, 0).numpy(), [1, 1, 1])
    np.testing.assert_array_equal(ops.count_nonzero(t, (0, 1)).numpy(), 3)
    assert ops.count_nonzero(t, -1).dtype == np.int64


# ------------------------------------------------------------------ aminmax, moments
def test_aminmax():
    check_op(lambda x: tuple(ops.aminmax(x)), lambda x: (x.min(), x.max()), [(4,), (2, 3)],
             torch_fn=lambda x: tuple(__import__("torch").aminmax(x)))
    check_op(lambda x: tuple(ops.aminmax(x, dim=1, keepdim=True)),
             lambda x: (x.min(1, keepdims=True), x.max(1, keepdims=True)), [(2, 3)],
             torch_fn=lambda x: tuple(__import__("torch").aminmax(x, dim=1, keepdim=True)))
    x = dg.tensor([1.0, 3.0, 3.0, 0.0], requires_grad=True)
    mn, mx = ops.aminmax(x)
    (mn + mx).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5, 1.0])   # ties share
    with pytest.raises(RuntimeError, match="non-empty"):
        ops.aminmax(dg.zeros(0))


@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": 0, "keepdim": True},
                                {"dim": (0, 1), "correction": 0}, {"unbiased": False}])
def test_std_mean_var_mean(kw):
    x = np.random.default_rng(2).normal(size=(3, 4))
    dim, corr = kw.get("dim"), kw.get("correction", 0 if kw.get("unbiased") is False else 1)
    keep = kw.get("keepdim", False)
    for fn, ref in ((ops.var_mean, np.var), (ops.std_mean, np.std)):
        a, m = fn(dg.tensor(x), **kw)
        np.testing.assert_allclose(a.numpy(), ref(x, axis=dim, ddof=corr, keepdims=keep), rtol=1e-6)
        np.testing.assert_allclose(m.numpy(), x.mean(axis=dim, keepdims=keep), rtol=1e-6)
    check_op(lambda t: ops.std_mean(t, **kw),
             lambda t: (np.std(t, axis=dim, ddof=corr, keepdims=keep),
                        t.mean(axis=dim, keepdims=keep)),
             [(3, 4)], torch_fn=lambda t: __import__("torch").std_mean(t, **kw))


def test_moment_mean_legacy_positional_unbiased():
    x = dg.arange(4.0)
    v, m = ops.var_mean(x, False)
    assert v.item() == pytest.approx(1.25) and m.item() == pytest.approx(1.5)
    with pytest.raises(TypeError, match="unbiased or correction"):
        ops.var_mean(x, unbiased=True, correction=0)


# ------------------------------------------------------------------ norms
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, -1, float("inf"), -float("inf"), "fro"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), ((0, 1), True), (-1, True)])
def test_vector_norms(p, dim, keepdim):
    def ref(x):
        a = np.abs(x)
        q = 2 if p == "fro" else p
        if q == float("inf"):
            return a.max(axis=dim, keepdims=keepdim)
        if q == -float("inf"):
            return a.min(axis=dim, keepdims=keepdim)
        return (a ** q).sum(axis=dim, keepdims=keepdim) ** (1 / q)
    check_op(lambda x: ops.norm(x, p, dim, keepdim), ref, [(2, 3), (3, 2, 2)],
             make=uniform(0.2, 2.0), rtol32=5e-5,
             torch_fn=lambda x: __import__("torch").norm(x, p, dim, keepdim))


def test_norm_gradients_at_zero_and_ties_match_torch():
    def grad(p, values):
        x = dg.tensor(values, dtype=dg.float64, requires_grad=True)
        ops.norm(x, p).backward()
        return x.grad.numpy()
    np.testing.assert_array_equal(grad(2, [0.0, 0.0]), [0.0, 0.0])
    np.testing.assert_array_equal(grad(float("inf"), [1.0, -1.0, 0.5]), [0.5, -0.5, 0.0])
    np.testing.assert_allclose(grad(0.5, [1.0, 0.0, 0.5]), [1.7071067811865475, 0.0,
                                                          2.414213562373095])
    n3 = 1.125 ** (1 / 3)                       # d/dx ||x||_3 = sign(x) x^2 / n^2
    np.testing.assert_allclose(grad(3, [1.0, 0.0, -0.5]), [1 / n3 ** 2, 0.0, -0.25 / n3 ** 2],
                               rtol=1e-14)
    np.testing.assert_array_equal(grad(0, [1.0, 0.0, 2.0]), 0.0)
    assert ops.norm(dg.tensor([1.0, 0.0, -0.5]), 0).item() == 2.0


def test_nuclear_norm():
    a = np.random.default_rng(3).normal(size=(3, 4))
    check_op(lambda x: ops.norm(x, "nuc"), lambda x: np.linalg.svd(x, compute_uv=False).sum(),
             [(3, 4), (4, 2)], rtol32=1e-4, torch_fn=lambda x: __import__("torch").norm(x, "nuc"))
    check_op(lambda x: ops.norm(x, "nuc", dim=(0, 2), keepdim=True),
             lambda x: np.linalg.svd(np.moveaxis(x, 1, 0), compute_uv=False).sum(-1)[None, :, None],
             [(3, 2, 4)], rtol32=1e-4,
             torch_fn=lambda x: __import__("torch").norm(x, "nuc", dim=(0, 2), keepdim=True))
    np.testing.assert_allclose(ops.norm(dg.tensor(a), "nuc").item(),
                               np.linalg.norm(a, "nuc"), rtol=1e-5)


def test_norm_errors_and_dtype():
    assert ops.norm(dg.tensor([3.0, 4.0]), dtype=dg.float64).dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        ops.norm(dg.tensor([3, 4]))
    with pytest.raises(ValueError, match="'fro' or 'nuc'"):
        ops.norm(dg.tensor([3.0]), "max")
    with pytest.raises(RuntimeError, match="2-D"):
        ops.norm(dg.ones(2, 2, 2), "nuc")
    with pytest.raises(RuntimeError, match="empty"):
        ops.norm(dg.zeros(0), float("inf"))
    with pytest.raises(TypeError, match="out="):
        ops.norm(dg.ones(2), out=dg.ones(()))


def test_integer_and_bool_reductions_follow_torch_dtypes():
    u8 = dg.tensor(np.array([[200, 100, 0], [7, 3, 1]], np.uint8))
    assert ops.sum(u8).dtype == np.int64 and ops.sum(u8).item() == 311
    assert ops.prod(u8, 1).dtype == np.int64 and ops.nansum(u8).dtype == np.int64
    mn, mx = ops.aminmax(u8, dim=1)                  # no wrap-around through negation
    np.testing.assert_array_equal(mn.numpy(), [0, 1])
    np.testing.assert_array_equal(mx.numpy(), [200, 7])
    mn, mx = ops.aminmax(dg.tensor([True, False]))
    assert mn.item() is False and mx.item() is True
    assert ops.amin(dg.tensor([True, True])).dtype == np.bool_
    assert ops.logsumexp(dg.tensor([1, 2]), 0).dtype == np.float32
    x = dg.tensor([1.0, 3.0, 1.0], requires_grad=True)
    ops.amin(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.0, 0.5])        # ties share
