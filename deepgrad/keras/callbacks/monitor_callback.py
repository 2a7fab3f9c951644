"""``MonitorCallback``: the shared "did the monitored quantity improve?" logic.

``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` watch one entry of the
epoch logs (``monitor``, e.g. ``'val_loss'``) and compare it with the best value so far:

    min mode:  improved  <=>  current < best - min_delta
    max mode:  improved  <=>  current > best + min_delta

``mode='auto'`` follows Keras's naming rule: maximise names that measure a success rate
(containing ``acc`` or ``auc``, or starting with ``precision``, ``recall``, ``f1`` or
``fmeasure``, after any ``val_`` prefix), minimise everything else (losses, errors).
"""
import warnings

import numpy as np

from deepgrad.keras.callbacks.callback import Callback

_MAX_MARKERS = ("acc", "auc")
_MAX_PREFIXES = ("precision", "recall", "f1", "fmeasure")


def auto_mode(monitor):
    """``'max'`` or ``'min'`` for a log key under ``mode='auto'``."""
    name = monitor.removeprefix("val_")
    if any(m in name for m in _MAX_MARKERS) or name.startswith(_MAX_PREFIXES):
        return "max"
    return "min"


class MonitorCallback(Callback):
    """Base class: resolves ``mode`` and tests improvements of ``monitor``.

    Args:
        monitor (str): the log key to watch. Default ``'val_loss'``.
        mode (str): ``'auto'``, ``'min'`` or ``'max'``; an unknown mode warns and
            falls back to ``'auto'`` (as Keras).
        baseline (float, optional): the initial best value.
        min_delta (float): the smallest change that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto "
                          f"mode.", stacklevel=3)
            mode = "auto"
        self.monitor, self.mode = monitor, mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.direction = auto_mode(monitor) if mode == "auto" else mode

    def _is_improvement(self, current, reference):
        """``current`` beats ``reference`` by more than ``min_delta`` (None is beaten)."""
        if reference is None:
            return True
        if self.direction == "min":
            return bool(np.less(current + self.min_delta, reference))
        return bool(np.greater(current - self.min_delta, reference))

    def get_monitor_value(self, logs):
        """``logs[monitor]``, or None with a warning listing the available keys."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{type(self).__name__} is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: "
                          f"{','.join(logs or {})}", stacklevel=3)
        return value
