"""``deepgrad.utils.tensorboard``: TensorBoard logging with ``torch.utils.tensorboard``'s
names (``SummaryWriter``), written through tensorboardX (optional extra: ``pip install
'deepgrad[tensorboard]'``). Importing this package does not import tensorboardX; making a
``SummaryWriter`` does, and says how to install it when it is missing."""
from deepgrad.utils.tensorboard.writer import SummaryWriter

__all__ = ["SummaryWriter"]
