"""``deepgrad.optim``: optimizers and learning-rate schedules (PyTorch's ``torch.optim``).

:class:`Optimizer` owns the parameter groups, the per-parameter state and checkpoints; each
algorithm (one file each) writes only its per-parameter update, with its formula in the
class docstring; the arithmetic of the updates PyTorch and Keras share is written once in
:mod:`deepgrad.optim.rules` (also used by :mod:`deepgrad.keras.optimizers`). :mod:`deepgrad.optim.lr_scheduler` changes ``group["lr"]`` over epochs;
:mod:`deepgrad.optim.swa_utils` averages weights (SWA, EMA).
"""
from deepgrad.optim.optimizer import Optimizer
from deepgrad.optim.sgd import SGD
from deepgrad.optim.adam import Adam
from deepgrad.optim.adamw import AdamW
from deepgrad.optim.rmsprop import RMSprop
from deepgrad.optim.adagrad import Adagrad
from deepgrad.optim.adadelta import Adadelta
from deepgrad.optim.adamax import Adamax
from deepgrad.optim.nadam import NAdam
from deepgrad.optim.radam import RAdam
from deepgrad.optim.asgd import ASGD
from deepgrad.optim.rprop import Rprop
from deepgrad.optim.sparse_adam import SparseAdam
from deepgrad.optim.lbfgs import LBFGS
from deepgrad.optim.adafactor import Adafactor
from deepgrad.optim.muon import Muon
from deepgrad.optim.stateless import swap_in_optimizer_params_and_state
from deepgrad.optim import lr_scheduler, swa_utils

__all__ = ["Adafactor", "Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "ASGD", "LBFGS",
           "lr_scheduler", "Muon", "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD",
           "SparseAdam", "swap_in_optimizer_params_and_state", "swa_utils"]


def __getattr__(name):
    """A name deepgrad lacks raises an AttributeError saying so (or that its family is
    out of scope), instead of Python's bare "has no attribute"."""
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad.optim' has no attribute {name!r}")
    from deepgrad._scope import missing_attribute
    raise missing_attribute("deepgrad.optim", name)
