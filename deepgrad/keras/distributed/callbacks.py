"""Horovod's Keras callbacks (``hvd.callbacks``), on deepgrad.distributed.

* ``BroadcastGlobalVariablesCallback(root_rank)``: at the start of training every
  rank takes rank ``root_rank``'s weights (all of the model's variables) and, when it
  has been built (a resumed run), its optimizer state. Horovod broadcasts after the
  first batch, because TensorFlow creates the optimizer's slots lazily; deepgrad's
  weights exist before the first step, so that step already starts from rank 0's.
* ``MetricAverageCallback()``: at each epoch end, every log value becomes its mean over
  the ranks (put it before the callbacks that read the logs, as Horovod says).
* ``LearningRateScheduleCallback(initial_lr, multiplier, ...)``: between
  ``start_epoch`` and ``end_epoch``, ``lr = initial_lr * multiplier(epoch)`` (a constant
  multiplier m means ``m ** epoch``), set at each epoch's first batch (``staircase``) or
  at every batch with ``epoch = e + batch / steps_per_epoch``. With
  ``momentum_correction``, an optimizer's ``momentum`` is scaled by ``lr_new / lr_old``
  for the batch where the rate changes (Goyal et al., 2017).
* ``LearningRateWarmupCallback(initial_lr, warmup_epochs=5)``: the gradual warmup

      lr(epoch) = initial_lr / N * (epoch' (N - 1) / warmup_epochs + 1),
      epoch' = epoch + (batch + 1) / steps_per_epoch,

  from ``initial_lr / N`` to ``initial_lr`` at the end of ``warmup_epochs``.
"""
import numpy as np

from deepgrad.keras.callbacks.callback import Callback
from deepgrad.keras.distributed.mpi_ops import (
    _check_device, allreduce_arrays, broadcast_variables, group)
from deepgrad.distributed.agreement import agree


class BroadcastGlobalVariablesCallback(Callback):
    """Start every rank from rank ``root_rank``'s weights (and optimizer state).

    Args:
        root_rank (int): the rank whose state is copied.
        device (str): '' (the CPU).
        local_variables (list, optional): variables left as they are on each rank.
    """

    def __init__(self, root_rank, device="", local_variables=None):
        super().__init__()
        _check_device(device, "BroadcastGlobalVariablesCallback")
        if isinstance(root_rank, bool) or not isinstance(root_rank, int) or root_rank < 0:
            raise ValueError(f"BroadcastGlobalVariablesCallback: root_rank must be an int >= 0, "
                             f"received {root_rank!r}")
        self.root_rank, self.device = root_rank, device
        if local_variables is not None and not isinstance(local_variables, (list, tuple)):
            local_variables = [local_variables]
        self.local_variables = list(local_variables or [])
        self.broadcast_done = False

    def on_train_begin(self, logs=None):
        if self.broadcast_done:
            return
        skip = {id(v) for v in self.local_variables}
        broadcast_variables([v for v in self.model.weights if id(v) not in skip],
                            self.root_rank)
        optimizer = self.model.optimizer
        built = group().comm.allgather(bool(getattr(optimizer, "built", False)))
        if all(built):
            weights = optimizer.get_weights()
            broadcast_variables(weights, self.root_rank)
            optimizer.set_weights(weights)
        self.broadcast_done = True


class MetricAverageCallback(Callback):
    """Every epoch-end log value becomes its mean over the ranks.

    Args:
        device (str): '' (the CPU).
    """

    def __init__(self, device=""):
        super().__init__()
        _check_device(device, "MetricAverageCallback")
        self.device = device

    def on_epoch_end(self, epoch, logs=None):
        if not logs:
            return
        pg = group()
        keys = sorted(k for k, v in logs.items() if np.ndim(v) == 0)
        agree(pg, "MetricAverageCallback", lambda: (("MetricAverageCallback", keys), None))
        values = np.array([float(logs[k]) for k in keys], dtype=np.float64)
        (mean,) = allreduce_arrays(pg, [values], 1.0, pg.size())
        for k, v in zip(keys, mean):
            logs[k] = float(v)


class LearningRateScheduleCallback(Callback):
    """``lr = initial_lr * multiplier(epoch)`` between ``start_epoch`` and ``end_epoch``.

    Args:
        initial_lr (float): the rate the multiplier scales (required).
        multiplier: a number m (``m ** epoch``) or a function ``epoch -> factor``.
        start_epoch (int), end_epoch (int, optional): where it applies (end exclusive).
        staircase (bool): adjust at each epoch's first batch (True) or every batch.
        momentum_correction (bool): scale ``momentum`` by ``lr_new / lr_old`` for the
            batch where the rate changes.
        steps_per_epoch (int, optional): batches per epoch (default: fit's count).
    """

    def __init__(self, initial_lr, multiplier, start_epoch=0, end_epoch=None, staircase=True,
                 momentum_correction=True, steps_per_epoch=None):
        super().__init__()
        if initial_lr is None:
            raise ValueError("Parameter `initial_lr` is required")
        self.initial_lr, self.start_epoch, self.end_epoch = initial_lr, start_epoch, end_epoch
        self.staircase, self.momentum_correction = staircase, momentum_correction
        self.steps_per_epoch = steps_per_epoch
        self.multiplier = multiplier if callable(multiplier) else (
            lambda epoch: multiplier ** epoch)
        self.current_epoch = None
        self.restore_momentum = None

    def on_train_begin(self, logs=None):
        if not self.staircase and not self.steps_per_epoch:
            steps = self.params.get("steps")
            if not steps:
                raise ValueError(f"Could not autodetect the number of steps per epoch. Please "
                                 f"specify the steps_per_epoch parameter to the "
                                 f"{type(self).__name__}().")
            self.steps_per_epoch = steps

    def on_epoch_begin(self, epoch, logs=None):
        self.current_epoch = epoch

    def _adjust(self, epoch):
        opt = self.model.optimizer
        old = float(opt.learning_rate)
        new = self.initial_lr * self.multiplier(epoch)
        opt.learning_rate = new
        if self.momentum_correction and getattr(opt, "momentum", None) and old:
            self.restore_momentum = opt.momentum
            opt.momentum = opt.momentum * new / old

    def on_train_batch_begin(self, batch, logs=None):
        epoch = self.current_epoch
        if epoch < self.start_epoch or (self.end_epoch is not None and epoch >= self.end_epoch):
            return
        if self.staircase and batch == 0:
            self._adjust(epoch)
        elif not self.staircase:
            self._adjust(epoch + batch / self.steps_per_epoch)

    def on_train_batch_end(self, batch, logs=None):
        if self.restore_momentum is not None:
            self.model.optimizer.momentum = self.restore_momentum
            self.restore_momentum = None

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(self.model.optimizer.learning_rate)


class LearningRateWarmupCallback(LearningRateScheduleCallback):
    """Gradual warmup from ``initial_lr / N`` to ``initial_lr`` over ``warmup_epochs``.

    Args:
        initial_lr (float): the rate reached at the end of the warmup.
        warmup_epochs (int): its length in epochs. Default 5.
        momentum_correction (bool), steps_per_epoch (int, optional): as
            :class:`LearningRateScheduleCallback`.
        verbose (int): 1: rank 0 prints when the warmup ends.
    """

    def __init__(self, initial_lr, warmup_epochs=5, momentum_correction=True,
                 steps_per_epoch=None, verbose=0):
        def multiplier(epoch):
            n = group().size()
            epoch += 1.0 / self.steps_per_epoch
            return 1.0 / n * (epoch * (n - 1) / warmup_epochs + 1)
        super().__init__(initial_lr, multiplier, start_epoch=0, end_epoch=warmup_epochs,
                         staircase=False, momentum_correction=momentum_correction,
                         steps_per_epoch=steps_per_epoch)
        self.warmup_epochs, self.verbose = warmup_epochs, verbose

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if epoch == self.end_epoch - 1 and self.verbose > 0 and group().rank() == 0:
            print(f"\nEpoch {epoch + 1}: finished gradual learning rate warmup to "
                  f"{float(self.model.optimizer.learning_rate):g}.")
