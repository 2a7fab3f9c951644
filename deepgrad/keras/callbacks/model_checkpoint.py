"""``ModelCheckpoint``: save the model (or its weights) during training."""
import os
import warnings

import numpy as np

from deepgrad.keras.callbacks.monitor_callback import MonitorCallback

_WEIGHTS_SUFFIXES = (".weights.h5", ".weights.npz")
_MODEL_SUFFIXES = (".keras", ".h5", ".dgkeras")


class ModelCheckpoint(MonitorCallback):
    """Save after every epoch (or every ``save_freq`` batches), optionally only the best.

    ``filepath`` is formatted with ``epoch`` (counted from 1) and the epoch logs, as
    Keras: ``"ckpt/model.{epoch:02d}-{val_loss:.2f}.keras"``. Full models are written by
    ``model.save`` (``.keras``, Keras 3's format, ``.h5``, its legacy one, or ``.dgkeras``), weights by
    ``model.save_weights`` (``.weights.h5``, Keras's HDF5, or ``.weights.npz``). Missing
    directories are created.

    Args:
        filepath (str or path-like): where to save; may contain format fields.
        monitor (str): log key for ``save_best_only``. Default ``'val_loss'``.
        verbose (int): 1 prints a line per save.
        save_best_only (bool): save only when ``monitor`` improves (see
            :class:`MonitorCallback`); if ``monitor`` is missing from the logs, save
            anyway with a warning (Keras's rule).
        save_weights_only (bool): save weights only.
        mode (str): ``'auto'``, ``'min'`` or ``'max'``.
        save_freq: ``'epoch'`` or an int, the number of batches between saves.
        initial_value_threshold (float, optional): the value to beat for the first save.

    Raises:
        ValueError: a ``save_freq`` other than ``'epoch'`` or an int, or a ``filepath``
            without the suffix its mode needs.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.filepath, self.verbose = os.fspath(filepath), verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                             f"'epoch' or a positive integer")
        self.save_freq = save_freq
        if save_weights_only and not self.filepath.endswith(_WEIGHTS_SUFFIXES):
            raise ValueError(f"When using `save_weights_only=True` in `ModelCheckpoint`, the "
                             f"filepath provided must end in `.weights.h5` or `.weights.npz`. "
                             f"Received: filepath={self.filepath}")
        if not save_weights_only and not self.filepath.endswith(_MODEL_SUFFIXES):
            raise ValueError(f"The filepath provided must end in `.keras` (Keras model format), "
                             f"`.h5` (Keras's legacy HDF5 format) or `.dgkeras` (deepgrad's "
                             f"NumPy format). Received: filepath={self.filepath}")
        self._batches_since_save, self._last_batch_seen, self._current_epoch = 0, None, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1                       # a new epoch restarted the count
        else:
            added = batch - self._last_batch_seen
        self._batches_since_save += added
        self._last_batch_seen = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            return True
        return False

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        if np.ndim(current) > 0:
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. "
                          f"Received: {current}. Falling back to `save_best_only=False`.",
                          stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"Please specify a non-directory filepath for "
                                    f"ModelCheckpoint. Filepath used is an existing directory: "
                                    f"{filepath}")
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch, batch, logs):
        """``filepath.format(epoch=epoch + 1, [batch=batch + 1,] **logs)``."""
        fields = dict(logs)
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(epoch=epoch + 1, **fields)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f'Reason: {e} is not in the logs (available: {sorted(logs)})') from None
