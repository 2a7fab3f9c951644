"""``keras.preprocessing``: the legacy paths Keras 3 still ships, as aliases of
:mod:`deepgrad.keras.utils` (``image``, ``sequence`` and the dataset builders), so
``tf.keras.preprocessing.sequence.pad_sequences`` and friends run unchanged."""
from deepgrad.keras.preprocessing import image, sequence
from deepgrad.keras.utils.dataset_utils import (
    image_dataset_from_directory, text_dataset_from_directory, timeseries_dataset_from_array)

__all__ = ["image", "image_dataset_from_directory", "sequence", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
