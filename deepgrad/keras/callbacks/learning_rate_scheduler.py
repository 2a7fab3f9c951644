"""``LearningRateScheduler``: set the learning rate from a function of the epoch."""
import inspect

import numpy as np

from deepgrad.keras.callbacks.callback import Callback


def _positional_arity(fn):
    """How many positional arguments ``fn`` takes (2 if it takes ``*args``)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


class LearningRateScheduler(Callback):
    """At the start of each epoch: ``optimizer.learning_rate = schedule(epoch, lr)``.

    ``epoch`` counts from 0 and ``lr`` is the current learning rate; a one-argument
    ``schedule(epoch)`` (Keras's old API) is accepted too. The rate is added to the epoch
    logs as ``'learning_rate'``.

    Args:
        schedule: callable ``(epoch, lr) -> float`` or ``(epoch) -> float``.
        verbose (int): 1 prints the rate each epoch.

    Raises:
        ValueError: the schedule returned something other than a float.

    Example:
        >>> LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        if _positional_arity(self.schedule) >= 2:
            lr = self.schedule(epoch, float(optimizer.learning_rate))
        else:
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.floating)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: "
                             f"{lr!r}")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
