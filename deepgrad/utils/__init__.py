"""Utilities: ``deepgrad.utils.data`` (Dataset, DataLoader); for imbalanced data
``deepgrad.utils.class_weight`` (scikit-learn's class and sample weights) and
``deepgrad.utils.resampling`` (imbalanced-learn's random over- and under-samplers); for
TensorBoard ``deepgrad.utils.tensorboard`` (torch's ``SummaryWriter``); for progress bars
``deepgrad.utils.progress`` (tqdm on a terminal); loaded on first use."""
import importlib

from deepgrad.utils import data

_LAZY = ("class_weight", "progress", "resampling", "tensorboard")


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"deepgrad.utils.{name}")
    raise AttributeError(f"module 'deepgrad.utils' has no attribute {name!r}")
