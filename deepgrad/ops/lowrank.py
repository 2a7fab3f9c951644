"""Randomized low-rank SVD and PCA (Halko, Martinsson and Tropp 2011), as
``torch.svd_lowrank`` and ``torch.pca_lowrank``.

A (m, n) ~ U diag(S) V^T with rank q: a Gaussian test matrix R (n, q) gives a basis Q of
the range of A R (QR), refined by ``niter`` power iterations (Q <- qr(A^T Q), qr(A Q)),
then the small matrix B = Q^T A is factored exactly: A ~ (Q U_B) diag(S) V_B^T. When
m < n or n > q the transpose is sketched instead, keeping B small. Everything is a
composition of matmul, qr and svd, so the result is differentiable; the random draws
come from deepgrad's generator (``manual_seed``).
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor


def _t(x):
    from deepgrad.ops.shape import transpose
    return transpose(x, -1, -2)


def _basis(A, q, niter, M):
    """An orthonormal (m, q) basis approximating the range of A - M."""
    from deepgrad.ops.decomp import qr
    n = A.shape[-1]
    r = _fn._Tensor._wrap(backend.rng().standard_normal((n, q)).astype(A.dtype))
    Q = qr(_apply(A, M, r)).Q
    for _ in range(int(niter)):
        Q = qr(_apply(_t(A), None if M is None else _t(M), Q)).Q
        Q = qr(_apply(A, M, Q)).Q
    return Q


def _apply(A, M, X):
    from deepgrad.ops.elementwise import sub
    from deepgrad.ops.linalg import matmul
    out = matmul(A, X)
    return out if M is None else sub(out, matmul(M, X))


def _sub_m(A, M):
    from deepgrad.ops.elementwise import sub
    return sub(A, M)


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V) with A - M ~ U diag(S) V^T of rank q (module docstring): U (*, m, q),
    S (*, q), V (*, n, q)."""
    from deepgrad.ops.decomp import matrix_check, svd
    from deepgrad.ops.linalg import matmul
    A = to_tensor(A)
    matrix_check("svd_lowrank", A)
    m, n = A.shape[-2:]
    q = 6 if q is None else int(q)
    if not 0 < q <= min(m, n):
        raise ValueError(f"svd_lowrank: q must be in [1, min(m, n) = {min(m, n)}], received {q}")
    M = None if M is None else to_tensor(M)
    if m < n or n > q:                      # sketch the transpose: B^T = (A - M) Q is (m, q)
        Q = _basis(_t(A), q, niter, None if M is None else _t(M))
        U, S, Vh = svd(_apply(A, M, Q), full_matrices=False)
        return U, S, matmul(Q, _t(Vh))
    Q = _basis(A, q, niter, M)
    B = _apply(_t(Q), None, A) if M is None else _apply(_t(Q), None, _sub_m(A, M))
    U, S, Vh = svd(B, full_matrices=False)
    return matmul(Q, U), S, _t(Vh)


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the rank-q PCA of the rows of A: ``svd_lowrank`` of A minus its column
    means (``center``); q defaults to min(6, m, n)."""
    from deepgrad.ops.elementwise import sub
    from deepgrad.ops.reduce import mean
    A = to_tensor(A)
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else int(q)
    if center:
        A = sub(A, mean(A, -2, keepdim=True))
    return svd_lowrank(A, q, niter)
