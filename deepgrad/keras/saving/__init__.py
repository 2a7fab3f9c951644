"""``deepgrad.keras.saving``: ``.keras`` archives, weights files and model configs.

See :mod:`~deepgrad.keras.saving.saving_lib` for the file format and its safety rules.
"""
from deepgrad.keras.saving.model_mixin import ModelSavingMixin
from deepgrad.keras.saving.saving_lib import (
    load_model, load_weights, model_from_json, model_to_json, save_model, save_weights)
from deepgrad.keras.saving.serialization import (
    SerializationError, custom_object_scope, get_custom_objects)

__all__ = ["ModelSavingMixin", "load_model", "load_weights", "model_from_json",
           "model_to_json", "save_model", "save_weights", "SerializationError",
           "custom_object_scope", "get_custom_objects"]
