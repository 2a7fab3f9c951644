"""The models of the issue-9 guide examples give Keras 3's results from the same weights:
predictions and evaluate losses of the text classifier (Embedding + Bidirectional LSTM on
TextVectorization ids), the augmentation example's convnet (Rescaling first; augmentation
off in predict) and the LSTM forecaster on windows from timeseries_dataset_from_array.
Skipped without keras."""
import numpy as np
import pytest

from deepgrad import keras as dk

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(12)


def _text_model(k):
    inputs = k.Input(shape=(None,), dtype="int64")
    x = k.layers.Embedding(50, 8)(inputs)
    x = k.layers.Bidirectional(k.layers.LSTM(6))(x)
    x = k.layers.Dropout(0.5)(x)
    return k.Model(inputs, k.layers.Dense(1, activation="sigmoid")(x))


def _conv_model(k):
    return k.Sequential([
        k.Input(shape=(28, 28, 1)), k.layers.RandomRotation(0.05, fill_mode="constant"),
        k.layers.RandomZoom(0.1, fill_mode="constant"),
        k.layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        k.layers.Rescaling(1.0 / 255), k.layers.Conv2D(4, 3, activation="relu"),
        k.layers.MaxPooling2D(2), k.layers.Conv2D(6, 3, activation="relu"),
        k.layers.MaxPooling2D(2), k.layers.Flatten(), k.layers.Dropout(0.5),
        k.layers.Dense(10, activation="softmax")])


def _lstm_model(k, steps, features):
    inputs = k.layers.Input(shape=(steps, features))
    return k.Model(inputs, k.layers.Dense(1)(k.layers.LSTM(8)(inputs)))


def _copy(ours, theirs):
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])


def test_text_classifier_same_weights():
    vectorize = dk.layers.TextVectorization(max_tokens=50, output_sequence_length=12)
    corpus = ["a great and moving film", "dull and awful plot", "not bad at all",
              "the cast was superb", "tedious , boring ending"]
    vectorize.adapt(corpus)
    ids = vectorize(corpus).numpy()
    labels = np.array([1, 0, 1, 1, 0], "float32")
    theirs, ours = _text_model(keras), _text_model(dk)
    _copy(ours, theirs)
    np.testing.assert_allclose(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0),
                               rtol=1e-5, atol=1e-6)
    for m in (theirs, ours):
        m.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    ref = theirs.evaluate(ids, labels, verbose=0)
    np.testing.assert_allclose(ours.evaluate(ids, labels, verbose=0), ref, rtol=1e-5)


def test_augmentation_convnet_same_weights():
    x = RNG.uniform(0, 255, (6, 28, 28, 1)).astype("float32")
    y = RNG.integers(0, 10, 6)
    theirs, ours = _conv_model(keras), _conv_model(dk)
    _copy(ours, theirs)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    for m in (theirs, ours):
        m.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0),
                               theirs.evaluate(x, y, verbose=0), rtol=1e-5)


def test_forecaster_same_weights_on_timeseries_windows():
    data = RNG.standard_normal((120, 3)).astype("float32")
    targets = RNG.standard_normal(120).astype("float32")
    ds = dk.utils.timeseries_dataset_from_array(data, targets, sequence_length=8,
                                                sampling_rate=2, batch_size=16)
    xs = np.concatenate([x.numpy() for x, _ in ds])
    ys = np.concatenate([y.numpy() for _, y in ds])
    starts = np.arange(120 - 7 * 2)
    np.testing.assert_array_equal(xs, np.stack([data[s:s + 16:2] for s in starts]))
    theirs, ours = _lstm_model(keras, 8, 3), _lstm_model(dk, 8, 3)
    _copy(ours, theirs)
    np.testing.assert_allclose(ours.predict(xs, verbose=0), theirs.predict(xs, verbose=0),
                               rtol=1e-5, atol=1e-6)
    for m in (theirs, ours):
        m.compile(optimizer="adam", loss="mse")
    np.testing.assert_allclose(ours.evaluate(xs, ys, verbose=0),
                               theirs.evaluate(xs, ys, verbose=0), rtol=1e-5)
