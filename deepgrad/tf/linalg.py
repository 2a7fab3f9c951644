"""``tf.linalg``: matrix functions in TensorFlow's names, each a ``keras.ops`` call.

TensorFlow's conventions kept: ``svd`` returns ``(s, u, v)`` (``v``, not ``v^H``);
``band_part(x, lower, upper)`` keeps ``lower`` sub- and ``upper`` super-diagonals (-1:
all); ``matrix_transpose`` swaps the last two axes; ``global_norm`` is the 2-norm of a
list of tensors taken together.
"""
import numpy as np

from deepgrad._scope import NotImplementedAttribute
from deepgrad import ops as _ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import ops as _k
from deepgrad.keras.ops.core import f, t
from deepgrad.tf import eye, matmul  # noqa: F401
from deepgrad.tf.math import l2_normalize  # noqa: F401


def inv(input, adjoint=False, name=None):     # noqa: A002
    out = _k.inv(input)
    return _ops.transpose(out, -2, -1) if adjoint else out


def det(input, name=None):     # noqa: A002
    return _k.det(input)


def logdet(matrix, name=None):
    return _k.logdet(matrix)


def slogdet(input, name=None):     # noqa: A002
    return _k.slogdet(input)


def cholesky(input, name=None):     # noqa: A002
    return _k.cholesky(input)


def solve(matrix, rhs, adjoint=False, name=None):
    a = _ops.transpose(f(matrix), -2, -1) if adjoint else matrix
    return _k.solve(a, rhs)


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    a = f(matrix)
    if adjoint:
        a, lower = _ops.transpose(a, -2, -1), not lower
    return _k.solve_triangular(a, rhs, lower)


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    if l2_regularizer:
        raise ValueError("lstsq: l2_regularizer is not supported by deepgrad")
    return _k.lstsq(matrix, rhs)


def pinv(a, rcond=None, validate_args=False, name=None):
    return _k.pinv(a, rcond)


def eigh(tensor, name=None):
    return _k.eigh(tensor)


def eigvalsh(tensor, name=None):
    return _k.eigh(tensor)[0]


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    if not compute_uv:
        return _k.svd(tensor, full_matrices, False)
    u, s, vh = _k.svd(tensor, full_matrices, True)
    return s, u, _ops.transpose(vh, -2, -1)


def qr(input, full_matrices=False, name=None):     # noqa: A002
    return _k.qr(input, "complete" if full_matrices else "reduced")


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):     # noqa: A002
    x = f(tensor)
    if ord == "euclidean":
        if axis is None or isinstance(axis, int):
            return _ops.sqrt(_k.sum(_ops.mul(x, x), axis, bool(keepdims)))
        ord = "fro"
    return _k.norm(x, ord, axis, bool(keepdims))


def trace(x, name=None):
    return _k.sum(_ops.diagonal(t(x), 0, -2, -1), -1)


def diag(diagonal, name=None, k=0, **kwargs):
    return _ops.diag_embed(t(diagonal), k)


def diag_part(input, name=None, k=0, **kwargs):     # noqa: A002
    return _ops.diagonal(t(input), k, -2, -1)


def set_diag(input, diagonal, name=None, k=0):     # noqa: A002
    x = t(input)
    mask = np.zeros(x.shape[-2:], bool)
    idx = np.arange(min(x.shape[-2], x.shape[-1]))
    mask[idx, idx] = True
    return _ops.where(Tensor._wrap(mask), _ops.diag_embed(_k.cast(diagonal, x.dtype))
                      [..., :x.shape[-2], :x.shape[-1]], x)


def band_part(input, num_lower, num_upper, name=None):     # noqa: A002
    x = t(input)
    m, n = x.shape[-2:]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((num_lower < 0) | (i - j <= num_lower)) & ((num_upper < 0) | (j - i <= num_upper))
    return _ops.mul(x, Tensor._wrap(keep.astype(x.dtype)))


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    return _ops.transpose(t(a), -2, -1)


def transpose(a, name="transpose", perm=None, conjugate=False):
    """The last two axes swapped (or ``perm``)."""
    return _k.transpose(a, perm) if perm is not None else _ops.transpose(t(a), -2, -1)


def matvec(a, b, transpose_a=False, adjoint_a=False, name=None):
    return _ops.squeeze(matmul(a, _ops.unsqueeze(t(b), -1), transpose_a=transpose_a,
                               adjoint_a=adjoint_a), -1)


def cross(a, b, name=None):
    return _k.cross(a, b)


def expm(input, name=None):     # noqa: A002
    return _ops.matrix_exp(f(input))


def global_norm(t_list, name=None):
    total = None
    for x in t_list:
        if x is None:
            continue
        x = f(x)
        s = _ops.sum(_ops.mul(x, x))
        total = s if total is None else _ops.add(total, s)
    return _ops.sqrt(total)


def tensor_diag(diagonal, name=None):
    return _k.diag(diagonal)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedAttribute(f"deepgrad does not implement tf.linalg.{name}")
