"""Factorisations, inverses, determinants and solves (torch-level names: svd, qr, cholesky,
lu, det, inverse, ...): forward against NumPy, gradients by float64 gradcheck (through
gauge-invariant functions of the factors where the factors are only unique up to sign)
and against PyTorch when it is installed."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from torch_last import check_op

TOL32 = dict(rtol32=2e-4, atol32=2e-5)


def _torch():
    import torch
    return torch


def well_conditioned(rng, shape):
    return rng.uniform(-1, 1, shape) + 3 * np.eye(shape[-2], shape[-1])


def spd(x):
    """A symmetric positive-definite matrix from any square x (works for both libraries)."""
    n = x.shape[-1]
    eye = np.eye(n) if isinstance(x, np.ndarray) else type(x)(np.eye(n, dtype=_dt(x)))
    return x @ _mT(x) + n * eye


def _dt(x):
    return x.array.dtype if isinstance(x, dg.Tensor) else np.float64


def _mT(x):
    return np.swapaxes(x, -1, -2) if isinstance(x, np.ndarray) else x.mT


def _torch_spd(x):
    torch = _torch()
    return x @ x.mT + x.shape[-1] * torch.eye(x.shape[-1], dtype=x.dtype)


# ----------------------------------------------------------------- cholesky
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper):
    def ref(a):
        L = np.linalg.cholesky(spd(a))
        return np.swapaxes(L, -1, -2) if upper else L
    check_op(lambda x: ops.cholesky(spd(x), upper), ref, [(3, 3), (2, 4, 4)], **TOL32,
             torch_fn=lambda x: _torch().cholesky(_torch_spd(x), upper))
    check_op(lambda x: spd(x).cholesky(upper=upper), ref, [(2, 2)], **TOL32)


def test_cholesky_not_positive_definite():
    with pytest.raises(dg.linalg.LinAlgError, match="leading minor of order 2"):
        ops.cholesky(dg.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(RuntimeError, match="square matrix"):
        ops.cholesky(dg.zeros(2, 3))
    with pytest.raises(TypeError, match="float32 or float64"):
        ops.cholesky(dg.tensor([[1, 0], [0, 1]]))


def test_cholesky_solve_and_inverse():
    def chol(x):
        return ops.cholesky(spd(x))
    check_op(lambda x, b: ops.cholesky_solve(b, chol(x)),
             lambda a, b: np.linalg.solve(spd(a), b), [((3, 3), (3, 2)), ((2, 3, 3), (3, 1))],
             **TOL32, torch_fn=lambda x, b: _torch().cholesky_solve(
                 b, _torch().linalg.cholesky(_torch_spd(x))))
    check_op(lambda x, b: b.cholesky_solve(ops.cholesky(spd(x), True), upper=True),
             lambda a, b: np.linalg.solve(spd(a), b), [((3, 3), (3, 2))], **TOL32)
    check_op(lambda x: ops.cholesky_inverse(chol(x)), lambda a: np.linalg.inv(spd(a)),
             [(3, 3)], **TOL32,
             torch_fn=lambda x: _torch().cholesky_inverse(_torch().linalg.cholesky(_torch_spd(x))))
    check_op(lambda x: chol(x).cholesky_inverse(), lambda a: np.linalg.inv(spd(a)), [(2, 2)],
             **TOL32)


# ----------------------------------------------------------------- qr
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5), (2, 4, 2)])
def test_qr(shape):
    def ref(a):
        return tuple(np.linalg.qr(a))
    check_op(lambda x: tuple(ops.qr(x)), ref, [shape], **TOL32,
             torch_fn=lambda x: tuple(_torch().linalg.qr(x)))
    check_op(lambda x: tuple(x.qr(some=True)), ref, [shape], **TOL32)


def test_qr_complete_and_r():
    a = np.random.default_rng(0).standard_normal((4, 2))
    q, r = ops.qr(dg.Tensor(a), some=False)
    assert q.shape == (4, 4) and r.shape == (4, 2)
    np.testing.assert_allclose((q @ r).array, a, atol=1e-12)
    x = dg.Tensor(a, requires_grad=True)
    q, r = ops.qr(x, some=False)
    with pytest.raises(RuntimeError, match="mode='complete' is not defined"):
        (q.sum() + r.sum()).backward()
    check_op(lambda x: tuple(ops.qr(x, some=False)), lambda a: tuple(np.linalg.qr(a, "complete")),
             [(2, 4)], **TOL32)                                        # wide: differentiable


# ----------------------------------------------------------------- svd
def _svd_invariants(u, s, v):
    """Functions of the factors that do not depend on the sign of each singular pair."""
    return u @ _mT(v) if isinstance(u, np.ndarray) else u @ v.mT, s, u * u, v * v


def test_svd_legacy():
    def ref(a, some=True):
        u, s, vh = np.linalg.svd(a, full_matrices=not some)
        k = s.shape[-1]
        return _svd_invariants(u[..., :k], s, np.swapaxes(vh, -1, -2)[..., :k])

    def ours(x, some=True):
        u, s, v = ops.svd(x, some)
        k = s.shape[-1]
        return _svd_invariants(u[..., :k], s, v[..., :k])
    for shape in [(4, 3), (3, 5), (2, 3, 3)]:
        check_op(ours, ref, [shape], **TOL32,
                 torch_fn=lambda x: _svd_invariants(*_torch().svd(x)))
    check_op(lambda x: ours(x, some=False), lambda a: ref(a, some=False), [(4, 3)], **TOL32)
    u, s, v = ops.svd(dg.ones(4, 3), some=False)
    assert u.shape == (4, 4) and v.shape == (3, 3)
    u, s, v = ops.svd(dg.ones(2, 4, 3), compute_uv=False)
    assert u.shape == (2, 4, 4) and not u.array.any() and v.shape == (2, 3, 3)
    np.testing.assert_allclose(s.array, np.linalg.svd(np.ones((2, 4, 3)), compute_uv=False),
                               atol=1e-6)


def test_svdvals():
    check_op(ops.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), [(3, 4), (2, 3, 2)],
             **TOL32, torch_fn=lambda x: _torch().linalg.svdvals(x))


# ----------------------------------------------------------------- eigh
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_and_eigvalsh(uplo):
    def sym(x):
        return (x + _mT(x)) / 2

    def ref(a):
        w, v = np.linalg.eigh(sym(a), UPLO=uplo)
        return w, v * v
    check_op(lambda x: (lambda w, v: (w, v * v))(*ops.eigh(sym(x), uplo)), ref,
             [(3, 3), (2, 4, 4)], **TOL32,
             torch_fn=lambda x: (lambda w, v: (w, v * v))(*_torch().linalg.eigh(sym(x), uplo)))
    check_op(lambda x: ops.eigvalsh(sym(x), uplo), lambda a: np.linalg.eigvalsh(sym(a), uplo),
             [(3, 3)], **TOL32, torch_fn=lambda x: _torch().linalg.eigvalsh(sym(x), uplo))
    with pytest.raises(ValueError, match="UPLO must be 'L' or 'U'"):
        ops.eigh(dg.eye(2), "X")


def test_eigh_reads_one_triangle_with_a_symmetric_gradient():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(3).standard_normal((3, 3))
    x, t = dg.Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    w, v = ops.eigh(x, "U")
    tw, tv = torch.linalg.eigh(t, "U")
    np.testing.assert_allclose(w.array, tw.detach().numpy(), atol=1e-12)
    (w.sum() + (v * v * dg.Tensor(a)).sum()).backward()
    (tw.sum() + (tv * tv * torch.tensor(a)).sum()).backward()
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), atol=1e-10)


# ----------------------------------------------------------------- LU
def _p_l_u(a):
    """Reference partial-pivoting LU (Doolittle with row swaps at the largest pivot)."""
    a = np.array(a, dtype=np.float64)
    m, n = a.shape
    perm = np.arange(m)
    lu = a.copy()
    for j in range(min(m, n)):
        p = j + np.argmax(np.abs(lu[j:, j]))
        lu[[j, p]] = lu[[p, j]]
        perm[[j, p]] = perm[[p, j]]
        if lu[j, j] != 0:
            lu[j + 1:, j] /= lu[j, j]
            lu[j + 1:, j + 1:] -= np.outer(lu[j + 1:, j], lu[j, j + 1:])
    k = min(m, n)
    L = np.tril(lu[:, :k], -1) + np.eye(m, k)
    U = np.triu(lu[:k])
    P = np.zeros((m, m))
    P[perm, np.arange(m)] = 1
    return P, L, U


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_lu_factor_and_unpack(shape):
    def ref(a):
        P, L, U = _p_l_u(a)
        return L, U

    def ours(x):
        LU, piv = ops.lu(x)
        _, L, U = ops.lu_unpack(LU, piv)
        return L, U
    check_op(ours, ref, [shape], **TOL32, torch_fn=lambda x: tuple(_torch().linalg.lu(x))[1:])
    a = np.random.default_rng(1).standard_normal(shape)
    P, L, U = ops.lu_unpack(*ops.lu_factor(dg.Tensor(a)))
    np.testing.assert_allclose((P @ L @ U).array, a, atol=1e-12)
    np.testing.assert_array_equal(P.array, _p_l_u(a)[0])
    LU, piv, info = ops.lu_factor_ex(dg.Tensor(a))
    assert piv.dtype == np.int32 and info.item() == 0
    P2, L2, U2 = ops.lu_unpack(LU, piv, unpack_data=False)
    assert L2.shape == (0,) and P2.shape == (shape[0], shape[0])


def test_lu_singular_and_pivots_against_torch():
    LU, piv, info = ops.lu(dg.tensor([[0.0, 0.0], [0.0, 1.0]]), get_infos=True)
    assert info.item() == 1
    with pytest.raises(dg.linalg.LinAlgError, match="singular"):
        ops.lu(dg.zeros(2, 2))
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).standard_normal((3, 4, 4))
    LU, piv = ops.lu_factor(dg.Tensor(a))
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    np.testing.assert_array_equal(piv.array, tpiv.numpy())
    np.testing.assert_allclose(LU.array, tLU.numpy(), atol=1e-12)


def test_lu_solve():
    def solve_ref(a, b):
        return np.linalg.solve(a, b)
    check_op(lambda x, b: ops.lu_solve(b, *ops.lu(x)), solve_ref, [((3, 3), (3, 2))],
             make=well_conditioned, **TOL32,
             torch_fn=lambda x, b: _torch().lu_solve(b, *_torch().linalg.lu_factor(x)))
    check_op(lambda x, b: b.lu_solve(*x.lu()), solve_ref, [((2, 3, 3), (2, 3, 1))],
             make=well_conditioned, **TOL32)


# ----------------------------------------------------------------- inverse, det, solves
def test_inverse_det_logdet_slogdet():
    check_op(ops.inverse, np.linalg.inv, [(3, 3), (2, 2, 2)], make=well_conditioned, **TOL32,
             torch_fn=lambda x: _torch().inverse(x))
    check_op(lambda x: x.inverse(), np.linalg.inv, [(2, 2)], make=well_conditioned, **TOL32)
    check_op(ops.det, np.linalg.det, [(3, 3), (2, 2, 2), (1, 1)], **TOL32,
             torch_fn=lambda x: _torch().det(x))
    check_op(lambda x: x.det(), np.linalg.det, [(2, 2)], **TOL32)
    check_op(lambda x: tuple(ops.slogdet(x)), lambda a: tuple(np.linalg.slogdet(a)),
             [(3, 3), (2, 2, 2)], make=well_conditioned, **TOL32,
             torch_fn=lambda x: tuple(_torch().slogdet(x)))
    check_op(ops.logdet, lambda a: np.log(np.linalg.det(a)), [(3, 3)], make=well_conditioned,
             **TOL32, torch_fn=lambda x: _torch().logdet(x))
    check_op(lambda x: x.logdet(), lambda a: np.log(np.linalg.det(a)), [(2, 2)],
             make=well_conditioned, **TOL32)
    check_op(lambda x: tuple(x.slogdet()), lambda a: tuple(np.linalg.slogdet(a)), [(2, 2)],
             make=well_conditioned, **TOL32)


def test_det_gradient_of_singular_matrix_is_the_adjugate():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])     # rank 2
    x = dg.Tensor(a, requires_grad=True)
    ops.det(x).backward()
    cof = np.array([[np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j)
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(x.grad.array, cof, atol=1e-12)
    assert dg.gradcheck(ops.det, [dg.Tensor(a, requires_grad=True)])


def test_logdet_of_negative_and_singular():
    assert np.isnan(ops.logdet(dg.tensor([[-1.0, 0.0], [0.0, 1.0]])).item())
    assert ops.logdet(dg.zeros(2, 2)).item() == -np.inf
    sign, logabs = ops.slogdet(dg.zeros(2, 2))
    assert sign.item() == 0 and logabs.item() == -np.inf
    with pytest.raises(dg.linalg.LinAlgError, match="singular"):
        ops.inverse(dg.zeros(2, 2))


def test_triangular_solve_legacy():
    def ref(b, a, upper, transpose, unit):
        t = np.triu(a) if upper else np.tril(a)
        if unit:
            t = t - np.diag(np.diag(t)) + np.eye(len(t))
        return np.linalg.solve(t.T if transpose else t, b), a
    for upper in (True, False):
        for transpose in (False, True):
            for unit in (False, True):
                kw = dict(upper=upper, transpose=transpose, unitriangular=unit)
                check_op(lambda b, a: tuple(ops.triangular_solve(b, a, **kw)),
                         lambda b, a: ref(b, a, upper, transpose, unit),
                         [((3, 2), (3, 3))], make=well_conditioned, **TOL32,
                         torch_fn=lambda b, a: tuple(_torch().triangular_solve(b, a, **kw)))
    check_op(lambda b, a: b.triangular_solve(a)[0], lambda b, a: ref(b, a, True, False, False)[0],
             [((2, 3, 1), (2, 3, 3))], make=well_conditioned, **TOL32)


def test_pinverse_and_matrix_exp():
    check_op(ops.pinverse, np.linalg.pinv, [(4, 3), (2, 5), (2, 3, 3)], **TOL32,
             torch_fn=lambda x: _torch().pinverse(x))
    check_op(lambda x: x.pinverse(), np.linalg.pinv, [(3, 2)], **TOL32)
    rank1 = dg.tensor([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(ops.pinverse(rank1).array, np.linalg.pinv(rank1.array), atol=1e-6)

    def expm_ref(a):
        out, term = np.eye(a.shape[-1]) + 0 * a, np.eye(a.shape[-1]) + 0 * a
        for k in range(1, 40):
            term = term @ a / k
            out = out + term
        return out
    check_op(ops.matrix_exp, expm_ref, [(3, 3), (2, 2, 2), (1, 1)], **TOL32,
             torch_fn=lambda x: _torch().matrix_exp(x))
    check_op(lambda x: x.matrix_exp(), expm_ref, [(2, 2)], **TOL32)
    big = dg.Tensor(np.array([[0.0, 30.0], [-30.0, 0.0]]))          # exp = rotation by 30 rad
    np.testing.assert_allclose(ops.matrix_exp(big).array,
                               [[np.cos(30), np.sin(30)], [-np.sin(30), np.cos(30)]], atol=1e-9)


def test_adjoint():
    check_op(ops.adjoint, lambda a: np.swapaxes(a, -1, -2), [(2, 3), (2, 3, 4)])
    check_op(lambda x: x.adjoint(), lambda a: np.swapaxes(a, -1, -2), [(2, 3)])
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ops.adjoint(dg.zeros(3))


# ----------------------------------------------------------------- Householder
def test_geqrf_orgqr_ormqr():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 4, 3))
    r, tau = ops.geqrf(dg.Tensor(a))
    q = ops.orgqr(r, tau)
    np.testing.assert_allclose((q @ ops.triu(r[..., :3, :])).array, a, atol=1e-12)
    np.testing.assert_allclose(np.abs(q.array), np.abs(np.linalg.qr(a)[0]), atol=1e-12)
    c = rng.standard_normal((4, 2))
    full_q = ops.ormqr(r[0], tau[0], dg.eye(4, dtype=dg.float64))
    np.testing.assert_allclose((full_q.mT @ full_q).array, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(ops.ormqr(r[0], tau[0], dg.Tensor(c), transpose=True).array,
                               full_q.array.T @ c, atol=1e-12)
    check_op(lambda x, t: ops.orgqr(x, t), None, [((4, 3), (2,))])         # gradients
    check_op(lambda x, t, y: x.ormqr(t, y, left=False), None, [((3, 3), (2,), (2, 3))])
    torch = pytest.importorskip("torch")
    tr, ttau = torch.geqrf(torch.tensor(a))
    np.testing.assert_allclose(r.array, tr.numpy(), atol=1e-12)
    np.testing.assert_allclose(tau.array, ttau.numpy(), atol=1e-12)
    check_op(lambda x, t: ops.orgqr(x, t), None, [((4, 3), (3,))],
             torch_fn=lambda x, t: _torch().orgqr(x, t))
    check_op(lambda x, t, y: ops.ormqr(x, t, y, True, True), None, [((4, 3), (3,), (4, 2))],
             torch_fn=lambda x, t, y: _torch().ormqr(x, t, y, True, True))


def test_geqrf_has_no_gradient():
    x = dg.ones(3, 2, requires_grad=True)
    r, tau = x.geqrf()
    with pytest.raises(RuntimeError, match="derivative of geqrf is not implemented"):
        r.sum().backward()


# ----------------------------------------------------------------- randomized low rank
def test_svd_lowrank_and_pca_lowrank():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((8, 3)) @ rng.standard_normal((3, 6))        # rank 3
    dg.manual_seed(0)
    for A in (a, a.T):
        u, s, v = ops.svd_lowrank(dg.Tensor(A), q=3)
        assert u.shape == (A.shape[0], 3) and v.shape == (A.shape[1], 3)
        np.testing.assert_allclose((u * s @ v.mT).array, A, atol=1e-10)
        np.testing.assert_allclose(s.array, np.linalg.svd(A, compute_uv=False)[:3], rtol=1e-10)
    centred = a - a.mean(axis=0)
    u, s, v = ops.pca_lowrank(dg.Tensor(a), q=3)
    np.testing.assert_allclose(s.array, np.linalg.svd(centred, compute_uv=False)[:3], rtol=1e-9)
    m = dg.Tensor(np.full((8, 6), 0.5))
    u, s, v = ops.svd_lowrank(dg.Tensor(a) + m, q=3, M=m)
    np.testing.assert_allclose((u * s @ v.mT).array, a, atol=1e-10)
    x = dg.Tensor(a, requires_grad=True)
    ops.pca_lowrank(x, q=2)[1].sum().backward()
    assert x.grad.shape == a.shape and np.isfinite(x.grad.array).all()
    with pytest.raises(ValueError, match="q must be in"):
        ops.svd_lowrank(dg.Tensor(a), q=7)
