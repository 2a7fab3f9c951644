"""``EarlyStopping``: stop ``fit`` when the monitored quantity stops improving."""
from deepgrad.keras.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training after ``patience`` epochs without improvement (Keras 3 semantics).

    At the end of each epoch from ``start_from_epoch`` on, ``wait`` counts the epochs
    since the last improvement (see :class:`MonitorCallback` for what improves); when
    ``wait >= patience`` (and it is not the first epoch) ``model.stop_training`` is set.
    With a ``baseline``, an improvement resets ``wait`` only if it also beats the
    baseline.

    Args:
        monitor (str): log key to watch. Default ``'val_loss'``.
        min_delta (float): smallest change that counts as an improvement. Default 0.
        patience (int): epochs without improvement before stopping. Default 0.
        verbose (int): 1 prints when stopping and restoring. Default 0.
        mode (str): ``'auto'``, ``'min'`` or ``'max'``.
        baseline (float, optional): value the quantity must beat.
        restore_best_weights (bool): at the end of training, set the weights of the best
            epoch (the weights at the end of training are kept otherwise).
        start_from_epoch (int): epochs to ignore at first (warm-up). Default 0.

    Example:
        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.wait, self.stopped_epoch, self.best_weights, self.best_epoch = 0, 0, None, 0

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best, self.best_weights, self.best_epoch = \
            0, 0, None, None, 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
