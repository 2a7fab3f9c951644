"""``deepgrad.optim``: optimizers and learning-rate schedules (PyTorch's ``torch.optim``).

:class:`Optimizer` owns the parameter groups, the per-parameter state and checkpoints; each
algorithm (one file each) writes only its per-parameter update, with its formula in the
class docstring. :mod:`deepgrad.optim.lr_scheduler` changes ``group["lr"]`` over epochs.
"""
from deepgrad.optim.optimizer import Optimizer
from deepgrad.optim.sgd import SGD
from deepgrad.optim.adam import Adam
from deepgrad.optim.adamw import AdamW
from deepgrad.optim.rmsprop import RMSprop
from deepgrad.optim.adagrad import Adagrad
from deepgrad.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
