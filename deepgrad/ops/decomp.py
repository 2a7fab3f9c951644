"""Matrix factorisations with gradients: Cholesky, QR, SVD, symmetric eigendecomposition,
LU. Every op works on the last two axes, batched over the others, in float32 or float64.

Notation: A is (*, m, n), G_X = dL/dX for each output X, k = min(m, n), sym(X) =
(X + X^T) / 2, and for a triangular factor, solves with it are triangular solves.

Cholesky, A = L L^T (L lower, positive diagonal). From dA = dL L^T + L dL^T,
L^-1 dA L^-T = X + X^T with X = L^-1 dL lower triangular, so dL = L Phi(L^-1 dA L^-T)
where Phi keeps the lower triangle and halves the diagonal. Phi is self-adjoint, so

    G_A = sym(L^-T Phi(L^T G_L) L^-1).

QR, A = Q R (m >= n, Q^T Q = I, R upper). With M = Q^T dA R^-1 = Q^T dQ + dR R^-1, whose
first part is skew and second upper triangular, the adjoint is

    G_A = (G_Q + Q copyu(G_R R^T - Q^T G_Q)) R^-T

where copyu(B) = triu(B) + triu(B, 1)^T copies the upper triangle onto the lower. For
m < n, A = [X | Y] with X = Q R_1 square and R_2 = Q^T Y: G_Y = Q G_R2 and X gets the
square formula with G_Q + Y G_R2^T.

SVD, A = U diag(S) V^T (reduced: U (m, k), V (n, k)). With E_ij = S_j^2 - S_i^2 (i != j),
skew(X) = X - X^T and / elementwise (0 on the diagonal):

    G_A = U [(skew(U^T G_U) / E) S + S (skew(V^T G_V) / E) + diag(G_S)] V^T
          + (I - U U^T) G_U S^-1 V^T + U S^-1 G_V^T (I - V V^T)

(finite only for distinct non-zero singular values, as PyTorch). The singular values
alone (svdvals) have G_A = U diag(G_S) V^T.

Symmetric eigendecomposition, A = V diag(w) V^T (w ascending). With F_ij = 1 / (w_j -
w_i) (i != j, 0 on the diagonal):

    G_A = sym(V (diag(G_w) + F o (V^T G_V)) V^T)

and for the eigenvalues alone G_A = V diag(G_w) V^T. Only the triangle named by UPLO is
read, as LAPACK; the gradient is PyTorch's: symmetric, as for a symmetric perturbation.

LU with partial pivoting, A = P L U (L unit lower, U upper). With M = L^-1 P^T dA U^-1,
dL = L tril(M, -1) and dU = triu(M) U, so for square A

    G_A = P L^-T (tril(L^T G_L, -1) + triu(G_U U^T)) U^-T.

Tall (m > n): L = [L_1; L_2] with L_2 = A_2 U^-1, so A_2 gets G_L2 U^-T and U's gradient
becomes G_U - L_2^T G_L2 U^-T. Wide (m < n): U = [U_1 | U_2] with U_2 = L^-1 P^T A_2, so
A_2 gets P L^-T G_U2 and L's gradient becomes G_L - L^-T G_U2 U_2^T.
"""
import collections

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.autograd.grad_mode import state as _grad_state


QRResult = collections.namedtuple("qr", ["Q", "R"])
SVDResult = collections.namedtuple("svd", ["U", "S", "Vh"])
EighResult = collections.namedtuple("eigh", ["eigenvalues", "eigenvectors"])
LUFactorResult = collections.namedtuple("lu_factor", ["LU", "pivots"])
LUFactorExResult = collections.namedtuple("lu_factor_ex", ["LU", "pivots", "info"])
LUResult = collections.namedtuple("lu", ["P", "L", "U"])


class LinAlgError(RuntimeError):
    """A matrix was singular or not positive-definite (``torch.linalg.LinAlgError``)."""


# ----------------------------------------------------------------------------- helpers
def mT(x):
    return np.swapaxes(x, -1, -2)


def sym(x):
    return (x + mT(x)) / 2


def solve_tri(a, b, lower, left=True, unit=False):
    """X with tri(A) X = B (``left``) or X tri(A) = B, tri keeping A's lower or upper
    triangle (unit diagonal when ``unit``)."""
    t = np.tril(a) if lower else np.triu(a)
    if unit:
        n = a.shape[-1]
        t = t.copy()
        t[..., np.arange(n), np.arange(n)] = 1
    if not left:
        return mT(np.linalg.solve(mT(t), mT(b)))
    return np.linalg.solve(t, b)


def square_check(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: expected a square matrix or a batch of square matrices, "
                           f"received shape {tuple(a.shape)}")


def matrix_check(name, a):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: expected a matrix or a batch of matrices (at least 2 "
                           f"dimensions), received shape {tuple(a.shape)}")
    if a.dtype.kind != "f":
        raise TypeError(f"{name}: expected a float32 or float64 tensor, received {a.dtype}")


class Factorization(Function):
    """A primitive with several outputs. A node of the engine has one output, so forward
    lays the outputs side by side (each flattened over its matrix axes) along one last
    axis, :func:`outputs` hands them out as views, and backward splits the packed gradient
    (zeros where an output was not used) before calling ``grads``."""

    def factor(self, a, **params):
        raise NotImplementedError

    def grads(self, a_shape, *gs):
        raise NotImplementedError

    def forward(self, a, **params):
        outs = self.factor(a, **params)
        self.a_shape, self.batch = a.shape, a.shape[:-2]
        self.parts = [o.shape for o in outs]
        return np.concatenate([_flat(o, self.batch) for o in outs], axis=-1)

    def backward(self, g):
        gs, start = [], 0
        for shape in self.parts:
            n = int(np.prod(shape[len(self.batch):], dtype=np.int64))
            gs.append(g[..., start:start + n].reshape(shape))
            start += n
        return self.grads(*gs)


def _flat(o, batch):
    return o.reshape(batch + (int(np.prod(o.shape[len(batch):], dtype=np.int64)),))


def outputs(cls, a, **params):
    """Run the factorisation ``cls`` on tensor ``a``: a tuple of tensors, recorded as one
    node when ``a`` requires grad (and of plain arrays otherwise, with no packing)."""
    from deepgrad.ops.shape import getitem, reshape
    T = _fn._Tensor
    if not (a.requires_grad and _grad_state.enabled):
        return tuple(T._wrap(o) for o in cls().factor(a.array, **params))
    packed = cls.apply(a, **params)
    fn, out, start = packed._ctx, [], 0
    for shape in fn.parts:
        n = int(np.prod(shape[len(fn.batch):], dtype=np.int64))
        out.append(reshape(getitem(packed, (Ellipsis, slice(start, start + n))), shape))
        start += n
    return tuple(out)


# ----------------------------------------------------------------------------- Cholesky
def cholesky_info(a):
    """Per matrix: 0 if positive-definite, else the order of the first leading minor that
    is not (LAPACK's ``info``)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for b, m in enumerate(flat):
        try:
            np.linalg.cholesky(m)
            continue
        except np.linalg.LinAlgError:
            pass
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                info[b] = k
                break
    return info.reshape(a.shape[:-2])


def cholesky_array(name, a):
    """L of A = L L^T, or LinAlgError naming the leading minor that is not positive-definite."""
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        order = int(cholesky_info(a).max())
        raise LinAlgError(f"{name}: the factorization could not be completed because the "
                          f"input is not positive-definite (the leading minor of order "
                          f"{order} is not positive-definite)") from None


class Cholesky(Function):
    """L = cholesky(A);  G_A = sym(L^-T Phi(L^T G_L) L^-1) (module docstring)."""

    def forward(self, a, upper=False):
        self.upper = upper
        self.L = cholesky_array("linalg.cholesky", a)
        return mT(self.L) if upper else self.L

    def backward(self, g):
        L = self.L
        gL = mT(g) if self.upper else g
        phi = np.tril(mT(L) @ gL)
        n = phi.shape[-1]
        phi[..., np.arange(n), np.arange(n)] /= 2
        lt = mT(L)
        x = solve_tri(lt, mT(solve_tri(lt, mT(phi), lower=False)), lower=False)  # L^-T Phi L^-1
        return sym(x)


# ----------------------------------------------------------------------------- QR
def _copyu(b):
    return np.triu(b) + mT(np.triu(b, 1))


class QR(Factorization):
    """(Q, R) = qr(A, mode);  gradients in the module docstring ('reduced' for any shape,
    'complete' when m <= n; none for mode='r')."""

    def factor(self, a, mode="reduced"):
        self.mode = mode
        self.q, self.r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        return (self.q, self.r)

    def grads(self, gq, gr):
        m, n = self.a_shape[-2:]
        if self.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: the derivative of mode='complete' is not defined "
                               "when the input has more rows than columns (Q is not unique); "
                               "use mode='reduced'")
        q, r = self.q, self.r
        if m >= n:
            return _qr_square_grad(q, r, gq, gr)
        y = q @ r[..., m:]                     # the right block of A
        gx = _qr_square_grad(q, r[..., :m], gq + y @ mT(gr[..., m:]), gr[..., :m])
        return np.concatenate([gx, q @ gr[..., m:]], axis=-1)


def _qr_square_grad(q, r, gq, gr):
    b = _copyu(gr @ mT(r) - mT(q) @ gq)
    return mT(solve_tri(r, mT(gq + q @ b), lower=False))          # (G_Q + Q B) R^-T


# ----------------------------------------------------------------------------- SVD
class SVD(Factorization):
    """(U, S, Vh) = svd(A) (reduced, or full with the extra columns' gradients ignored,
    as PyTorch);  G_A in the module docstring."""

    def factor(self, a, full_matrices=False):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        self.u, self.s, self.v = u[..., :k], s, mT(vh[..., :k, :])
        return (u, s, vh)

    def grads(self, gu, gs, gvh):
        k = self.s.shape[-1]
        return svd_grad(self.u, self.s, self.v, gu[..., :k], gs, mT(gvh[..., :k, :]))


def svd_grad(u, s, v, gu, gs, gv):
    """G_A of the reduced SVD A = U diag(S) V^T (module docstring)."""
    gA = u @ (gs[..., :, None] * mT(v)) if gs is not None else 0
    if gu is None and gv is None:
        return gA
    s2 = s ** 2
    e = s2[..., None, :] - s2[..., :, None]              # E_ij = S_j^2 - S_i^2
    k = s.shape[-1]
    e[..., np.arange(k), np.arange(k)] = 1
    inner = np.zeros(s.shape + (k,), dtype=s.dtype)
    if gu is not None:
        uu = mT(u) @ gu
        inner = inner + ((uu - mT(uu)) / e) * s[..., None, :]
    if gv is not None:
        vv = mT(v) @ gv
        inner = inner + s[..., :, None] * ((vv - mT(vv)) / e)
    inner[..., np.arange(k), np.arange(k)] = 0
    gA = gA + u @ inner @ mT(v)
    m, n = u.shape[-2], v.shape[-2]
    if gu is not None and m > k:
        gA = gA + (gu - u @ (mT(u) @ gu)) / s[..., None, :] @ mT(v)
    if gv is not None and n > k:
        gA = gA + u @ mT((gv - v @ (mT(v) @ gv)) / s[..., None, :])
    return gA


class SVDVals(Function):
    """S = svdvals(A);  G_A = U diag(G_S) V^T."""

    def forward(self, a):
        self.u, s, self.vh = np.linalg.svd(a, full_matrices=False)
        return s

    def backward(self, g):
        return self.u @ (g[..., :, None] * self.vh)


# ----------------------------------------------------------------------------- eigh
class Eigh(Factorization):
    """(w, V) = eigh(A);  G_A = sym(V (diag(G_w) + F o (V^T G_V)) V^T) (module docstring)."""

    def factor(self, a, UPLO="L"):
        self.w, self.v = np.linalg.eigh(a, UPLO=UPLO)
        return (self.w, self.v)

    def grads(self, gw, gv):
        w, v = self.w, self.v
        f = w[..., None, :] - w[..., :, None]              # w_j - w_i
        n = w.shape[-1]
        f[..., np.arange(n), np.arange(n)] = np.inf
        inner = (mT(v) @ gv) / f + gw[..., None, :] * np.eye(n, dtype=w.dtype)
        return sym(v @ inner @ mT(v))


class EigvalsH(Function):
    """w = eigvalsh(A);  G_A = V diag(G_w) V^T."""

    def forward(self, a, UPLO="L"):
        w, self.v = np.linalg.eigh(a, UPLO=UPLO)
        return w

    def backward(self, g):
        return (self.v * g[..., None, :]) @ mT(self.v)


# ----------------------------------------------------------------------------- LU
def lu_factor_array(a):
    """Partial-pivoting LU of (*, m, n): the packed factors (L below the diagonal, unit
    diagonal implied; U on and above), 1-based int32 pivots (row i was swapped with
    pivots[i] - 1, in order) and LAPACK's info (first zero pivot, 1-based; 0 if none)."""
    m, n = a.shape[-2:]
    k = min(m, n)
    lu = a.reshape((-1, m, n)).copy()
    rows = np.arange(lu.shape[0])
    piv = np.zeros((lu.shape[0], k), dtype=np.int32)
    info = np.zeros(lu.shape[0], dtype=np.int32)
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
        piv[:, j] = p + 1
        top = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = top
        pivot = lu[:, j, j]
        zero = pivot == 0
        info[(info == 0) & zero] = j + 1
        lu[:, j + 1:, j] /= np.where(zero, 1, pivot)[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    batch = a.shape[:-2]
    return lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def permutation_from_pivots(piv, m, dtype):
    """P (*, m, m) with A = P L U from LAPACK pivots."""
    flat = piv.reshape((-1, piv.shape[-1])) - 1
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, flat[:, j]]
        perm[rows, flat[:, j]] = top
    p = np.zeros((flat.shape[0], m, m), dtype=dtype)
    p[rows[:, None], perm, np.arange(m)] = 1               # (L U)[i] = A[perm[i]]
    return p.reshape(piv.shape[:-1] + (m, m))


def unpack_lu(lu):
    """(L, U) from the packed factors: L (*, m, k) unit lower, U (*, k, n) upper."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = np.tril(lu[..., :, :k], -1)
    L[..., np.arange(k), np.arange(k)] = 1
    return L, np.triu(lu[..., :k, :])


class LUFactor(Function):
    """The packed LU factors (L and U in one matrix, pivots alongside);  G_A in the module
    docstring, with G_L the strict lower part of G and G_U the upper part."""

    def forward(self, a, lu=None, pivots=None):
        self.lu, self.piv = lu, pivots
        return lu

    def backward(self, g):
        m, n = g.shape[-2:]
        k = min(m, n)
        L, U = unpack_lu(self.lu)
        P = permutation_from_pivots(self.piv, m, g.dtype)
        gL, gU = np.tril(g[..., :, :k], -1), np.triu(g[..., :k, :])
        return P @ lu_grad(L, U, gL, gU)


def lu_grad(L, U, gL, gU):
    """P^T G_A for A = P L U, any shape (module docstring)."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m > n:                                   # tall: L = [L1; L2], A2 = L2 U
        L1, L2, gL1, gL2 = L[..., :k, :], L[..., k:, :], gL[..., :k, :], gL[..., k:, :]
        gA2 = mT(solve_tri(U, mT(gL2), lower=False))                # G_L2 U^-T
        gA1 = lu_grad(L1, U, gL1, gU - mT(L2) @ gA2)
        return np.concatenate([gA1, gA2], axis=-2)
    if m < n:                                   # wide: U = [U1 | U2], U2 = L^-1 P^T A2
        U1, U2, gU1, gU2 = U[..., :, :k], U[..., :, k:], gU[..., :, :k], gU[..., :, k:]
        gA2 = solve_tri(mT(L), gU2, lower=False, unit=True)       # L^-T G_U2
        gA1 = lu_grad(L, U1, gL - gA2 @ mT(U2), gU1)
        return np.concatenate([gA1, gA2], axis=-1)
    inner = np.tril(mT(L) @ gL, -1) + np.triu(gU @ mT(U))
    left = solve_tri(mT(L), inner, lower=False, unit=True)        # L^-T inner
    return mT(solve_tri(U, mT(left), lower=False))                # (...) U^-T


# ----------------------------------------------------------------------------- public
def cholesky(A, *, upper=False):
    """L with A = L L^T (lower) or U with A = U^T U (``upper``) for symmetric
    positive-definite A (only the lower triangle is read). Raises LinAlgError otherwise.
    Gradient: module docstring."""
    a = to_tensor(A)
    matrix_check("linalg.cholesky", a)
    square_check("linalg.cholesky", a)
    return Cholesky.apply(a, upper=bool(upper))


def qr(A, mode="reduced"):
    """A = Q R with Q orthonormal columns and R upper triangular. mode 'reduced' (Q (m, k),
    R (k, n)), 'complete' (Q (m, m), R (m, n)) or 'r' (R only; Q is an empty tensor)."""
    a = to_tensor(A)
    matrix_check("linalg.qr", a)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', received {mode!r}")
    if mode == "r":
        r = np.linalg.qr(a.array, mode="r")
        return QRResult(_fn._Tensor._wrap(np.zeros((0,), dtype=a.dtype)), _fn._Tensor._wrap(r))
    return QRResult(*outputs(QR, a, mode=mode))


def svd(A, full_matrices=True):
    """A = U diag(S) Vh with S descending: U (m, m) and Vh (n, n) when ``full_matrices``,
    else U (m, k) and Vh (k, n). Gradient: module docstring."""
    a = to_tensor(A)
    matrix_check("linalg.svd", a)
    return SVDResult(*outputs(SVD, a, full_matrices=bool(full_matrices)))


def svdvals(A):
    """The singular values of A, descending (k = min(m, n) of them)."""
    a = to_tensor(A)
    matrix_check("linalg.svdvals", a)
    return SVDVals.apply(a)


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric A, read
    from its lower ('L') or upper ('U') triangle. Gradient: module docstring."""
    a = to_tensor(A)
    matrix_check("linalg.eigh", a)
    square_check("linalg.eigh", a)
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', received {UPLO!r}")
    return EighResult(*outputs(Eigh, a, UPLO=UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (ascending) of symmetric A; G_A = V diag(G_w) V^T."""
    a = to_tensor(A)
    matrix_check("linalg.eigvalsh", a)
    square_check("linalg.eigvalsh", a)
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigvalsh: UPLO must be 'L' or 'U', received {UPLO!r}")
    return EigvalsH.apply(a, UPLO=UPLO)


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): the packed LU factors of A = P L U with partial pivoting, the
    1-based int32 pivots and, per matrix, the 1-based index of the first zero pivot (0 if
    none). Differentiable in LU (module docstring)."""
    a = to_tensor(A)
    matrix_check("linalg.lu_factor", a)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not available on the "
                           "CPU (as in PyTorch); use pivot=True")
    lu, piv, info = lu_factor_array(a.array)
    if check_errors and info.any():
        raise LinAlgError(f"linalg.lu_factor: U[{int(info.max())}, {int(info.max())}] is "
                          f"zero, the factorization could not be completed (singular input)")
    T = _fn._Tensor
    return LUFactorExResult(LUFactor.apply(a, lu=lu, pivots=piv), T._wrap(piv), T._wrap(info))


def lu_factor(A, *, pivot=True):
    """(LU, pivots) of A = P L U; singular input is factored too (U has a zero pivot)."""
    lu, piv, _ = lu_factor_ex(A, pivot=pivot)
    return LUFactorResult(lu, piv)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from packed LU factors and pivots (an empty tensor for a part not asked
    for). L and U are triangles of LU (differentiable); P is a constant permutation."""
    from deepgrad.ops.triangular import tril, triu
    from deepgrad.ops.shape import getitem
    from deepgrad.ops.elementwise import add
    lu = to_tensor(LU_data)
    piv = LU_pivots.array if isinstance(LU_pivots, _fn._Tensor) else np.asarray(LU_pivots)
    m, n = lu.shape[-2:]
    k = min(m, n)
    T = _fn._Tensor
    empty = T._wrap(np.zeros((0,), dtype=lu.dtype))
    P = T._wrap(permutation_from_pivots(piv, m, lu.dtype)) if unpack_pivots else empty
    if not unpack_data:
        return LUResult(P, empty, empty)
    eye = T._wrap(np.eye(m, k, dtype=lu.dtype))
    L = add(tril(getitem(lu, (Ellipsis, slice(None), slice(0, k))), -1), eye)
    U = triu(getitem(lu, (Ellipsis, slice(0, k), slice(None))))
    return LUResult(P, L, U)


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U: P a permutation, L (m, k) unit lower, U (k, n) upper."""
    LU, piv = lu_factor(A, pivot=pivot)
    return lu_unpack(LU, piv)
