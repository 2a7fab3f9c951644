"""Learning-rate schedules (``torch.optim.lr_scheduler``).

A scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups, once per
``scheduler.step()`` (call it after ``optimizer.step()``, usually once per epoch). With
``eta_0`` the initial rate of a group (recorded as ``group["initial_lr"]``) and ``t`` the
epoch counter ``last_epoch``:

    StepLR             eta_t = eta_0 * gamma^floor(t / step_size)
    MultiStepLR        eta_t = eta_0 * gamma^(number of milestones <= t)
    ExponentialLR      eta_t = eta_0 * gamma^t
    CosineAnnealingLR  eta_t = eta_min + (eta_0 - eta_min) * (1 + cos(pi t / T_max)) / 2
    LambdaLR           eta_t = eta_0 * lr_lambda(t)
    ReduceLROnPlateau  eta <- max(eta * factor, min_lr) after ``patience`` epochs
                       without improvement of a monitored metric

As in PyTorch, the step-wise schedules are computed recursively from the current
``group["lr"]`` (so they compose with changes made by others), and a closed form is used
when an explicit ``epoch`` is passed to ``step`` (deprecated).
"""
import math
import types
import warnings
from bisect import bisect_right
from collections import Counter

from deepgrad.optim.optimizer import Optimizer

_EPOCH_DEPRECATION = ("passing an epoch to scheduler.step() is deprecated (as in PyTorch); "
                      "the closed form is used where one exists")


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

    Construction takes one step, to epoch 0, as PyTorch does.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
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
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self):
        """The learning rates of epoch ``last_epoch``, one per group."""
        raise NotImplementedError

    def get_last_lr(self):
        """The learning rates set by the last ``step``, one per group."""
        return self._last_lr

    def step(self, epoch=None):
        """Advance one epoch (or jump to ``epoch``, deprecated) and set the groups' ``lr``."""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Every attribute except the optimizer (PyTorch's layout)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """``eta_t = eta_0 * lr_lambda(t)``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        lr_lambda (callable or list): ``epoch -> factor``, or one per parameter group.
        last_epoch (int): see :class:`LRScheduler`.

    Example:
        >>> sched = LambdaLR(opt, lambda epoch: 0.95 ** epoch)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """As the base, with the lambdas' ``__dict__`` for callable objects (functions and
        lambdas themselves are not saved)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [])
        self.__dict__.update(state)
        for fn, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                fn.__dict__.update(attrs)


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs:
    ``eta_t = eta_0 * gamma^floor(t / step_size)``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        step_size (int): period of the decay, in epochs (> 0).
        gamma (float): decay factor. Default 0.1.
        last_epoch (int): see :class:`LRScheduler`.

    Example:
        >>> sched = StepLR(opt, step_size=30, gamma=0.1)   # 0.05 -> 0.005 at epoch 30 ...
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not isinstance(step_size, int) or step_size <= 0:
            raise ValueError(f"StepLR: step_size must be a positive int, received {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch:
    ``eta_t = eta_0 * gamma^(number of milestones <= t)``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        milestones (iterable[int]): epoch indices (a repeated one decays repeatedly).
        gamma (float): decay factor. Default 0.1.
        last_epoch (int): see :class:`LRScheduler`.

    Example:
        >>> sched = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: ``eta_t = eta_0 * gamma^t``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        gamma (float): decay factor per epoch.
        last_epoch (int): see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from ``eta_0`` to ``eta_min`` over ``T_max`` epochs (SGDR without
    restarts; Loshchilov & Hutter, 2017):

        eta_t = eta_min + (eta_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2

    Like PyTorch, each step applies the equivalent recursion

        eta_t = eta_min + (eta_{t-1} - eta_min) * (1 + cos(pi t / T)) / (1 + cos(pi (t-1) / T))

    (and a restart-free continuation past ``T_max``: the rate climbs back, a cosine of
    period ``2 T_max``), so it matches ``torch.optim.lr_scheduler.CosineAnnealingLR``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        T_max (int): half period, in epochs (> 0).
        eta_min (float): minimum learning rate. Default 0.
        last_epoch (int): see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, received {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:          # resuming: closed form
            return self._get_closed_form_lr()
        if (t - 1 - T) % (2 * T) == 0:               # the trough of a period: climb back
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._current_lrs())]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        cos = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cos for base in self.base_lrs]


# (mode, threshold_mode) -> is `a` better than `best` with threshold `th`?
_IS_BETTER = {
    ("min", "rel"): lambda a, best, th: a < best * (1.0 - th),
    ("min", "abs"): lambda a, best, th: a < best - th,
    ("max", "rel"): lambda a, best, th: a > best * (th + 1.0),
    ("max", "abs"): lambda a, best, th: a > best + th,
}


class ReduceLROnPlateau(LRScheduler):
    """Reduce the learning rate when a monitored metric stops improving.

    ``step(metric)`` once per epoch. A value is an improvement when it beats the best so far
    by the threshold (``mode="min"``: ``a < best * (1 - threshold)`` in ``"rel"`` mode,
    ``a < best - threshold`` in ``"abs"`` mode; mirrored for ``"max"``). After more than
    ``patience`` epochs without one, every group's rate becomes
    ``max(lr * factor, min_lr)`` (unless that changes it by less than ``eps``), and the
    next ``cooldown`` epochs are not counted.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        mode (str): ``"min"`` (e.g. a loss) or ``"max"`` (e.g. an accuracy).
        factor (float): multiplier of the rate, < 1. Default 0.1.
        patience (int): epochs without improvement tolerated. Default 10.
        threshold (float): size of a significant improvement. Default 1e-4.
        threshold_mode (str): ``"rel"`` or ``"abs"``. Default ``"rel"``.
        cooldown (int): epochs to wait after a reduction. Default 0.
        min_lr (float or list[float]): lower bound of the rate, or one per group.
        eps (float): smallest change of the rate that is applied. Default 1e-8.

    Example:
        >>> sched = ReduceLROnPlateau(opt, "min", patience=3)
        >>> for epoch in range(100):
        ...     train(...); sched.step(validation_loss)
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor should be < 1.0, received {factor!r}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.factor = factor
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * n
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', received {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', "
                             f"received {threshold_mode!r}")
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def is_better(self, a, best):
        return _IS_BETTER[self.mode, self.threshold_mode](a, best, self.threshold)

    def step(self, metrics, epoch=None):
        """Record this epoch's metric (a float or a one-element tensor); maybe reduce."""
        current = float(metrics)
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0              # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(groups)} "
                                   f"param groups but {len(self.min_lrs)} min_lrs were given")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
