"""``TerminateOnNaN``: stop training as soon as the loss becomes NaN or infinite."""
import numpy as np

from deepgrad.keras.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """After each training batch, stop (or raise) if ``logs['loss']`` is NaN or +-inf.

    Args:
        raise_error (bool): raise ``RuntimeError`` instead of setting
            ``model.stop_training`` (Keras 3.8's option). Default False.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or np.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                               f"{loss}. Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
