"""``deepgrad.keras.optimizers``: Keras's optimizers, with Keras's update formulas.

Each algorithm is one file (its formula in the class docstring); the shared machinery
(building slots after the model exists, clipping, decoupled weight decay, schedules,
``iterations``, config and state) is in :mod:`~deepgrad.keras.optimizers.optimizer`.
``get('adam')`` gives a default-constructed optimizer, as ``compile(optimizer='adam')``.
"""
import copy

from deepgrad.keras.optimizers import schedules
from deepgrad.keras.optimizers.adadelta import Adadelta
from deepgrad.keras.optimizers.adagrad import Adagrad
from deepgrad.keras.optimizers.adam import Adam
from deepgrad.keras.optimizers.adamw import AdamW
from deepgrad.keras.optimizers.nadam import Nadam
from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.keras.optimizers.rmsprop import RMSprop
from deepgrad.keras.optimizers.sgd import SGD

#: lower-case class name -> optimizer class (``get`` is case-insensitive, as Keras).
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in (
    SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam)}


def get(identifier):
    """Resolve an optimizer: a name (``'adam'``, ``'SGD'``) or class -> a default instance;
    ``{"class_name", "config"}`` -> deserialized; an Optimizer passes through.

    Raises:
        ValueError: an unknown name (listing the valid ones) or another object.
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r} (a "
                     f"{type(identifier).__name__}); expected a name from "
                     f"{sorted(ALL_OBJECTS_DICT)}, a config dict or an Optimizer")


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}``."""
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Cannot serialize {optimizer!r}: it is not a deepgrad.keras Optimizer")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    """Inverse of :func:`serialize`; the class name is matched case-insensitively."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize optimizer {config!r}: expected a dict with "
                         f"'class_name' and 'config'")
    cls = ALL_OBJECTS_DICT.get(str(config["class_name"]).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer {config['class_name']!r}; expected one of "
                         f"{sorted(ALL_OBJECTS_DICT)}")
    return cls.from_config(copy.deepcopy(config.get("config") or {}))


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Nadam",
           "schedules", "get", "serialize", "deserialize"]
