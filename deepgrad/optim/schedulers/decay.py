"""Schedules that decay the rate monotonically (or hold it): Lambda, Multiplicative, Step,
MultiStep, Constant, Linear, Exponential, Polynomial and CosineAnnealing.

With ``eta_0`` the initial rate of a group and ``t`` the epoch counter ``last_epoch``, each
class's docstring gives its closed form; ``step()`` applies PyTorch's recursive
("chainable") form, which multiplies the current ``group["lr"]``, so several schedulers can
act on one optimizer; ``step(epoch)`` (deprecated) uses the closed form.
"""
import math
import types
from bisect import bisect_right
from collections import Counter

from deepgrad.optim.schedulers.base import LRScheduler


def _lambdas(optimizer, lr_lambda):
    """One callable per parameter group (a list/tuple of them, or one repeated)."""
    n = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
        return list(lr_lambda)
    return [lr_lambda] * n


class _LambdaState:
    """``state_dict`` that saves callable objects' ``__dict__`` (plain functions: None)."""

    def state_dict(self):
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


class LambdaLR(_LambdaState, LRScheduler):
    """``eta_t = eta_0 * lr_lambda(t)``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        lr_lambda (callable or list): ``epoch -> factor``, or one per parameter group.
        last_epoch (int): see :class:`LRScheduler`.

    ``state_dict`` saves the ``__dict__`` of callable objects among the lambdas (plain
    functions and lambdas themselves are not saved), as PyTorch does.

    Example:
        >>> sched = LambdaLR(opt, lambda epoch: 0.95 ** epoch)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaState, LRScheduler):
    """``eta_t = eta_{t-1} * lr_lambda(t)`` for ``t >= 1`` (``eta_0`` the initial rate),
    i.e. ``eta_t = eta_0 * prod_{s=1..t} lr_lambda(s)``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        lr_lambda (callable or list): ``epoch -> factor``, or one per parameter group.
        last_epoch (int): see :class:`LRScheduler`.

    Example:
        >>> sched = MultiplicativeLR(opt, lambda epoch: 0.95)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current_lrs())]


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


class ConstantLR(LRScheduler):
    """Hold the rate at ``factor * eta_0`` for ``total_iters`` epochs, then at ``eta_0``:
    ``eta_t = eta_0 * (factor if t < total_iters else 1)``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        factor (float): multiplier in [0, 1] until the milestone. Default 1/3.
        total_iters (int): epochs with the reduced rate. Default 5.
        last_epoch (int): see :class:`LRScheduler`.

    Example:
        >>> sched = ConstantLR(opt, factor=0.5, total_iters=4)   # warm-up at half rate
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError(f"ConstantLR: constant multiplicative factor expected to be "
                             f"between 0 and 1, received {factor!r}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the rate by a factor that moves linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs:

        eta_t = eta_0 * (s + (e - s) * min(t, total_iters) / total_iters)

    Args:
        optimizer (Optimizer): wrapped optimizer.
        start_factor (float): ``s`` in (0, 1]. Default 1/3.
        end_factor (float): ``e`` in [0, 1]. Default 1.0.
        total_iters (int): epochs of the ramp. Default 5.
        last_epoch (int): see :class:`LRScheduler`.

    Example:
        >>> sched = LinearLR(opt, start_factor=0.05, total_iters=40)   # linear warm-up
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(f"LinearLR: starting multiplicative factor expected to be greater "
                             f"than 0 and less or equal to 1, received {start_factor!r}")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"LinearLR: ending multiplicative factor expected to be between "
                             f"0 and 1, received {end_factor!r}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        s, e, n, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or t > n:
            return self._current_lrs()
        # eta_t / eta_{t-1} = (s n + t (e - s)) / (s n + (t - 1)(e - s))
        ratio = 1.0 + (e - s) / (n * s + (t - 1) * (e - s))
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        return [base * (s + (e - s) * min(n, self.last_epoch) / n) for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the rate to 0 over ``total_iters`` epochs along a polynomial:

        eta_t = eta_0 * (1 - min(t, total_iters) / total_iters)^power

    Args:
        optimizer (Optimizer): wrapped optimizer.
        total_iters (int): epochs of the decay. Default 5.
        power (float): power of the polynomial. Default 1.0 (linear).
        last_epoch (int): see :class:`LRScheduler`.

    Example:
        >>> sched = PolynomialLR(opt, total_iters=50, power=0.9)
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        n, t = self.total_iters, self.last_epoch
        if self._is_initial or t > n:
            return self._current_lrs()
        factor = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** self.power
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        n = self.total_iters
        return [base * (1.0 - min(n, self.last_epoch) / n) ** self.power
                for base in self.base_lrs]
