"""``ReduceLROnPlateau``: multiply the learning rate by ``factor`` when progress stalls."""
import numpy as np

from deepgrad.keras.callbacks.monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """``lr <- max(lr * factor, min_lr)`` after ``patience`` epochs without improvement.

    After a reduction, ``cooldown`` epochs pass before epochs count towards ``patience``
    again. The current learning rate is added to the epoch logs as ``'learning_rate'``.

    Args:
        monitor (str): log key to watch. Default ``'val_loss'``.
        factor (float): multiplier, below 1. Default 0.1.
        patience (int): epochs without improvement before reducing. Default 10.
        verbose (int): 1 prints each reduction.
        mode (str): ``'auto'``, ``'min'`` or ``'max'``.
        min_delta (float): smallest change that counts as an improvement. Default 1e-4.
        cooldown (int): epochs to wait after a reduction. Default 0.
        min_lr (float): lower bound of the learning rate. Default 0.

    Raises:
        ValueError: ``factor >= 1``.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received "
                             f"factor={factor}")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unrecognized arguments {sorted(kwargs)}")
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr
        self.cooldown_counter, self.wait = 0, 0

    def on_train_begin(self, logs=None):
        self.best, self.cooldown_counter, self.wait = None, 0, 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter, self.wait = self.cooldown, 0

    def _reduce(self, optimizer, epoch):
        old_lr = float(optimizer.learning_rate)
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
