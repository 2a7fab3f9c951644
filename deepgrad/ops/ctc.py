"""Connectionist temporal classification (Graves et al., 2006), forward-backward in log space.

For one sequence with per-frame log-probabilities lp_t(c) (t < T) and a target l of length
S, the extended target l' inserts the blank around every label (length 2S + 1). With
lse = log-sum-exp,

    alpha_0(0) = lp_0(blank),  alpha_0(1) = lp_0(l'_1)
    alpha_t(s) = lp_t(l'_s) + lse(alpha_{t-1}(s), alpha_{t-1}(s-1), [alpha_{t-1}(s-2)])
    beta_{T-1}(s) = lp_{T-1}(l'_s) for s in {2S, 2S - 1}
    beta_t(s)  = lp_t(l'_s) + lse(beta_{t+1}(s), beta_{t+1}(s+1), [beta_{t+1}(s+2)])

where the bracketed skip is allowed only onto a label that differs from the label two
places back (so repeated labels need a blank between them). The loss is

    L = -log p(l | lp) = -lse(alpha_{T-1}(2S), alpha_{T-1}(2S - 1))

and its derivative, through the posterior occupation of each (t, s),

    dL/dlp_t(c) = -sum_{s : l'_s = c} exp(alpha_t(s) + beta_t(s) - lp_t(l'_s) + L).

This is the true derivative with respect to ``log_probs``. PyTorch's kernel returns it plus
exp(lp_t(c)) (its gradient assumes the input comes from log_softmax, pytorch/pytorch#52241);
the two agree on the gradient of the logits whenever log_probs = log_softmax(logits).
The recursions run over time in a loop, vectorised over the batch and the 2S + 1 states.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops.loss import _check_reduction
from deepgrad.ops.reduce import mean, sum as _sum


def _lse(*arrays):
    """Elementwise log-sum-exp of equally shaped arrays, -inf where all are -inf."""
    m = arrays[0]
    for a in arrays[1:]:
        m = np.maximum(m, a)
    safe = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = sum(np.exp(a - safe) for a in arrays)
        return np.where(np.isneginf(m), -np.inf, safe + np.log(total))


def _shift(a, k, fill=-np.inf):
    """``a`` shifted k places along the last axis (k > 0: towards higher s)."""
    out = np.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


class CTC(Function):
    """Per-sequence CTC negative log-likelihood of (T, N, C) log-probabilities."""

    def forward(self, lp, ext=None, skip=None, in_len=None, tgt_len=None, zero_infinity=False):
        T, N, _ = lp.shape
        L = ext.shape[1]
        lpe = np.take_along_axis(lp, np.broadcast_to(ext[None], (T, N, L)), axis=2)
        alpha = np.full((T, N, L), -np.inf, lp.dtype)
        if T:
            alpha[0, :, 0] = lpe[0, :, 0]
            if L > 1:
                alpha[0, :, 1] = np.where(tgt_len > 0, lpe[0, :, 1], -np.inf)
        for t in range(1, T):
            a = alpha[t - 1]
            alpha[t] = _lse(a, _shift(a, 1), np.where(skip, _shift(a, 2), -np.inf)) + lpe[t]
        last = np.maximum(in_len - 1, 0)
        rows = np.arange(N)
        end = alpha[last, rows, 2 * tgt_len] if T else np.full(N, -np.inf, lp.dtype)
        end_label = np.where(tgt_len > 0, alpha[last, rows, np.maximum(2 * tgt_len - 1, 0)],
                             -np.inf) if T else end
        loglik = _lse(end, end_label)
        loglik = np.where(in_len == 0, np.where(tgt_len == 0, 0.0, -np.inf), loglik)
        nll = (-loglik).astype(lp.dtype)
        self.saved = (lp.shape, lpe, alpha, ext, skip, in_len, tgt_len, nll, zero_infinity)
        if zero_infinity:
            nll = np.where(np.isinf(nll), 0, nll).astype(lp.dtype)
        return nll

    def backward(self, g):
        shape, lpe, alpha, ext, skip, in_len, tgt_len, nll, zero_infinity = self.saved
        T, N, C = shape
        L = ext.shape[1]
        beta = np.full((T, N, L), -np.inf, lpe.dtype)
        s = np.arange(L)
        ends = (s == 2 * tgt_len[:, None]) | ((s == 2 * tgt_len[:, None] - 1) & (tgt_len[:, None] > 0))
        skip_next = _shift(skip, -2, fill=False)
        nxt = np.full((N, L), -np.inf, lpe.dtype)
        for t in range(T - 1, -1, -1):
            rec = _lse(nxt, _shift(nxt, -1), np.where(skip_next, _shift(nxt, -2), -np.inf)) + lpe[t]
            init = np.where(ends, lpe[t], -np.inf)
            here = (t == in_len - 1)[:, None]
            nxt = np.where(here, init, np.where((t < in_len - 1)[:, None], rec, -np.inf))
            beta[t] = nxt
        with np.errstate(invalid="ignore", over="ignore"):
            occ = np.exp(alpha + beta - lpe + nll[None, :, None])
        occ = np.where(np.isneginf(alpha) | np.isneginf(beta), 0, occ)
        bad = np.isinf(nll)
        occ[:, bad] = 0
        occ *= -g[None, :, None]
        index = (np.arange(T)[:, None, None] * N + np.arange(N)[None, :, None]) * C + ext[None]
        grad = np.bincount(index.ravel(), weights=occ.ravel(), minlength=T * N * C)
        grad = grad.reshape(T, N, C).astype(lpe.dtype, copy=False)
        if bad.any() and not zero_infinity:    # an impossible target: nan inside its input
            inside = np.arange(T)[:, None] < in_len[None, :]
            grad[inside & bad[None, :]] = np.nan
        return grad


def _lengths(name, lengths, n):
    a = lengths.array if isinstance(lengths, _fn._Tensor) else np.asarray(lengths)
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and np.all(a == np.round(a))):
        raise TypeError(f"ctc_loss: {name} must hold integers, received dtype {a.dtype}")
    a = a.astype(np.int64).reshape(-1)
    if a.shape[0] != n:
        raise ValueError(f"ctc_loss: {name} must have one entry per sequence ({n}), received "
                         f"{a.shape[0]}")
    if a.size and a.min() < 0:
        raise ValueError(f"ctc_loss: {name} must be >= 0, received {a.min()}")
    return a


def _padded_targets(targets, tgt_len, n):
    """Targets as a padded (N, S_max) int array, from (N, S) or concatenated 1-D form."""
    t = targets.array if isinstance(targets, _fn._Tensor) else np.asarray(targets)
    if t.dtype.kind not in "iu":
        if t.dtype.kind != "f" or not np.all(t == np.round(t)):
            raise TypeError(f"ctc_loss: targets must hold class indices (integers), received "
                            f"dtype {t.dtype}")
        t = t.astype(np.int64)
    s_max = int(tgt_len.max()) if tgt_len.size else 0
    if t.ndim == 2:
        if t.shape[0] != n or t.shape[1] < s_max:
            raise ValueError(f"ctc_loss: padded targets must have shape (N={n}, S >= "
                             f"{s_max}) for target_lengths up to {s_max}, received {t.shape}")
        return t[:, :s_max].astype(np.int64), np.arange(s_max) < tgt_len[:, None]
    if t.ndim == 1:
        if t.shape[0] != tgt_len.sum():
            raise ValueError(f"ctc_loss: 1-D (concatenated) targets must have sum(target_lengths) "
                             f"= {tgt_len.sum()} entries, received {t.shape[0]}")
        valid = np.arange(s_max) < tgt_len[:, None]
        out = np.zeros((n, s_max), np.int64)
        out[valid] = t
        return out, valid
    raise ValueError(f"ctc_loss: targets must be (N, S) or 1-D, received shape {t.shape}")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """CTC loss: -log of the total probability of all alignments of ``targets`` to
    ``log_probs`` (formulas and derivative in the module doc).

    Args:
        log_probs: (T, N, C) or unbatched (T, C) log-probabilities (log_softmax output).
        targets: (N, S) padded, or 1-D with the N targets concatenated (sum(target_lengths)),
            or (S,) / (1, S) unbatched; class indices in [0, C), the blank excluded.
        input_lengths, target_lengths: N lengths each (sequences, tensors or a number when
            unbatched); input lengths at most T.
        blank: the blank's index.
        reduction: 'none' (per-sequence losses), 'sum', or 'mean': each loss divided by its
            target length (at least 1), then averaged over the batch, as PyTorch.
        zero_infinity: impossible alignments (target too long for the input) give a loss of
            0 and a zero gradient instead of inf and nan.
    """
    _check_reduction("ctc_loss", reduction)
    lp = to_tensor(log_probs)
    if lp.ndim not in (2, 3):
        raise ValueError(f"ctc_loss: log_probs must be (T, N, C) or (T, C), received shape "
                         f"{tuple(lp.shape)}")
    if lp.dtype.kind != "f":
        raise TypeError(f"ctc_loss: log_probs must be floating point, received {lp.dtype}")
    batched = lp.ndim == 3
    x = lp if batched else lp.unsqueeze(1)
    T, N, C = x.shape
    if not 0 <= blank < C:
        raise ValueError(f"ctc_loss: blank must be in the label range [0, {C - 1}], received "
                         f"{blank}")
    in_len = _lengths("input_lengths", input_lengths, N)
    tgt_len = _lengths("target_lengths", target_lengths, N)
    if in_len.size and in_len.max() > T:
        raise ValueError(f"ctc_loss: input_lengths must be at most T={T}, received "
                         f"{in_len.max()}")
    tg = targets
    if not batched:
        tg = targets.array if isinstance(targets, _fn._Tensor) else np.asarray(targets)
        tg = tg.reshape(1, -1) if tg.ndim == 1 else tg
    tgt, valid = _padded_targets(tg, tgt_len, N)
    if valid.any() and (tgt[valid].min() < 0 or tgt[valid].max() >= C):
        raise IndexError(f"ctc_loss: target labels must be in [0, {C - 1}], received values in "
                         f"[{tgt[valid].min()}, {tgt[valid].max()}]")
    S = tgt.shape[1]
    ext = np.full((N, 2 * S + 1), blank, np.int64)
    ext[:, 1::2] = np.where(valid, tgt, blank)
    skip = np.zeros(ext.shape, bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    losses = CTC.apply(x, ext=ext, skip=skip, in_len=in_len, tgt_len=tgt_len,
                       zero_infinity=zero_infinity)
    if reduction == "sum":
        return _sum(losses)
    if reduction == "mean":
        denom = np.maximum(tgt_len, 1).astype(x.dtype)
        return mean(losses / _fn._Tensor._wrap(denom))
    return losses if batched else losses.reshape(())


__all__ = ["ctc_loss"]
