"""Distances and similarities between vectors: p-norms of differences, cosines, unit vectors.

    ||v||_p              = (sum_i |v_i|^p)^(1/p)     (p = inf: max |v_i|, p = 0: #{v_i != 0})
    pairwise_distance    = ||x1 - x2 + eps||_p along the last dim
    pdist(x)_(i<j)       = ||x_i - x_j||_p for the rows of x (N, M), upper triangle row-major
    cosine_similarity    = sum (x1 / max(||x1||, eps)) (x2 / max(||x2||, eps)) along dim
    normalize(x)         = x / max(||x||_p, eps) along dim

The p-norm and its derivative, d||v||_p / dv_i = sign(v_i) |v_i|^(p-1) / ||v||_p^(p-1) (taken
as 0 where the norm is 0, so equal vectors have a zero gradient, as PyTorch), are computed by
the one p-norm kernel, :class:`deepgrad.ops.norms.VectorNorm`.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import normalize_axis, operands, expand_reduced
from deepgrad.ops.elementwise import clamp
from deepgrad.ops.norms import VectorNorm
from deepgrad.ops.reduce import sum as _sum
from deepgrad.ops.shape import broadcast_to, getitem

_INF = float("inf")


def _p_norm(x, p, dim, keepdim=False):
    """||x||_p over ``dim``, by the one p-norm kernel (:class:`deepgrad.ops.norms.VectorNorm`)."""
    return VectorNorm.apply(x, ord=float(p), axis=dim, keepdims=keepdim)


def _broadcast_pair(name, x1, x2):
    x1, x2 = operands(name, x1, x2)
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise RuntimeError(f"{name}: x1 of shape {tuple(x1.shape)} and x2 of shape "
                           f"{tuple(x2.shape)} do not broadcast together") from None
    return x1, x2, shape


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dimension (x1 and x2 broadcast).

    Args:
        x1, x2: (N, D) or (D,), or any broadcastable pair; the norm runs over the last dim.
        p: the norm degree (any real, inf included; 0 counts the nonzero entries).
        eps: added to the difference, as PyTorch (it keeps the gradient finite at x1 = x2).
        keepdim: keep the reduced dim with size 1.
    Returns:
        (N,) distances ((N, 1) with ``keepdim``).
    """
    x1, x2, shape = _broadcast_pair("pairwise_distance", x1, x2)
    d = x1 - x2 + eps
    return _p_norm(d, p, -1 if len(shape) else None, keepdim)


def pdist(input, p=2):
    """Distances ||x_i - x_j||_p between the rows of ``input`` (N, M), for i < j, row-major
    (the condensed upper triangle, as ``scipy.spatial.distance.pdist``).

    Returns N (N - 1) / 2 values; the gradient at a zero distance is 0.
    """
    x = to_tensor(input)
    if x.ndim != 2:
        raise RuntimeError(f"pdist: only supports 2-D tensors (N, M), received a {x.ndim}-D "
                           f"tensor of shape {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"pdist: expected a floating-point input, received dtype {x.dtype}")
    if p < 0:
        raise RuntimeError(f"pdist: only supports non-negative p values, received p={p}")
    i, j = np.triu_indices(x.shape[0], k=1)
    return _p_norm(getitem(x, i) - getitem(x, j), p, 1)


def _clamped_norm(x, dim, eps):
    """||x||_2 along ``dim`` clamped at ``eps`` in value only (the gradient is the norm's),
    as PyTorch's ``cosine_similarity`` clamps under no_grad."""
    n = _p_norm(x, 2, dim, keepdim=True)
    floor = np.maximum(n.array, np.asarray(eps, n.dtype)) - n.array
    return n + _fn._Tensor._wrap(floor)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos(x1, x2) = sum (x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)) along ``dim``.

    x1 and x2 broadcast; each is divided by its norm first (results stay in [-1, 1]). The
    clamp at ``eps`` changes the value only: the gradient flows through the norm as if
    unclamped, as PyTorch's implementation does.
    """
    x1, x2, shape = _broadcast_pair("cosine_similarity", x1, x2)
    if x1.dtype.kind != "f":
        raise TypeError(f"cosine_similarity: expected floating-point inputs, received {x1.dtype}")
    d = normalize_axis(dim, len(shape))
    if len(shape) == 0:
        d = None
    if x1.shape != shape:
        x1 = broadcast_to(x1, shape)
    if x2.shape != shape:
        x2 = broadcast_to(x2, shape)
    return _sum((x1 / _clamped_norm(x1, d, eps)) * (x2 / _clamped_norm(x2, d, eps)), d)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along ``dim`` (unit vectors; eps guards the zero vector).

    d/dx follows the composition (p-norm, clamp, divide); where the norm is below eps the
    clamp passes no gradient to it. ``out``: a tensor that receives the result (it must not
    require grad while the graph is recorded, as for every in-place write).
    """
    x = to_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"normalize: expected a floating-point input, received dtype {x.dtype}")
    d = normalize_axis(dim, x.ndim)
    result = x / clamp(_p_norm(x, p, d if x.ndim else None, keepdim=True), min=eps)
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(f"normalize: out has shape {tuple(out.shape)}, expected "
                           f"{tuple(result.shape)}")
    return out.copy_(result.detach())


__all__ = ["pairwise_distance", "pdist", "cosine_similarity", "normalize"]
