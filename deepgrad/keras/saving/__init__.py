"""``deepgrad.keras.saving``: ``.keras`` archives, weights files, model configs, and
Keras 3's object registration (``register_keras_serializable``, ``custom_object_scope``,
``get_registered_object``, ``serialize_keras_object``...), all over the front's one
registry (:mod:`deepgrad.keras.registry`).

See :mod:`~deepgrad.keras.saving.saving_lib` for the file format and its safety rules.
"""
from deepgrad.keras.registry import (
    CustomObjectScope, SerializationError, custom_object_scope, get_custom_objects,
    get_registered_name, get_registered_object, register_keras_serializable)
from deepgrad.keras.registry import deserialize as _deserialize
from deepgrad.keras.registry import serialize as serialize_keras_object
from deepgrad.keras.saving.model_mixin import ModelSavingMixin
from deepgrad.keras.saving.saving_lib import (
    load_model, load_weights, model_from_json, model_to_json, save_model, save_weights)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Keras 3's ``deserialize_keras_object``: rebuild what
    :func:`serialize_keras_object` wrote, finding every class by name (the kind is read
    from the entry's ``"module"``). Loading is always safe: a lambda is refused whatever
    ``safe_mode`` says.

    Raises:
        TypeError: an unknown keyword argument.
    """
    if kwargs:
        raise TypeError(f"deserialize_keras_object: unrecognized arguments {sorted(kwargs)}")
    return _deserialize(config, None, custom_objects)


__all__ = ["CustomObjectScope", "ModelSavingMixin", "SerializationError",
           "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
           "get_registered_name", "get_registered_object", "load_model", "load_weights",
           "model_from_json", "model_to_json", "register_keras_serializable", "save_model",
           "save_weights", "serialize_keras_object"]
