"""Loss functions (seed 000, section 3.4): MSE, cross-entropy and their relatives.

    MSE:            J = (1/n) sum_i (y_i - yhat_i)^2
    cross-entropy:  J = -(1/n) sum_i log softmax(z_i)[t_i]    (class-index targets)
    binary CE:      J = -(1/n) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)]

Reductions follow PyTorch: 'mean' (default), 'sum' or 'none'.
"""
import warnings

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import operands
from deepgrad.ops.activation import _sigmoid
from deepgrad.ops.elementwise import abs as _abs, where
from deepgrad.ops.linalg import linear as _linear
from deepgrad.ops.reduce import mean, sum as _sum

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, received {reduction!r}")


def legacy_reduction(size_average, reduce, reduction="mean"):
    """The reduction string for PyTorch's deprecated ``size_average``/``reduce`` pair.

    Both None: ``reduction`` unchanged. Otherwise (each None counting as True, with
    PyTorch's deprecation warning): reduce and size_average -> 'mean', reduce only ->
    'sum', not reduce -> 'none'.
    """
    if size_average is None and reduce is None:
        return reduction
    for name, v in (("size_average", size_average), ("reduce", reduce)):
        if not isinstance(v, (bool, np.bool_, type(None))):
            raise TypeError(f"{name} must be a bool or None (a deprecated PyTorch argument), "
                            f"received {v!r}; pass the reduction by keyword: reduction={v!r}")
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    out = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{out}' instead.", UserWarning, stacklevel=3)
    return out


def _reduce(name, loss, reduction):
    _check_reduction(name, reduction)
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return _sum(loss)
    return loss


def _check_same_shape(name, input, target):
    if input.shape != target.shape:
        raise ValueError(f"{name}: target shape {tuple(target.shape)} does not match input "
                         f"shape {tuple(input.shape)}; they must be equal")


# ----------------------------------------------------------------- cross-entropy family
class CrossEntropy(Function):
    """Fused log-softmax + negative log-likelihood over the last axis of (N, C) logits.

    With q_i the target distribution of row i (one-hot, smoothed or given) and class
    weights w, the row loss is l_i = -sum_c w_c q_ic log p_ic, p = softmax(z_i), and

        dl_i/dz_i = p_i * sum_c (w_c q_ic) - w * q_i

    (for one-hot q: p_i - e_{t_i}, times w_{t_i}).
    """

    def forward(self, z, q, denom=1.0, reduce=False):
        shifted = z - z.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.logp, self.q, self.denom, self.reduce = logp, q, denom, reduce
        rows = (q * logp).sum(axis=1) / -denom
        return rows.sum() if reduce else rows

    def backward(self, g):
        gz = np.exp(self.logp)
        gz *= self.q.sum(axis=1, keepdims=True)
        gz -= self.q
        gz *= (g / self.denom) if self.reduce else (g / self.denom)[:, None]
        return gz, None


class SparseCrossEntropy(Function):
    """The one-hot case of :class:`CrossEntropy` without smoothing: gathers p[i, t_i] only.

        l_i = -w_i log p_{i, t_i};   dl_i/dz_i = w_i (p_i - e_{t_i})
    """

    def forward(self, z, target=None, wt=None, denom=1.0, reduce=False):
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(z.shape[0])
        picked = shifted[rows, target] - np.log(s[:, 0])
        self.e, self.s, self.target, self.wt, self.denom, self.reduce = e, s, target, wt, denom, reduce
        out = picked * (wt / -denom)
        return out.sum() if reduce else out

    def backward(self, g):
        gz = self.e / self.s                               # softmax
        gz[np.arange(gz.shape[0]), self.target] -= 1
        scale = self.wt * (g / self.denom)
        gz *= scale[:, None]
        return gz


class NLLLoss(Function):
    """l_i = -w_{t_i} x_{i, t_i};  dl_i/dx_{i,c} = -w_{t_i} [c = t_i]."""

    def forward(self, x, target=None, wt=None, denom=1.0):
        self.shape, self.target, self.wt, self.denom = x.shape, target, wt, denom
        rows = np.arange(x.shape[0])
        return -x[rows, target] * wt / denom

    def backward(self, g):
        out = np.zeros(self.shape, dtype=g.dtype)
        out[np.arange(self.shape[0]), self.target] = -g * self.wt / self.denom
        return out


def _class_last(name, input, target):
    """Move the class axis last: (N, C, d1, ..) -> (N*d1*.., C); targets likewise."""
    x = to_tensor(input)
    probs = target.dtype.kind == "f"
    if x.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, received a 0-d tensor")
    index_shape = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    expected = x.shape if probs else index_shape
    if probs and target.shape == index_shape:
        raise TypeError(f"{name}: target of shape {tuple(target.shape)} looks like class "
                        f"indices but has the float dtype {target.dtype}; class indices need "
                        f"an integer dtype (use .long()), class probabilities the input's "
                        f"shape {tuple(x.shape)}")
    if target.shape != expected:
        raise ValueError(f"{name}: input of shape {tuple(x.shape)} needs a target of shape "
                         f"{expected} ({'class probabilities' if probs else 'class indices'}), "
                         f"received {tuple(target.shape)}")
    if x.ndim == 1:
        return x.reshape(1, -1), target.reshape(1, -1) if probs else target.reshape(1)
    if x.ndim > 2:
        C = x.shape[1]
        x = x.permute(0, *range(2, x.ndim), 1).reshape(-1, C)
        target = np.moveaxis(target, 1, -1).reshape(-1, C) if probs else target.reshape(-1)
    return x, target


def _index_target(name, x, target, ignore_index):
    """Validate integer class targets; return (target, kept mask or None when all are kept)."""
    if target.ndim != 1 or target.shape[0] != x.shape[0]:
        raise ValueError(f"{name}: expected target of shape ({x.shape[0]},) for input of shape "
                         f"{tuple(x.shape)}, received {tuple(target.shape)}")
    C = x.shape[1]
    lo, hi = (int(target.min()), int(target.max())) if target.size else (0, 0)
    if lo >= 0 and hi < C and not lo <= ignore_index <= hi:
        return target, None                     # every row valid, none ignored (the usual case)
    keep = target != ignore_index
    bad = keep & ((target < 0) | (target >= C))
    if bad.any():
        raise IndexError(f"{name}: target {int(target[bad][0])} is out of bounds: class indices "
                         f"must be in [0, {C - 1}] for input with {C} classes")
    return np.where(keep, target, 0), keep


def _row_weights(w, t, keep, dtype):
    """w_{t_i} per row (1 without class weights), 0 for ignored rows (``keep`` False)."""
    wt = np.ones(t.shape, dtype) if w is None else w[t].astype(dtype, copy=False)
    if keep is not None:
        wt = np.where(keep, wt, 0).astype(dtype, copy=False)
    return wt


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and targets: log-softmax and NLL in one stable op.

    Args:
        input: logits (N, C), (C,) or (N, C, d1, ...).
        target: class indices (N,) / (N, d1, ...) of an integer dtype, or class
            probabilities of the input's shape.
        weight: (C,) per-class weights.
        ignore_index: index target that contributes nothing (class-index targets).
        reduction: 'mean' | 'sum' | 'none'. With class indices and weights, 'mean'
            divides by sum of w_{t_i} (PyTorch's convention).
        label_smoothing: eps; targets become (1 - eps) q + eps / C.

    Formula: l_i = -sum_c w_c q_ic log softmax(z_i)_c; backward p_i sum_c w_c q_ic - w q_i.
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cross_entropy", reduction)
    tgt = target.array if isinstance(target, _fn._Tensor) else np.asarray(target)
    in_shape = to_tensor(input).shape
    x, tgt = _class_last("cross_entropy", input, tgt)
    N, C = x.shape
    dtype = x.array.dtype
    w = None if weight is None else np.asarray(
        weight.array if isinstance(weight, _fn._Tensor) else weight, dtype)
    if w is not None and w.shape != (C,):
        raise ValueError(f"cross_entropy: weight has shape {w.shape}, expected ({C},)")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], received {label_smoothing}")
    eps = label_smoothing
    if tgt.dtype.kind in "iu":
        t, keep = _index_target("cross_entropy", x, tgt, ignore_index)
        wt = _row_weights(w, t, keep, dtype)
        if eps == 0.0:
            denom = float(wt.sum()) if reduction == "mean" else 1.0
            denom = denom if denom != 0.0 else float("nan")
            out = SparseCrossEntropy.apply(x, target=t, wt=wt, denom=denom,
                                           reduce=reduction != "none")
            return out.reshape(_none_shape(in_shape)) if reduction == "none" else out
        q = np.zeros((N, C), dtype)
        q[np.arange(N), t] = 1 - eps
        q += eps / C
        if w is not None:
            q *= w
        if keep is not None:
            q[~keep] = 0
        denom = float(wt.sum()) if reduction == "mean" else 1.0
    elif tgt.dtype.kind == "f":
        q = tgt.astype(dtype, copy=False) * (1 - eps) + eps / C
        if w is not None:
            q = q * w
        denom = float(N) if reduction == "mean" else 1.0
    else:
        raise TypeError(f"cross_entropy: target must hold class indices (an integer dtype) or "
                        f"class probabilities (a float dtype), received dtype {tgt.dtype}")
    if denom == 0.0:
        denom = float("nan")   # every target ignored: PyTorch returns nan for 'mean'
    if reduction == "none":
        rows = CrossEntropy.apply(x, _fn._Tensor._wrap(q), denom=denom)
        return rows.reshape(_none_shape(in_shape))
    return CrossEntropy.apply(x, _fn._Tensor._wrap(q), denom=denom, reduce=True)


def _none_shape(in_shape):
    if len(in_shape) == 1:
        return ()
    return (in_shape[0],) + tuple(in_shape[2:])


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities: l_i = -w_{t_i} input[i, t_i].

    'mean' divides by sum of w_{t_i} over non-ignored rows.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("nll_loss", reduction)
    tgt = target.array if isinstance(target, _fn._Tensor) else np.asarray(target)
    if tgt.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold class indices of an integer dtype, "
                        f"received dtype {tgt.dtype}")
    in_shape = to_tensor(input).shape
    x, tgt = _class_last("nll_loss", input, tgt)
    t, keep = _index_target("nll_loss", x, tgt, ignore_index)
    C = x.shape[1]
    w = None if weight is None else np.asarray(
        weight.array if isinstance(weight, _fn._Tensor) else weight, x.dtype)
    if w is not None and w.shape != (C,):
        raise ValueError(f"nll_loss: weight has shape {w.shape}, expected ({C},)")
    wt = _row_weights(w, t, keep, x.dtype)
    denom = float(wt.sum()) if reduction == "mean" else 1.0
    rows = NLLLoss.apply(x, target=t, wt=wt, denom=denom if denom else float("nan"))
    if reduction == "none":
        return rows.reshape(_none_shape(in_shape))
    return _sum(rows)


# ----------------------------------------------------------------- regression losses
class MSE(Function):
    """J = sum_i (x_i - y_i)^2 / n.   dJ/dx_i = 2 (x_i - y_i) / n, dJ/dy_i = -dJ/dx_i."""

    def forward(self, x, y, n=1.0):
        self.d = x - y
        self.n = n
        return np.asarray(np.vdot(self.d.ravel(), self.d.ravel()) / n, dtype=x.dtype)

    def backward(self, g):
        gx = self.d * (g * np.asarray(2.0 / self.n, self.d.dtype))
        return gx, (-gx if self.needs_grad[1] else None)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (x - y)^2, reduced. Seed 000 writes J = (1/2n) sum (y - yhat)^2;
    like PyTorch and Keras, deepgrad omits the 1/2. ``weight`` (the input's shape) weighs
    each term; 'mean' is then sum(w l) / sum(w), as PyTorch."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("mse_loss", reduction)
    x, y = operands("mse_loss", input, target)
    _check_same_shape("mse_loss", x, y)
    if weight is not None:
        d = x - y
        return _weighted("mse_loss", d * d, x, weight, reduction, by_weight=True)
    if reduction == "none":
        d = x - y
        return d * d
    n = float(x.array.size) if reduction == "mean" else 1.0
    return MSE.apply(x, y, n=n)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error |x - y|, reduced. d/dx = sign(x - y). ``weight`` as in
    :func:`mse_loss` ('mean' = sum(w l) / sum(w))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x, y = operands("l1_loss", input, target)
    _check_same_shape("l1_loss", x, y)
    if weight is not None:
        return _weighted("l1_loss", _abs(x - y), x, weight, reduction, by_weight=True)
    return _reduce("l1_loss", _abs(x - y), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta  (d = x - y)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, received {beta}")
    x, y = operands("smooth_l1_loss", input, target)
    _check_same_shape("smooth_l1_loss", x, y)
    if beta == 0:
        return l1_loss(x, y, reduction=reduction)
    d = x - y
    ad = _abs(d)
    return _reduce("smooth_l1_loss", where(ad.array < beta, d * d * (0.5 / beta), ad - 0.5 * beta),
                   reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta)  (= delta * smooth_l1).

    ``weight`` (the input's shape) weighs each term; 'mean' then stays the plain mean of
    the weighted terms, as PyTorch's huber_loss (unlike mse/l1, which divide by sum(w)).
    """
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, received {delta}")
    x, y = operands("huber_loss", input, target)
    _check_same_shape("huber_loss", x, y)
    d = x - y
    ad = _abs(d)
    loss = where(ad.array <= delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    if weight is not None:
        return _weighted("huber_loss", loss, x, weight, reduction, by_weight=False)
    return _reduce("huber_loss", loss, reduction)


def _weighted(name, loss, x, weight, reduction, by_weight):
    """Per-element weights of the input's shape; 'mean' divides by sum(w) if ``by_weight``."""
    _check_reduction(name, reduction)
    w = operands(name, x, weight)[1]
    if w.shape != x.shape:
        raise ValueError(f"{name}: weights and input must have the same size, received weight "
                         f"{tuple(w.shape)} and input {tuple(x.shape)}")
    loss = loss * w
    if reduction == "mean" and by_weight:
        return _sum(loss) / _sum(w)
    return _reduce(name, loss, reduction)


# ----------------------------------------------------------------- binary cross-entropy
class BCE(Function):
    """l = -w [y log p + (1 - y) log(1 - p)], logs clamped at -100 (as PyTorch).

    dl/dp = w (p - y) / max(p (1 - p), 1e-12).
    """

    def forward(self, p, y, w):
        self.p, self.y, self.w = p, y, w
        logp, log1mp = _clamped_logs(p)
        return -w * (y * logp + (1 - y) * log1mp)

    def backward(self, g):
        p, y = self.p, self.y
        gp = g * self.w * (p - y) / np.maximum(p * (1 - p), np.asarray(1e-12, p.dtype))
        gy = None
        if self.needs_grad[1]:
            logp, log1mp = _clamped_logs(p)
            gy = g * self.w * (log1mp - logp)
        return gp, gy, None


def _clamped_logs(p):
    """(max(log p, -100), max(log(1 - p), -100)); p = 0 or 1 gives -100, not -inf."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)


class BCEWithLogits(Function):
    """l = w [(1 - y) x + L softplus(-x)], L = 1 + (pw - 1) y  (stable for any x).

    dl/dx = w [(1 - y) - L (1 - sigmoid(x))];  dl/dy = w [-x + (pw - 1) softplus(-x)].
    """

    def forward(self, x, y, w, pw):
        self.x, self.y, self.w, self.pw = x, y, w, pw
        self.sp = np.logaddexp(np.zeros((), x.dtype), -x)      # softplus(-x) = log(1 + e^-x)
        L = 1 + (pw - 1) * y
        self.L = L
        return w * ((1 - y) * x + L * self.sp)

    def backward(self, g):
        gx = g * self.w * ((1 - self.y) - self.L * (1 - _sigmoid(self.x)))
        gy = g * self.w * (-self.x + (self.pw - 1) * self.sp) if self.needs_grad[1] else None
        return gx, gy, None, None


def _const(name, value, like, what):
    if value is None:
        return _fn._Tensor._wrap(np.ones((), like.dtype))
    v = to_tensor(value)
    try:
        np.broadcast_shapes(v.shape, like.shape)
    except ValueError:
        raise ValueError(f"{name}: {what} of shape {tuple(v.shape)} does not broadcast to the "
                         f"input's shape {tuple(like.shape)}") from None
    return v if v.dtype == like.dtype else _fn._Tensor._wrap(v.array.astype(like.dtype))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross-entropy of probabilities p in [0, 1] against targets y in [0, 1]."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("binary_cross_entropy", reduction)
    p, y = operands("binary_cross_entropy", input, target)
    _check_same_shape("binary_cross_entropy", p, y)
    lo, hi = (p.array.min(), p.array.max()) if p.array.size else (0, 0)
    if not (lo >= 0 and hi <= 1):                    # NaN fails both comparisons
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], "
                         f"received values in [{lo}, {hi}]"
                         f"{' (NaN present)' if np.isnan(lo) or np.isnan(hi) else ''}; for "
                         f"logits use binary_cross_entropy_with_logits")
    w = _const("binary_cross_entropy", weight, p, "weight")
    return _reduce("binary_cross_entropy", BCE.apply(p, y, w), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable op (no overflow for |x| up to inf)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    x, y = operands("binary_cross_entropy_with_logits", input, target)
    _check_same_shape("binary_cross_entropy_with_logits", x, y)
    w = _const("binary_cross_entropy_with_logits", weight, x, "weight")
    pw = _const("binary_cross_entropy_with_logits", pos_weight, x, "pos_weight")
    return _reduce("binary_cross_entropy_with_logits", BCEWithLogits.apply(x, y, w, pw), reduction)


class KLDiv(Function):
    """l = t (log t - x) (0 where t = 0), x = log q.   dl/dx = -t;  dl/dt = log t - x + 1."""

    def forward(self, x, t, log_target=False):
        self.x, self.t, self.log_target = x, t, log_target
        if log_target:
            return np.exp(t) * (t - x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0).astype(x.dtype)

    def backward(self, g):
        x, t = self.x, self.t
        if self.log_target:
            et = np.exp(t)
            return -g * et, (g * et * (t - x + 1) if self.needs_grad[1] else None)
        gt = None
        if self.needs_grad[1]:
            gt = g * np.where(t > 0, np.log(np.where(t > 0, t, 1)) - x + 1, 0)
        return -g * t, gt


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || q) with ``input`` = log q: sum t (log t - input).

    reduction 'batchmean' divides the sum by the batch size (the true KL divergence);
    'mean' divides by the number of elements, as PyTorch.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction != "batchmean":
        _check_reduction("kl_div", reduction)
    x, t = operands("kl_div", input, target)
    _check_same_shape("kl_div", x, t)
    loss = KLDiv.apply(x, t, log_target=log_target)
    if reduction == "batchmean":
        return _sum(loss) * (1.0 / (x.shape[0] if x.ndim else 1))
    return _reduce("kl_div", loss, reduction)


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0, options=None):
    """Cross-entropy of linearly projected inputs: ``cross_entropy(linear(input, W, b),
    target, ...)`` (PyTorch's reference path; formulas in :func:`cross_entropy`).

    Args:
        input: (N, in_features) or (in_features,).
        linear_weight: W, (C, in_features), or (C, d_1, .., d_K, in_features) for a
            K-dimensional loss over logits (N, C, d_1, .., d_K) (batched input only).
        target: class indices (N,) / (N, d_1, ..) / (), or class probabilities of the
            logits' shape.
        linear_bias: (C,) or (C, d_1, .., d_K).
        ignore_index: None means -100 for class-index targets; it must stay None for
            probability targets.
        options: PyTorch's ``LinearCrossEntropyOptions`` selects a batch-chunked kernel that
            only saves memory; deepgrad computes the reference path and refuses ``options``
            rather than accept and ignore it.
    """
    if options is not None:
        raise ValueError("linear_cross_entropy: deepgrad computes the reference path only; pass "
                         "options=None (PyTorch's chunked path, LinearCrossEntropyOptions, "
                         "changes memory use, not results)")
    x, W = to_tensor(input), to_tensor(linear_weight)
    if not 1 <= x.ndim <= 2:
        raise RuntimeError(f"linear_cross_entropy: expected input with dimensionality 1 or 2, "
                           f"received shape {tuple(x.shape)}")
    if W.ndim < 2:
        raise RuntimeError(f"linear_cross_entropy: expected linear_weight with dimensionality "
                           f"at least 2, received shape {tuple(W.shape)}")
    if x.shape[-1] != W.shape[-1]:
        raise RuntimeError(f"linear_cross_entropy: expected equal input and linear_weight last "
                           f"dimensions (in_features), got {x.shape[-1]} and {W.shape[-1]}")
    C, out_features = W.shape[0], tuple(W.shape[1:-1])
    if linear_bias is not None and tuple(to_tensor(linear_bias).shape) != (C,) + out_features:
        raise RuntimeError(f"linear_cross_entropy: expected linear_bias shape "
                           f"{(C,) + out_features}, got {tuple(to_tensor(linear_bias).shape)}")
    if out_features and x.ndim == 1:
        raise RuntimeError(f"linear_cross_entropy: K-dimensional loss defined by linear_weight "
                           f"shape {tuple(W.shape)} requires batched input (N, {x.shape[-1]}), "
                           f"got unbatched input with shape {tuple(x.shape)}")
    logits_shape = tuple(x.shape[:-1]) + (C,) + out_features
    tgt_shape = tuple(target.shape) if hasattr(target, "shape") else np.shape(target)
    if tgt_shape == logits_shape and ignore_index is not None:
        raise RuntimeError("linear_cross_entropy: ignore_index cannot be specified when target "
                           "contains probabilities")
    rows = int(np.prod((C,) + out_features))
    b = None if linear_bias is None else to_tensor(linear_bias).reshape(rows)
    logits = _linear(x, W.reshape(rows, W.shape[-1]), b).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         label_smoothing=label_smoothing)
