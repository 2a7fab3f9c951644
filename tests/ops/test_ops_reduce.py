"""Reductions over every axis form (None, int, negative, tuple; keepdim on and off)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import away_from, check_op

SHAPES = [(), (1,), (4,), (1, 3), (2, 3), (2, 1, 3)]
AWAY_FROM_ZERO = away_from([0.0], gap=0.3)     # |x| and |x|^p are smooth there


def reduction_cases():
    """(shape, dim) pairs: all axes, first, last, a tuple, the middle one; scalars included."""
    for shape in SHAPES:
        dims = [None, 0, -1]
        if len(shape) >= 2:
            dims += [(0, -1)]
        if len(shape) >= 3:
            dims += [1, (1, 2)]
        for dim in dims:
            yield shape, dim


CASES = list(reduction_cases())
IDS = [f"{s}-dim{d}" for s, d in CASES]


def np_axis(dim, ndim):
    """The NumPy axis for ``dim`` (a 0-d tensor's dim 0 / -1 means the whole tensor)."""
    return None if ndim == 0 else dim


def np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _reduced(ref):
    """Reference ``ref(x, axis, keepdims)`` made to follow PyTorch's 0-d convention."""
    def apply(x, dim, keepdim):
        return np.asarray(ref(x, np_axis(dim, x.ndim), keepdim if x.ndim else False))
    return apply


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape, dim", CASES, ids=IDS)
@pytest.mark.parametrize("name, fn, ref", [
    ("sum", ops.sum, _reduced(lambda x, a, k: np.sum(x, axis=a, keepdims=k))),
    ("mean", ops.mean, _reduced(lambda x, a, k: np.mean(x, axis=a, keepdims=k))),
    ("amax", ops.amax, _reduced(lambda x, a, k: np.max(x, axis=a, keepdims=k))),
    ("amin", ops.amin, _reduced(lambda x, a, k: np.min(x, axis=a, keepdims=k))),
    ("logsumexp", ops.logsumexp, _reduced(np_logsumexp)),
    ("var0", lambda x, d, k: ops.var(x, d, 0, k),
     _reduced(lambda x, a, k: np.var(x, axis=a, keepdims=k))),
    ("std0", lambda x, d, k: ops.std(x, d, 0, k),
     _reduced(lambda x, a, k: np.std(x, axis=a, keepdims=k))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_reduction(name, fn, ref, shape, dim, keepdim):
    axes = range(len(shape)) if dim is None or not shape else np.atleast_1d(dim)
    single = all(shape[a] == 1 for a in axes)
    grad = not (name == "std0" and single)   # std of one element: d sqrt(v)/dv at v = 0 is inf
    check_op(lambda x: fn(x, dim, keepdim), lambda x: ref(x, dim, keepdim), [shape], grad=grad)


def _count(shape, dim):
    return int(np.prod([shape[d] for d in (dim if isinstance(dim, tuple) else (dim,))]))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape, dim, correction", [
    (s, d, c) for s, d in CASES for c in (1, 2)
    if s and d is not None and _count(s, d) > c], ids=str)
def test_var_std_with_correction(shape, dim, correction, keepdim):
    check_op(lambda x: ops.var(x, dim, correction, keepdim),
             lambda x: np.var(x, axis=dim, ddof=correction, keepdims=keepdim), [shape])
    check_op(lambda x: ops.std(x, dim, correction, keepdim),
             lambda x: np.std(x, axis=dim, ddof=correction, keepdims=keepdim), [shape])


def test_var_of_too_few_elements_is_nan():
    assert np.isnan(ops.var(dg.tensor([1.0])).item())
    assert np.isnan(dg.tensor([[1.0, 2.0]]).var(0).array).all()


# ----------------------------------------------------------------- Tensor methods
def test_reduction_methods_take_dim_keepdim_and_axis_keepdims():
    for method, ref in [("sum", np.sum), ("mean", np.mean), ("logsumexp", np_logsumexp)]:
        check_op(lambda x: getattr(x, method)(), lambda x: np.asarray(ref(x)), [(2, 3)])
        check_op(lambda x: getattr(x, method)(1), lambda x: ref(x, axis=1), [(2, 3)])
        check_op(lambda x: getattr(x, method)(dim=0, keepdim=True),
                 lambda x: ref(x, axis=0, keepdims=True), [(2, 3)])
        check_op(lambda x: getattr(x, method)(axis=-1, keepdims=True),
                 lambda x: ref(x, axis=-1, keepdims=True), [(2, 3)])
        check_op(lambda x: getattr(x, method)(dim=[0, 2]),
                 lambda x: ref(x, axis=(0, 2)), [(2, 1, 3)])


def test_var_std_methods_corrections():
    x = (2, 4)
    check_op(lambda t: t.var(), lambda a: np.var(a, ddof=1), [x])             # unbiased default
    check_op(lambda t: t.var(1), lambda a: np.var(a, axis=1, ddof=1), [x])
    check_op(lambda t: t.var(1, unbiased=False), lambda a: np.var(a, axis=1), [x])
    check_op(lambda t: t.var(dim=0, correction=0, keepdim=True),
             lambda a: np.var(a, axis=0, keepdims=True), [x])
    check_op(lambda t: t.var(axis=1, ddof=2), lambda a: np.var(a, axis=1, ddof=2), [x])
    check_op(lambda t: t.std(), lambda a: np.std(a, ddof=1), [x])
    check_op(lambda t: t.std(0, unbiased=False), lambda a: np.std(a, axis=0), [x])
    check_op(lambda t: t.std(dim=1, correction=2, keepdim=True),
             lambda a: np.std(a, axis=1, ddof=2, keepdims=True), [x])


def test_max_min_methods():
    check_op(lambda x: x.max(), lambda a: np.asarray(a.max()), [(), (4,), (2, 3)])
    check_op(lambda x: x.min(), lambda a: np.asarray(a.min()), [(), (4,), (2, 3)])
    check_op(lambda x: x.max(axis=1), lambda a: a.max(axis=1), [(2, 3)])
    check_op(lambda x: x.min(axis=0, keepdims=True), lambda a: a.min(axis=0, keepdims=True),
             [(2, 3)])
    check_op(lambda x: x.amax(dim=(0, 1)), lambda a: a.max(axis=(0, 1)), [(2, 3)])
    check_op(lambda x: x.amin(-1, True), lambda a: a.min(axis=-1, keepdims=True), [(2, 3)])
    check_op(lambda x: dg.max(x), lambda a: np.asarray(a.max()), [(2, 3)])
    check_op(lambda x: dg.min(x, 1), lambda a: (a.min(1), a.argmin(1)), [(2, 3)])


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape, dim", [((), 0), ((), -1), ((1,), 0), ((4,), -1), ((2, 3), 0),
                                        ((2, 3), 1), ((2, 1, 3), -1), ((2, 1, 3), 1)], ids=str)
def test_max_min_along_dim_return_values_and_indices(shape, dim, keepdim):
    def ref(which):
        def f(a):
            if a.ndim == 0:
                return a, np.asarray(0)
            idx = np.expand_dims(getattr(np, "arg" + which)(a, axis=dim), dim)
            vals = np.take_along_axis(a, idx, dim)
            return (vals, idx) if keepdim else (vals.squeeze(dim), idx.squeeze(dim))
        return f
    check_op(lambda x: x.max(dim, keepdim), ref("max"), [shape])
    check_op(lambda x: x.min(dim=dim, keepdim=keepdim), ref("min"), [shape])
    check_op(lambda x: tuple(ops.max_with_indices(x, dim, keepdim)), ref("max"), [shape])
    check_op(lambda x: tuple(ops.min_with_indices(x, dim, keepdim)), ref("min"), [shape])


def test_max_with_indices_is_a_named_tuple_and_routes_the_gradient_to_the_index():
    x = dg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]], requires_grad=True)
    out = x.max(1)
    values, indices = out
    assert out.values is values and out.indices is indices
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.array, [1, 0])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[0, 1, 0], [1, 0, 0]])


def test_amax_shares_the_gradient_at_ties():
    x = dg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]], requires_grad=True)
    ops.amax(x, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[0, 0.5, 0.5], [1, 0, 0]])
    x.grad = None
    ops.amin(x).backward()
    np.testing.assert_array_equal(x.grad.array, [[0, 0, 0], [0, 0, 1]])


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape, dim", [((), None), ((), 0), ((4,), None), ((4,), 0),
                                        ((2, 3), None), ((2, 3), 1), ((2, 3), -2),
                                        ((2, 1, 3), 2)], ids=str)
def test_argmax_argmin(shape, dim, keepdim):
    def ref(fn):
        def f(a):
            if a.ndim == 0:
                return np.asarray(0)
            if dim is None and keepdim:
                return np.asarray(fn(a)).reshape((1,) * a.ndim)
            return np.asarray(fn(a, axis=dim, keepdims=keepdim))
        return f
    check_op(lambda x: ops.argmax(x, dim, keepdim), ref(np.argmax), [shape], grad=False)
    check_op(lambda x: ops.argmin(x, dim, keepdim), ref(np.argmin), [shape], grad=False)
    check_op(lambda x: x.argmax(dim, keepdim), ref(np.argmax), [shape], grad=False)
    check_op(lambda x: x.argmin(dim=dim, keepdim=keepdim), ref(np.argmin), [shape], grad=False)
    out = ops.argmax(dg.randn(*shape, requires_grad=True), dim)
    assert out.dtype == np.int64 and not out.requires_grad


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf")])
@pytest.mark.parametrize("shape, dim", [((), None), ((4,), None), ((2, 3), 1), ((2, 3), None),
                                        ((2, 1, 3), (0, 2))], ids=str)
def test_norm(p, shape, dim):
    def ref(a):
        a = np.abs(a)
        if p == float("inf"):
            return np.asarray(np.max(a, axis=dim))
        return np.asarray(np.sum(a ** p, axis=dim) ** (1 / p))
    check_op(lambda x: ops.norm(x, p, dim), ref, [shape], make=AWAY_FROM_ZERO)
    check_op(lambda x: x.norm(p, dim), ref, [shape], make=AWAY_FROM_ZERO)


def test_norm_keepdim():
    check_op(lambda x: x.norm(2, 1, keepdim=True),
             lambda a: np.sqrt((a * a).sum(1, keepdims=True)), [(2, 3)])


def test_reductions_reject_out_of_range_dims_and_empty_tensors():
    x = dg.ones(2, 3)
    with pytest.raises(IndexError, match=r"dim out of range.*received 2"):
        x.sum(2)
    with pytest.raises(IndexError, match="out of range"):
        x.max(-3)
    with pytest.raises(RuntimeError, match="non-empty"):
        dg.zeros(0).max(0)
    with pytest.raises(RuntimeError, match="non-empty"):
        dg.zeros(0, 3).argmax()
    with pytest.raises(TypeError, match="floating point"):
        dg.tensor([1, 2]).mean()


def test_logsumexp_is_stable_for_large_and_infinite_inputs():
    x = dg.tensor([[1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], dtype=np.float32, requires_grad=True)
    y = ops.logsumexp(x, 1)
    np.testing.assert_allclose(y.array, [1e4 + np.log(2), -1e4 + np.log(3)], rtol=1e-6)
    y.sum().backward()
    assert x.grad.dtype == np.float32 and np.all(np.isfinite(x.grad.array))
    np.testing.assert_allclose(x.grad.array, [[0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    with np.errstate(divide="ignore"):
        ninf = ops.logsumexp(dg.tensor([-np.inf, -np.inf]))
    assert ninf.item() == -np.inf


def test_reductions_match_torch():
    torch = pytest.importorskip("torch")
    check_op(lambda x: ops.var(x, 1, 1), None, [(2, 4)], torch_fn=lambda x: x.var(1))
    check_op(lambda x: ops.std(x, (0, 2), 2, True), None, [(2, 3, 4)],
             torch_fn=lambda x: x.std((0, 2), correction=2, keepdim=True))
    check_op(lambda x: ops.logsumexp(x, -1), None, [(2, 3)],
             torch_fn=lambda x: torch.logsumexp(x, -1))
    check_op(lambda x: ops.norm(x, 3, 1), None, [(2, 3)], torch_fn=lambda x: x.norm(3, 1))
    check_op(lambda x: ops.norm(x, float("inf")), None, [(2, 3)],
             torch_fn=lambda x: x.norm(float("inf")))
    check_op(lambda x: x.max(1)[0], None, [(2, 3)], torch_fn=lambda x: x.max(1)[0])
    check_op(lambda x: x.mean((0, 1), keepdim=True), None, [(2, 3)],
             torch_fn=lambda x: x.mean((0, 1), keepdim=True))
