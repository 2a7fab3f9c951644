"""What fit/evaluate/predict accept: arrays (steps_per_epoch honoured), generators,
keras.utils.PyDataset (workers in threads or processes), deepgrad DataLoaders, and
Keras 3's rules for running out of data."""
import os
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras
from deepgrad.keras import layers
from deepgrad.keras.models.data import EpochIterator
from deepgrad.utils.data import DataLoader, TensorDataset

RNG = np.random.default_rng(0)
X = RNG.random((40, 4)).astype("float32")
Y = (X[:, 0] > 0.5).astype("int64")


def _model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                          layers.Dense(2, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


class Counter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps, self.first = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.steps.append(0)

    def on_train_batch_begin(self, batch, logs=None):
        self.steps[-1] += 1


class Squares(keras.utils.PyDataset):
    def __init__(self, n=5, **kwargs):
        super().__init__(**kwargs)
        self.n, self.epochs_begun, self.epochs_ended = n, 0, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return X[i * 8:(i + 1) * 8], Y[i * 8:(i + 1) * 8]

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.epochs_ended += 1


def _steps_seen(x, **kwargs):
    """The x batches an EpochIterator yields per epoch, for 3 epochs."""
    it = EpochIterator(x, **kwargs)
    out = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            out.append([float(d[0].numpy()[0, 0]) if isinstance(d, tuple) else
                        float(d.numpy()[0, 0]) for _, d in it])
    return out, [str(w.message) for w in caught]


def test_steps_per_epoch_on_arrays_follows_keras():
    x = np.repeat(np.arange(10, dtype="float32")[:, None], 2, axis=1)
    # 5 batches of 2; no steps_per_epoch: all of them every epoch
    seen, warned = _steps_seen(x, batch_size=2)
    assert seen == [[0, 2, 4, 6, 8]] * 3 and not warned
    # steps_per_epoch=3: the pass continues across epochs; where it runs out the epoch
    # ends early with Keras's warning, and the next epoch starts a new pass
    seen, warned = _steps_seen(x, batch_size=2, steps_per_epoch=3)
    assert seen == [[0, 2, 4], [6, 8], [0, 2, 4]]
    assert len(warned) == 1 and "ran out of data" in warned[0]
    # batch_size omitted: ceil(n / steps_per_epoch)
    seen, _ = _steps_seen(x, steps_per_epoch=2)
    assert seen[0] == [0, 5]


def test_fit_honours_steps_per_epoch_for_arrays():
    counter = Counter()
    _model().fit(X, Y, batch_size=8, epochs=2, steps_per_epoch=2, verbose=0,
                 callbacks=[counter])
    assert counter.steps == [2, 2]


def test_generators_continue_across_epochs():
    def gen():
        i = 0
        while True:
            yield X[i % 40:i % 40 + 8], Y[i % 40:i % 40 + 8]
            i += 8

    counter = Counter()
    h = _model().fit(gen(), steps_per_epoch=3, epochs=2, verbose=0, callbacks=[counter])
    assert counter.steps == [3, 3] and len(h.history["loss"]) == 2

    def finite():
        for i in range(0, 40, 8):
            yield X[i:i + 8], Y[i:i + 8]
    counter = Counter()
    with pytest.warns(UserWarning, match="ran out of data"):
        _model().fit(finite(), epochs=2, verbose=0, callbacks=[counter])
    assert counter.steps == [5, 0]                 # a generator is consumed once, as Keras
    counter = Counter()
    with pytest.warns(UserWarning, match="ran out of data"):
        _model().fit(finite(), steps_per_epoch=3, epochs=2, verbose=0, callbacks=[counter])
    assert counter.steps == [3, 2]


def test_pydataset_feeds_fit_evaluate_predict():
    data = Squares()
    m = _model()
    counter = Counter()
    h = m.fit(data, epochs=2, verbose=0, callbacks=[counter])
    assert counter.steps == [5, 5] and len(h.history["loss"]) == 2
    assert data.epochs_begun == 2 and data.epochs_ended == 2
    ref = m.evaluate(X, Y, batch_size=8, verbose=0)
    np.testing.assert_allclose(m.evaluate(Squares(), verbose=0), ref, rtol=1e-6)
    assert m.predict(Squares(), verbose=0).shape == (40, 2)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        m.fit(data, Y, verbose=0)


@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_pydataset_workers_keep_order(use_multiprocessing):
    order = []

    class Spy(keras.Model):
        def train_step(self, data):
            order.append(float(data[0].numpy()[0, 0]))
            return {}

    inputs = keras.Input((4,))
    m = Spy(inputs, layers.Dense(2)(inputs))
    m.compile("sgd", "mse")
    m.fit(Squares(workers=3, use_multiprocessing=use_multiprocessing, max_queue_size=2),
          shuffle=False, verbose=0)
    assert order == [float(X[i * 8, 0]) for i in range(5)]


def test_pydataset_errors_in_workers_surface():
    class Broken(Squares):
        def __getitem__(self, i):
            if i == 2:
                raise KeyError("batch 2 is broken")
            return super().__getitem__(i)

    with pytest.raises(KeyError, match="batch 2 is broken"):
        _model().fit(Broken(workers=2), verbose=0)
    with pytest.raises(ValueError, match="workers"):
        Squares(workers=0)


def test_pydataset_shuffle_permutes_batches():
    seen = []

    class Spy(keras.Model):
        def train_step(self, data):
            seen.append(float(data[0].numpy()[0, 0]))
            return {}

    inputs = keras.Input((4,))
    m = Spy(inputs, layers.Dense(2)(inputs))
    m.compile("sgd", "mse")
    dg.manual_seed(0)
    m.fit(Squares(), epochs=3, shuffle=True, verbose=0)
    firsts = [float(X[i * 8, 0]) for i in range(5)]
    assert sorted(seen[:5]) == sorted(firsts) and seen != firsts * 3


def test_dataloaders_feed_fit():
    loader = DataLoader(TensorDataset(dg.tensor(X), dg.tensor(Y)), batch_size=8)
    counter = Counter()
    m = _model()
    h = m.fit(loader, epochs=2, verbose=0, callbacks=[counter])
    assert counter.steps == [5, 5] and len(h.history["loss"]) == 2   # a new pass each epoch
    np.testing.assert_allclose(m.evaluate(loader, verbose=0),
                               m.evaluate(X, Y, batch_size=8, verbose=0), rtol=1e-6)


def test_validation_data_from_a_dataset_and_bad_inputs():
    m = _model()
    h = m.fit(X, Y, batch_size=8, validation_data=Squares(), verbose=0)
    assert sorted(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    with pytest.raises(ValueError, match="validation_split.*only supported for arrays"):
        m.fit(Squares(), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        m.fit(X, Y, steps_per_epoch=0, verbose=0)
    with pytest.raises(ValueError, match="Unrecognized data"):
        m.fit(object(), verbose=0)
    with pytest.raises(ValueError, match="class_weight.*sample_weight"):
        m.fit(X, Y, class_weight={0: 1.0}, sample_weight=np.ones(40), verbose=0)


def test_class_weight_follows_keras_missing_classes_weigh_one():
    from deepgrad.keras.models.data import class_weight_to_sample_weights
    w = class_weight_to_sample_weights(np.array([0, 1, 2, 1]), {1: 3.0})
    np.testing.assert_array_equal(w, [1.0, 3.0, 1.0, 3.0])
    onehot = np.eye(3)[[2, 0]]
    np.testing.assert_array_equal(class_weight_to_sample_weights(onehot, {2: 0.5}), [0.5, 1.0])


@pytest.fixture(scope="module")
def keras3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def test_pydataset_training_matches_keras_3(keras3):
    k3 = keras3

    class K3Data(k3.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return X[i * 8:(i + 1) * 8], Y[i * 8:(i + 1) * 8]

    k3.utils.set_random_seed(0)
    theirs = k3.Sequential([k3.Input((4,)), k3.layers.Dense(8, activation="relu"),
                            k3.layers.Dense(2, activation="softmax")])
    theirs.compile(k3.optimizers.Adam(1e-2), "sparse_categorical_crossentropy",
                   metrics=["accuracy"])
    ours = _model()
    ours.set_weights(theirs.get_weights())
    ours.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy",
                 metrics=["accuracy"])
    h3 = theirs.fit(K3Data(), epochs=2, shuffle=False, verbose=0).history
    h = ours.fit(Squares(), epochs=2, shuffle=False, verbose=0).history
    assert list(h) == list(h3)
    for key in h:
        np.testing.assert_allclose(h[key], h3[key], rtol=2e-5, err_msg=key)


@pytest.mark.parametrize("shape", [(300, 784), (70000,), (600, 28, 28, 1), (100000, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_non_finite_data_is_found_by_the_summed_check(shape, dtype):
    """fit's data check sums the data (by rows through the BLAS for large matrices): any
    NaN or infinity is found, anywhere; finite data whose sum overflows is accepted."""
    from deepgrad.keras.models.data import check_arrays
    rng = np.random.default_rng(0)
    x = rng.random(shape).astype(dtype)
    assert check_arrays(x) == shape[0]
    for bad in (np.nan, np.inf, -np.inf):
        for at in (0, x.size // 2, x.size - 1):
            b = x.copy()
            b.reshape(-1)[at] = bad
            with pytest.raises(ValueError, match=r"x contains 1 NaN or infinite value"):
                check_arrays(b)
    huge = np.full(shape, np.finfo(dtype).max / 2, dtype)     # the sum overflows
    assert check_arrays(huge) == shape[0]
    assert check_arrays(x[::2]) == len(x[::2])                # not contiguous: NumPy's sum


def test_the_same_array_as_x_and_y_is_checked_once(monkeypatch):
    """fit(x, x) (an autoencoder) reads x once for the NaN/inf check, and still refuses a
    NaN in it."""
    from deepgrad.keras.models import data as data_lib
    seen = []
    real = data_lib._all_finite
    monkeypatch.setattr(data_lib, "_all_finite", lambda a: seen.append(a) or real(a))
    x = np.random.default_rng(0).random((64, 8)).astype(np.float32)
    assert data_lib.check_arrays(x, x) == 64 and len(seen) == 1
    assert data_lib.check_arrays(x, x.copy()) == 64 and len(seen) == 3
    x[5, 3] = np.nan
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        data_lib.check_arrays(x, x)
