"""``keras.ops.linalg``: factorisations, inverses, solves and norms of real matrices.

Each is a call of :mod:`deepgrad.linalg` (batched over leading axes, with the engine's
gradients). Keras's argument names and defaults; ``eig`` (complex results) and ``jvp``
(forward mode) are not provided.
"""
import numpy as np

from deepgrad import linalg as _linalg
from deepgrad import ops as _ops
from deepgrad.keras.ops.core import f, t, wrap


def cholesky(x, upper=False):
    return _linalg.cholesky(f(x), upper=upper)


def cholesky_inverse(x, upper=False):
    """The inverse of ``A`` from its Cholesky factor ``x``."""
    return _ops.cholesky_inverse(f(x), upper)


def det(x):
    return _linalg.det(f(x))


def slogdet(x):
    """``(sign, log|det|)``."""
    return tuple(_linalg.slogdet(f(x)))


def eigh(x):
    """``(eigenvalues ascending, eigenvectors)`` of symmetric matrices."""
    return tuple(_linalg.eigh(f(x)))


def inv(x):
    return _linalg.inv(f(x))


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse (``rcond`` defaults to NumPy's 1e-15)."""
    return _linalg.pinv(f(x), 1e-15 if rcond is None else rcond)


def lstsq(a, b, rcond=None):
    """The least-squares solution of ``a x = b``."""
    a, b = f(a), f(b)
    vec = b.ndim == 1
    out = _linalg.lstsq(a, _ops.unsqueeze(b, -1) if vec else b, rcond).solution
    return _ops.squeeze(out, -1) if vec else out


def lu_factor(x):
    """``(LU, pivots)`` with 0-based pivots, as SciPy/JAX."""
    lu, piv = _linalg.lu_factor(f(x))
    return lu, wrap(np.asarray(t(piv).array) - 1)


def matrix_rank(x, tol=None):
    return _ops.cast(_linalg.matrix_rank(f(x), tol=tol), np.dtype("int32"))


def norm(x, ord=None, axis=None, keepdims=False):     # noqa: A002
    """NumPy's ``norm``: Frobenius/2-norm by default, vector or matrix by ``axis``."""
    x = f(x)
    if axis is None and ord is None:
        return _linalg.vector_norm(x, 2, None, keepdims)
    axis = tuple(axis) if isinstance(axis, list) else axis
    if axis is None:
        axis = tuple(range(x.ndim)) if x.ndim <= 2 else None
    return _linalg.norm(x, ord, axis, keepdims)


def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', received {mode!r}")
    return tuple(_linalg.qr(f(x), mode=mode))


def solve(a, b):
    return _linalg.solve(f(a), f(b))


def solve_triangular(a, b, lower=False):
    a, b = f(a), f(b)
    vec = b.ndim == 1
    out = _linalg.solve_triangular(a, _ops.unsqueeze(b, -1) if vec else b, upper=not lower)
    return _ops.squeeze(out, -1) if vec else out


def svd(x, full_matrices=True, compute_uv=True):
    """``(u, s, vh)``, or the singular values alone with ``compute_uv=False``."""
    if not compute_uv:
        return _linalg.svdvals(f(x))
    return tuple(_linalg.svd(f(x), full_matrices=full_matrices))


__all__ = sorted(name for name, obj in list(globals().items())
                 if callable(obj) and not name.startswith("_")
                 and getattr(obj, "__module__", None) == __name__)
