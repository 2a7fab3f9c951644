"""The ``torch.*`` (not ``torch.linalg.*``) signatures of the factorisations, kept by PyTorch
for old code: ``torch.svd`` (``some``, ``compute_uv``, returns V rather than Vh),
``torch.qr`` (``some``), ``torch.cholesky`` (``upper``), ``torch.lu`` (``get_infos``),
``torch.lu_solve(b, LU, pivots)``, and ``adjoint``. Each is a thin front over
:mod:`deepgrad.ops.decomp` / :mod:`deepgrad.ops.solve`, where the math and gradients live.
"""
import collections

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops import decomp as _decomp
from deepgrad.ops import solve as _solve

SVDLegacyResult = collections.namedtuple("svd", ["U", "S", "V"])
QRLegacyResult = collections.namedtuple("qr", ["Q", "R"])


def svd(input, some=True, compute_uv=True):
    """(U, S, V) with input = U diag(S) V^T: reduced when ``some`` (U (m, k), V (n, k)),
    else full; with ``compute_uv=False`` only S is computed and U, V are zero-filled
    (m, m) and (n, n) matrices, as PyTorch."""
    from deepgrad.ops.shape import transpose
    a = to_tensor(input)
    if not compute_uv:
        _decomp.matrix_check("svd", a)
        m, n = a.shape[-2:]
        batch = a.shape[:-2]
        T = _fn._Tensor
        return SVDLegacyResult(T._wrap(np.zeros(batch + (m, m), dtype=a.dtype)),
                               _decomp.svdvals(a), T._wrap(np.zeros(batch + (n, n), dtype=a.dtype)))
    u, s, vh = _decomp.svd(a, full_matrices=not some)
    return SVDLegacyResult(u, s, transpose(vh, -1, -2))


def qr(input, some=True):
    """(Q, R) with input = Q R: reduced when ``some``, else complete."""
    q, r = _decomp.qr(input, "reduced" if some else "complete")
    return QRLegacyResult(q, r)


def cholesky(input, upper=False):
    """``torch.cholesky``: ``linalg.cholesky(input, upper=upper)``."""
    return _decomp.cholesky(input, upper=upper)


def lu(A, pivot=True, get_infos=False):
    """``torch.lu``: (LU, pivots) of ``linalg.lu_factor``, plus info when ``get_infos``
    (without it, a singular matrix raises, as PyTorch checks errors then)."""
    lu_, piv, info = _decomp.lu_factor_ex(A, pivot=pivot, check_errors=not get_infos)
    return (lu_, piv, info) if get_infos else (lu_, piv)


def lu_solve(b, LU_data, LU_pivots):
    """``torch.lu_solve``: X with A X = b from ``torch.lu``'s factors of A."""
    return _solve.lu_solve(LU_data, LU_pivots, b)


def adjoint(input):
    """The conjugate transpose of the last two axes; for real tensors, the transpose."""
    from deepgrad.ops.shape import transpose
    x = to_tensor(input)
    if x.ndim < 2:
        raise RuntimeError(f"adjoint: expected a tensor of at least 2 dimensions, received "
                           f"shape {tuple(x.shape)}")
    return transpose(x, -1, -2)
