"""``History``: what ``fit`` returns; ``history.history`` maps each log key to its epochs."""
from deepgrad.keras.callbacks.callback import Callback


class History(Callback):
    """Records ``logs`` at the end of every epoch: ``{'loss': [...], 'val_loss': [...]}``."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self           # as Keras: the model's latest History
