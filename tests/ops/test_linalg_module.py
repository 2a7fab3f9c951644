"""``deepgrad.linalg`` (PyTorch's ``torch.linalg``): every name against NumPy, gradients
by float64 gradcheck and against PyTorch when it is installed."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import linalg as LA
from op_harness import uniform
from torch_last import check_op

TOL32 = dict(rtol32=2e-4, atol32=2e-5)


def _tl():
    import torch
    return torch.linalg


def well_conditioned(rng, shape):
    return rng.uniform(-1, 1, shape) + 3 * np.eye(shape[-2], shape[-1])


def test_namespace_has_pytorchs_names():
    expected = {"cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh",
                "eigvalsh", "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor",
                "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm",
                "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet",
                "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv",
                "tensorsolve", "vander", "vecdot", "vector_norm", "LinAlgError"}
    assert expected <= set(dir(LA))
    assert issubclass(LA.LinAlgError, RuntimeError)
    assert dg.linalg is LA


def test_inv_det_slogdet():
    check_op(LA.inv, np.linalg.inv, [(3, 3), (2, 2, 2)], make=well_conditioned, **TOL32,
             torch_fn=lambda x: _tl().inv(x))
    check_op(LA.det, np.linalg.det, [(3, 3), (2, 1, 1)], **TOL32, torch_fn=lambda x: _tl().det(x))
    check_op(lambda x: tuple(LA.slogdet(x)), lambda a: tuple(np.linalg.slogdet(a)), [(3, 3)],
             make=well_conditioned, **TOL32, torch_fn=lambda x: tuple(_tl().slogdet(x)))
    sign, logabsdet = LA.slogdet(dg.eye(2))
    assert sign.item() == 1 and logabsdet.item() == 0


def test_inv_ex_and_errors():
    inverse, info = LA.inv_ex(dg.eye(2) * 2)
    assert info.item() == 0 and inverse.tolist() == [[0.5, 0], [0, 0.5]]
    batch = dg.stack([dg.eye(2), dg.zeros(2, 2)])
    inverse, info = LA.inv_ex(batch)
    assert info.tolist() == [0, 1] and np.isnan(inverse.array[1]).all()
    with pytest.raises(LA.LinAlgError, match="singular"):
        LA.inv_ex(batch, check_errors=True)
    with pytest.raises(LA.LinAlgError, match="singular"):
        LA.inv(dg.zeros(2, 2))
    with pytest.raises(RuntimeError, match="square matrix"):
        LA.inv(dg.zeros(2, 3))


@pytest.mark.parametrize("a_shape, b_shape", [((3, 3), (3, 2)), ((2, 3, 3), (2, 3)),
                                              ((2, 3, 3), (3,)), ((3, 3), (2, 3, 1))])
def test_solve(a_shape, b_shape):
    def ref(a, b):
        vector = len(b_shape) == 1 or b_shape == a_shape[:-1]
        if vector:
            return np.linalg.solve(a, b[..., None])[..., 0]
        return np.linalg.solve(a, b)
    check_op(LA.solve, ref, [(a_shape, b_shape)], make=[well_conditioned, uniform(-1, 1)],
             **TOL32, torch_fn=lambda a, b: _tl().solve(a, b))


def test_solve_left_false_and_ex():
    check_op(lambda a, b: LA.solve(a, b, left=False),
             lambda a, b: np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2),
                                                      np.swapaxes(b, -1, -2)), -1, -2),
             [((3, 3), (2, 3))], make=well_conditioned, **TOL32,
             torch_fn=lambda a, b: _tl().solve(a, b, left=False))
    x, info = LA.solve_ex(dg.eye(2) * 2, dg.ones(2))
    assert x.tolist() == [0.5, 0.5] and info.item() == 0
    x, info = LA.solve_ex(dg.zeros(2, 2), dg.ones(2, 3))
    assert info.item() == 1 and x.shape == (2, 3) and np.isnan(x.array).all()
    with pytest.raises(LA.LinAlgError, match="singular"):
        LA.solve(dg.zeros(2, 2), dg.ones(2))
    with pytest.raises(RuntimeError, match="incompatible shapes"):
        LA.solve(dg.eye(3), dg.ones(2, 3))


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_solve_triangular(upper, left, unit):
    def ref(a, b):
        t = np.triu(a) if upper else np.tril(a)
        if unit:
            t = t - t * np.eye(t.shape[-1]) + np.eye(t.shape[-1])
        if left:
            return np.linalg.solve(t, b)
        return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
    kw = dict(upper=upper, left=left, unitriangular=unit)
    check_op(lambda a, b: LA.solve_triangular(a, b, **kw), ref, [((3, 3), (2, 3, 3))],
             make=well_conditioned, **TOL32, torch_fn=lambda a, b: _tl().solve_triangular(a, b, **kw))


def test_cholesky_and_ex():
    def spd(x):
        return x @ x.mT + 3 * dg.Tensor(np.eye(3, dtype=x.dtype)) if isinstance(x, dg.Tensor) \
            else x @ x.mT + 3 * __import__("torch").eye(3, dtype=x.dtype)
    check_op(lambda x: LA.cholesky(spd(x), upper=True),
             lambda a: np.linalg.cholesky(a @ a.T + 3 * np.eye(3)).T, [(3, 3)], **TOL32,
             torch_fn=lambda x: _tl().cholesky(spd(x), upper=True))
    L, info = LA.cholesky_ex(dg.eye(2) * 4)
    assert info.item() == 0 and L.tolist() == [[2, 0], [0, 2]]
    L, info = LA.cholesky_ex(dg.stack([dg.eye(2), -dg.eye(2)]))
    assert info.tolist() == [0, 1] and np.isnan(L.array[1]).all()
    with pytest.raises(LA.LinAlgError, match="leading minor of order 1"):
        LA.cholesky_ex(-dg.eye(2), check_errors=True)


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_modes(mode):
    a = np.random.default_rng(0).standard_normal((2, 4, 3))
    q, r = LA.qr(dg.Tensor(a), mode=mode)
    nq, nr = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    np.testing.assert_allclose(r.array, nr, atol=1e-12)
    if mode == "r":
        assert q.shape == (0,)
    else:
        np.testing.assert_allclose(q.array, nq, atol=1e-12)
    with pytest.raises(ValueError, match="mode must be"):
        LA.qr(dg.eye(2), mode="full")


def test_svd_and_svdvals():
    def inv(u, s, vh):
        return u @ vh, s, u * u
    check_op(lambda x: inv(*LA.svd(x, full_matrices=False)),
             lambda a: inv(*np.linalg.svd(a, full_matrices=False)), [(4, 3), (2, 3, 5)], **TOL32,
             torch_fn=lambda x: inv(*_tl().svd(x, full_matrices=False)))
    u, s, vh = LA.svd(dg.ones(4, 3))
    assert u.shape == (4, 4) and vh.shape == (3, 3)
    check_op(LA.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), [(3, 5)], **TOL32,
             torch_fn=lambda x: _tl().svdvals(x))


def test_eigh_eigvalsh():
    def sym(x):
        return (x + x.mT) / 2 if not isinstance(x, np.ndarray) else (x + x.T) / 2
    check_op(lambda x: (lambda w, v: (w, v * v))(*LA.eigh(sym(x))),
             lambda a: (lambda w, v: (w, v * v))(*np.linalg.eigh(sym(a))), [(4, 4)], **TOL32,
             torch_fn=lambda x: (lambda w, v: (w, v * v))(*_tl().eigh(sym(x))))
    check_op(lambda x: LA.eigvalsh(sym(x), UPLO="U"), lambda a: np.linalg.eigvalsh(sym(a)),
             [(3, 3)], **TOL32)
    w, v = LA.eigh(dg.eye(2) * 3)
    assert w.tolist() == [3.0, 3.0] and LA.eigh(dg.eye(2)).eigenvectors.shape == (2, 2)


def test_lu_family():
    check_op(lambda x: tuple(LA.lu(x))[1:], None, [(3, 3), (4, 2), (2, 4)], **TOL32,
             torch_fn=lambda x: tuple(_tl().lu(x))[1:])
    check_op(lambda x: LA.lu_factor(x).LU, None, [(3, 3)], **TOL32,
             torch_fn=lambda x: _tl().lu_factor(x).LU)
    LU, piv, info = LA.lu_factor_ex(dg.zeros(2, 2))
    assert info.item() == 1
    with pytest.raises(RuntimeError, match="without pivoting"):
        LA.lu_factor(dg.eye(2), pivot=False)
    for left in (True, False):
        for adjoint in (True, False):
            check_op(lambda a, b: LA.lu_solve(*LA.lu_factor(a), b, left=left, adjoint=adjoint),
                     None, [((3, 3), (3, 3))], make=well_conditioned, **TOL32,
                     torch_fn=lambda a, b: _tl().lu_solve(*_tl().lu_factor(a), b, left=left,
                                                          adjoint=adjoint))
    a = np.random.default_rng(1).uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
    b = np.ones((3, 2))
    x = LA.lu_solve(*LA.lu_factor(dg.Tensor(a)), dg.Tensor(b), adjoint=True)
    np.testing.assert_allclose(x.array, np.linalg.solve(a.T, b), atol=1e-12)


def test_pinv_matrix_rank_lstsq():
    check_op(LA.pinv, np.linalg.pinv, [(4, 3), (2, 5)], **TOL32, torch_fn=lambda x: _tl().pinv(x))
    check_op(lambda x: LA.pinv(x + x.mT, hermitian=True),       # read from one triangle
             lambda a: np.linalg.pinv(a + a.T, hermitian=True), [(3, 3)], **TOL32)
    rank1 = dg.Tensor(np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 1e-9]]))
    np.testing.assert_allclose(LA.pinv(rank1, atol=1e-6).array,
                               np.linalg.pinv(rank1.array, rcond=1e-6 / 5), atol=1e-9)
    assert LA.matrix_rank(rank1).item() == 2 and LA.matrix_rank(rank1, atol=1e-6).item() == 1
    assert LA.matrix_rank(dg.ones(3, 3)).dtype == np.int64
    assert LA.matrix_rank(dg.eye(3), hermitian=True).item() == 3
    assert LA.matrix_rank(rank1, tol=1e-6).item() == 1
    a = np.random.default_rng(2).standard_normal((5, 3))
    b = np.random.default_rng(3).standard_normal((5, 2))
    sol, res, rank, sv = LA.lstsq(dg.Tensor(a), dg.Tensor(b), driver="gelsd")
    nsol, nres, nrank, nsv = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(sol.array, nsol, atol=1e-12)
    np.testing.assert_allclose(res.array, nres, atol=1e-12)
    assert rank.item() == nrank
    np.testing.assert_allclose(sv.array, nsv, atol=1e-12)
    assert LA.lstsq(dg.Tensor(a), dg.Tensor(b)).residuals.shape == (0,)           # gelsy
    assert LA.lstsq(dg.Tensor(a), dg.Tensor(b[:, 0])).solution.shape == (3,)
    check_op(lambda x, y: LA.lstsq(x, y).solution,
             lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], [((5, 3), (5, 2))], **TOL32)
    with pytest.raises(ValueError, match="driver must be one of"):
        LA.lstsq(dg.Tensor(a), dg.Tensor(b), driver="gelsx")
    torch = pytest.importorskip("torch")
    for driver in ("gelsy", "gelsd", "gels", "gelss"):
        got = LA.lstsq(dg.Tensor(a), dg.Tensor(b), driver=driver)
        want = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
        for g, w in zip(got, want):
            assert g.shape == tuple(w.shape), driver
            np.testing.assert_allclose(g.array, w.numpy(), atol=1e-10)
    check_op(lambda x, y: LA.lstsq(x, y).solution, None, [((5, 3), (5, 2))],
             torch_fn=lambda x, y: _tl().lstsq(x, y).solution)


def test_matrix_exp_power_multi_dot_matmul():
    check_op(LA.matrix_exp, None, [(3, 3)], torch_fn=lambda x: _tl().matrix_exp(x))
    check_op(lambda x: LA.matrix_power(x, 3), lambda a: np.linalg.matrix_power(a, 3), [(3, 3)],
             **TOL32)
    check_op(lambda a, b, c: LA.multi_dot([a, b, c]), lambda a, b, c: a @ b @ c,
             [((2, 3), (3, 4), (4,))], **TOL32)
    check_op(LA.matmul, np.matmul, [((2, 3), (3,))])


def test_tensorinv_tensorsolve():
    check_op(lambda x: LA.tensorinv(x, 1), lambda a: np.linalg.tensorinv(a, 1), [(6, 2, 3)],
             make=lambda rng, s: well_conditioned(rng, (6, 6)).reshape(s), **TOL32,
             torch_fn=lambda x: _tl().tensorinv(x, 1))
    check_op(LA.tensorsolve, np.linalg.tensorsolve, [((2, 3, 6), (2, 3))],
             make=lambda rng, s: well_conditioned(rng, (6, 6)).reshape(s) if len(s) == 3
             else rng.standard_normal(s), **TOL32, torch_fn=lambda a, b: _tl().tensorsolve(a, b))
    with pytest.raises(RuntimeError, match="must equal the product"):
        LA.tensorinv(dg.ones(2, 3), 1)


def test_norms():
    check_op(LA.norm, lambda a: np.linalg.norm(a.ravel()), [(2, 3, 4), (3,)],
             torch_fn=lambda x: _tl().norm(x))
    for ord, dim in [(3, None), (-1, None), ("nuc", (1, 2)), (1, 0), ("fro", (0, 1))]:
        shape = (5,) if ord == 3 else (3, 4) if dim is None else (2, 3, 4)
        check_op(lambda x: LA.norm(x, ord, dim),
                 lambda a: np.linalg.norm(a, ord, dim if dim is None or len(
                     np.atleast_1d(dim)) == 2 else dim), [shape], **TOL32,
                 torch_fn=lambda x: _tl().norm(x, ord, dim))
    check_op(lambda x: LA.norm(x, dim=1, keepdim=True),
             lambda a: np.linalg.norm(a, axis=1, keepdims=True), [(2, 3)])
    with pytest.raises(RuntimeError, match="1-D or 2-D"):
        LA.norm(dg.ones(2, 2, 2), 2)
    with pytest.raises(RuntimeError, match="matrix norm"):
        LA.norm(dg.ones(3, 2), "fro", 0)
    check_op(lambda x: LA.vector_norm(x, 1.5), None, [(2, 3)],
             torch_fn=lambda x: _tl().vector_norm(x, 1.5))
    check_op(lambda x: LA.matrix_norm(x, -2), None, [(3, 3)],
             torch_fn=lambda x: _tl().matrix_norm(x, -2))


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, float("inf")])
def test_cond(p):
    check_op(lambda x: LA.cond(x, p), lambda a: np.linalg.cond(a, p), [(3, 3), (2, 2, 2)],
             make=well_conditioned, **TOL32)
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(5).uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
    np.testing.assert_allclose(LA.cond(dg.Tensor(a), p).array,
                               torch.linalg.cond(torch.tensor(a), p).numpy(), rtol=1e-10)


def test_cross_vecdot_diagonal_vander_householder():
    check_op(LA.cross, lambda a, b: np.cross(a, b), [((2, 3), (1, 3))],
             torch_fn=lambda a, b: _tl().cross(a, b))
    check_op(lambda a, b: LA.cross(a, b, dim=0), lambda a, b: np.cross(a, b, axis=0),
             [((3, 2), (3, 2))])
    check_op(LA.vecdot, lambda a, b: (a * b).sum(-1), [((2, 3), (3,)), ((4,), (4,))],
             torch_fn=lambda a, b: _tl().vecdot(a, b))
    check_op(lambda a, b: LA.vecdot(a, b, dim=0), lambda a, b: (a * b).sum(0), [((2, 3), (2, 1))])
    check_op(LA.diagonal, lambda a: np.diagonal(a, 0, -2, -1), [(2, 3, 4)],
             torch_fn=lambda x: _tl().diagonal(x))
    check_op(lambda x: LA.diagonal(x, offset=1, dim1=0, dim2=2),
             lambda a: np.diagonal(a, 1, 0, 2), [(3, 2, 4)])
    check_op(LA.vander, lambda a: np.vander(a, increasing=True), [(3,)],
             torch_fn=lambda x: _tl().vander(x))
    check_op(lambda x: LA.vander(x, N=4), lambda a: np.stack(
        [np.vander(r, 4, increasing=True) for r in a]), [(2, 3)])
    with pytest.raises(ValueError, match="greater than 1"):
        LA.vander(dg.ones(3), N=1)
    check_op(LA.householder_product, None, [((4, 3), (2,)), ((2, 3, 3), (2, 3))],
             torch_fn=lambda a, t: _tl().householder_product(a, t))
    with pytest.raises(RuntimeError, match="k <= n"):
        LA.householder_product(dg.ones(4, 2), dg.ones(3))
