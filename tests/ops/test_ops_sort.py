"""Sorting and order statistics: values and indices vs NumPy, gradients through the
selected indices, NaN ordering, ties and quantile interpolation as PyTorch."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import check_op

CASES = [(5,), (3, 4), (2, 3, 4)]


def torch_call(name, *args, **kwargs):
    def call(x):
        import torch
        out = getattr(torch, name)(x, *args, **kwargs)
        return tuple(out) if isinstance(out, tuple) else out
    return call


# ------------------------------------------------------------------ sort family
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort(dim, descending):
    def ref(x):
        idx = np.argsort(-x if descending else x, axis=dim, kind="stable")
        return np.take_along_axis(x, idx, dim), idx
    check_op(lambda x: tuple(ops.sort(x, dim, descending)), ref, CASES,
             torch_fn=torch_call("sort", dim, descending))
    check_op(lambda x: ops.argsort(x, dim, descending), lambda x: ref(x)[1], CASES, grad=False)


def test_sort_nan_and_stability_like_torch():
    x = dg.tensor([3.0, 1.0, np.nan, 2.0, 1.0])
    v, i = ops.sort(x)
    np.testing.assert_array_equal(i.numpy(), [1, 4, 3, 0, 2])
    v, i = ops.sort(x, descending=True, stable=True)
    np.testing.assert_array_equal(i.numpy(), [2, 0, 3, 1, 4])
    assert np.isnan(v.numpy()[0])
    np.testing.assert_array_equal(ops.argsort(x, descending=True).numpy(), [2, 0, 3, 1, 4])
    ints = dg.tensor(np.array([1, 5, 2, 0], np.int32))
    v, i = ops.sort(ints, descending=True)
    assert v.dtype == np.int32 and i.dtype == np.int64
    np.testing.assert_array_equal(v.numpy(), [5, 2, 1, 0])
    v, i = ops.sort(dg.tensor(3.0))
    assert v.item() == 3.0 and i.item() == 0
    assert ops.sort(dg.zeros(0)).values.shape == (0,)


def test_sort_returns_named_fields_and_routes_gradients():
    x = dg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    res = ops.sort(x)
    assert res.values is res[0] and res.indices is res[1]
    (res.values * dg.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [100.0, 1.0, 10.0])


def test_msort():
    check_op(ops.msort, lambda x: np.sort(x, axis=0), CASES, torch_fn=torch_call("msort"))


@pytest.mark.parametrize("largest", [True, False])
def test_topk(largest):
    def ref(x):
        idx = np.argsort(-x if largest else x, axis=-1, kind="stable")[..., :2]
        return np.take_along_axis(x, idx, -1), idx
    check_op(lambda x: tuple(ops.topk(x, 2, largest=largest)), ref, CASES,
             torch_fn=torch_call("topk", 2, largest=largest))
    check_op(lambda x: tuple(ops.topk(x, 1, dim=0, largest=largest)),
             lambda x: (np.take_along_axis(x, np.argsort(-x if largest else x, 0)[:1], 0),
                        np.argsort(-x if largest else x, 0)[:1]), CASES[1:],
             torch_fn=torch_call("topk", 1, 0, largest))


def test_topk_edges():
    x = dg.tensor([1.0, np.nan, 3.0])
    v, i = ops.topk(x, 2)
    assert np.isnan(v.numpy()[0]) and i.numpy().tolist() == [1, 2]
    assert ops.topk(x, 0).values.shape == (0,)
    with pytest.raises(RuntimeError, match="out of range"):
        ops.topk(x, 4)


def test_kthvalue():
    def ref(x, k, dim, keep):
        idx = np.take(np.argsort(x, axis=dim, kind="stable"), [k - 1], axis=dim)
        v = np.take_along_axis(x, idx, dim)
        return (v, idx) if keep else (np.squeeze(v, dim), np.squeeze(idx, dim))
    for k, dim, keep in ((1, -1, False), (2, 0, True), (3, -1, True)):
        check_op(lambda x: tuple(ops.kthvalue(x, k, dim, keep)), lambda x: ref(x, k, dim, keep),
                 CASES[1:], torch_fn=torch_call("kthvalue", k, dim, keep))
    with pytest.raises(RuntimeError, match="out of range"):
        ops.kthvalue(dg.tensor([3.0, 1.0, 2.0]), 4)


# ------------------------------------------------------------------ medians, mode
@pytest.mark.parametrize("fn, tname", [(ops.median, "median"), (ops.nanmedian, "nanmedian")])
def test_median_along_dim(fn, tname):
    def ref(x, dim, keep):
        n = x.shape[dim]
        idx = np.take(np.argsort(x, axis=dim, kind="stable"), [(n - 1) // 2], axis=dim)
        v = np.take_along_axis(x, idx, dim)
        return (v, idx) if keep else (np.squeeze(v, dim), np.squeeze(idx, dim))
    for dim, keep in ((-1, False), (0, True), (1, False)):
        check_op(lambda x: tuple(fn(x, dim, keep)), lambda x: ref(x, dim, keep), CASES[1:],
                 torch_fn=torch_call(tname, dim, keep))


@pytest.mark.parametrize("fn, tname", [(ops.median, "median"), (ops.nanmedian, "nanmedian")])
def test_median_of_all_elements(fn, tname):
    check_op(fn, lambda x: np.sort(x.reshape(-1))[(x.size - 1) // 2], CASES,
             torch_fn=torch_call(tname))
    x = dg.tensor([1.0, 2.0, 2.0, 3.0], requires_grad=True)
    out = fn(x)
    out.backward()
    assert out.item() == 2.0
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5, 0.0])   # shared at ties


def test_median_nan_rules():
    x = dg.tensor([1.0, np.nan, 5.0, 3.0])
    v, i = ops.median(x, 0)
    assert np.isnan(v.item()) and i.item() == 1
    v, i = ops.nanmedian(x, 0)
    assert v.item() == 3.0 and i.item() == 3
    v, i = ops.nanmedian(dg.tensor([np.nan, np.nan]), 0)
    assert np.isnan(v.item()) and i.item() == 0
    assert np.isnan(ops.median(x).item()) and ops.nanmedian(x).item() == 3.0
    assert np.isnan(ops.median(dg.zeros(0)).item())
    m = dg.tensor([[1.0, np.nan, 3.0], [4.0, 5.0, np.nan]])
    np.testing.assert_array_equal(ops.nanmedian(m, 1).values.numpy(), [1.0, 4.0])


def test_median_against_torch_with_nans():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).normal(size=(6, 7))
    x[x > 1.0] = np.nan
    for fn, name in ((ops.median, "median"), (ops.nanmedian, "nanmedian")):
        v, i = fn(dg.tensor(x), 1)
        tv, ti = getattr(torch, name)(torch.tensor(x), 1)
        np.testing.assert_array_equal(v.numpy(), tv.numpy())
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
        np.testing.assert_array_equal(fn(dg.tensor(x)).numpy(),
                                      getattr(torch, name)(torch.tensor(x)).numpy())


def test_mode():
    v, i = ops.mode(dg.tensor([2.0, 1.0, 2.0, 1.0, 3.0]))
    assert v.item() == 1.0 and i.item() == 3             # smallest of the most frequent, last index
    v, i = ops.mode(dg.tensor([3.0, 1.0, 3.0, 1.0, 2.0, 1.0, 3.0]))
    assert v.item() == 1.0 and i.item() == 5
    v, i = ops.mode(dg.tensor([[1.0, 1.0, 2.0], [3.0, 4.0, 4.0]]), 1)
    np.testing.assert_array_equal(v.numpy(), [1.0, 4.0])
    np.testing.assert_array_equal(i.numpy(), [1, 2])
    x = dg.tensor([2.0, 1.0, 2.0, 1.0, 3.0], requires_grad=True)
    ops.mode(x).values.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 1, 0])
    v, i = ops.mode(dg.tensor([[5, 5], [7, 6]]), 0, keepdim=True)
    assert v.shape == (1, 2) and v.dtype == np.int64


def test_mode_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).integers(0, 4, size=(5, 9)).astype(np.float64)
    for dim in (0, 1, -1):
        v, i = ops.mode(dg.tensor(x), dim)
        tv, ti = torch.mode(torch.tensor(x), dim)
        np.testing.assert_array_equal(v.numpy(), tv.numpy())
        np.testing.assert_array_equal(i.numpy(), ti.numpy())


# ------------------------------------------------------------------ quantiles
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), (0, True), (None, True)])
def test_quantile(interpolation, dim, keepdim):
    q = [0.0, 0.1, 0.25, 0.5, 0.7, 1.0]
    for qv in (0.3, q):
        def ref(x):
            qa = np.asarray(qv)
            return np.quantile(x, qa, axis=dim, keepdims=keepdim, method=interpolation)

        def fn(x):
            qq = dg.tensor(np.asarray(qv), dtype=x.dtype) if isinstance(qv, list) else qv
            return ops.quantile(x, qq, dim, keepdim, interpolation=interpolation)

        def tfn(x):
            import torch
            qq = torch.tensor(qv, dtype=x.dtype) if isinstance(qv, list) else qv
            return torch.quantile(x, qq, dim, keepdim, interpolation=interpolation)
        check_op(fn, ref, [(3, 5), (4, 6)], torch_fn=tfn)


def test_quantile_gradient_goes_to_the_neighbours():
    x = dg.tensor([4.0, 1.0, 3.0, 2.0], requires_grad=True)
    ops.quantile(x, 0.3).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.1, 0.0, 0.9], rtol=1e-5)


def test_nanquantile_and_nan_rules():
    m = dg.tensor([[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]])
    out = ops.nanquantile(m, 0.5, dim=1, keepdim=True)
    np.testing.assert_array_equal(out.numpy(), [[2.0], [2.0]])
    assert np.isnan(ops.quantile(m, 0.5, dim=1).numpy()[0])
    assert ops.quantile(m, 0.5, dim=1).numpy()[1] == 2.0
    x = np.random.default_rng(6).normal(size=(4, 7))
    x[x > 0.8] = np.nan
    np.testing.assert_allclose(ops.nanquantile(dg.tensor(x), 0.4, dim=1).numpy(),
                               np.nanquantile(x, 0.4, axis=1))
    assert np.isnan(ops.nanquantile(dg.tensor([np.nan, np.nan]), 0.5).item())


def test_quantile_errors():
    x = dg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="float or double"):
        ops.quantile(dg.tensor([1, 2]), 0.5)
    with pytest.raises(ValueError, match="range"):
        ops.quantile(x, 1.5)
    with pytest.raises(ValueError, match="interpolation"):
        ops.quantile(x, 0.5, interpolation="cubic")
    with pytest.raises(TypeError, match="dtype"):
        ops.quantile(x, dg.tensor([0.5], dtype=dg.float64))
    with pytest.raises(IndexError, match="non-empty"):
        ops.quantile(dg.zeros(0), 0.5)
