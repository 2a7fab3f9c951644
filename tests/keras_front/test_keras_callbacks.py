"""deepgrad.keras.callbacks: hook order during fit, and each Keras callback's behaviour
(EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler, CSVLogger,
TerminateOnNaN, LambdaCallback), on small Dense models."""
import csv
import os

import numpy as np
import pytest

import deepgrad.keras as keras
from deepgrad.keras import callbacks as C
from deepgrad.keras.callbacks.monitor_callback import auto_mode
from deepgrad.keras.saving import load_model

try:
    import h5py  # noqa: F401
    EXT = "keras"                        # Keras 3's format (needs h5py)
except ImportError:
    EXT = "dgkeras"                      # deepgrad's NumPy format

RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 3)).astype("float32")
Y = RNG.standard_normal((8, 2)).astype("float32")


def _model(optimizer="adam"):
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer=optimizer, loss="mse")
    return model


class _Scripted(C.Callback):
    """Replaces the epoch logs' ``monitor`` value by a scripted sequence (runs first)."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key = list(values), key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class _Recorder(C.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def _add(self, name, *args):
        self.events.append(name if not args or not isinstance(args[0], int) else (name, args[0]))


for _hook in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
              "on_test_batch_begin", "on_test_batch_end"):
    setattr(_Recorder, _hook, (lambda name: lambda self, *a: self._add(name, *a))(_hook))


# ---------------------------------------------------------------------- hook order
def _train_events(epoch, batches):
    out = [("on_epoch_begin", epoch)]
    for b in range(batches):
        out += [("on_train_batch_begin", b), ("on_train_batch_end", b)]
    return out


def test_hook_order_without_validation():
    rec = _Recorder()
    _model().fit(X, Y, batch_size=4, epochs=2, verbose=0, callbacks=[rec])
    expected = ["on_train_begin"]
    for epoch in range(2):
        expected += _train_events(epoch, 2) + [("on_epoch_end", epoch)]
    assert rec.events == expected + ["on_train_end"]


def test_hook_order_with_validation_runs_test_hooks():
    # Keras 3's fit validates through evaluate(callbacks=...), so the test hooks run
    # between the last training batch and on_epoch_end.
    rec = _Recorder()
    _model().fit(X, Y, batch_size=4, epochs=1, verbose=0, callbacks=[rec],
                 validation_data=(X[:4], Y[:4]))
    expected = ["on_train_begin"] + _train_events(0, 2) + [
        "on_test_begin", ("on_test_batch_begin", 0), ("on_test_batch_end", 0), "on_test_end",
        ("on_epoch_end", 0), "on_train_end"]
    assert rec.events == expected


def test_evaluate_runs_test_hooks():
    rec = _Recorder()
    _model().evaluate(X, Y, batch_size=4, verbose=0, callbacks=[rec])
    assert rec.events == ["on_test_begin", ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
                          ("on_test_batch_begin", 1), ("on_test_batch_end", 1), "on_test_end"]


def test_auto_mode_rule():
    assert [auto_mode(m) for m in ("val_loss", "loss", "val_accuracy", "acc", "val_auc",
                                   "precision", "mae", "val_categorical_accuracy")] == \
        ["min", "min", "max", "max", "max", "max", "min", "max"]


# ---------------------------------------------------------------------- EarlyStopping
def test_early_stopping_stops_after_patience():
    stop = C.EarlyStopping(monitor="val_loss", patience=2)
    hist = _model().fit(X, Y, epochs=20, verbose=0, validation_data=(X, Y),
                        callbacks=[_Scripted([1.0, 0.5, 0.6, 0.7, 0.4, 0.3] + [0.1] * 14), stop])
    assert len(hist.history["loss"]) == 4          # best at epoch 1, two epochs without
    assert stop.stopped_epoch == 3 and stop.best == 0.5


def test_early_stopping_min_delta_baseline_and_max_mode():
    stop = C.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.1)
    hist = _model().fit(X, Y, epochs=10, verbose=0, validation_data=(X, Y),
                        callbacks=[_Scripted([1.0, 0.95, 0.5, 0.45] + [0.0] * 6), stop])
    assert len(hist.history["loss"]) == 2          # 0.95 is not better by min_delta
    # a value that never beats the baseline does not reset the patience counter
    for baseline, epochs in ((None, 3), (0.9, 2)):
        stop = C.EarlyStopping(monitor="acc", patience=2, baseline=baseline)
        hist = _model().fit(X, Y, epochs=10, verbose=0,
                            callbacks=[_Scripted([0.5] * 10, "acc"), stop])
        assert stop.direction == "max" and len(hist.history["loss"]) == epochs


def test_early_stopping_start_from_epoch():
    stop = C.EarlyStopping(monitor="val_loss", patience=0, start_from_epoch=3)
    hist = _model().fit(X, Y, epochs=10, verbose=0, validation_data=(X, Y),
                        callbacks=[_Scripted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), stop])
    assert len(hist.history["loss"]) == 5


def test_early_stopping_restore_best_weights():
    model = _model()
    seen = []
    record = C.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
    stop = C.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model.fit(X, Y, epochs=10, verbose=0, validation_data=(X, Y),
              callbacks=[record, _Scripted([3.0, 1.0, 2.0, 2.5, 0.0] + [0] * 5), stop])
    assert stop.best_epoch == 1 and len(seen) == 4
    for w, best in zip(model.get_weights(), seen[1]):
        np.testing.assert_array_equal(w, best)
    assert not np.array_equal(seen[1][0], seen[3][0])


def test_early_stopping_missing_monitor_warns():
    with pytest.warns(UserWarning, match="val_loss"):
        _model().fit(X, Y, epochs=1, verbose=0, callbacks=[C.EarlyStopping()])


# ---------------------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_formats_epoch_and_logs(tmp_path):
    path = str(tmp_path / "w.{epoch:02d}-{loss:.2f}.weights.npz")
    model = _model()
    hist = model.fit(X, Y, epochs=2, verbose=0,
                     callbacks=[C.ModelCheckpoint(path, save_weights_only=True)])
    names = sorted(os.listdir(tmp_path))
    assert names == [f"w.{e + 1:02d}-{hist.history['loss'][e]:.2f}.weights.npz" for e in range(2)]


def test_model_checkpoint_save_best_only(tmp_path):
    path = str(tmp_path / "ckpt" / ("m.{epoch:02d}." + EXT))
    cb = C.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    _model().fit(X, Y, epochs=5, verbose=0, validation_data=(X, Y),
                 callbacks=[_Scripted([1.0, 2.0, 0.5, 0.5, 3.0]), cb])
    assert sorted(os.listdir(tmp_path / "ckpt")) == [f"m.01.{EXT}", f"m.03.{EXT}"]
    assert cb.best == 0.5


def test_model_checkpoint_full_model_reloads(tmp_path):
    path = str(tmp_path / f"best.{EXT}")
    model = _model()
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[C.ModelCheckpoint(path, monitor="loss")])
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_model_checkpoint_save_freq_batches(tmp_path):
    path = str(tmp_path / "b{epoch}-{batch}.weights.npz")
    _model().fit(X, Y, batch_size=2, epochs=2, verbose=0,
                 callbacks=[C.ModelCheckpoint(path, save_weights_only=True, save_freq=3)])
    assert sorted(os.listdir(tmp_path)) == ["b1-3.weights.npz", "b2-2.weights.npz"]


def test_model_checkpoint_argument_errors(tmp_path):
    with pytest.raises(ValueError, match=".weights.h5"):
        C.ModelCheckpoint(str(tmp_path / "x.npz"), save_weights_only=True)
    with pytest.raises(ValueError, match=".keras"):
        C.ModelCheckpoint(str(tmp_path / "x.npz"))
    C.ModelCheckpoint(str(tmp_path / "x.h5"))                  # Keras's legacy format: accepted
    with pytest.raises(ValueError, match="save_freq"):
        C.ModelCheckpoint(str(tmp_path / "x.keras"), save_freq="batch")
    with pytest.raises(KeyError, match="val_acc"):
        _model().fit(X, Y, epochs=1, verbose=0,
                     callbacks=[C.ModelCheckpoint(str(tmp_path / "{val_acc}.keras"))])


# ---------------------------------------------------------------------- learning rate
def test_reduce_lr_on_plateau_changes_learning_rate():
    model = _model(keras.optimizers.SGD(learning_rate=1.0))
    cb = C.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, cooldown=2, min_lr=0.2)
    lrs, logged = [], []
    probe = C.LambdaCallback(
        on_epoch_begin=lambda e, logs: lrs.append(float(model.optimizer.learning_rate)),
        on_epoch_end=lambda e, logs: logged.append(logs["learning_rate"]))
    model.fit(X, Y, epochs=7, verbose=0, validation_data=(X, Y),
              callbacks=[_Scripted([1.0] * 7), cb, probe])
    # plateau from epoch 1: reduce at the end of epochs 1, 3, 5 (cooldown between), floor 0.2
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2]
    assert logged == lrs                 # the rate the epoch ran with, logged before reducing
    with pytest.raises(ValueError, match="factor"):
        C.ReduceLROnPlateau(factor=1.0)


def test_learning_rate_scheduler_two_and_one_argument_forms():
    model = _model(keras.optimizers.SGD(learning_rate=0.1))
    seen, logged = [], []
    probe = C.LambdaCallback(
        on_epoch_begin=lambda e, logs: seen.append(float(model.optimizer.learning_rate)),
        on_epoch_end=lambda e, logs: logged.append(logs["learning_rate"]))
    sched = C.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr * 0.5)
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[sched, probe])
    assert seen == [0.1, 0.05, 0.025] and logged == seen
    model.fit(X, Y, epochs=2, verbose=0,
              callbacks=[C.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)
    with pytest.raises(ValueError, match="float"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[C.LearningRateScheduler(lambda e: "x")])


# ---------------------------------------------------------------------- CSV, NaN, Lambda
def test_csv_logger_content_and_append(tmp_path):
    path = str(tmp_path / "log.csv")
    hist = _model().fit(X, Y, epochs=2, verbose=0, callbacks=[C.CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert [float(r[1]) for r in rows[1:]] == pytest.approx(hist.history["loss"])
    assert [r[2] for r in rows[1:]] == ["NA", "NA"]
    _model().fit(X, Y, epochs=1, verbose=0, callbacks=[C.CSVLogger(path, separator=";",
                                                                   append=True)])
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    assert len(lines) == 4 and lines[3].startswith("0;")        # no second header


def test_terminate_on_nan():
    model = _model(keras.optimizers.SGD(learning_rate=1e30))
    big = X * 1e20
    hist = model.fit(big, Y, batch_size=2, epochs=5, verbose=0, callbacks=[C.TerminateOnNaN()])
    assert len(hist.history["loss"]) == 1 and not np.isfinite(hist.history["loss"][0])
    with pytest.raises(RuntimeError, match="NaN or Inf"):
        _model(keras.optimizers.SGD(learning_rate=1e30)).fit(
            big, Y, batch_size=2, epochs=5, verbose=0, callbacks=[C.TerminateOnNaN(True)])


def test_lambda_callback_hooks():
    events = []
    cb = C.LambdaCallback(on_train_begin=lambda logs: events.append("begin"),
                          on_epoch_end=lambda epoch, logs: events.append(("epoch", epoch)),
                          on_train_batch_end=lambda batch, logs: events.append(("batch", batch)),
                          on_train_end=lambda logs: events.append("end"))
    _model().fit(X, Y, batch_size=4, epochs=1, verbose=0, callbacks=[cb])
    assert events == ["begin", ("batch", 0), ("batch", 1), ("epoch", 0), "end"]
    with pytest.raises(TypeError, match="on_epoch_ends"):
        C.LambdaCallback(on_epoch_ends=print)
