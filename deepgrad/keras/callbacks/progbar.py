"""``ProgbarLogger``: live progress in a terminal (tqdm), one clean line per epoch otherwise.

verbose=1 on a terminal: a tqdm bar per epoch with ETA and running metrics (tqdm is an
optional dependency; without it, or when output is not a terminal, verbose=1 prints
what verbose=2 prints). verbose=2: ``Epoch 3/10`` then
``1875/1875 - 4s - 2ms/step - accuracy: 0.9812 - loss: 0.0623`` at the end of the epoch.
"""
import sys
import time

from deepgrad.keras.callbacks.callback import Callback


def _fmt(logs):
    return " - ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}"
                      for k, v in logs.items())


class ProgbarLogger(Callback):
    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.bar = None

    def _live(self):
        if self.verbose != 1 or not getattr(self.stream, "isatty", lambda: False)():
            return False
        try:
            import tqdm  # noqa: F401
        except ImportError:
            return False
        return True

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.seen = 0
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
        elapsed = time.perf_counter() - self.start
        if self.bar is not None:
            self.bar.set_postfix_str(_fmt(logs or {}))
            self.bar.close()
            self.bar = None
            return
        steps = self.params.get("steps") or self.seen
        per_step = elapsed / max(self.seen, 1)
        print(f"{self.seen}/{steps} - {elapsed:.0f}s - {per_step * 1e3:.0f}ms/step - "
              f"{_fmt(logs or {})}", file=self.stream, flush=True)
