"""What fit/evaluate/predict print, exactly, in each verbose mode (Keras 3's format), and
the three displays: tqdm on a terminal, Keras's in-place bar on a terminal without tqdm,
plain lines when the output is not a terminal.

Time is a fake clock (``progbar.time``) advanced by 0.25 s per batch, so every printed
duration is exact: 0.75 s for 3 batches prints ``1s`` and ``250ms/step``.
"""
import contextlib
import io
import re
import sys

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras
from deepgrad.keras.callbacks import ProgbarLogger
from deepgrad.keras.utils import progbar as progbar_module
from deepgrad.keras.utils.progbar import Progbar

RNG = np.random.default_rng(0)
X = RNG.normal(size=(36, 4)).astype(np.float32)
Y = RNG.integers(0, 2, 36)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(progbar_module, "time", fake)
    return fake


def ticking(clock, seconds=0.25):
    """A callback that advances the clock after each training/test/predict batch."""
    def tick(batch, logs=None):
        clock.now += seconds
    return keras.callbacks.LambdaCallback(on_train_batch_end=tick, on_test_batch_end=tick,
                                          on_predict_batch_end=tick)


def fmt(v, strict=True):
    """Keras 3's number format (verbose=2 compares v, verbose=1 |v|, with 1e-3)."""
    return f"{v:.4f}" if (v if strict else abs(v)) > 1e-3 else f"{v:.4e}"


def model():
    dg.manual_seed(0)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def epoch_line(logs, epoch, steps="3/3", elapsed="1s", per_step="250ms"):
    values = "".join(f" - {k}: {fmt(v[epoch])}" for k, v in logs.items())
    return f"{steps} - {elapsed} - {per_step}/step{values}\n"


# ----------------------------------------------------------------------------- fit
@pytest.mark.parametrize("verbose", [2, 1])
def test_fit_prints_epoch_header_and_one_line_per_epoch(clock, capsys, verbose):
    """verbose=2, and verbose=1 when stdout is not a terminal (pytest captures it)."""
    h = model().fit(X[:24], Y[:24], batch_size=8, epochs=2, verbose=verbose,
                    validation_data=(X[24:], Y[24:]), callbacks=[ticking(clock)])
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    # the validation batches tick too: 3 training + 2 validation batches = 1.25 s elapsed;
    # verbose=2: 1.25 s / 3 steps; verbose=1: (1.25 - 0.25) s / 2, the first step left out
    expected = "".join(f"Epoch {e + 1}/2\n" + epoch_line(h.history, e, elapsed="1s",
                                                          per_step="417ms" if verbose == 2
                                                          else "500ms")
                       for e in range(2))
    assert capsys.readouterr().out == expected


def test_one_epoch_has_no_epoch_header(clock, capsys):
    h = model().fit(X[:24], Y[:24], batch_size=8, epochs=1, verbose=2,
                    callbacks=[ticking(clock)])
    assert capsys.readouterr().out == epoch_line(h.history, 0)


def test_verbose_0_prints_nothing(capsys):
    model().fit(X, Y, batch_size=8, epochs=2, verbose=0)
    model().evaluate(X, Y, verbose=0)
    model().predict(X, verbose=0)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------- evaluate, predict
@pytest.mark.parametrize("verbose", [1, 2])
def test_evaluate_and_predict_print_one_line(clock, capsys, verbose):
    m = model()
    logs = m.evaluate(X[:16], Y[:16], batch_size=8, verbose=verbose, return_dict=True,
                      callbacks=[ticking(clock)])
    m.predict(X[:24], batch_size=8, verbose=verbose, callbacks=[ticking(clock)])
    assert capsys.readouterr().out == (
        f"2/2 - 0s - 250ms/step - accuracy: {fmt(logs['accuracy'])} - loss: "
        f"{fmt(logs['loss'])}\n" "3/3 - 1s - 250ms/step\n")


# ----------------------------------------------------------------------------- ProgbarLogger
def test_unknown_steps_are_learnt_from_the_first_epoch(clock):
    out = io.StringIO()
    cb = ProgbarLogger(stream=out)
    cb.set_params({"verbose": 2, "epochs": 2, "steps": None})
    cb.on_train_begin()
    for epoch in range(2):
        cb.on_epoch_begin(epoch)
        for batch in range(5):
            clock.now += 2.0
            cb.on_train_batch_end(batch, {"loss": 0.5})
        cb.on_epoch_end(epoch, {"loss": 0.0005})
    assert out.getvalue() == ("Epoch 1/2\n5/5 - 10s - 2s/step - loss: 5.0000e-04\n"
                              "Epoch 2/2\n5/5 - 10s - 2s/step - loss: 5.0000e-04\n")


def test_terminal_without_tqdm_redraws_keras_bar_in_place(clock, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)                 # `import tqdm` fails
    out = Terminal()
    cb = ProgbarLogger(stream=out)
    cb.set_params({"verbose": 1, "epochs": 1, "steps": 2})
    cb.on_train_begin()
    cb.on_epoch_begin(0)
    clock.now += 0.5
    cb.on_train_batch_end(0, {"loss": 0.25})
    clock.now += 0.5
    cb.on_train_batch_end(1, {"loss": 0.125})
    cb.on_epoch_end(0, {"loss": 0.125})
    bar1 = "\x1b[1m1/2\x1b[0m \33[32m" + "━" * 10 + "\x1b[0m\33[37m" + "━" * 10 + "\x1b[0m"
    bar2 = "\x1b[1m2/2\x1b[0m \33[32m" + "━" * 20 + "\x1b[0m\33[37m\x1b[0m"
    assert out.getvalue() == (
        "\r" + bar1 + " \x1b[1m0s\x1b[0m 500ms/step - loss: 0.2500"      # ETA 1 step: 0s
        "\r" + bar2 + " \x1b[1m0s\x1b[0m 500ms/step - loss: 0.1250"      # ETA 0 steps: 0s
        "\r" + bar2 + " \x1b[1m1s\x1b[0m 500ms/step - loss: 0.1250\n")   # the epoch's end


def test_terminal_with_tqdm_shows_a_tqdm_bar(capsys):
    pytest.importorskip("tqdm")
    out = Terminal()
    model().fit(X, Y, batch_size=12, epochs=2, verbose=1, callbacks=[ProgbarLogger(stream=out)])
    text = out.getvalue()
    assert text.startswith("Epoch 1/2\n") and "\nEpoch 2/2\n" in text
    assert len(re.findall(r"100%\|[^|]*\| 3/3 \[[^\]]*step/s, accuracy: \d\.\d{4} - "
                          r"loss: \d\.\d{4}\]", text)) == 2
    assert " - 250ms/step" not in text and not re.search(r"^3/3 - ", text, re.M)
    assert capsys.readouterr().out == ""                          # no second progress display


def test_tqdm_installed_but_not_a_terminal_prints_plain_lines(clock):
    pytest.importorskip("tqdm")
    out = io.StringIO()
    h = model().fit(X[:24], Y[:24], batch_size=8, epochs=1, verbose=1,
                    callbacks=[ticking(clock), ProgbarLogger(stream=out)])
    assert out.getvalue() == epoch_line(h.history, 0)


# ----------------------------------------------------------------------------- Progbar
def _drive(bar, clock, updates):
    for seconds, current, values, finalize in updates:
        clock.now += seconds
        bar.update(current, values, finalize=finalize)


UPDATES = [(0.5, 1, [("loss", 1.0), ("acc", 0.5)], None),
           (0.02, 2, [("loss", 0.5), ("acc", 0.6)], None),       # within interval: not drawn
           (1.0, 3, [("loss", -0.25), ("acc", 0.7)], None),
           (61.0, 4, [("loss", 0.0), ("acc", 0.0001)], None)]


@pytest.mark.parametrize("verbose", [1, 2])
def test_progbar_output_matches_keras(clock, monkeypatch, verbose):
    """The same updates and clock through Keras 3's Progbar and deepgrad's: same text
    (Keras also writes backspaces before each redraw; deepgrad writes only ``\\r``)."""
    pytest.importorskip("torch")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    kprogbar = pytest.importorskip("keras.src.utils.progbar")
    kclock = Clock()
    monkeypatch.setattr(kprogbar, "time", kclock)
    theirs = Terminal()
    with contextlib.redirect_stdout(theirs):
        keras_bar = kprogbar.Progbar(4, verbose=verbose, stateful_metrics=["acc"])
        _drive(keras_bar, kclock, UPDATES)
    ours = Terminal()
    bar = Progbar(4, verbose=verbose, stateful_metrics=["acc"], stream=ours)
    _drive(bar, clock, UPDATES)
    assert ours.getvalue() == theirs.getvalue().replace("\b", "")
    assert ours.getvalue().endswith("\n") and (verbose == 1) == ("\r" in ours.getvalue())


def test_progbar_not_a_terminal_prints_the_final_line_only(clock):
    out = io.StringIO()
    bar = Progbar(4, verbose=1, stateful_metrics=["acc"], stream=out)
    _drive(bar, clock, UPDATES)
    # acc 0.0001 is shown in .4e; loss is its final value (Keras 3's finalize rule)
    assert out.getvalue() == "4/4 - 63s - 21s/step - loss: 0.0000e+00 - acc: 1.0000e-04\n"


def test_progbar_unknown_target(clock):
    out = Terminal()
    bar = Progbar(None, verbose=1, stream=out)
    clock.now += 0.002
    bar.update(3, [("loss", 0.5)])
    assert out.getvalue() == "\r      3/Unknown \x1b[1m0s\x1b[0m 667us/step - loss: 0.5000"


def test_progbar_rejects_both_metric_lists():
    with pytest.raises(ValueError, match="stateful_metrics or stateless_metrics, not both"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


# ----------------------------------------------------------------------------- Keras fit parity
def _shape(text):
    """The output with every number replaced by N: what must match Keras exactly."""
    return re.sub(r"\d+(\.\d+)?(e[-+]\d+)?", "N", text)


def test_fit_verbose_2_has_the_shape_of_keras_output(capsys, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    real = pytest.importorskip("keras")
    if real.backend.backend() != "torch":
        pytest.skip("keras is loaded on another backend")
    km = real.Sequential([real.Input((4,)), real.layers.Dense(3, activation="relu"),
                          real.layers.Dense(2, activation="softmax")])
    km.compile(optimizer=real.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
               metrics=["accuracy"])
    km.fit(X[:24], Y[:24], batch_size=8, epochs=2, verbose=2, validation_data=(X[24:], Y[24:]))
    km.evaluate(X, Y, verbose=2)
    theirs = capsys.readouterr().out
    m = model()
    m.fit(X[:24], Y[:24], batch_size=8, epochs=2, verbose=2, validation_data=(X[24:], Y[24:]))
    m.evaluate(X, Y, verbose=2)
    ours = capsys.readouterr().out
    assert _shape(ours).replace("Nus/", "Nms/") == _shape(theirs).replace("Nus/", "Nms/")
    assert len(ours.splitlines()) == 5
