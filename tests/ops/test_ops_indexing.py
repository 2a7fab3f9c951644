"""Indexing ops (gather, scatter, index_*, masked_*, take, put, nonzero...), their in-place
Tensor methods and ``x[index] = v``: forward against NumPy, gradients by float64
gradcheck and against PyTorch when it is installed."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from torch_last import check_op


def T(a):
    return dg.tensor(np.asarray(a))


def torch_tensor(a):
    """A torch tensor, for torch_fn lambdas (the harness only calls them with torch installed)."""
    import torch
    return torch.tensor(np.asarray(a))


IDX = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])          # for a (3, 4) input along dim 0


def _gather_ref(a, dim, idx):
    return np.take_along_axis(a[tuple(slice(0, n) if d != dim else slice(None)
                                      for d, n in enumerate(idx.shape))], idx, dim)


# ----------------------------------------------------------------- gather / take
@pytest.mark.parametrize("shape, dim, idx", [
    ((3, 4), 0, IDX), ((3, 4), 1, np.array([[3, 0], [1, 1], [2, 3]])),
    ((3, 4), -1, np.array([[0], [3]])), ((2, 3, 2), 1, np.zeros((2, 4, 1), dtype=np.int64)),
    ((4,), 0, np.array([3, 3, 0]))])
def test_gather(shape, dim, idx):
    check_op(lambda x: ops.gather(x, dim, T(idx)), lambda a: _gather_ref(a, dim % len(shape), idx),
             [shape], torch_fn=lambda a: a.gather(dim, torch_tensor(idx)))
    check_op(lambda x: x.gather(dim, T(idx)), lambda a: _gather_ref(a, dim % len(shape), idx),
             [shape])


def test_gather_scalar_and_errors():
    s = dg.tensor(5.0)
    assert ops.gather(s, 0, T([0, 0])).tolist() == [5.0, 5.0]
    with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 4"):
        ops.gather(dg.zeros(3, 4), 1, T([[4]]))
    with pytest.raises(IndexError, match="index -1 is out of bounds"):
        ops.gather(dg.zeros(3, 4), 1, T([[-1]]))
    with pytest.raises(RuntimeError, match="no larger than the input"):
        ops.gather(dg.zeros(2, 3), 1, T([[0], [0], [0]]))
    with pytest.raises(TypeError, match="integer tensor, received dtype float32"):
        ops.gather(dg.zeros(2, 3), 1, dg.zeros(2, 1))


def test_take_and_take_along_dim():
    idx = np.array([[-1, 0], [5, 5]])
    check_op(lambda x: ops.take(x, T(idx)), lambda a: a.reshape(-1)[idx], [(2, 3)])
    check_op(lambda x: x.take(T(idx)), lambda a: a.reshape(-1)[idx], [(2, 3)])
    tidx = np.array([[2], [0], [-1]])
    check_op(lambda x: ops.take_along_dim(x, T(tidx), 1),
             lambda a: np.take_along_axis(a, tidx % 4, 1), [(3, 4)])
    bidx = np.array([[0, 1]])                                   # broadcast against (3, 4)
    check_op(lambda x: x.take_along_dim(T(bidx), dim=1),
             lambda a: np.take_along_axis(a, np.broadcast_to(bidx, (3, 2)), 1), [(3, 4)])
    check_op(lambda x: ops.take_along_dim(x, T([[1, 4]])), lambda a: a.reshape(-1)[[1, 4]],
             [(2, 3)])
    with pytest.raises(IndexError, match="out of bounds"):
        ops.take(dg.zeros(2, 3), T([6]))


# ----------------------------------------------------------------- scatter family
def _scatter_ref(a, dim, idx, src, op=None):
    out = a.copy()
    for pos in np.ndindex(*idx.shape):
        target = list(pos)
        target[dim] = idx[pos]
        if op is None:
            out[tuple(target)] = src[pos]
        else:
            out[tuple(target)] = op(out[tuple(target)], src[pos])
    return out


UNIQUE = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])        # no position written twice per column


def test_scatter_src_and_value():
    check_op(lambda x, s: ops.scatter(x, 0, T(UNIQUE), s),
             lambda a, s: _scatter_ref(a, 0, UNIQUE, s), [((3, 4), (2, 4))])
    check_op(lambda x, s: x.scatter(0, T(UNIQUE[:, :2]), s),          # src larger than index
             lambda a, s: _scatter_ref(a, 0, UNIQUE[:, :2], s), [((3, 4), (3, 3))])
    check_op(lambda x: ops.scatter(x, 1, T([[3], [0], [1]]), 2.5),
             lambda a: _scatter_ref(a, 1, np.array([[3], [0], [1]]), np.full((3, 1), 2.5)),
             [(3, 4)])
    check_op(lambda x: ops.scatter(x, 1, T([[3], [0], [1]]), value=-1.0),
             lambda a: _scatter_ref(a, 1, np.array([[3], [0], [1]]), np.full((3, 1), -1.0)),
             [(3, 4)])


def test_scatter_reduce_forms_of_scatter():
    check_op(lambda x, s: ops.scatter(x, 0, T(IDX), s, reduce="add"),
             lambda a, s: _scatter_ref(a, 0, IDX, s, np.add), [((3, 4), (2, 4))])
    check_op(lambda x, s: ops.scatter(x, 0, T(IDX), s, reduce="multiply"),
             lambda a, s: _scatter_ref(a, 0, IDX, s, np.multiply), [((3, 4), (2, 4))])
    with pytest.raises(ValueError, match="reduce must be 'add' or 'multiply'"):
        ops.scatter(dg.zeros(3, 4), 0, T(IDX), dg.ones(2, 4), reduce="max")


def test_scatter_add_repeats_accumulate():
    check_op(lambda x, s: ops.scatter_add(x, 0, T(IDX), s),
             lambda a, s: _scatter_ref(a, 0, IDX, s, np.add), [((3, 4), (2, 4))])
    check_op(lambda x, s: x.scatter_add(-1, T([[0, 0, 0]]), s),
             lambda a, s: _scatter_ref(a, 1, np.array([[0, 0, 0]]), s, np.add),
             [((2, 3), (1, 3))])


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    idx = np.array([[0, 0, 2, 1], [0, 2, 2, 1], [1, 0, 2, 1]])
    fn = lambda x, s: ops.scatter_reduce(x, 0, T(idx), s, reduce,   # noqa: E731
                                         include_self=include_self)
    check_op(fn, lambda a, s: _scatter_reduce_ref(a, 0, idx, s, reduce, include_self),
             [((3, 4), (3, 4))], make=_distinct,
             torch_fn=lambda x, s: x.scatter_reduce(0, torch_tensor(idx), s, reduce,
                                                    include_self=include_self))


def _distinct(rng, shape):
    """Values far apart (no ties, no zeros), so amax/amin/prod are smooth for gradcheck."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) + 1.0) * 0.3 * rng.choice([-1, 1], shape)


def _scatter_reduce_ref(a, dim, idx, src, reduce, include_self):
    groups = {}
    for pos in np.ndindex(*idx.shape):
        target = list(pos)
        target[dim] = idx[pos]
        groups.setdefault(tuple(target), []).append(src[pos])
    out = a.copy()
    f = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for target, vals in groups.items():
        out[target] = f(([a[target]] if include_self else []) + vals)
    return out


def test_scatter_reduce_ties_and_zeros_against_torch():
    torch = pytest.importorskip("torch")
    idx = np.array([0, 0, 0, 1, 1])
    src = np.array([2.0, 2.0, 1.0, 0.0, 3.0])
    # An input value left out (include_self=False) never shares a tie: PyTorch counts it in
    # the tie count even then (the gradients no longer sum to G); deepgrad does not.
    for reduce in ("amax", "amin", "prod"):
        for include_self in (True, False):
            start = [2.0, 0.0] if include_self else [5.0, -7.0]
            x = dg.Tensor(np.array(start), requires_grad=True)
            s = dg.Tensor(src, requires_grad=True)
            out = ops.scatter_reduce(x, 0, T(idx), s, reduce, include_self=include_self)
            tx = torch.tensor(start, dtype=torch.float64, requires_grad=True)
            ts = torch.tensor(src, requires_grad=True)
            tout = tx.scatter_reduce(0, torch.tensor(idx), ts, reduce, include_self=include_self)
            np.testing.assert_allclose(out.array, tout.detach().numpy())
            (out * dg.Tensor(np.array([1.0, 2.0]))).sum().backward()
            (tout * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
            np.testing.assert_allclose(x.grad.array, tx.grad.numpy(), err_msg=reduce)
            np.testing.assert_allclose(s.grad.array, ts.grad.numpy(), err_msg=reduce)


def test_scatter_reduce_integer_mean_rounds_down_and_errors():
    out = ops.scatter_reduce(T([5, 6]), 0, T([0, 0]), T([1, 2]), "mean")
    assert out.tolist() == [2, 6]                          # (5 + 1 + 2) // 3
    with pytest.raises(ValueError, match="reduce must be one of"):
        ops.scatter_reduce(dg.zeros(3), 0, T([0]), dg.ones(1), "max")
    with pytest.raises(TypeError, match="expected src to have the input's dtype"):
        ops.scatter_add(dg.zeros(3), 0, T([0]), dg.ones(1, dtype=dg.float64))


# ----------------------------------------------------------------- index_*
def test_index_select():
    check_op(lambda x: ops.index_select(x, 1, T([3, 0, 0])), lambda a: a[:, [3, 0, 0]],
             [(2, 4), (3, 4, 2)])
    check_op(lambda x: x.index_select(0, T(1)), lambda a: a[[1]], [(3, 2)])
    check_op(lambda x: ops.index_select(x, 0, T([0, 0])[:0]), lambda a: a[:0], [(3, 2)])
    assert ops.index_select(dg.tensor(4.0), 0, T([0])).shape == ()
    with pytest.raises(IndexError, match="must be a vector"):
        ops.index_select(dg.zeros(3, 4), 1, T([[1]]))
    with pytest.raises(IndexError, match="out of bounds"):
        ops.index_select(dg.zeros(3, 4), 1, T([-1]))


def _index_add_ref(a, dim, idx, src, alpha=1):
    out = np.moveaxis(a.copy(), dim, 0)
    np.add.at(out, idx, alpha * np.moveaxis(src, dim, 0))
    return np.moveaxis(out, 0, dim)


def test_index_add_copy_fill_reduce():
    idx = np.array([2, 0, 2])
    check_op(lambda x, s: ops.index_add(x, 1, T(idx), s, alpha=2),
             lambda a, s: _index_add_ref(a, 1, idx, s, 2), [((2, 3), (2, 3))])
    check_op(lambda x, s: x.index_add(0, T([1]), s), lambda a, s: _index_add_ref(a, 0, [1], s),
             [((3,), (1,))])
    uniq = np.array([2, 0])

    def copy_ref(a, s):
        out = a.copy()
        out[:, uniq] = s
        return out
    check_op(lambda x, s: ops.index_copy(x, 1, T(uniq), s), copy_ref, [((2, 3), (2, 2))])

    def fill_ref(a):
        out = a.copy()
        out[[0, -1]] = -3.0
        return out
    check_op(lambda x: ops.index_fill(x, 0, T([0, -1]), -3.0), fill_ref, [(3, 2)])
    check_op(lambda x, v: ops.index_fill(x, 0, T([1]), v),          # 0-d tensor value: sum of G
             lambda a, v: np.concatenate([a[:1], np.broadcast_to(v, (1, 2)), a[2:]]),
             [((3, 2), ())])
    idx3 = np.array([0, 0, 2])

    def prod_ref(a, s):
        out = a.copy()
        for i, k in enumerate(idx3):
            out[k] = out[k] * s[i]
        return out
    check_op(lambda x, s: ops.index_reduce(x, 0, T(idx3), s, "prod"), prod_ref,
             [((3, 2), (3, 2))])


def test_index_reduce_against_torch():
    torch = pytest.importorskip("torch")
    for reduce in ("prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            a = np.arange(12.0).reshape(4, 3) - 5
            s = np.arange(9.0).reshape(3, 3) * 0.7 - 2
            idx = [0, 3, 0]
            out = ops.index_reduce(dg.Tensor(a), 0, T(idx), dg.Tensor(s), reduce,
                                   include_self=include_self)
            ref = torch.tensor(a).index_reduce(0, torch.tensor(idx), torch.tensor(s), reduce,
                                               include_self=include_self)
            np.testing.assert_allclose(out.array, ref.numpy(), err_msg=reduce)
    with pytest.raises(ValueError, match="'prod', 'mean', 'amax', 'amin'"):
        ops.index_reduce(dg.zeros(3), 0, T([0]), dg.ones(1), "sum")


def test_index_ops_check_shapes():
    with pytest.raises(RuntimeError, match=r"source of shape \(2, 2\) does not match"):
        ops.index_add(dg.zeros(2, 3), 1, T([0]), dg.ones(2, 2))
    with pytest.raises(IndexError, match="out of bounds"):
        ops.index_copy(dg.zeros(2, 3), 1, T([3]), dg.ones(2, 1))
    with pytest.raises(IndexError, match="0-d tensor takes exactly one index"):
        ops.index_add(dg.tensor(1.0), 0, T([0, 0]), dg.ones(2))


def test_index_put():
    rows, cols = np.array([0, 2, 2]), np.array([1, 0, 0])

    def put_ref(a, v):
        out = a.copy()
        np.add.at(out, (rows, cols), v)
        return out
    check_op(lambda x, v: ops.index_put(x, (T(rows), T(cols)), v, accumulate=True), put_ref,
             [((3, 2), (3,)), ((3, 2), ())])
    mask = np.array([True, False, True])

    def mask_ref(a, v):
        out = a.copy()
        out[mask] = v
        return out
    check_op(lambda x, v: x.index_put((T(mask),), v), mask_ref, [((3, 2), (2,)), ((3, 2), (2, 2))])
    with pytest.raises(RuntimeError, match="cannot be broadcast to the indexed shape"):
        ops.index_put(dg.zeros(3, 2), (T(mask),), dg.ones(3))


# ----------------------------------------------------------------- masked_*
def test_masked_fill_select_scatter():
    mask = np.array([[True, False, True], [False, False, True]])
    check_op(lambda x: ops.masked_fill(x, T(mask), -1.5), lambda a: np.where(mask, -1.5, a),
             [(2, 3), (4, 2, 3)])
    check_op(lambda x, v: x.masked_fill(T(mask[0]), v), lambda a, v: np.where(mask[0], v, a),
             [((2, 3), ())])
    check_op(lambda x: ops.masked_select(x, T(mask)), lambda a: np.broadcast_to(a, (2, 3))[mask],
             [(2, 3), (3,), (1, 3)])

    def scatter_ref(a, s):
        out = a.copy()
        out[mask] = s.reshape(-1)[:mask.sum()]
        return out
    check_op(lambda x, s: ops.masked_scatter(x, T(mask), s), scatter_ref,
             [((2, 3), (3,)), ((2, 3), (2, 3))])
    assert ops.masked_fill(T([1, 2, 3]), T([True, False, True]), 2.7).tolist() == [2, 2, 2]
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        ops.masked_fill(dg.zeros(3), T([1, 0, 1]), 1.0)
    with pytest.raises(RuntimeError, match="fewer than the 3 True entries"):
        ops.masked_scatter(dg.zeros(2, 3), T(mask), dg.ones(2))
    with pytest.raises(RuntimeError, match="0-dimensional tensor"):
        ops.masked_fill(dg.zeros(3), T([True, False, True]), dg.ones(1))


def test_masked_ops_against_torch():
    torch = pytest.importorskip("torch")
    mask = np.array([[True, False, True], [False, True, True]])
    check_op(lambda x, s: ops.masked_scatter(x, T(mask), s), None, [((2, 3), (5,))],
             torch_fn=lambda x, s: x.masked_scatter(torch.tensor(mask), s))
    check_op(lambda x, v: ops.masked_fill(x, T(mask), v), None, [((2, 3), ())],
             torch_fn=lambda x, v: x.masked_fill(torch.tensor(mask), v))
    check_op(lambda x: ops.masked_select(x, T(mask)), None, [(3,)],
             torch_fn=lambda x: x.masked_select(torch.tensor(mask)))


# ----------------------------------------------------------------- put
def test_put():
    idx = np.array([[0, -1], [2, 0]])

    def ref(a, s):
        out = a.copy().reshape(-1)
        np.add.at(out, idx.reshape(-1) % out.size, s.reshape(-1))
        return out.reshape(a.shape)
    check_op(lambda x, s: ops.put(x, T(idx), s, accumulate=True),
             ref, [((2, 3), (2, 2)), ((2, 3), (4,))])
    check_op(lambda x, s: x.put(T(idx[0]), s), lambda a, s: _put_plain(a, idx[0], s),
             [((2, 3), (2,))])
    with pytest.raises(RuntimeError, match="index has 2 elements but source has 3"):
        ops.put(dg.zeros(2, 3), T([0, 1]), dg.ones(3))


def _put_plain(a, idx, s):
    out = a.copy().reshape(-1)
    out[idx] = s
    return out.reshape(a.shape)


# ----------------------------------------------------------------- positions
def test_nonzero_argwhere_where_unravel():
    a = np.array([[0, 1.5, 0], [2, 0, -1]])
    np.testing.assert_array_equal(ops.nonzero(dg.Tensor(a)).array, np.argwhere(a))
    assert ops.nonzero(dg.Tensor(a)).dtype == np.int64
    for got, want in zip(ops.nonzero(dg.Tensor(a), as_tuple=True), np.nonzero(a)):
        np.testing.assert_array_equal(got.array, want)
    np.testing.assert_array_equal(ops.argwhere(dg.Tensor(a)).array, np.argwhere(a))
    assert ops.nonzero(dg.tensor(3.0)).shape == (1, 0)
    assert ops.nonzero(dg.tensor(0.0)).shape == (0, 0)
    assert [t.tolist() for t in ops.nonzero(dg.tensor(3.0), as_tuple=True)] == [[0]]
    assert ops.nonzero(dg.zeros(0, 3)).shape == (0, 2)
    rows, cols = dg.where(dg.Tensor(a) > 0)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    np.testing.assert_array_equal(dg.where(dg.Tensor(a) > 0, dg.Tensor(a), 0.0).array,
                                  np.where(a > 0, a, 0))
    np.testing.assert_array_equal(dg.Tensor(a).where(dg.Tensor(a) > 0, -9.0).array,
                                  np.where(a > 0, a, -9))
    with pytest.raises(TypeError, match="where"):
        dg.where(dg.Tensor(a) > 0, dg.Tensor(a))
    out = ops.nonzero_static(dg.Tensor(a), size=5)
    np.testing.assert_array_equal(out.array, np.concatenate([np.argwhere(a), [[-1, -1]] * 2]))
    assert dg.Tensor(a).nonzero_static(size=1, fill_value=7).tolist() == [[0, 1]]
    r, c = ops.unravel_index(T([-1, 5, 4, 7]), (2, 3))
    assert r.tolist() == [1, 1, 1, 0] and c.tolist() == [2, 2, 1, 1]   # taken modulo, as torch
    assert [t.tolist() for t in ops.unravel_index(T(13), (2, 3, 4))] == [1, 0, 1]
    with pytest.raises(TypeError, match="integer tensor"):
        ops.unravel_index(dg.ones(2), (2, 3))


def test_positions_against_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[0, 1.5, 0], [2, 0, -1]])
    np.testing.assert_array_equal(ops.nonzero(dg.Tensor(a)).array,
                                  torch.nonzero(torch.tensor(a)).numpy())
    for got, want in zip(ops.unravel_index(T([-1, 5, 4, 7]), (2, 3)),
                         torch.unravel_index(torch.tensor([-1, 5, 4, 7]), (2, 3))):
        np.testing.assert_array_equal(got.array, want.numpy())
    np.testing.assert_array_equal(
        ops.nonzero_static(dg.Tensor(a), size=5).array,
        torch.nonzero_static(torch.tensor(a), size=5).numpy())


# ----------------------------------------------------------------- in place and setitem
def test_inplace_methods_write_into_the_tensor():
    x = dg.zeros(3, 4)
    array = x.array
    assert x.scatter_(0, T(UNIQUE), dg.ones(2, 4)) is x
    assert x.array is array
    np.testing.assert_array_equal(x.array, _scatter_ref(np.zeros((3, 4)), 0, UNIQUE, np.ones((2, 4))))
    x.scatter_add_(0, T(IDX), dg.ones(2, 4))
    x.index_add_(1, T([0, 0]), dg.ones(3, 2), alpha=3)
    x.index_fill_(0, T([2]), 7.0)
    x.masked_fill_(x > 6, -1.0)
    x.put_(T([0]), dg.tensor([9.0]))
    ref = _scatter_ref(np.zeros((3, 4)), 0, UNIQUE, np.ones((2, 4)))
    ref = _scatter_ref(ref, 0, IDX, np.ones((2, 4)), np.add)
    ref[:, 0] += 6
    ref[2] = 7
    ref[ref > 6] = -1
    ref.flat[0] = 9
    np.testing.assert_array_equal(x.array, ref)
    y = dg.ones(3)
    y.index_copy_(0, T([1]), dg.tensor([5.0]))
    y.index_put_((T([0]),), dg.tensor(2.0), accumulate=True)
    y.scatter_reduce_(0, T([2, 2]), dg.tensor([4.0, 6.0]), "amax")
    y.index_reduce_(0, T([1]), dg.tensor([2.0]), "prod")
    y.masked_scatter_(T([False, False, True]), dg.tensor([8.0]))
    assert y.tolist() == [3.0, 10.0, 8.0]
    z = dg.ones(3, 3)
    z.tril_()
    z.triu_(-1)
    z.fill_diagonal_(4.0)
    np.testing.assert_array_equal(z.array, [[4, 0, 0], [1, 4, 0], [0, 1, 4]])


def test_inplace_rules_follow_the_graph():
    w = dg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be used in an in-place operation"):
        w.masked_fill_(T([True, False, False]), 0.0)
    h = w * 2
    with pytest.raises(RuntimeError, match=r"x = x.index_fill\(...\)"):
        h.index_fill_(0, T([0]), 0.0)
    with dg.no_grad():
        w.index_fill_(0, T([0]), 5.0)                  # allowed outside the graph
    assert w.tolist() == [5.0, 1.0, 1.0]
    buf = dg.zeros(2, 3)                               # a buffer receiving recorded values
    buf.index_copy_(0, T([1]), (w * 3).reshape(1, 3))
    assert buf.requires_grad and buf.grad_fn is not None
    buf.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        dg.zeros(3).masked_fill_(dg.ones(2, 3, dtype=dg.bool), 1.0)


def test_setitem_accepts_pytorch_indices():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = dg.Tensor(a.copy())
    ref = a.copy()
    for index, value in [((0, slice(1, 3)), 1.0), ((Ellipsis, 2), -2.0), ((None, 1, 0), 5.0),
                         ((T([0, 1]), T([2, 0])), 7.0), ((slice(None), [0, 2]), 8.0)]:
        x[index] = value
        ref[tuple(i.array if isinstance(i, dg.Tensor) else i for i in index)] = value
    x[x > 20] = dg.tensor(0.0)
    ref[ref > 20] = 0
    x[1] = dg.ones(3, 4)
    ref[1] = 1
    x[T(0)] = dg.full((1, 3, 4), 3.0)                 # extra leading 1s, as NumPy/PyTorch
    ref[0] = 3
    np.testing.assert_array_equal(x.array, ref)


def test_setitem_records_values_that_require_grad():
    w = dg.Tensor(np.array([1.0, 2.0]), requires_grad=True)      # float64 into float32: cast
    out = dg.zeros(3, 2)
    out[1] = w * 3                                      # a plain buffer takes a recorded value
    assert out.requires_grad and out.grad_fn is not None
    (out * dg.Tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2))).sum().backward()
    assert w.grad.dtype == np.float64
    np.testing.assert_allclose(w.grad.array, [2 * 3, 3 * 3])
    with pytest.raises(RuntimeError, match="part of the recorded graph.*torch.stack"):
        out[2] = w                                      # now a graph node: refused, unchanged
    assert out.tolist()[2] == [0.0, 0.0]
    v = dg.Tensor(np.ones(2), requires_grad=True)
    y = dg.zeros(4)
    y[T([0, 0])] = v                                    # repeated: every copy gets G
    y.sum().backward()
    assert v.grad.tolist() == [1.0, 1.0]
    with dg.no_grad():
        out[2] = w                                      # outside the graph: plain write
    assert out.tolist()[2] == [1.0, 2.0]


def test_setitem_against_torch():
    torch = pytest.importorskip("torch")
    w = np.array([[1.0, -2.0, 0.5]])
    x, tx = dg.Tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    for index, tindex in [(slice(1, 3), slice(1, 3)), (T([3, 0]), torch.tensor([3, 0]))]:
        buf, tbuf = dg.zeros(4, 3, dtype=dg.float64), torch.zeros(4, 3, dtype=torch.float64)
        buf[index] = x * 2
        tbuf[tindex] = tx * 2
        g = np.arange(12.0).reshape(4, 3)
        (buf * dg.Tensor(g)).sum().backward()
        (tbuf * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(buf.detach().array, tbuf.detach().numpy())
        np.testing.assert_allclose(x.grad.array, tx.grad.numpy())


def test_getitem_follows_pytorch_rules():
    shape = [(2, 3, 4)]
    check_op(lambda x: x[[T([0, 1]), T([1, 2])]], lambda a: a[[0, 1], [1, 2]], shape)
    check_op(lambda x: x[[[0, 1], [1, 2]]], lambda a: a[[0, 1], [1, 2]], shape)   # legacy tuple
    check_op(lambda x: x[[slice(None), 1]], lambda a: a[:, 1], shape)
    check_op(lambda x: x[[1, 0, 1]], lambda a: a[[1, 0, 1]], shape)
    check_op(lambda x: x[T(np.array([1, 0], dtype=np.uint8))], lambda a: a[[True, False]], shape)
    check_op(lambda x: x[[True, False]], lambda a: a[[True, False]], shape)
    check_op(lambda x: x[:, T(1):T(3)], lambda a: a[:, 1:3], shape)
    check_op(lambda x: x[T(1), :, T(0)], lambda a: a[1, :, 0], shape)
    check_op(lambda x: x[..., None, T([-1, 0])], lambda a: a[..., None, [-1, 0]], shape)
    check_op(lambda x: x[T(np.array([1, 0], dtype=np.int32))], lambda a: a[[1, 0]], shape)
    with pytest.raises(IndexError, match="integer"):
        dg.zeros(2, 3)[dg.ones(1)]
