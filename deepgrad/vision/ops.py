"""``torchvision.ops``' loss: :func:`sigmoid_focal_loss` (its formula and kernel live in
:mod:`deepgrad.ops.loss_focal`, shared with Keras's binary focal cross-entropy)."""
from deepgrad.ops.loss_focal import sigmoid_focal_loss

__all__ = ["sigmoid_focal_loss"]
