"""Householder reflections: ``geqrf`` (QR in LAPACK's compact form), ``householder_product``
/ ``orgqr`` (Q from those reflectors) and ``ormqr`` (multiply by Q without forming it
separately).

A reflector H = I - tau v v^T with v = (0, ..., 0, 1, v_tail): geqrf picks, for column j,
v and tau so that H maps A[j:, j] to (beta, 0, ..., 0) with beta = -sign(a_jj) ||A[j:, j]||
and tau = (beta - a_jj) / beta, then stores beta on the diagonal and v_tail below it (as
LAPACK's dgeqrf/dlarfg). Q = H_1 H_2 ... H_k is built by k rank-one updates
Q <- Q - tau_i (Q v_i) v_i^T, a composition of differentiable ops, so householder_product
and ormqr have gradients in A, tau (and the other operand) by the chain rule. geqrf itself
has none, as in PyTorch.
"""
import collections

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops._util import operands
from deepgrad.ops.decomp import Factorization, matrix_check, outputs

GeqrfResult = collections.namedtuple("geqrf", ["a", "tau"])


class Geqrf(Factorization):
    """(a, tau) = geqrf(A): no derivative (PyTorch has none either)."""

    def factor(self, a):
        return geqrf_array(a)

    def grads(self, ga, gtau):
        raise RuntimeError("geqrf: the derivative of geqrf is not implemented (as in "
                           "PyTorch); differentiate linalg.qr instead")


def geqrf_array(a):
    """LAPACK dgeqrf: reflectors below the diagonal, R on and above, and the taus."""
    m, n = a.shape[-2:]
    k = min(m, n)
    r = a.reshape((-1, m, n)).copy()
    tau = np.zeros((r.shape[0], k), dtype=a.dtype)
    for j in range(k):
        alpha = r[:, j, j].copy()
        xnorm = np.sqrt((r[:, j + 1:, j] ** 2).sum(axis=1))
        active = xnorm != 0
        beta = np.where(active, -np.copysign(np.hypot(alpha, xnorm), alpha), alpha)
        safe = np.where(active, alpha - beta, 1)
        tau[:, j] = np.where(active, (beta - alpha) / np.where(active, beta, 1), 0)
        r[:, j + 1:, j] = np.where(active[:, None], r[:, j + 1:, j] / safe[:, None], 0)
        r[:, j, j] = beta
        w = np.concatenate([np.ones((r.shape[0], 1), dtype=a.dtype), r[:, j + 1:, j]], axis=1)
        block = r[:, j:, j + 1:]
        r[:, j:, j + 1:] = block - tau[:, j, None, None] * w[:, :, None] * \
            (w[:, None, :] @ block)
    batch = a.shape[:-2]
    return r.reshape(a.shape), tau.reshape(batch + (k,))


def geqrf(input):
    """QR in LAPACK's compact form: (a, tau) with R on and above a's diagonal and the
    Householder vectors below it (module docstring). No gradient, as PyTorch."""
    a = to_tensor(input)
    matrix_check("geqrf", a)
    return GeqrfResult(*outputs(Geqrf, a))


def _reflectors(name, A, tau, square):
    from deepgrad.ops.elementwise import add
    from deepgrad.ops.triangular import tril
    a, t = operands(name, A, tau)
    matrix_check(name, a)
    m, n = a.shape[-2:]
    k = t.shape[-1] if t.ndim else 0
    if t.ndim < 1 or t.shape[:-1] != a.shape[:-2] or k > n or (not square and n > m):
        raise RuntimeError(f"{name}: expected A (*, m, n) with m >= n and tau (*, k) with "
                           f"k <= n and the same batch, received shapes {tuple(a.shape)} and "
                           f"{tuple(t.shape)}")
    v = add(tril(a, -1), _fn._Tensor._wrap(np.eye(m, n, dtype=a.dtype)))
    return a, t, v, m, n, k


def _product(v, t, m, k, dtype, batch):
    from deepgrad.ops.elementwise import mul, sub
    from deepgrad.ops.linalg import matmul
    from deepgrad.ops.shape import getitem, transpose, unsqueeze
    q = _fn._Tensor._wrap(np.broadcast_to(np.eye(m, dtype=dtype), batch + (m, m)).copy())
    for i in range(k):
        vi = getitem(v, (Ellipsis, slice(None), slice(i, i + 1)))          # (*, m, 1)
        ti = unsqueeze(unsqueeze(getitem(t, (Ellipsis, i)), -1), -1)        # (*, 1, 1)
        q = sub(q, mul(ti, matmul(matmul(q, vi), transpose(vi, -1, -2))))
    return q


def householder_product(A, tau):
    """The first n columns of H_1 ... H_k (``torch.linalg.householder_product``)."""
    from deepgrad.ops.shape import getitem
    a, t, v, m, n, k = _reflectors("householder_product", A, tau, square=False)
    q = _product(v, t, m, k, a.dtype, a.shape[:-2])
    return getitem(q, (Ellipsis, slice(None), slice(0, n)))


orgqr = householder_product


def ormqr(input, tau, other, left=True, transpose=False):
    """op(Q) @ other (``left``) or other @ op(Q), op = transpose or not, with the full
    (m, m) Q = H_1 ... H_k of geqrf's reflectors in ``input``."""
    from deepgrad.ops.linalg import matmul
    from deepgrad.ops.shape import transpose as _t
    a, t, v, m, n, k = _reflectors("ormqr", input, tau, square=True)
    c = to_tensor(other)
    q = _product(v, t, m, k, a.dtype, a.shape[:-2])
    if transpose:
        q = _t(q, -1, -2)
    if c.ndim < 2 or (c.shape[-2] if left else c.shape[-1]) != m:
        raise RuntimeError(f"ormqr: other of shape {tuple(c.shape)} does not fit Q of size "
                           f"({m}, {m}) (left={left})")
    return matmul(q, c) if left else matmul(c, q)
