"""``torch``-namespace entry points whose signature differs from their
``torch.nn.functional`` twin: ATen's schema passes ``reduction`` as an int (0 'none',
1 'mean', 2 'sum') and takes its options positionally in a different order. Each is a thin
front over the functional op, where the math lives.
"""
from deepgrad.ops.activation_piecewise import rrelu as _rrelu
from deepgrad.ops.ctc import ctc_loss as _ctc_loss
from deepgrad.ops.loss import binary_cross_entropy_with_logits as _bce_logits, kl_div as _kl_div
from deepgrad.ops.loss_margin import (
    cosine_embedding_loss as _cosine_embedding, hinge_embedding_loss as _hinge,
    margin_ranking_loss as _margin_ranking, triplet_margin_loss as _triplet)
from deepgrad.ops.loss_prob import poisson_nll_loss as _poisson

_ENUM = {0: "none", 1: "mean", 2: "sum"}


def _reduction(name, reduction):
    if isinstance(reduction, bool) or reduction not in _ENUM:
        raise TypeError(f"torch.{name}: reduction must be an int enum (0 'none', 1 'mean', "
                        f"2 'sum'), received {reduction!r}; the string form belongs to "
                        f"torch.nn.functional.{name}")
    return _ENUM[reduction]


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """``torch.rrelu``: :func:`deepgrad.ops.activation_piecewise.rrelu` with a ``generator``."""
    return _rrelu(input, lower, upper, training, generator=generator)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    """``torch.binary_cross_entropy_with_logits`` (pos_weight before the int reduction)."""
    return _bce_logits(input, target, weight=weight, pos_weight=pos_weight,
                       reduction=_reduction("binary_cross_entropy_with_logits", reduction))


def kl_div(input, target, reduction=1, *, log_target=False):
    """``torch.kl_div``: elementwise KL, 'mean' over all elements (no 'batchmean' here)."""
    return _kl_div(input, target, reduction=_reduction("kl_div", reduction),
                   log_target=log_target)


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``torch.poisson_nll_loss``: every option positional and required, as ATen."""
    return _poisson(input, target, log_input, full, eps=eps,
                    reduction=_reduction("poisson_nll_loss", reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    """``torch.margin_ranking_loss``."""
    return _margin_ranking(input1, input2, target, margin,
                           reduction=_reduction("margin_ranking_loss", reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    """``torch.hinge_embedding_loss``."""
    return _hinge(input, target, margin, reduction=_reduction("hinge_embedding_loss", reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    """``torch.cosine_embedding_loss``."""
    return _cosine_embedding(input1, input2, target, margin,
                             reduction=_reduction("cosine_embedding_loss", reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction=1):
    """``torch.triplet_margin_loss``."""
    return _triplet(anchor, positive, negative, margin, p, eps, swap,
                    reduction=_reduction("triplet_margin_loss", reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1,
             zero_infinity=False):
    """``torch.ctc_loss``."""
    return _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                     _reduction("ctc_loss", reduction), zero_infinity)


__all__ = ["rrelu", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "ctc_loss"]
