"""``ProgbarLogger``: the progress ``fit``, ``evaluate`` and ``predict`` print (Keras 3's).

``Epoch 3/10`` opens each epoch when there is more than one (as Keras 3), then:

* ``verbose=1`` on a terminal: a tqdm bar per epoch (steps, rate, ETA, running metrics)
  when tqdm is installed (an optional extra, ``pip install 'deepgrad[progress]'``);
  without tqdm, Keras 3's own bar redrawn in place (:class:`deepgrad.keras.utils.Progbar`).
* ``verbose=1`` when the output is not a terminal (a log file, CI), and ``verbose=2``:
  one plain line at the end of each epoch, Keras 3's
  ``1875/1875 - 4s - 2ms/step - accuracy: 0.9812 - loss: 0.0623 - val_accuracy: ...``.
* ``verbose=0``: nothing (``fit`` adds no ProgbarLogger).

During ``fit`` the validation pass prints nothing of its own (its values end the epoch's
line); ``evaluate`` and ``predict`` print their own bar or line. The numbers shown are
the logs as reported (running means over the epoch), not averaged again.
"""
import sys

from deepgrad.keras.callbacks.callback import Callback
from deepgrad.keras.utils.progbar import Progbar
from deepgrad.utils.progress import live_bar


def _tqdm_postfix(logs):
    return " - ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}"
                      for k, v in logs.items())


class ProgbarLogger(Callback):
    """Prints the progress of ``fit``, ``evaluate`` and ``predict`` (see module docstring).

    Args:
        verbose (int, optional): 1 or 2; default the ``verbose`` of the call.
        stream (file, optional): where to print; default ``sys.stdout`` when printing.
    """

    def __init__(self, verbose=None, stream=None):
        super().__init__()
        self._verbose, self._stream = verbose, stream
        self.seen, self.target = 0, None
        self.progbar = self.bar = None
        self._called_in_fit = False

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    @property
    def verbose(self):
        verbose = self._verbose if self._verbose is not None else self.params.get("verbose", 1)
        return 1 if verbose == "auto" else verbose

    def set_params(self, params):
        super().set_params(params)
        self.target = params.get("steps")

    def _use_tqdm(self):
        return self.verbose == 1 and live_bar(self.stream)

    # ------------------------------------------------------------------ the bar
    def _reset_progbar(self):
        self.seen = 0
        if self.bar is not None:
            self.bar.close()
        self.progbar = self.bar = None
        if self._use_tqdm():
            from tqdm import tqdm
            self.bar = tqdm(total=self.target, file=self.stream, unit="step", leave=True,
                            dynamic_ncols=True)
        else:
            self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step",
                                   stateless_metrics=set(), stream=self._stream)

    def _update_progbar(self, batch, logs):
        self.seen = batch + 1                                   # one-indexed
        if self.bar is not None:
            self.bar.update(self.seen - self.bar.n)
            if logs and batch % 10 == 0:
                self.bar.set_postfix_str(_tqdm_postfix(logs), refresh=False)
        elif self.progbar is not None and self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs):
        if self.target is None:                 # learnt from the first pass (Keras's rule)
            self.target = self.seen
        if self.bar is not None:
            if logs:
                self.bar.set_postfix_str(_tqdm_postfix(logs), refresh=False)
            self.bar.total = self.target
            self.bar.close()
            self.bar = None
        elif self.progbar is not None:
            self.progbar.target = self.target
            self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
            self.progbar = None

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._called_in_fit = True            # the validation pass is silent in fit

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs", 1)
        if self.verbose and epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}", file=self.stream, flush=True)
        self._reset_progbar()

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)                       # outputs are not shown

    def on_predict_end(self, logs=None):
        self._finalize_progbar(None)
