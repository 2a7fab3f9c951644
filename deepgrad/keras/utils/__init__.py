"""``keras.utils``: label encoding, sequence padding, seeding and file download helpers.

``to_categorical``, ``normalize`` and ``pad_sequences`` follow Keras's NumPy semantics
(``to_categorical`` returns float32); ``set_random_seed`` seeds Python, NumPy and deepgrad;
``get_file`` uses deepgrad's data folders and SHA-256 checked downloads. ``plot_model``
draws the layer graph through pydot + graphviz as Keras does, else with matplotlib
(``model_to_dot`` needs pydot). The object-registration helpers
(``register_keras_serializable``, ``custom_object_scope``, ...) are Keras 3's
``keras.utils`` aliases of :mod:`deepgrad.keras.saving`'s. ``PyDataset`` feeds ``fit`` batch
by batch; ``unpack_x_y_sample_weight``/``pack_x_y_sample_weight`` read and make a step's
``data``.

The download, drawing and dataset helpers (and the modules they stand on: deepgrad.datasets,
deepgrad.plot, deepgrad.tf.data) load on first use, so ``import deepgrad.keras`` does not
pay for them.
"""
import importlib

from deepgrad.keras.registry import (
    CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
    get_registered_object, register_keras_serializable)
from deepgrad.keras.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from deepgrad.keras.utils.numerical_utils import normalize, to_categorical
from deepgrad.keras.utils.py_dataset import PyDataset, Sequence
from deepgrad.keras.utils.rng_utils import set_random_seed
from deepgrad.keras.utils.sequence_utils import pad_sequences
from deepgrad.keras.utils.config import Config
from deepgrad.keras.utils.progbar import Progbar
from deepgrad.keras.utils.misc_utils import (
    array_to_img, deserialize_keras_object, disable_interactive_logging,
    enable_interactive_logging, get_source_inputs, img_to_array,
    is_interactive_logging_enabled, is_keras_tensor, load_img, save_img,
    serialize_keras_object, standardize_dtype)
from deepgrad.keras.backend import clear_session

__all__ = ["Config", "CustomObjectScope", "Progbar", "PyDataset", "Sequence",
           "array_to_img", "audio_dataset_from_directory",
           "clear_session", "custom_object_scope", "deserialize_keras_object",
           "disable_interactive_logging", "enable_interactive_logging", "get_source_inputs",
           "image_dataset_from_directory", "img_to_array", "is_interactive_logging_enabled",
           "is_keras_tensor", "load_img", "model_to_dot", "save_img", "serialize_keras_object",
           "split_dataset", "standardize_dtype", "text_dataset_from_directory",
           "timeseries_dataset_from_array",
           "get_custom_objects", "get_file", "get_registered_name", "get_registered_object",
           "normalize", "pack_x_y_sample_weight", "pad_sequences", "plot_model",
           "register_keras_serializable", "set_random_seed", "to_categorical",
           "unpack_x_y_sample_weight"]

_LAZY = {"get_file": "file_utils", "model_to_dot": "model_visualization",
         "plot_model": "model_visualization", "audio_dataset_from_directory": "dataset_utils",
         "image_dataset_from_directory": "dataset_utils", "split_dataset": "dataset_utils",
         "text_dataset_from_directory": "dataset_utils",
         "timeseries_dataset_from_array": "dataset_utils"}


def __getattr__(name):
    """The helpers of :data:`_LAZY` load with their module on first use."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f"deepgrad.keras.utils.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'deepgrad.keras.utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
