"""``deepgrad.keras.optimizers``: Keras's optimizers, with Keras's update formulas.

Each algorithm is one file (its formula in the class docstring) whose update is a rule of
:mod:`deepgrad.optim.rules`, the rules ``deepgrad.optim`` uses too; the shared machinery
(building slots after the model exists, clipping, decoupled weight decay, schedules,
``iterations``, config and state) is in :mod:`~deepgrad.keras.optimizers.optimizer`.
``get('adam')`` gives a default-constructed optimizer, as ``compile(optimizer='adam')``.
"""
from deepgrad.keras import registry
from deepgrad.keras.optimizers import schedules
from deepgrad.keras.optimizers.adadelta import Adadelta
from deepgrad.keras.optimizers.adafactor import Adafactor
from deepgrad.keras.optimizers.adagrad import Adagrad
from deepgrad.keras.optimizers.adam import Adam
from deepgrad.keras.optimizers.adamax import Adamax
from deepgrad.keras.optimizers.adamw import AdamW
from deepgrad.keras.optimizers.ftrl import Ftrl
from deepgrad.keras.optimizers.lamb import Lamb
from deepgrad.keras.optimizers.lion import Lion
from deepgrad.keras.optimizers.nadam import Nadam
from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.keras.optimizers.rmsprop import RMSprop
from deepgrad.keras.optimizers.sgd import SGD
from deepgrad.keras.optimizers.schedule_free import Muon, ScheduleFreeAdamW


def get(identifier):
    """Resolve an optimizer: a name (``'adam'``, ``'SGD'``, any case) or class -> a default
    instance; a config dict -> deserialized; an Optimizer passes through.

    Raises:
        ValueError: an unknown name (listing the valid ones) or another object.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    obj = registry.get("optimizers", identifier) if identifier is not None else None
    if not isinstance(obj, Optimizer):
        raise ValueError(f"Could not interpret optimizer identifier: {identifier!r} (a "
                         f"{type(identifier).__name__}); expected a name from "
                         f"{sorted(registry.builtins('optimizers'))}, a config dict or an "
                         f"Optimizer")
    return obj


def serialize(optimizer):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}``.

    Raises:
        ValueError: not a deepgrad.keras Optimizer.
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Cannot serialize {optimizer!r}: it is not a deepgrad.keras Optimizer")
    return registry.serialize(optimizer, "optimizers")


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; the class name is matched case-insensitively."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize optimizer {config!r}: expected a dict with "
                         f"'class_name' and 'config'")
    return registry.deserialize(config, "optimizers", custom_objects)


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "RMSprop", "Adagrad", "Adadelta",
           "Adafactor", "Nadam", "Ftrl", "Lion", "Lamb", "schedules", "get", "serialize",
           "deserialize"]
