"""Norms, distances and second moments: vector_norm, matrix_norm, nuclear_norm, cdist,
dist, renorm, cov, corrcoef. Forward against NumPy, gradients by float64 gradcheck (away
from the kinks of |x| and max) and against PyTorch when it is installed."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from torch_last import check_op

INF = float("inf")
TOL32 = dict(rtol32=1e-4, atol32=1e-5)


def _torch():
    import torch
    return torch


def distinct(rng, shape):
    """Distinct magnitudes away from 0 (no ties for max/min |x|, no kink of |x|)."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) + 1.0) * 0.25 * rng.choice([-1, 1], n)).reshape(shape)


def _np_vector_norm(a, p, axis=None, keepdims=False):
    ax = np.abs(a)
    if p == INF:
        return ax.max(axis=axis, keepdims=keepdims)
    if p == -INF:
        return ax.min(axis=axis, keepdims=keepdims)
    if p == 0:
        return (a != 0).sum(axis=axis, keepdims=keepdims).astype(a.dtype)
    return (ax ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, INF, -INF, 0])
@pytest.mark.parametrize("dim, keepdim", [(None, False), ((0, 2), False), (-1, True)])
def test_vector_norm(p, dim, keepdim):
    check_op(lambda x: ops.vector_norm(x, p, dim, keepdim),
             lambda a: _np_vector_norm(a, p, dim, keepdim), [(2, 3, 4)], make=distinct,
             grad=p != 0, **TOL32,
             torch_fn=lambda x: _torch().linalg.vector_norm(x, p, dim, keepdim))


def test_vector_norm_zero_ties_and_errors():
    x = dg.Tensor(np.zeros((2, 3)), requires_grad=True)
    ops.vector_norm(x, 2, 1).sum().backward()
    assert not x.grad.array.any()                                       # subgradient 0 at 0
    y = dg.Tensor(np.array([1.0, -3.0, 3.0, 2.0]), requires_grad=True)
    ops.vector_norm(y, INF).backward()
    np.testing.assert_allclose(y.grad.array, [0.0, -0.5, 0.5, 0.0])     # ties share
    assert ops.vector_norm(dg.ones(2, 3, dtype=dg.float64), 2).dtype == np.float64
    assert ops.vector_norm(dg.ones(3), dtype=dg.float64).dtype == np.float64
    with pytest.raises(TypeError, match="floating point"):
        ops.vector_norm(dg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="non-negative or -inf"):
        ops.vector_norm(dg.ones(3), -1)
    with pytest.raises(RuntimeError, match="empty tensor"):
        ops.vector_norm(dg.zeros(0), INF)
    torch = pytest.importorskip("torch")
    t = torch.tensor([1.0, -3.0, 3.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.linalg.vector_norm(t, INF).backward()
    np.testing.assert_allclose(y.grad.array, t.grad.numpy())


def _np_matrix_norm(a, ord, axes=(-2, -1), keepdims=False):
    return np.linalg.norm(a, ord, axis=axes, keepdims=keepdims)


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, INF, -INF])
def test_matrix_norm(ord):
    check_op(lambda x: ops.matrix_norm(x, ord), lambda a: _np_matrix_norm(a, ord), [(2, 3, 4)],
             make=distinct, **TOL32, torch_fn=lambda x: _torch().linalg.matrix_norm(x, ord))
    check_op(lambda x: ops.matrix_norm(x, ord, (0, 2), keepdim=True),
             lambda a: _np_matrix_norm(a, ord, (0, 2), True), [(3, 2, 4)], make=distinct, **TOL32)


def test_matrix_norm_errors_and_nuclear_norm():
    with pytest.raises(ValueError, match="ord must be 'fro', 'nuc'"):
        ops.matrix_norm(dg.ones(2, 2), 3)
    with pytest.raises(RuntimeError, match="at least 2 dims"):
        ops.matrix_norm(dg.ones(3))
    check_op(ops.nuclear_norm, lambda a: np.linalg.norm(a, "nuc"), [(3, 4)], **TOL32,
             torch_fn=lambda x: _torch().nuclear_norm(x))
    check_op(lambda x: ops.nuclear_norm(x, (1, 2), True),
             lambda a: np.linalg.norm(a, "nuc", axis=(1, 2), keepdims=True), [(2, 3, 4)], **TOL32)
    check_op(lambda x: ops.nuclear_norm(x, True), lambda a: np.linalg.norm(a, "nuc",
                                                                          keepdims=True),
             [(3, 2)], **TOL32)
    with pytest.raises(RuntimeError, match="2-D tensor"):
        ops.nuclear_norm(dg.ones(2, 2, 2))


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, INF, 1.5])
@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                  "donot_use_mm_for_euclid_dist"])
def test_cdist(p, mode):
    def ref(a, b):
        return _np_vector_norm(a[..., :, None, :] - b[..., None, :, :], p, -1)
    check_op(lambda a, b: ops.cdist(a, b, p, mode), ref, [((2, 4, 3), (5, 3)), ((3, 2), (4, 2))],
             grad=p != 0, **TOL32, torch_fn=lambda a, b: _torch().cdist(a, b, p, mode))


def test_cdist_large_uses_one_product_and_errors():
    check_op(lambda a, b: ops.cdist(a, b), lambda a, b: np.sqrt(
        ((a[:, None] - b[None]) ** 2).sum(-1)), [((30, 3), (4, 3))], **TOL32,
        torch_fn=lambda a, b: _torch().cdist(a, b))
    x = dg.Tensor(np.ones((2, 3)), requires_grad=True)
    ops.cdist(x, dg.Tensor(np.ones((2, 3))), compute_mode="donot_use_mm_for_euclid_dist"
              ).sum().backward()
    assert not x.grad.array.any()                                   # zero distance: gradient 0
    with pytest.raises(ValueError, match="compute_mode must be one of"):
        ops.cdist(dg.ones(2, 3), dg.ones(2, 3), compute_mode="fast")
    with pytest.raises(RuntimeError, match="non-negative p"):
        ops.cdist(dg.ones(2, 3), dg.ones(2, 3), -1.0)
    with pytest.raises(RuntimeError, match=r"expected x1 \(\*, P, M\)"):
        ops.cdist(dg.ones(2, 3), dg.ones(2, 4))


def test_dist_and_renorm():
    for p in (2, 1, 3, INF):
        check_op(lambda a, b: ops.dist(a, b, p), lambda a, b: _np_vector_norm(a - b, p),
                 [((2, 3), (3,))], make=distinct, **TOL32,
                 torch_fn=lambda a, b: _torch().dist(a, b, p))
    check_op(lambda a, b: a.dist(b), lambda a, b: np.sqrt(((a - b) ** 2).sum()),
             [((2, 3), (2, 3))])

    def renorm_ref(a, p, dim, maxnorm):
        others = tuple(i for i in range(a.ndim) if i != dim)
        n = _np_vector_norm(a, p, others, True)
        return a * np.where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)
    for p, dim, maxnorm in [(2, 0, 1.0), (1, 1, 2.5), (3, -1, 0.5)]:
        check_op(lambda a: ops.renorm(a, p, dim, maxnorm),
                 lambda a: renorm_ref(a, p, dim % 3, maxnorm), [(3, 4, 2)], make=distinct,
                 **TOL32, torch_fn=lambda a: _torch().renorm(a, p, dim, maxnorm))
    x = dg.Tensor(np.arange(6.0).reshape(2, 3))
    assert x.renorm_(2, 0, 1.0) is x
    np.testing.assert_allclose(np.linalg.norm(x.array, axis=1), [1.0, 1.0], rtol=1e-6)
    check_op(lambda a: a.renorm(2, 1, 0.1), lambda a: renorm_ref(a, 2, 1, 0.1), [(2, 3)])
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ops.renorm(dg.ones(3), 2, 0, 1.0)
    with pytest.raises(RuntimeError, match="p must be positive"):
        ops.renorm(dg.ones(3, 2), 0, 0, 1.0)


def test_cov_and_corrcoef():
    check_op(lambda a: ops.cov(a), np.cov, [(3, 5), (5,)], **TOL32,
             torch_fn=lambda a: _torch().cov(a))
    check_op(lambda a: a.cov(correction=0), lambda a: np.cov(a, ddof=0), [(2, 4)], **TOL32)
    fw, aw = np.array([1, 2, 0, 3, 1]), np.array([0.5, 1.0, 2.0, 0.1, 1.0])
    check_op(lambda a: ops.cov(a, fweights=dg.tensor(fw), aweights=dg.Tensor(aw)),
             lambda a: np.cov(a, fweights=fw, aweights=aw), [(3, 5)], **TOL32,
             torch_fn=lambda a: _torch().cov(a, fweights=_torch().tensor(fw),
                                             aweights=_torch().tensor(aw)))
    check_op(lambda a: ops.cov(a, correction=2, fweights=dg.tensor(fw)),
             lambda a: np.cov(a, ddof=2, fweights=fw), [(2, 5)], **TOL32)
    check_op(ops.corrcoef, np.corrcoef, [(3, 5)], **TOL32, torch_fn=lambda a: _torch().corrcoef(a))
    check_op(lambda a: a.corrcoef(), np.corrcoef, [(2, 4)], **TOL32)
    assert ops.corrcoef(dg.tensor([1.0, 2.0, 4.0])).item() == 1.0
    with pytest.raises(RuntimeError, match="fweights must be non-negative integers"):
        ops.cov(dg.ones(2, 3), fweights=dg.ones(3))
    with pytest.raises(RuntimeError, match="1-d or 2-d"):
        ops.cov(dg.ones(2, 2, 2))
