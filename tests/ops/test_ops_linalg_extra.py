"""Matrix products beyond matmul (bmm, mv, dot, outer, tensordot, inner, kron, the add*
family, trace, cross, matrix_power, multi_dot) and einsum: forward against NumPy,
gradients by float64 gradcheck and against PyTorch when it is installed."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from torch_last import check_op


def _torch():
    import torch
    return torch


def test_bmm_mv_dot_vdot():
    check_op(ops.bmm, np.matmul, [((2, 3, 4), (2, 4, 5)), ((1, 1, 2), (1, 2, 1))],
             torch_fn=lambda a, b: _torch().bmm(a, b))
    check_op(lambda a, b: a.bmm(b), np.matmul, [((2, 3, 4), (2, 4, 1))])
    check_op(ops.mv, np.matmul, [((3, 4), (4,))], torch_fn=lambda a, b: _torch().mv(a, b))
    check_op(lambda a, b: a.mv(b), np.matmul, [((2, 3), (3,))])
    check_op(ops.dot, np.dot, [((4,), (4,)), ((1,), (1,))], torch_fn=lambda a, b: a.dot(b))
    check_op(lambda a, b: a.vdot(b), np.dot, [((3,), (3,))])
    check_op(ops.vdot, np.vdot, [((3,), (3,))])
    with pytest.raises(RuntimeError, match=r"expected \(b, n, m\) and \(b, m, p\)"):
        ops.bmm(dg.zeros(2, 3, 4), dg.zeros(3, 4, 5))
    with pytest.raises(RuntimeError, match="3, 3 dimensions"):
        ops.bmm(dg.zeros(3, 4), dg.zeros(4, 5))
    with pytest.raises(RuntimeError, match="same size"):
        ops.dot(dg.zeros(3), dg.zeros(4))
    with pytest.raises(TypeError, match="same dtype"):
        ops.dot(dg.zeros(3), dg.zeros(3, dtype=dg.float64))


def test_outer_inner_tensordot_kron():
    check_op(ops.outer, np.outer, [((3,), (4,)), ((1,), (2,))],
             torch_fn=lambda a, b: _torch().outer(a, b))
    check_op(lambda a, b: a.ger(b), np.outer, [((3,), (2,))])
    check_op(ops.ger, np.outer, [((3,), (2,))])
    check_op(ops.inner, np.inner, [((3,), (3,)), ((2, 3), (4, 3)), ((), (2, 3)), ((2, 1, 3), (3,))],
             torch_fn=lambda a, b: _torch().inner(a, b))
    check_op(lambda a, b: a.inner(b), np.inner, [((2, 3), (3,))])
    for dims in (2, 0, ([2, 1], [1, 0]), ([2], [1]), [[0], [2]]):
        check_op(lambda a, b: ops.tensordot(a, b, dims), lambda a, b: np.tensordot(a, b, dims),
                 [((3, 2, 4), (2, 4, 3))],
                 torch_fn=lambda a, b: _torch().tensordot(a, b, dims))
    check_op(ops.kron, np.kron, [((2, 3), (3, 2)), ((2,), (2, 3)), ((), (3,)), ((2, 1, 2), (3,))],
             torch_fn=lambda a, b: _torch().kron(a, b))
    check_op(lambda a, b: a.kron(b), np.kron, [((2,), (3,))])
    with pytest.raises(RuntimeError, match="do not match in size"):
        ops.tensordot(dg.zeros(2, 3), dg.zeros(2, 3), 1)
    with pytest.raises(RuntimeError, match="last dimensions must match"):
        ops.inner(dg.zeros(2, 3), dg.zeros(2))


@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, -2.0), (0, 3.0)])
def test_add_products(beta, alpha):
    def ref(prod):
        return lambda x, *ab: (beta * x if beta else 0) + alpha * prod(*ab)
    kw = dict(beta=beta, alpha=alpha)
    check_op(lambda x, a, b: ops.addmm(x, a, b, **kw), ref(np.matmul),
             [((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4)), ((), (1, 2), (2, 1))],
             torch_fn=lambda x, a, b: _torch().addmm(x, a, b, **kw))
    check_op(lambda x, a, b: x.addmv(a, b, **kw), ref(np.matmul), [((2,), (2, 3), (3,))],
             torch_fn=lambda x, a, b: x.addmv(a, b, **kw))
    check_op(lambda x, a, b: ops.addr(x, a, b, **kw), ref(np.outer), [((2, 3), (2,), (3,))],
             torch_fn=lambda x, a, b: _torch().addr(x, a, b, **kw))
    check_op(lambda x, a, b: ops.baddbmm(x, a, b, **kw), ref(np.matmul),
             [((2, 3, 4), (2, 3, 2), (2, 2, 4)), ((3, 4), (2, 3, 2), (2, 2, 4))],
             torch_fn=lambda x, a, b: _torch().baddbmm(x, a, b, **kw))
    check_op(lambda x, a, b: ops.addbmm(x, a, b, **kw),
             ref(lambda a, b: np.matmul(a, b).sum(0)), [((3, 4), (2, 3, 2), (2, 2, 4))],
             torch_fn=lambda x, a, b: _torch().addbmm(x, a, b, **kw))
    check_op(lambda x, a, b: ops.addmv(x, a, b, **kw), ref(np.matmul), [((2,), (2, 3), (3,))])


def test_add_products_beta_zero_ignores_nan_and_inplace_forms():
    x = dg.full((2, 2), float("nan"))
    out = ops.addmm(x, dg.ones(2, 3), dg.ones(3, 2), beta=0)
    assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    y = dg.ones(2, 2)
    assert y.addmm_(dg.ones(2, 3), dg.ones(3, 2), alpha=2) is y and y.tolist() == [[7.0] * 2] * 2
    v = dg.ones(2)
    v.addmv_(dg.ones(2, 3), dg.ones(3), beta=2)
    dg.addmv_(v, dg.ones(2, 3), dg.ones(3))
    assert v.tolist() == [8.0, 8.0]
    m = dg.zeros(2, 3)
    m.addr_(dg.ones(2), dg.arange(3.0))
    b = dg.zeros(1, 2, 2)
    b.baddbmm_(dg.ones(1, 2, 3), dg.ones(1, 3, 2))
    c = dg.zeros(2, 2)
    c.addbmm_(dg.ones(2, 2, 3), dg.ones(2, 3, 2))
    assert m.tolist() == [[0.0, 1.0, 2.0]] * 2 and b.tolist() == [[[3.0] * 2] * 2]
    assert c.tolist() == [[6.0] * 2] * 2
    with pytest.raises(RuntimeError, match="cannot be broadcast to the product's shape"):
        ops.addmm(dg.zeros(3), dg.ones(2, 3), dg.ones(3, 2))


def test_trace_cross():
    check_op(ops.trace, np.trace, [(3, 3), (2, 4), (4, 2)], torch_fn=lambda a: _torch().trace(a))
    check_op(lambda a: a.trace(), np.trace, [(2, 2)])
    assert ops.trace(dg.tensor([[1, 2], [3, 4]])).item() == 5
    check_op(lambda a, b: ops.cross(a, b, -1), lambda a, b: np.cross(a, b),
             [((3,), (3,)), ((2, 3), (1, 3)), ((4, 1, 3), (1, 2, 3))],
             torch_fn=lambda a, b: _torch().linalg.cross(a, b))
    check_op(lambda a, b: a.cross(b, dim=0), lambda a, b: np.cross(a, b, axis=0),
             [((3, 2), (3, 2))])
    check_op(lambda a, b: ops.cross(a, b), lambda a, b: np.cross(a, b, axis=1),
             [((2, 3), (2, 3))])                                       # first dim of size 3
    with pytest.raises(RuntimeError, match="no dimension of size 3"):
        ops.cross(dg.zeros(2), dg.zeros(2))
    with pytest.raises(RuntimeError, match="must have size 3"):
        ops.cross(dg.zeros(2, 3), dg.zeros(2, 3), 0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        ops.cross(dg.zeros(2, 3), dg.zeros(3), -1)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -2])
def test_matrix_power(n):
    def make(rng, shape):
        return rng.uniform(-1, 1, shape) + 2 * np.eye(shape[-1])
    check_op(lambda a: ops.matrix_power(a, n), lambda a: np.linalg.matrix_power(a, n),
             [(3, 3), (2, 2, 2)], make=make, rtol32=1e-4, atol32=1e-5,
             grad=n != 0, torch_fn=lambda a: _torch().linalg.matrix_power(a, n))
    with pytest.raises(RuntimeError, match="square matrix"):
        ops.matrix_power(dg.zeros(2, 3), 2)


def test_multi_dot_and_chain_matmul():
    def chain(*arrays):
        return np.linalg.multi_dot(arrays)
    check_op(lambda *ms: ops.multi_dot(ms), chain,
             [((2, 3), (3, 4)), ((5,), (5, 2), (2, 6), (6,)), ((4, 1), (1, 5), (5, 2), (2, 3))],
             torch_fn=lambda *ms: _torch().linalg.multi_dot(ms))
    check_op(lambda *ms: ops.chain_matmul(*ms), chain, [((2, 3), (3, 4), (4, 1))])
    check_op(lambda m: ops.chain_matmul(m), lambda a: a, [(2, 3)])
    with pytest.raises(RuntimeError, match="at least 2 tensors"):
        ops.multi_dot([dg.zeros(2, 2)])
    with pytest.raises(RuntimeError, match="must be 2-D"):
        ops.multi_dot([dg.zeros(2, 2), dg.zeros(2), dg.zeros(2, 2)])
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        ops.multi_dot([dg.zeros(2, 3), dg.zeros(2, 2)])


# ----------------------------------------------------------------- einsum
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]),
    ("...ij,...jk", [(2, 1, 2, 3), (5, 3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (1, 3, 4)]),
    ("i,i,i->", [(3,), (3,), (3,)]), ("iij->ji", [(2, 2, 3)]), ("ij,k->ijk", [(2, 3), (4,)]),
    ("Bb", [(2, 3)]), ("i->", [(0,)]), ("ij,ij->i", [(2, 3), (1, 3)]),
    ("b i d, b j d -> b i j", [(2, 3, 4), (2, 5, 4)]), ("...->...", [(2, 3)]),
    ("ijk,jl,kl->il", [(2, 3, 4), (3, 5), (4, 5)])]


@pytest.mark.parametrize("equation, shapes", EINSUM_CASES)
def test_einsum(equation, shapes):
    check_op(lambda *xs: ops.einsum(equation, *xs),
             lambda *arrays: np.einsum(equation.replace(" ", ""), *arrays), [tuple(shapes)],
             rtol32=1e-5, atol32=1e-5,
             torch_fn=lambda *ts: _torch().einsum(equation, *ts))


def test_einsum_call_forms_and_errors():
    a, b = dg.ones(2, 3), dg.ones(3, 4)
    np.testing.assert_array_equal(ops.einsum("ij,jk", [a, b]).array, np.full((2, 4), 3.0))
    np.testing.assert_array_equal(ops.einsum(a, [0, 1], b, [1, 2], [0, 2]).array,
                                  np.full((2, 4), 3.0))
    np.testing.assert_array_equal(ops.einsum(a, [Ellipsis, 1], [1]).array, [2.0, 2.0, 2.0])
    assert dg.einsum("ij->ji", a).shape == (3, 2)
    assert ops.einsum("ij,jk", dg.ones(2, 3, dtype=dg.int64), dg.ones(3, 2, dtype=dg.int64)
                      ).dtype == np.int64
    with pytest.raises(ValueError, match="2 operand"):
        ops.einsum("ij,jk", a)
    with pytest.raises(RuntimeError, match="has size 3 .* but 4 elsewhere|size"):
        ops.einsum("ij,jk", dg.ones(2, 3), dg.ones(4, 2))
    with pytest.raises(ValueError, match="invalid subscripts"):
        ops.einsum("i1,j", dg.ones(2), dg.ones(2))
    with pytest.raises(ValueError, match="do not fit an operand"):
        ops.einsum("ijk", dg.ones(2, 3))
    with pytest.raises(RuntimeError, match="repeated in an operand"):
        ops.einsum("ii", dg.ones(2, 3))
    with pytest.raises(ValueError, match="distinct and appear"):
        ops.einsum("ij->ik", dg.ones(2, 3))
    with pytest.raises(TypeError, match="never upcasts"):
        ops.einsum("i,i", dg.ones(2), dg.ones(2, dtype=dg.float64))
