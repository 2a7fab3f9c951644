"""keras.preprocessing's legacy paths (sequence.pad_sequences, image helpers, smart_resize,
the dataset builders) under deepgrad.keras and ``import deepgrad as tf``."""
import numpy as np
import pytest

import deepgrad as tf
from deepgrad.keras import preprocessing, utils

X = np.random.default_rng(3).uniform(0, 255, (2, 9, 12, 3)).astype("float32")


def test_paths_are_the_utils():
    assert tf.keras.preprocessing.sequence.pad_sequences is utils.pad_sequences
    np.testing.assert_array_equal(preprocessing.sequence.pad_sequences([[1, 2], [3]], maxlen=3),
                                  [[0, 1, 2], [0, 0, 3]])
    assert preprocessing.image.img_to_array is utils.img_to_array
    assert preprocessing.timeseries_dataset_from_array is utils.timeseries_dataset_from_array
    assert preprocessing.text_dataset_from_directory is utils.text_dataset_from_directory


def test_smart_resize_reference():
    y = preprocessing.image.smart_resize(X, (6, 6))       # 9x12 -> centred 9x9 -> 6x6
    ref = tf.keras.layers.Resizing(6, 6)(X[:, :, 1:10]).numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-6)
    assert preprocessing.image.smart_resize(X[0], (4, 8)).shape == (4, 8, 3)
    assert preprocessing.image.smart_resize(X.astype(np.uint8), (3, 3)).dtype == np.float32
    with pytest.raises(ValueError, match="incorrect rank"):
        preprocessing.image.smart_resize(X[0, 0], (3, 3))


@pytest.mark.parametrize("size", [(5, 5), (6, 10), (20, 7)])
def test_smart_resize_against_keras(size):
    keras = pytest.importorskip("keras")
    np.testing.assert_allclose(preprocessing.image.smart_resize(X, size),
                               np.asarray(keras.preprocessing.image.smart_resize(X, size)),
                               atol=3e-4)
