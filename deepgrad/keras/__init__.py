"""``deepgrad.keras``: the Keras-style API on deepgrad's engine.

Keras code runs with its imports changed (``from keras.layers import Dense`` ->
``from deepgrad.keras.layers import Dense``), and tf.keras code with
``import deepgrad as tf``. Layers are thin wrappers over :mod:`deepgrad.ops`: there is
one implementation of every formula, shared with :mod:`deepgrad.nn`. Layouts follow
Keras: channels-last images, Dense kernels (in, out).
"""
import importlib

from deepgrad.keras.layers import Input
from deepgrad.keras.models import Model, Sequential
from deepgrad.keras.variables import Variable

_SUBMODULES = ("activations", "backend", "callbacks", "constraints", "datasets", "distributed",
               "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers",
               "preprocessing", "random", "regularizers", "saving", "utils", "wrappers")


def __getattr__(name):
    """Submodules load on first use, so ``import deepgrad`` stays fast."""
    if name in _SUBMODULES:
        return importlib.import_module(f"deepgrad.keras.{name}")
    raise AttributeError(f"module 'deepgrad.keras' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
