"""``ProgbarLogger``: live progress in a terminal (tqdm), one clean line per epoch otherwise.

verbose=1 on a terminal: a tqdm bar per epoch with ETA and running metrics (tqdm is an
optional dependency; without it, or when output is not a terminal, verbose=1 prints
what verbose=2 prints). verbose=2: ``Epoch 3/10`` then
``1875/1875 - 4s - 2ms/step - accuracy: 0.9812 - loss: 0.0623`` at the end of the epoch.
``evaluate`` and ``predict`` (outside ``fit``) print one such line when they end.
"""
import sys
import time

from deepgrad.keras.callbacks.callback import Callback


def _fmt(logs):
    return " - ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}"
                      for k, v in logs.items())


class ProgbarLogger(Callback):
    """Prints the progress of ``fit``, ``evaluate`` and ``predict`` (see module docstring).

    Its verbosity is the ``verbose`` of the call (``params["verbose"]``) unless given.
    """

    def __init__(self, verbose=None, stream=None):
        super().__init__()
        self._verbose = verbose
        self.stream = stream or sys.stdout
        self.bar = None
        self._in_fit = False
        self.start, self.seen = time.perf_counter(), 0

    @property
    def verbose(self):
        return self._verbose if self._verbose is not None else self.params.get("verbose", 1)

    def _live(self):
        if self.verbose != 1 or not getattr(self.stream, "isatty", lambda: False)():
            return False
        try:
            import tqdm  # noqa: F401  (optional extra: only when it is installed)
        except ImportError:
            return False
        return True

    def _begin(self):
        self.start, self.seen = time.perf_counter(), 0

    def _line(self, logs):
        elapsed = time.perf_counter() - self.start
        steps = self.params.get("steps") or self.seen
        per_step = elapsed / max(self.seen, 1)
        text = f"{self.seen}/{steps} - {elapsed:.0f}s - {per_step * 1e3:.0f}ms/step"
        print(text + (f" - {_fmt(logs)}" if logs else ""), file=self.stream, flush=True)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._begin()
        epochs = self.params.get("epochs", 1)
        print(f"Epoch {epoch + 1}/{epochs}", file=self.stream, flush=True)
        if self._live():
            from tqdm import tqdm
            self.bar = tqdm(total=self.params.get("steps"), file=self.stream, unit="step",
                            leave=True, dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        if self.bar is not None:
            self.bar.update(1)
            if batch % 10 == 0:
                self.bar.set_postfix_str(_fmt(logs or {}), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix_str(_fmt(logs or {}))
            self.bar.close()
            self.bar = None
            return
        self._line(logs or {})

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._begin()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self.seen = batch + 1

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._line(logs or {})

    def on_predict_begin(self, logs=None):
        self._begin()

    def on_predict_batch_end(self, batch, logs=None):
        self.seen = batch + 1

    def on_predict_end(self, logs=None):
        self._line({})
