"""Scans (cumsum, cumprod, cummax/cummin, logcumsumexp), diff and trapezoid integration:
forward vs NumPy, float64 gradcheck, gradients with zeros/ties/NaN as PyTorch."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import check_op, uniform

CASES = [(5,), (2, 3), (3, 1, 4)]


def torch_dim_op(name, dim, **kwargs):
    def call(*args):
        import torch
        out = getattr(torch, name)(*args, dim, **kwargs)
        return tuple(out) if isinstance(out, tuple) else out
    return call


@pytest.mark.parametrize("dim", [0, -1])
def test_cumsum(dim):
    check_op(lambda x: ops.cumsum(x, dim), lambda x: np.cumsum(x, axis=dim), CASES,
             torch_fn=torch_dim_op("cumsum", dim))


@pytest.mark.parametrize("dim", [0, -1])
def test_cumprod(dim):
    check_op(lambda x: ops.cumprod(x, dim), lambda x: np.cumprod(x, axis=dim), CASES,
             make=uniform(0.5, 1.5), torch_fn=torch_dim_op("cumprod", dim))


def _with_zeros(rng, shape):
    x = rng.uniform(-2, 2, shape)
    x[rng.uniform(size=shape) < 0.3] = 0.0
    return x


@pytest.mark.parametrize("shape", [(6,), (4, 5), (3, 6, 2)])
def test_cumprod_gradient_with_zeros(shape):
    x = _with_zeros(np.random.default_rng(sum(shape)), shape)
    t = dg.tensor(x, requires_grad=True)
    assert dg.gradcheck(lambda a: ops.cumprod(a, 0), [t])
    t = dg.tensor(x, requires_grad=True)
    assert dg.gradcheck(lambda a: ops.cumprod(a, -1), [t])
    check_op(lambda a: ops.cumprod(a, -1), lambda a: np.cumprod(a, -1), [shape], make=_with_zeros,
             torch_fn=torch_dim_op("cumprod", -1))


def test_cumprod_gradient_example_from_torch():
    x = dg.tensor([2.0, 0.0, 3.0, 0.0, 5.0], requires_grad=True)
    ops.cumprod(x, 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 8.0, 0.0, 0.0, 0.0])


def test_scan_dtypes():
    assert ops.cumsum(dg.tensor(np.array([1, 2], np.int32)), 0).dtype == np.int64
    assert ops.cumsum(dg.tensor([True, True]), 0).dtype == np.int64
    assert ops.cumprod(dg.tensor(np.array([1, 2], np.uint8)), 0).dtype == np.int64
    assert ops.cumsum(dg.tensor([1, 2]), 0, dtype=dg.float64).dtype == np.float64
    np.testing.assert_array_equal(ops.cumsum(dg.tensor(3.0), 0).numpy(), 3.0)
    assert ops.cumsum(dg.zeros(0, 2), 1).shape == (0, 2)
    with pytest.raises(TypeError, match="dim"):
        ops.cumsum(dg.ones(3), None)
    with pytest.raises(IndexError):
        ops.cumsum(dg.ones(3), 1)


@pytest.mark.parametrize("fn, acc, tname", [(ops.cummax, np.maximum, "cummax"),
                                           (ops.cummin, np.minimum, "cummin")])
def test_cummax_cummin(fn, acc, tname):
    def ref(x, dim):
        values = acc.accumulate(x, axis=dim)
        n = x.shape[dim]
        pos = np.arange(n).reshape([-1 if i == dim % x.ndim else 1 for i in range(x.ndim)])
        idx = np.maximum.accumulate(np.where(x == values, pos, 0), axis=dim)
        return values, idx
    for dim in (0, -1):
        check_op(lambda x: tuple(fn(x, dim)), lambda x: ref(x, dim), CASES,
                 torch_fn=torch_dim_op(tname, dim))


def test_cummax_ties_take_the_latest_index_and_nan_propagates():
    v, i = ops.cummax(dg.tensor([1.0, 3.0, 3.0, 2.0, 5.0]), 0)
    np.testing.assert_array_equal(v.numpy(), [1, 3, 3, 3, 5])
    np.testing.assert_array_equal(i.numpy(), [0, 1, 2, 2, 4])
    v, i = ops.cummin(dg.tensor([3.0, 1.0, 1.0, 2.0, 0.0]), 0)
    np.testing.assert_array_equal(i.numpy(), [0, 1, 2, 2, 4])
    v, i = ops.cummax(dg.tensor([1.0, np.nan, 3.0, np.nan, 5.0]), 0)
    assert np.isnan(v.numpy()[1:]).all()
    np.testing.assert_array_equal(i.numpy(), [0, 1, 1, 3, 3])
    x = dg.tensor([1.0, 3.0, 2.0], requires_grad=True)
    ops.cummax(x, 0).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 0.0])
    assert ops.cummax(dg.tensor([2, 1, 5]), 0).values.dtype == np.int64


def test_logcumsumexp():
    def ref(x, dim):
        return np.logaddexp.accumulate(x, axis=dim)
    for dim in (0, -1):
        check_op(lambda x: ops.logcumsumexp(x, dim), lambda x: ref(x, dim), CASES,
                 torch_fn=torch_dim_op("logcumsumexp", dim))
    x = dg.tensor([-1000.0, 0.0, 1000.0], dtype=dg.float64, requires_grad=True)
    out = ops.logcumsumexp(x, 0)
    np.testing.assert_allclose(out.numpy(), [-1000.0, 0.0, 1000.0])
    assert dg.gradcheck(lambda a: ops.logcumsumexp(a, 0), [x])
    with pytest.raises(TypeError, match="floating"):
        ops.logcumsumexp(dg.tensor([1, 2]), 0)


@pytest.mark.parametrize("n, dim", [(1, -1), (2, -1), (1, 0), (3, 1)])
def test_diff(n, dim):
    cases = [(4, 5)] if dim == 1 else [(5,), (4, 5)]
    check_op(lambda x: ops.diff(x, n, dim), lambda x: np.diff(x, n, axis=dim), cases,
             torch_fn=lambda x: __import__("torch").diff(x, n, dim))


def test_diff_prepend_append_and_dtypes():
    x = dg.tensor([1, 3, 6])
    np.testing.assert_array_equal(ops.diff(x, n=2, prepend=dg.tensor([0])).numpy(), [1, 1])
    np.testing.assert_array_equal(ops.diff(x, append=dg.tensor([10, 20])).numpy(), [2, 3, 4, 10])
    np.testing.assert_array_equal(ops.diff(dg.tensor([True, False, False])).numpy(), [True, False])
    m = dg.tensor([[1.0, 2.0], [4.0, 8.0]])
    np.testing.assert_array_equal(ops.diff(m, dim=0, prepend=dg.tensor(0.0)).numpy(),
                                  [[1, 2], [3, 6]])
    check_op(lambda x, p: ops.diff(x, 1, 0, prepend=p), lambda x, p: np.diff(x, 1, 0, prepend=p),
             [((3, 2), (1, 2))])
    with pytest.raises(RuntimeError, match="1-dimensional"):
        ops.diff(dg.tensor(1.0))


def test_trapezoid_family():
    y, x = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 3.0])
    assert ops.trapezoid(dg.tensor(y), dg.tensor(x)).item() == pytest.approx(6.5)
    assert ops.trapz(dg.tensor(y), dx=2.0).item() == pytest.approx(8.0)
    assert ops.trapezoid(dg.tensor([1, 2, 3])).item() == pytest.approx(4.0)
    assert ops.trapezoid(dg.tensor([1.0])).item() == 0.0
    np.testing.assert_allclose(ops.cumulative_trapezoid(dg.tensor(y), dg.tensor(x)).numpy(),
                               [1.5, 6.5])
    assert ops.cumulative_trapezoid(dg.tensor([1.0])).shape == (0,)

    def trap(yv, xv, axis=-1):
        d = np.diff(xv, axis=axis)
        s = [slice(None)] * yv.ndim
        lo, hi = list(s), list(s)
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        return (yv[tuple(lo)] + yv[tuple(hi)]) / 2 * d
    check_op(ops.trapezoid, lambda a, b: trap(a, b).sum(-1), [((4,), (4,)), ((3, 4), (3, 4))],
             torch_fn=lambda a, b: __import__("torch").trapezoid(a, b))
    check_op(lambda a, b: ops.cumulative_trapezoid(a, b, dim=0),
             lambda a, b: np.cumsum(trap(a, b[:, None], 0), 0), [((4, 3), (4,))],
             torch_fn=lambda a, b: __import__("torch").cumulative_trapezoid(a, b, dim=0))
    check_op(lambda a: ops.trapezoid(a, dx=0.5, dim=0), lambda a: (trap(a, np.arange(a.shape[0])
                                                                        [:, None] * 0.5, 0)).sum(0),
             [(5, 2)], torch_fn=lambda a: __import__("torch").trapezoid(a, dx=0.5, dim=0))
    with pytest.raises(TypeError, match="either x or dx"):
        ops.trapezoid(dg.tensor(y), dg.tensor(x), dx=1.0)
    with pytest.raises(TypeError, match="tensor of sample points"):
        ops.trapezoid(dg.tensor(y), 2.0)
    with pytest.raises(RuntimeError, match="points"):
        ops.trapezoid(dg.tensor(y), dg.tensor([0.0, 1.0]))


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_uniform_spacing(edge_order):
    check_op(lambda x: ops.gradient(x, edge_order=edge_order),
             lambda x: tuple(np.atleast_1d(np.gradient(x, edge_order=edge_order))) if x.ndim > 1
             else np.gradient(x, edge_order=edge_order), [(5,), (3, 4), (3, 4, 5)],
             torch_fn=lambda x: tuple(__import__("torch").gradient(x, edge_order=edge_order)))
    check_op(lambda x: ops.gradient(x, spacing=[2.0, 0.5], dim=(1, 0), edge_order=edge_order),
             lambda x: (np.gradient(x, 2.0, axis=1, edge_order=edge_order),
                        np.gradient(x, 0.5, axis=0, edge_order=edge_order)), [(4, 5)],
             torch_fn=lambda x: tuple(__import__("torch").gradient(
                 x, spacing=[2.0, 0.5], dim=(1, 0), edge_order=edge_order)))


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_with_coordinates_is_differentiable_in_them(edge_order):
    def coords(rng, shape):
        return np.cumsum(rng.uniform(0.5, 1.5, shape))
    check_op(lambda f, c: ops.gradient(f, spacing=(c,), edge_order=edge_order)[0],
             lambda f, c: np.gradient(f, c, edge_order=edge_order), [((6,), (6,))],
             make=[uniform(), coords],
             torch_fn=lambda f, c: __import__("torch").gradient(f, spacing=(c,),
                                                                 edge_order=edge_order)[0])
    check_op(lambda f, c: ops.gradient(f, spacing=[c], dim=0, edge_order=edge_order)[0],
             lambda f, c: np.gradient(f, c, axis=0, edge_order=edge_order), [((5, 3), (5,))],
             make=[uniform(), coords])


def test_gradient_values_dtypes_and_errors():
    out, = ops.gradient(dg.tensor([1.0, 4.0, 9.0, 16.0]))
    np.testing.assert_array_equal(out.numpy(), [3.0, 4.0, 6.0, 7.0])
    out, = ops.gradient(dg.tensor([1, 4, 9]))
    assert out.dtype == np.float32
    with pytest.raises(RuntimeError, match="edge_order"):
        ops.gradient(dg.tensor([1.0, 2.0]), edge_order=2)
    with pytest.raises(ValueError, match="edge_order"):
        ops.gradient(dg.tensor([1.0, 2.0, 3.0]), edge_order=3)
    with pytest.raises(ValueError, match="spacings"):
        ops.gradient(dg.ones(3, 3), spacing=[1.0])
    with pytest.raises(ValueError, match="coordinates"):
        ops.gradient(dg.ones(3), spacing=(dg.tensor([0.0, 1.0]),))
