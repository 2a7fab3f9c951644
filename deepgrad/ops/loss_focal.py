"""Focal loss (Lin et al., 2017, "Focal Loss for Dense Object Detection"): the binary
cross-entropy of each element scaled down where the prediction is already good.

For a target t in [0, 1], a predicted probability p and its binary cross-entropy ce:

    p_t     = p t + (1 - p)(1 - t)                 (the probability given to the truth)
    alpha_t = alpha t + (1 - alpha)(1 - t)         (class balance; optional)
    FL      = alpha_t (1 - p_t)^gamma ce

gamma = 0 (and no alpha) gives the cross-entropy back; gamma > 0 shrinks the loss of
well-classified elements (p_t -> 1) by the factor (1 - p_t)^gamma, so the rare, hard
ones dominate the gradient. :func:`focal_modulation` is that formula, shared by the two
fronts: :func:`sigmoid_focal_loss` (torchvision's ``ops.sigmoid_focal_loss``, ce from
logits) and Keras's ``binary_focal_crossentropy`` (ce from clipped probabilities). A
composition of differentiable ops: gradients come from the engine.
"""
import numbers

from deepgrad.ops._util import operands
from deepgrad.ops.activation import sigmoid
from deepgrad.ops.loss import binary_cross_entropy_with_logits

_REDUCTIONS = ("none", "mean", "sum")


def focal_modulation(ce, p, t, gamma, alpha=None):
    """``alpha_t (1 - p_t)^gamma ce`` elementwise (see the module docstring).

    Args:
        ce (Tensor): the elementwise binary cross-entropy.
        p (Tensor): the predicted probabilities (unclipped), shape of ``ce``.
        t (Tensor): the targets in [0, 1], shape of ``ce``.
        gamma (float): the focusing parameter, >= 0.
        alpha (float, optional): the weight of class 1 (class 0 gets 1 - alpha); None
            leaves the classes unweighted.
    """
    p_t = p * t + (1.0 - p) * (1.0 - t)
    loss = ce * (1.0 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * t + (1.0 - alpha) * (1.0 - t)) * loss
    return loss


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """The focal loss of logits against binary targets, as ``torchvision.ops.sigmoid_focal_loss``.

    With p = sigmoid(inputs) and ce = BCE-with-logits(inputs, targets) (stable for any
    logit), ``FL = alpha_t (1 - p_t)^gamma ce`` elementwise (module docstring), then
    reduced. dFL/dx flows through both ce and p_t (the engine differentiates the
    composition).

    Args:
        inputs (Tensor): logits of any shape.
        targets (Tensor): binary labels (0 or 1; soft labels in [0, 1] work too), same
            shape as ``inputs``.
        alpha (float): weight of the positive class in [0, 1]; a negative value turns the
            weighting off. Default 0.25.
        gamma (float): the focusing parameter. Default 2.
        reduction (str): ``'none'`` (default), ``'mean'`` or ``'sum'``.
    Returns:
        Tensor: the loss per element (``'none'``) or a scalar.

    Example:
        >>> x = deepgrad.tensor([2.0, -1.0]); t = deepgrad.tensor([1.0, 0.0])
        >>> sigmoid_focal_loss(x, t, reduction="sum")      # easy examples: small loss
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported "
                         f"reduction modes: 'none', 'mean', 'sum'")
    for name, value in (("alpha", alpha), ("gamma", gamma)):
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"sigmoid_focal_loss: {name} must be a real number, received "
                            f"{value!r}")
    x, t = operands("sigmoid_focal_loss", inputs, targets)
    if tuple(x.shape) != tuple(t.shape):
        raise ValueError(f"sigmoid_focal_loss: targets of shape {tuple(t.shape)} do not match "
                         f"inputs of shape {tuple(x.shape)}; expected the same shape")
    ce = binary_cross_entropy_with_logits(x, t, reduction="none")
    loss = focal_modulation(ce, sigmoid(x), t, gamma, alpha if alpha >= 0 else None)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
