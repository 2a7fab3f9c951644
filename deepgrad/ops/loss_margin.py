"""Margin and ranking losses (PyTorch's names), each a composition of differentiable ops.

    margin_ranking:   l = max(0, -y (x1 - x2) + margin)                     y in {1, -1}
    hinge_embedding:  l = x (y = 1),  max(0, margin - x) (y = -1)            y in {1, -1}
    soft_margin:      l = log(1 + e^{-y x})                                   y in {1, -1}
    cosine_embedding: l = 1 - cos(x1, x2) (y = 1),  max(0, cos(x1, x2) - margin) (y = -1)
    multi_margin:     l_n = sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C
    multilabel_margin: l_n = sum_{j in Y} sum_{i not in Y} max(0, 1 - (x_j - x_i)) / C
    triplet_margin:   l = max(0, margin + d(a, p) - d(a, n)),  d = pairwise_distance

Gradients come from the compositions (relu/clamp masks at the hinges, as PyTorch's
kernels). Reductions: 'mean' (default), 'sum', 'none'; the deprecated size_average/reduce
pair is accepted where PyTorch still accepts it.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.ops._util import operands
from deepgrad.ops.activation import logsigmoid, relu
from deepgrad.ops.distance import pairwise_distance
from deepgrad.ops.elementwise import clamp, minimum, sqrt, where
from deepgrad.ops.loss import _check_reduction, _check_same_shape, _reduce, legacy_reduction
from deepgrad.ops.reduce import sum as _sum
from deepgrad.ops.shape import getitem

_EPSILON = 1e-12


def _target_array(name, target, ndim_ok):
    t = target.array if isinstance(target, _fn._Tensor) else np.asarray(target)
    if t.ndim not in ndim_ok:
        raise ValueError(f"{name}: target must have {' or '.join(map(str, ndim_ok))} dims, "
                         f"received shape {t.shape}")
    return t


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """l = max(0, -y (x1 - x2) + margin): x1 should rank above x2 when y = 1, below when
    y = -1. All three of the same shape.   dl/dx1 = -y [l > 0],  dl/dx2 = y [l > 0]."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("margin_ranking_loss", reduction)
    x1, x2 = operands("margin_ranking_loss", input1, input2)
    x1, y = operands("margin_ranking_loss", x1, target)
    if not x1.shape == x2.shape == y.shape:
        raise ValueError(f"margin_ranking_loss: all input tensors should have the same size, "
                         f"received input1 {tuple(x1.shape)}, input2 {tuple(x2.shape)}, "
                         f"target {tuple(y.shape)}")
    return _reduce("margin_ranking_loss", relu(-y * (x1 - x2) + margin), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """l = x where y = 1, max(0, margin - x) where y = -1 (x is usually a distance).

    As PyTorch's formula: the hinge term applies where y != 1 and the x term where y != -1.
    dl/dx = [y != -1] - [y != 1][margin - x >= 0].
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("hinge_embedding_loss", reduction)
    x, y = operands("hinge_embedding_loss", input, target)
    _check_same_shape("hinge_embedding_loss", x, y)
    zero = x * 0.0
    hinge = where(y.array != 1, clamp(margin - x, min=0), zero)
    return _reduce("hinge_embedding_loss", hinge + where(y.array != -1, x, zero), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """l = log(1 + e^{-y x}) = -log sigmoid(y x) (two-class logistic loss, y in {1, -1}).

    dl/dx = -y sigmoid(-y x).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("soft_margin_loss", reduction)
    x, y = operands("soft_margin_loss", input, target)
    _check_same_shape("soft_margin_loss", x, y)
    return _reduce("soft_margin_loss", -logsigmoid(y * x), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """l = 1 - cos(x1, x2) where y = 1,  max(0, cos(x1, x2) - margin) where y = -1 (0
    for other y), with cos = <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)).

    x1, x2: (N, D) with target (N,), or (D,) with a 0-d target.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cosine_embedding_loss", reduction)
    x1, x2 = operands("cosine_embedding_loss", input1, input2)
    y = _target_array("cosine_embedding_loss", target, (0, 1))
    if x1.ndim != y.ndim + 1 or x2.ndim != x1.ndim:
        raise ValueError(f"cosine_embedding_loss: a {y.ndim}-D target needs {y.ndim + 1}-D "
                         f"inputs, received inputs of shapes {tuple(x1.shape)} and "
                         f"{tuple(x2.shape)}")
    if x1.shape != x2.shape or x1.shape[:-1] != y.shape:
        raise ValueError(f"cosine_embedding_loss: inputs of shapes {tuple(x1.shape)} and "
                         f"{tuple(x2.shape)} and target of shape {y.shape} do not match; "
                         f"expected (N, D), (N, D) and (N,)")
    d = y.ndim
    cos = _sum(x1 * x2, d) / sqrt((_sum(x1 * x1, d) + _EPSILON) * (_sum(x2 * x2, d) + _EPSILON))
    zero = cos * 0.0
    loss = where(y == 1, 1 - cos, zero) + where(y == -1, clamp(cos - margin, min=0), zero)
    return _reduce("cosine_embedding_loss", loss, reduction)


def _class_targets(name, x, target):
    """Integer class targets (N,) for x (N, C) ((), for x (C,)), range-checked."""
    t = target.array if isinstance(target, _fn._Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold class indices of an integer dtype, "
                        f"received dtype {t.dtype}")
    if x.ndim not in (1, 2):
        raise ValueError(f"{name}: expected input of shape (N, C) or (C,), received "
                         f"{tuple(x.shape)}")
    expected = x.shape[:1] if x.ndim == 2 else ()
    if t.shape != expected and not (x.ndim == 1 and t.shape == (1,)):
        raise ValueError(f"{name}: input of shape {tuple(x.shape)} needs a target of shape "
                         f"{expected}, received {t.shape}")
    C = x.shape[-1]
    if t.size and (t.min() < 0 or t.max() >= C):
        raise IndexError(f"{name}: target values must be class indices in [0, {C - 1}], "
                         f"received values in [{t.min()}, {t.max()}]")
    return t.reshape(expected)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: l_n = sum_{i != y_n} w_{y_n} max(0, margin - x_{y_n} + x_i)^p / C.

    Args:
        input: (N, C) or (C,) scores.  target: (N,) or () class indices.
        p: 1 or 2.  weight: (C,) class weights (w_{y_n} multiplies sample n's terms).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("multi_margin_loss", reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, received p={p}")
    x = to_tensor(input)
    t = _class_targets("multi_margin_loss", x, target)
    x2 = x if x.ndim == 2 else x.reshape(1, -1)
    t2 = t.reshape(-1)
    N, C = x2.shape
    w = None
    if weight is not None:
        w = to_tensor(weight)
        if w.ndim != 1 or w.shape[0] != C:
            raise ValueError(f"multi_margin_loss: weight must be one-dimensional of size {C}, "
                             f"received shape {tuple(w.shape)}")
    rows = np.arange(N)
    xt = getitem(x2, (rows, t2)).reshape(N, 1)
    h = relu(margin - xt + x2)
    if p == 2:
        h = h * h
    others = (np.arange(C) != t2[:, None]).astype(x.dtype)
    h = h * _fn._Tensor._wrap(others)
    if w is not None:
        h = h * getitem(w, t2).reshape(N, 1)
    loss = _sum(h, 1) / C
    return _reduce("multi_margin_loss", loss if x.ndim == 2 else loss.reshape(()), reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: l_n = sum_{j in Y_n} sum_{i not in Y_n} max(0, 1 - (x_j - x_i)) / C.

    ``target`` has the input's shape and lists sample n's classes Y_n, ended by the first
    -1 (``[3, 0, -1, 1]`` means Y = {3, 0}).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("multilabel_margin_loss", reduction)
    x = to_tensor(input)
    t = target.array if isinstance(target, _fn._Tensor) else np.asarray(target)
    if x.ndim not in (1, 2):
        raise ValueError(f"multilabel_margin_loss: expected input of shape (N, C) or (C,), "
                         f"received {tuple(x.shape)}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"multilabel_margin_loss: target must hold class indices of an integer "
                        f"dtype, received dtype {t.dtype}")
    if t.shape != x.shape:
        raise ValueError(f"multilabel_margin_loss: target must have the input's shape "
                         f"{tuple(x.shape)}, received {t.shape}")
    C = x.shape[-1]
    if t.size and (t.min() < -1 or t.max() >= C):
        raise IndexError(f"multilabel_margin_loss: target values must be in [-1, {C - 1}], "
                         f"received values in [{t.min()}, {t.max()}]")
    x2, t2 = (x, t) if x.ndim == 2 else (x.reshape(1, -1), t.reshape(1, -1))
    N = x2.shape[0]
    listed = np.cumprod(t2 != -1, axis=1).astype(bool)         # entries before the first -1
    idx = np.where(listed, t2, 0)
    is_target = np.zeros((N, C), bool)
    is_target[np.nonzero(listed)[0], idx[listed]] = True          # class i is in Y_n
    xj = getitem(x2, (np.arange(N)[:, None], idx))                # (N, K): x at listed classes
    h = relu(1 - xj.unsqueeze(2) + x2.unsqueeze(1))                # (N, K, C)
    keep = (listed[:, :, None] & ~is_target[:, None, :]).astype(x.dtype)
    loss = _sum(h * _fn._Tensor._wrap(keep), (1, 2)) / C
    return _reduce("multilabel_margin_loss", loss if x.ndim == 2 else loss.reshape(()),
                   reduction)


def _check_triplet(name, anchor, positive, negative, margin):
    if margin <= 0:
        raise ValueError(f"{name}: margin must be greater than 0, received {margin}")
    dims = [to_tensor(v).ndim for v in (anchor, positive, negative)]
    if len(set(dims)) != 1:
        raise ValueError(f"{name}: the anchor, positive and negative tensors must have the same "
                         f"number of dimensions, received {dims[0]}-D, {dims[1]}-D and "
                         f"{dims[2]}-D inputs")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """l = max(0, margin + d(a, p) - d(a, n)) for any distance ``d`` (default:
    :func:`pairwise_distance`). ``swap``: d(a, n) becomes min(d(a, n), d(p, n))."""
    _check_reduction("triplet_margin_with_distance_loss", reduction)
    _check_triplet("triplet_margin_with_distance_loss", anchor, positive, negative, margin)
    d = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, d(positive, negative))
    return _reduce("triplet_margin_with_distance_loss", clamp(margin + d_pos - d_neg, min=0),
                   reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """l = max(0, margin + ||a - p + eps||_p - ||a - n + eps||_p) (Balntas et al. with
    ``swap``: the negative distance is min(d(a, n), d(p, n)))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("triplet_margin_loss", reduction)
    _check_triplet("triplet_margin_loss", anchor, positive, negative, margin)
    return triplet_margin_with_distance_loss(
        anchor, positive, negative, margin=margin, swap=swap, reduction=reduction,
        distance_function=lambda a, b: pairwise_distance(a, b, p, eps))


__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "cosine_embedding_loss", "multi_margin_loss", "multilabel_margin_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss"]
