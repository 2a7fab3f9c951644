"""``LRScheduler``: the base of every learning-rate schedule (``torch.optim.lr_scheduler``)."""
import warnings

from deepgrad.optim.optimizer import Optimizer

EPOCH_DEPRECATION = ("passing an epoch to scheduler.step() is deprecated (as in PyTorch); "
                     "the closed form is used where one exists")


def format_param(name, optimizer, param):
    """One value per parameter group: ``param`` repeated, or a list/tuple of that length.

    Raises:
        ValueError: a list/tuple whose length is not the number of groups.
    """
    n = len(optimizer.param_groups)
    if isinstance(param, (list, tuple)):
        if len(param) != n:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(param)} values, param_groups has {n}.")
        return list(param)
    return [param] * n


def check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


class LRScheduler:
    """Base class: sets every group's ``lr`` to ``get_lr()`` at each ``step``.

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        last_epoch (int): the index of the last epoch done; -1 starts afresh and records
            ``group["initial_lr"] = group["lr"]``; a value >= 0 resumes and needs
            ``initial_lr`` in every group.

    Attributes:
        base_lrs (list[float]): ``initial_lr`` of each group.
        last_epoch (int): epochs stepped so far (0 right after construction).

    Construction takes one step, to epoch 0, as PyTorch does. A subclass defines
    ``get_lr()`` (usually the recursive, "chainable" form that multiplies the current
    ``group["lr"]``) and, where one exists, ``_get_closed_form_lr()`` (used when ``step``
    is given an explicit epoch).
    """

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   f"when resuming a scheduler with last_epoch={last_epoch}; "
                                   f"load the optimizer's state dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """The step of construction (``last_epoch`` -1 -> 0), with ``_is_initial`` set."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The learning rates of epoch ``last_epoch``, one per group."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr")

    def get_last_lr(self):
        """The learning rates set by the last ``step``, one per group."""
        return self._last_lr

    def step(self, epoch=None):
        """Advance one epoch (or jump to ``epoch``, deprecated) and set the groups' ``lr``."""
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Every attribute except the optimizer (PyTorch's layout)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the attributes saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)
