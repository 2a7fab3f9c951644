"""``deepgrad.linalg``: PyTorch's ``torch.linalg`` on real float tensors, batched over
leading axes, with gradients where PyTorch has them.

The math and the derivatives live in the op families: factorisations in
:mod:`deepgrad.ops.decomp`, inverses/solves/determinants in :mod:`deepgrad.ops.solve`,
norms in :mod:`deepgrad.ops.norms`, products in :mod:`deepgrad.ops.linalg`. ``eig`` and
``eigvals`` are left out: their results are complex in general, and complex dtypes are
out of deepgrad's scope (use ``eigh`` for symmetric matrices). ``ldl_factor``,
``ldl_factor_ex`` and ``ldl_solve`` (Bunch-Kaufman pivoting) are not implemented.
"""
import numpy as np

from deepgrad.autograd.function import to_tensor
from deepgrad.ops.decomp import (  # noqa: F401
    LinAlgError, cholesky, qr, svd, svdvals, eigh, eigvalsh, lu_factor, lu_factor_ex, lu)
from deepgrad.ops.solve import (  # noqa: F401
    inv, inv_ex, det, slogdet, solve, solve_ex, solve_triangular, cholesky_ex, lu_solve,
    pinv, matrix_exp, matrix_rank, lstsq, tensorinv, tensorsolve)
from deepgrad.ops.norms import norm, vector_norm, matrix_norm, cond  # noqa: F401
from deepgrad.ops.linalg import matmul, multi_dot, matrix_power  # noqa: F401


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (default the last), broadcasting."""
    from deepgrad.ops.linalg import cross as _cross
    return _cross(input, other, dim)


def vecdot(x, y, *, dim=-1):
    """sum(x * y, dim): the dot product along ``dim``, broadcasting the other axes."""
    from deepgrad.ops.elementwise import mul
    from deepgrad.ops.reduce import sum as _sum
    x, y = to_tensor(x), to_tensor(y)
    try:
        shape = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise RuntimeError(f"linalg.vecdot: shapes {tuple(x.shape)} and {tuple(y.shape)} "
                           f"cannot be broadcast") from None
    if not shape:
        raise RuntimeError("linalg.vecdot: expected tensors of at least 1 dimension")
    return _sum(mul(x, y), dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.diagonal`` with the last two axes as the default plane."""
    from deepgrad.ops.triangular import diagonal as _diagonal
    return _diagonal(A, offset, dim1, dim2)


def vander(x, *, N=None):
    """The Vandermonde matrices of the last axis, increasing powers: out[..., i, j] =
    x[..., i] ** j, j < N (N defaults to x's last size)."""
    from deepgrad.ops.elementwise import mul
    from deepgrad.ops.shape import stack
    from deepgrad.autograd import function as _fn
    x = to_tensor(x)
    if x.ndim == 0:
        raise RuntimeError("linalg.vander: x must have at least 1 dimension")
    n = x.shape[-1] if N is None else int(N)
    if n <= 1:
        raise ValueError(f"linalg.vander: N must be greater than 1, received {n}")
    cols = [_fn._Tensor._wrap(np.ones(x.shape, dtype=x.dtype))]
    for _ in range(n - 1):
        cols.append(mul(cols[-1], x))
    return stack(cols, -1)


def householder_product(A, tau):
    """The first n columns of H_1 H_2 ... H_k (``orgqr``), H_i = I - tau_i v_i v_i^T with
    v_i = (0, ..., 0, 1, A[i+1:, i]) (the Householder vectors LAPACK's geqrf leaves below
    A's diagonal). A (*, m, n) with m >= n, tau (*, k), k <= n. Differentiable in A and
    tau (a product of rank-one updates)."""
    from deepgrad.ops.householder import householder_product as _hp
    return _hp(A, tau)


def __getattr__(name):
    """A name deepgrad lacks raises an AttributeError saying so (or that its family is
    out of scope), instead of Python's bare "has no attribute"."""
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad.linalg' has no attribute {name!r}")
    if name in _TF_LINALG:      # `import deepgrad as tf`: tf.linalg's names torch's lacks
        import importlib
        return getattr(importlib.import_module("deepgrad.tf.linalg"), name)
    from deepgrad._scope import missing_attribute
    raise missing_attribute("deepgrad.linalg", name)


_TF_LINALG = frozenset((
    "logdet", "band_part", "matrix_transpose", "matvec", "trace", "diag", "diag_part",
    "set_diag", "triangular_solve", "global_norm", "l2_normalize", "expm", "tensor_diag",
    "eye", "transpose"))
