"""Loss modules: each stores its options and calls its function in :mod:`deepgrad.ops`
(``loss`` for the regression and cross-entropy family, ``loss_margin`` for the margin and
ranking losses, ``loss_prob`` for the distributional NLLs, ``ctc`` for CTC).

Signatures are PyTorch's, including the deprecated ``size_average``/``reduce`` pair where
PyTorch still accepts it; a class weight given to a weighted loss is a buffer (in
``state_dict`` as ``weight``), as PyTorch.
"""
import math
import warnings

from deepgrad.autograd.function import to_tensor
from deepgrad.nn.linear import Linear
from deepgrad.nn.module import Module
from deepgrad.ops import ctc as _ctc, loss as _loss, loss_margin as _margin, loss_prob as _prob

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    _reductions = _REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        reduction = _loss.legacy_reduction(size_average, reduce, reduction)
        if reduction not in self._reductions:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{self._reductions}, received {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else to_tensor(weight))


# ----------------------------------------------------------------- regression
class MSELoss(_Loss):
    """mean (x - y)^2."""

    def forward(self, input, target):
        return _loss.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """mean |x - y|."""

    def forward(self, input, target):
        return _loss.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, received {beta}")
        self.beta = beta

    def forward(self, input, target):
        return _loss.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta)."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        if delta <= 0:
            raise ValueError(f"HuberLoss: delta must be positive, received {delta}")
        self.delta = delta

    def forward(self, input, target):
        return _loss.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


# ----------------------------------------------------------------- cross-entropy family
class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities."""

    def forward(self, input, target):
        return _loss.binary_cross_entropy(input, target, weight=self.weight,
                                          reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy, stable; ``weight`` and ``pos_weight`` are buffers."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else to_tensor(weight))
        self.register_buffer("pos_weight", None if pos_weight is None else to_tensor(pos_weight))

    def forward(self, input, target):
        return _loss.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction,
            pos_weight=self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Log-softmax + NLL over class logits (class indices or probabilities as targets)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], received "
                             f"{label_smoothing}")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return _loss.cross_entropy(input, target, weight=self.weight,
                                   ignore_index=self.ignore_index, reduction=self.reduction,
                                   label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return _loss.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                              reduction=self.reduction)


class LinearCrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of a learned linear projection of the input: the module owns ``linear``
    (in_features -> num_classes * prod(out_features)) and calls
    :func:`deepgrad.ops.loss.linear_cross_entropy` (state_dict: ``linear.weight``
    [``linear.bias``], plus the ``weight`` buffer when given), as PyTorch."""

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None,
                 dtype=None, reduction="mean", weight=None, ignore_index=None,
                 label_smoothing=0.0, options=None):
        if weight is not None and tuple(to_tensor(weight).shape) != (num_classes,):
            raise RuntimeError(f"LinearCrossEntropyLoss: expected weight shape to be "
                               f"{(num_classes,)}, got {tuple(to_tensor(weight).shape)}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise RuntimeError(f"LinearCrossEntropyLoss: expected label_smoothing to be in "
                               f"range [0, 1], got {label_smoothing}")
        if options is not None:
            raise ValueError("LinearCrossEntropyLoss: deepgrad computes the reference path only; "
                             "pass options=None")
        super().__init__(weight, None, None, reduction)
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing, self.options = ignore_index, label_smoothing, None
        self.linear = Linear(in_features, math.prod(self.out_features, start=num_classes),
                             bias=bias, device=device, dtype=dtype)

    def forward(self, input, target):
        w = self.linear.weight.reshape(self.num_classes, *self.out_features,
                                       self.linear.in_features)
        b = self.linear.bias
        b = None if b is None else b.reshape(self.num_classes, *self.out_features)
        return _loss.linear_cross_entropy(input, w, target, linear_bias=b, weight=self.weight,
                                          reduction=self.reduction, ignore_index=self.ignore_index,
                                          label_smoothing=self.label_smoothing)

    def extra_repr(self):
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")


class NLLLoss2d(NLLLoss):
    """Deprecated alias of :class:`NLLLoss` (PyTorch warns with a FutureWarning; so does this)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a "
                      "drop-in replacement.", FutureWarning, stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class KLDivLoss(_Loss):
    """KL(target || exp(input)), input given as log-probabilities."""

    _reductions = _REDUCTIONS + ("batchmean",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return _loss.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


# ----------------------------------------------------------------- distributional NLLs
class PoissonNLLLoss(_Loss):
    """Poisson NLL: e^x - y x (``log_input``) or x - y log(x + eps); ``full`` adds Stirling's
    term."""

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return _prob.poisson_nll_loss(log_input, target, log_input=self.log_input,
                                      full=self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian NLL: (log max(var, eps) + (x - y)^2 / max(var, eps)) / 2 (+ log(2 pi)/2)."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return _prob.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                       reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-vs-all logistic loss averaged over the C labels."""

    def forward(self, input, target):
        return _prob.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                                 reduction=self.reduction)


# ----------------------------------------------------------------- margin and ranking
class MarginRankingLoss(_Loss):
    """max(0, -y (x1 - x2) + margin)."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return _margin.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                           reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """x where y = 1, max(0, margin - x) where y = -1."""

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return _margin.hinge_embedding_loss(input, target, margin=self.margin,
                                            reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + e^{-y x})."""

    def forward(self, input, target):
        return _margin.soft_margin_loss(input, target, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return _margin.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                             reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge: sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C (p = 1 or 2)."""

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, received "
                             f"p={p}")
        if weight is not None and self.weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: weight must be one-dimensional, received shape "
                             f"{tuple(self.weight.shape)}")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return _margin.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                         weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge over the classes listed in the target (ended by -1)."""

    def forward(self, input, target):
        return _margin.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """max(0, margin + ||a - p||_p - ||a - n||_p) (``swap``: Balntas et al.'s distance swap)."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, received "
                             f"{margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return _margin.triplet_margin_loss(anchor, positive, negative, margin=self.margin,
                                           p=self.p, eps=self.eps, swap=self.swap,
                                           reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) for any ``distance_function`` (default: the
    Euclidean :func:`pairwise_distance`)."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be greater than 0, "
                             f"received {margin}")
        if distance_function is not None and not callable(distance_function):
            raise TypeError(f"TripletMarginWithDistanceLoss: distance_function must be callable, "
                            f"received {type(distance_function).__name__}")
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor, positive, negative):
        return _margin.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


# ----------------------------------------------------------------- sequences
class CTCLoss(_Loss):
    """Connectionist temporal classification: -log p(target | log_probs), summed over all
    alignments (forward-backward in log space)."""

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        if not isinstance(blank, int) or blank < 0:
            raise ValueError(f"CTCLoss: blank must be a non-negative int, received {blank!r}")
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return _ctc.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                             reduction=self.reduction, zero_infinity=self.zero_infinity)
