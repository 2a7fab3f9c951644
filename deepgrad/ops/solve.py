"""Inverses, determinants, linear solves, the pseudo-inverse, least squares and the matrix
exponential, with gradients. Batched over leading axes; notation as in
:mod:`deepgrad.ops.decomp` (G_X = dL/dX, mT = transpose of the last two axes).

    inv:       Y = A^-1                  G_A = -Y^T G Y^T
    solve:     X = A^-1 B                G_B = A^-T G,   G_A = -G_B X^T
    triangular X = T^-1 B (T a triangle) G_B = T^-T G,   G_A = -tri(G_B X^T) (same triangle)
    det:       d = det A                 G_A = G adj(A)^T  (= G d A^-T when A is invertible;
                                          from the SVD A = U S V^T, adj(A)^T =
                                          det(U) det(V) U diag(prod_{j != i} s_j) V^T, which
                                          stays exact for singular A)
    slogdet:   l = log|det A|            G_A = G A^-T   (the sign has no gradient)
    pinv:      P = A^+                   PyTorch's formula, valid while the rank is constant:
               m <= n: K = G^T P,   G_A = -(P K)^T + K P^T - A P K P^T + P^T P (G^T - K A)
               m > n:  K = P G^T,   G_A = -(K P)^T + P^T K - P^T K P A + (G^T - A K) P P^T
    matrix_exp: E = exp(A)               G_A = the top-right block of exp([[A^T, G], [0, A^T]])
                                          (the adjoint of the Frechet derivative)
"""
import collections

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import operands
from deepgrad.ops.decomp import (
    LinAlgError, cholesky_array, cholesky_info, lu_factor_array, mT, matrix_check,
    square_check, solve_tri)

SlogdetResult = collections.namedtuple("slogdet", ["sign", "logabsdet"])
InvExResult = collections.namedtuple("inv_ex", ["inverse", "info"])
SolveExResult = collections.namedtuple("solve_ex", ["result", "info"])
CholeskyExResult = collections.namedtuple("cholesky_ex", ["L", "info"])
LstsqResult = collections.namedtuple("lstsq", ["solution", "residuals", "rank",
                                               "singular_values"])
TriangularSolveResult = collections.namedtuple("triangular_solve",
                                               ["solution", "cloned_coefficient"])


def _singular(name, a):
    info = lu_factor_array(a)[2]
    k = int(info[info > 0].min()) if (info > 0).any() else 0
    return LinAlgError(f"{name}: the diagonal element {k} is zero, the inversion could not be "
                       f"completed because the input matrix is singular")


class Inv(Function):
    """Y = A^-1;  G_A = -Y^T G Y^T."""

    def forward(self, a):
        try:
            self.y = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular("linalg.inv", a) from None
        return self.y

    def backward(self, g):
        yt = mT(self.y)
        return -(yt @ g @ yt)


class Solve(Function):
    """X = A^-1 B (B a batch of (n, k) matrices);  G_B = A^-T G,  G_A = -G_B X^T."""

    def forward(self, a, b):
        try:
            self.x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.solve: the solver failed because the input matrix is "
                              "singular") from None
        self.a = a
        return self.x

    def backward(self, g):
        gb = np.linalg.solve(mT(self.a), g)
        ga = -(gb @ mT(self.x)) if self.needs_grad[0] else None
        return ga, gb if self.needs_grad[1] else None


class TriangularSolve(Function):
    """X = T^-1 B, T = A's upper or lower triangle (unit diagonal when ``unit``);
    G_B = T^-T G,  G_A = -tri(G_B X^T) (strictly off the diagonal when ``unit``)."""

    def forward(self, a, b, upper=True, unit=False):
        self.a, self.upper, self.unit = a, upper, unit
        try:
            self.x = solve_tri(a, b, lower=not upper, unit=unit)
        except np.linalg.LinAlgError:
            raise LinAlgError("solve_triangular: the triangular matrix is singular (a zero on "
                              "its diagonal)") from None
        return self.x

    def backward(self, g):
        gb = solve_tri(mT(self.a), g, lower=self.upper, unit=self.unit)
        ga = None
        if self.needs_grad[0]:
            full = -(gb @ mT(self.x))
            k = 1 if self.unit else 0
            ga = np.triu(full, k) if self.upper else np.tril(full, -k)
        return ga, gb if self.needs_grad[1] else None


def _products_except_each(s):
    """p_i = prod_{j != i} s_j along the last axis (no division, so zeros are fine)."""
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


class Det(Function):
    """d = det A;  G_A = G adj(A)^T, computed from the SVD (exact for singular A too)."""

    def forward(self, a):
        self.a = a
        return np.linalg.det(a)

    def backward(self, g):
        a = self.a
        if a.shape[-1] == 0:
            return np.zeros_like(a)
        u, s, vh = np.linalg.svd(a)
        scale = np.linalg.det(u) * np.linalg.det(vh)
        adj_t = (u * _products_except_each(s)[..., None, :]) @ vh
        return (g * scale)[..., None, None] * adj_t


class LogAbsDet(Function):
    """l = log|det A|;  G_A = G A^-T (infinite for singular A)."""

    def forward(self, a):
        self.a = a
        return np.linalg.slogdet(a)[1]

    def backward(self, g):
        try:
            inv_t = mT(np.linalg.inv(self.a))
        except np.linalg.LinAlgError:
            inv_t = np.full(self.a.shape, np.nan, dtype=self.a.dtype)
        return g[..., None, None] * inv_t


class Pinv(Function):
    """P = A^+ (SVD, or eigh when ``hermitian``, singular values below ``tol`` dropped);
    G_A: PyTorch's formula in the module docstring."""

    def forward(self, a, atol=None, rtol=None, hermitian=False):
        self.a = a
        if hermitian:
            w, v = np.linalg.eigh(a)
            keep = np.abs(w) > _cutoff(np.abs(w).max(axis=-1, initial=0), atol, rtol, a)
            inv_w = np.where(keep, 1 / np.where(keep, w, 1), 0)
            self.p = (v * inv_w[..., None, :]) @ mT(v)
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=False)
            keep = s > _cutoff(s.max(axis=-1, initial=0), atol, rtol, a)
            inv_s = np.where(keep, 1 / np.where(keep, s, 1), 0)
            self.p = (mT(vh) * inv_s[..., None, :]) @ mT(u)
        return self.p

    def backward(self, g):
        a, p = self.a, self.p
        m, n = a.shape[-2:]
        pt, gt = mT(p), mT(g)
        if m <= n:
            k = gt @ p
            kpt = k @ pt
            return -mT(p @ k) + kpt - (a @ p) @ kpt + (pt @ p) @ (gt - k @ a)
        k = p @ gt
        ptk = pt @ k
        return -mT(k @ p) + ptk - ptk @ p @ a + (gt - a @ k) @ p @ pt


def _cutoff(smax, atol, rtol, a):
    """max(atol, rtol * s_max); rtol defaults to eps * max(m, n) when atol is 0 or None."""
    atol_v = 0.0 if atol is None else np.asarray(atol, dtype=a.dtype)
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:]) if atol is None or np.all(
            np.asarray(atol) == 0) else 0.0
    tol = np.maximum(atol_v, np.asarray(rtol, dtype=a.dtype) * smax)
    return np.asarray(tol)[..., None]


# Pade(13) scaling and squaring (Higham 2005)
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def expm_array(a):
    """exp(A) of a batch of square matrices: scale by 2^-s so ||A||_1 <= theta_13, the
    [13/13] Pade approximant, then square s times."""
    n = a.shape[-1]
    norm = np.abs(a).sum(axis=-2).max(axis=-1, initial=0) if n else np.zeros(a.shape[:-2])
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / _THETA13))).astype(int)
    x = a / (2.0 ** s)[..., None, None]
    b = _PADE13
    eye = np.eye(n, dtype=a.dtype)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2
             + b[1] * eye)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 \
        + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for step in range(int(s.max(initial=0))):
        sq = r @ r
        r = np.where((s > step)[..., None, None], sq, r)
    return r.astype(a.dtype, copy=False)


class MatrixExp(Function):
    """E = exp(A);  G_A = top-right block of exp([[A^T, G], [0, A^T]])."""

    def forward(self, a):
        self.a = a
        return expm_array(a)

    def backward(self, g):
        n = g.shape[-1]
        block = np.zeros(g.shape[:-2] + (2 * n, 2 * n), dtype=g.dtype)
        at = mT(np.broadcast_to(self.a, g.shape))
        block[..., :n, :n] = at
        block[..., n:, n:] = at
        block[..., :n, n:] = g
        return expm_array(block)[..., :n, n:]


# ----------------------------------------------------------------------------- public
def _float_matrix(name, A, square=True):
    a = to_tensor(A)
    matrix_check(name, a)
    if square:
        square_check(name, a)
    return a


def inv(A):
    """A^-1 of square A (batched); raises LinAlgError for a singular matrix."""
    return Inv.apply(_float_matrix("linalg.inv", A))


inverse = inv


def inv_ex(A, *, check_errors=False):
    """(inverse, info): info is 0, or per matrix the 1-based index of the first zero pivot
    of its LU factorisation (the inverse is then NaN and not meaningful)."""
    a = _float_matrix("linalg.inv_ex", A)
    info = lu_factor_array(a.array)[2]
    T = _fn._Tensor
    if not info.any():
        return InvExResult(Inv.apply(a), T._wrap(info))
    if check_errors:
        raise _singular("linalg.inv_ex", a.array)
    y = np.full(a.shape, np.nan, dtype=a.dtype)
    ok = info == 0
    y[ok] = np.linalg.inv(a.array[ok])
    return InvExResult(T._wrap(y), T._wrap(info))


def det(A):
    """det A (batched); gradient G adj(A)^T (exact for singular A too)."""
    return Det.apply(_float_matrix("linalg.det", A))


def slogdet(A):
    """(sign, logabsdet) with det A = sign * exp(logabsdet); only logabsdet has a gradient
    (G A^-T). A singular matrix gives sign 0 and logabsdet -inf."""
    a = _float_matrix("linalg.slogdet", A)
    sign = np.linalg.slogdet(a.array)[0].astype(a.dtype)
    return SlogdetResult(_fn._Tensor._wrap(sign), LogAbsDet.apply(a))


def logdet(A):
    """log det A: log|det A| where det A > 0, -inf where it is 0 and NaN (with no
    gradient) where it is negative."""
    from deepgrad.ops.elementwise import Where
    sign, logabs = slogdet(A)
    nan = _fn._Tensor._wrap(np.array(np.nan, dtype=logabs.dtype))
    return Where.apply(nan, logabs, cond=sign.array < 0)


def _rhs(name, a, b):
    """B as a batch of matrices, and whether it was a (batch of) vector(s): B is a vector
    when 1-D or when its shape is A's without the last axis (PyTorch's rule)."""
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    from deepgrad.ops.shape import unsqueeze
    bm = unsqueeze(b, -1) if vector else b
    if bm.ndim < 2 or bm.shape[-2] != a.shape[-1]:
        raise RuntimeError(f"{name}: incompatible shapes of A and B for the equation AX = B "
                           f"({tuple(a.shape)} and {tuple(b.shape)})")
    try:
        np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    except ValueError:
        raise RuntimeError(f"{name}: the batch shapes of A {tuple(a.shape)} and B "
                           f"{tuple(b.shape)} cannot be broadcast") from None
    return bm, vector


def solve(A, B, *, left=True):
    """X with A X = B (``left``) or X A = B, A square (batched, broadcast). B may be a
    vector or a batch of vectors. Raises LinAlgError for a singular A."""
    from deepgrad.ops.shape import squeeze, transpose
    a = _float_matrix("linalg.solve", A)
    a, b = operands("linalg.solve", a, B)
    if not left:
        return transpose(solve(transpose(a, -1, -2), transpose(b, -1, -2)), -1, -2)
    bm, vector = _rhs("linalg.solve", a, b)
    x = Solve.apply(a, bm)
    return squeeze(x, -1) if vector else x


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info): ``solve`` with info = the first zero pivot of A's LU (0 if none);
    where A is singular the result is NaN (not meaningful)."""
    from deepgrad.ops.shape import transpose
    a = _float_matrix("linalg.solve_ex", A)
    a, b = operands("linalg.solve_ex", a, B)
    if not left:
        x, info = solve_ex(transpose(a, -1, -2), transpose(b, -1, -2), check_errors=check_errors)
        return SolveExResult(transpose(x, -1, -2), info)
    info = lu_factor_array(a.array)[2]
    if not info.any():
        return SolveExResult(solve(a, b), _fn._Tensor._wrap(info))
    if check_errors:
        raise LinAlgError("linalg.solve_ex: the solver failed because the input matrix is "
                          "singular")
    bm, vector = _rhs("linalg.solve_ex", a, b)
    shape = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2]) + (a.shape[-1], bm.shape[-1])
    nan = np.full(shape[:-1] if vector else shape, np.nan, dtype=a.dtype)
    return SolveExResult(_fn._Tensor._wrap(nan), _fn._Tensor._wrap(info))


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with T X = B (``left``) or X T = B, T = A's upper (``upper=True``) or lower
    triangle, with a unit diagonal when ``unitriangular`` (A's diagonal is then not read)."""
    from deepgrad.ops.shape import transpose
    a = _float_matrix("linalg.solve_triangular", A)
    a, b = operands("linalg.solve_triangular", a, B)
    if b.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: B must be a matrix or a batch of "
                           f"matrices, received shape {tuple(b.shape)}")
    if not left:
        xt = solve_triangular(transpose(a, -1, -2), transpose(b, -1, -2), upper=not upper,
                              unitriangular=unitriangular)
        return transpose(xt, -1, -2)
    if b.shape[-2] != a.shape[-1]:
        raise RuntimeError(f"linalg.solve_triangular: incompatible shapes of A and B "
                           f"({tuple(a.shape)} and {tuple(b.shape)})")
    return TriangularSolve.apply(a, b, upper=bool(upper), unit=bool(unitriangular))


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """``torch.triangular_solve``: (X, A.clone()) with op(T) X = b, op = transpose or not."""
    from deepgrad.ops.elementwise import clone
    from deepgrad.ops.shape import transpose as _t
    a = _float_matrix("triangular_solve", A)
    coef = _t(a, -1, -2) if transpose else a
    x = solve_triangular(coef, b, upper=bool(upper) != bool(transpose),
                         unitriangular=unitriangular)
    return TriangularSolveResult(x, clone(a))


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): info = 0, or per matrix the order of the first leading minor that is not
    positive-definite (L is then NaN and not meaningful)."""
    from deepgrad.ops.decomp import cholesky
    a = _float_matrix("linalg.cholesky_ex", A)
    info = cholesky_info(a.array)
    T = _fn._Tensor
    if not info.any():
        return CholeskyExResult(cholesky(a, upper=upper), T._wrap(info))
    if check_errors:
        cholesky_array("linalg.cholesky_ex", a.array)
    out = np.full(a.shape, np.nan, dtype=a.dtype)
    ok = info == 0
    out[ok] = np.linalg.cholesky(a.array[ok])
    return CholeskyExResult(T._wrap(mT(out) if upper else out), T._wrap(info))


def cholesky_solve(B, L, upper=False):
    """X = (L L^T)^-1 B from the Cholesky factor L (or U with A = U^T U when ``upper``):
    two triangular solves."""
    from deepgrad.ops.shape import transpose
    L = _float_matrix("cholesky_solve", L)
    Lt = transpose(L, -1, -2)
    lower, upper_f = (Lt, L) if upper else (L, Lt)
    y = solve_triangular(lower, B, upper=False)
    return solve_triangular(upper_f, y, upper=True)


def cholesky_inverse(L, upper=False):
    """(L L^T)^-1 (or (U^T U)^-1) from a Cholesky factor."""
    L = _float_matrix("cholesky_inverse", L)
    eye = _fn._Tensor._wrap(np.broadcast_to(np.eye(L.shape[-1], dtype=L.dtype), L.shape).copy())
    return cholesky_solve(eye, L, upper=upper)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (or X A = B; A^T in place of A when ``adjoint``) from A's packed LU
    factors and pivots (``linalg.lu_factor``): triangular solves, differentiable in LU and B."""
    from deepgrad.ops.decomp import lu_unpack
    from deepgrad.ops.linalg import matmul
    from deepgrad.ops.shape import transpose
    P, L, U = lu_unpack(LU, pivots)
    t = lambda x: transpose(x, -1, -2)                                   # noqa: E731
    if not left:                          # X A = B  <=>  A^T X^T = B^T
        return t(lu_solve(LU, pivots, t(to_tensor(B)), adjoint=not adjoint))
    if adjoint:                           # A^T = U^T L^T P^T
        y = solve_triangular(t(U), B, upper=False)
        z = solve_triangular(t(L), y, upper=True, unitriangular=True)
        return matmul(P, z)
    y = solve_triangular(L, matmul(t(P), B), upper=False, unitriangular=True)
    return solve_triangular(U, y, upper=True)


def lu_solve_legacy(b, LU_data, LU_pivots):
    """``torch.lu_solve(b, LU_data, LU_pivots)``: A X = b from ``torch.lu``'s factors."""
    return lu_solve(LU_data, LU_pivots, b)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The Moore-Penrose pseudo-inverse A^+ (n, m): singular values (eigenvalue magnitudes
    when ``hermitian``) at or below max(atol, rtol * s_max) count as zero; rtol defaults
    to eps * max(m, n) (``rcond`` is the older name of rtol)."""
    a = _float_matrix("linalg.pinv", A, square=bool(hermitian))
    if rcond is not None:
        if rtol is not None:
            raise TypeError("linalg.pinv: pass rcond or rtol, not both")
        rtol = rcond
    atol = atol.array if isinstance(atol, _fn._Tensor) else atol
    rtol = rtol.array if isinstance(rtol, _fn._Tensor) else rtol
    return Pinv.apply(a, atol=atol, rtol=rtol, hermitian=bool(hermitian))


def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: ``linalg.pinv`` with rtol = rcond."""
    return pinv(input, rtol=rcond)


def matrix_exp(A):
    """exp(A) = sum_k A^k / k! of square A (batched), by scaling and squaring."""
    return MatrixExp.apply(_float_matrix("linalg.matrix_exp", A))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values (eigenvalue magnitudes when ``hermitian``) above
    max(atol, rtol * s_max), as int64; ``tol`` is the older name of atol (with rtol 0)."""
    a = _float_matrix("linalg.matrix_rank", A, square=bool(hermitian))
    if tol is not None:
        atol, rtol = tol, 0.0 if rtol is None else rtol
    s = np.abs(np.linalg.eigvalsh(a.array)) if hermitian else \
        np.linalg.svd(a.array, compute_uv=False)
    atol = atol.array if isinstance(atol, _fn._Tensor) else atol
    rtol = rtol.array if isinstance(rtol, _fn._Tensor) else rtol
    keep = s > _cutoff(s.max(axis=-1, initial=0), atol, rtol, a.array)
    return _fn._Tensor._wrap(keep.sum(axis=-1).astype(np.int64))


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X = B (minimum norm where A is rank-deficient).

    Returns (solution, residuals, rank, singular_values), as PyTorch on the CPU: residuals
    (squared column norms of A X - B) when m > n, every matrix has full rank and the driver
    is not 'gelsy'; rank for gelsy/gelsd/gelss; singular values for gelsd/gelss; an empty
    tensor otherwise. Every driver computes the solution as A^+ B with the cutoff
    rcond * s_max (default eps * max(m, n)), which for full-rank A is the unique answer the
    LAPACK drivers give; its gradient is pinv's.
    """
    from deepgrad.ops.linalg import matmul
    from deepgrad.ops.shape import squeeze
    a = _float_matrix("linalg.lstsq", A, square=False)
    a, b = operands("linalg.lstsq", a, B)
    driver = "gelsy" if driver is None else driver
    if driver not in _LSTSQ_DRIVERS:
        raise ValueError(f"linalg.lstsq: driver must be one of {_LSTSQ_DRIVERS}, received "
                         f"{driver!r}")
    if b.ndim == a.ndim - 1 or b.ndim == 1:
        from deepgrad.ops.shape import unsqueeze
        bm, vector = unsqueeze(b, -1), True
    else:
        bm, vector = b, False
    if bm.shape[-2] != a.shape[-2]:
        raise RuntimeError(f"linalg.lstsq: A {tuple(a.shape)} and B {tuple(b.shape)} must "
                           f"have the same number of rows")
    rtol = np.finfo(a.dtype).eps * max(a.shape[-2:]) if rcond is None or rcond < 0 else rcond
    x = matmul(Pinv.apply(a, atol=None, rtol=rtol, hermitian=False), bm)
    s = np.linalg.svd(a.array, compute_uv=False)
    rank = (s > rtol * s.max(axis=-1, initial=0)[..., None]).sum(axis=-1)
    m, n = a.shape[-2:]
    T = _fn._Tensor
    empty = T._wrap(np.zeros((0,), dtype=a.dtype))
    residuals = empty
    if driver != "gelsy" and m > n and np.all(rank == n):
        r = matmul(a, x).array - bm.array
        residuals = T._wrap((r ** 2).sum(axis=-2).reshape(r.shape[:-2] + (r.shape[-1],)))
        if vector:
            residuals = T._wrap(residuals.array[..., 0])
    rank_t = T._wrap(rank.astype(np.int64)) if driver != "gels" else \
        T._wrap(np.zeros((0,), dtype=np.int64))
    sv = T._wrap(s) if driver in ("gelsd", "gelss") else empty
    return LstsqResult(squeeze(x, -1) if vector else x, residuals, rank_t, sv)


def tensorinv(A, ind=2):
    """The tensor inverse: B with tensordot(B, A, ind) = I, for A whose first ``ind`` axes
    and remaining axes hold the same number of elements. Output shape: A.shape[ind:] +
    A.shape[:ind]."""
    from deepgrad.ops.shape import reshape
    a = to_tensor(A)
    ind = int(ind)
    if ind <= 0:
        raise ValueError(f"linalg.tensorinv: ind must be a positive integer, received {ind}")
    rows = int(np.prod(a.shape[:ind], dtype=np.int64))
    cols = int(np.prod(a.shape[ind:], dtype=np.int64))
    if rows != cols:
        raise RuntimeError(f"linalg.tensorinv: the product of the first {ind} dims "
                           f"({rows}) must equal the product of the rest ({cols})")
    return reshape(inv(reshape(a, (rows, cols))), a.shape[ind:] + a.shape[:ind])


def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B; ``dims`` (axes of A) are moved to the end first.
    X's shape is A's trailing shape after B's."""
    from deepgrad.ops.shape import movedim, reshape
    a, b = operands("linalg.tensorsolve", A, B)
    if dims is not None:
        dims = [dims] if isinstance(dims, int) else list(dims)
        a = movedim(a, dims, list(range(a.ndim - len(dims), a.ndim)))
    rest = a.shape[b.ndim:]
    rows = int(np.prod(b.shape, dtype=np.int64))
    cols = int(np.prod(rest, dtype=np.int64))
    if tuple(a.shape[:b.ndim]) != tuple(b.shape) or rows != cols:
        raise RuntimeError(f"linalg.tensorsolve: A {tuple(a.shape)} does not fit B "
                           f"{tuple(b.shape)} (A's leading dims must be B's shape, and the "
                           f"rest hold as many elements)")
    return reshape(solve(reshape(a, (rows, cols)), reshape(b, (rows,))), rest)
