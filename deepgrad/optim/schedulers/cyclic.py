"""Schedules that rise and fall: CyclicLR, OneCycleLR and CosineAnnealingWarmRestarts.

CyclicLR and OneCycleLR also cycle the momentum (``group["momentum"]``, or ``beta1`` of
``group["betas"]`` for Adam-like optimizers) against the rate, when ``cycle_momentum``.
"""
import math
import types
from functools import partial

from deepgrad.optim.schedulers.base import LRScheduler, check_optimizer, format_param


def _set_momentum(group, use_beta1, momentum):
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _momentum_key(optimizer):
    """True to cycle ``betas[0]``, False for ``momentum``; refuse an optimizer with neither."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"optimizer must support momentum or beta1 with `cycle_momentum` "
                         f"option enabled; {type(optimizer).__name__} has neither")
    return "betas" in optimizer.defaults


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith, 2017): the rate moves linearly between ``base_lr``
    and ``max_lr`` over cycles of ``step_size_up + step_size_down`` steps (call ``step``
    after every batch). With ``S = step_size_up + step_size_down``, ``r = step_size_up / S``
    and ``t = last_epoch``:

        cycle = floor(1 + t / S)
        x = 1 + t / S - cycle                            position in the cycle, in [0, 1)
        h = x / r  if x <= r  else  (x - 1) / (r - 1)    triangle, 0 -> 1 -> 0
        eta_t = base_lr + (max_lr - base_lr) * h * scale(cycle or t)
        momentum_t = max_momentum - (max_momentum - base_momentum) * h * scale(...)

    ``scale`` is 1 ("triangular"), ``1 / 2^(cycle - 1)`` ("triangular2", per cycle) or
    ``gamma^t`` ("exp_range", per iteration), or a custom ``scale_fn`` evaluated per
    ``scale_mode``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        base_lr (float or list): lower rate boundary, per group.
        max_lr (float or list): upper rate boundary, per group.
        step_size_up (int): steps of the rising half. Default 2000.
        step_size_down (int, optional): steps of the falling half. Default: step_size_up.
        mode (str): "triangular", "triangular2" or "exp_range" (ignored with scale_fn).
        gamma (float): base of "exp_range". Default 1.0.
        scale_fn (callable, optional): custom ``x -> scale`` in [0, 1].
        scale_mode (str): "cycle" or "iterations": the argument of a custom scale_fn.
        cycle_momentum (bool): cycle the momentum inversely to the rate. Default True.
        base_momentum (float or list): lower momentum boundary. Default 0.8.
        max_momentum (float or list): upper momentum boundary. Default 0.9.
        last_epoch (int): index of the last batch. Default -1.

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> sched = CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=200)
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        check_optimizer(optimizer)
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode is invalid and scale_fn is None; expected mode "
                             f"'triangular', 'triangular2' or 'exp_range', received {mode!r}")
        if scale_fn is not None and scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"CyclicLR: scale_mode must be 'cycle' or 'iterations', received "
                             f"{scale_mode!r}")
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        if step_size_up <= 0 or step_size_down < 0:
            raise ValueError(f"CyclicLR: expected step_size_up > 0 and step_size_down >= 0, "
                             f"received {step_size_up} and {step_size_down}")
        self.optimizer = optimizer
        base_lrs = format_param("base_lr", optimizer, base_lr)
        self.max_lrs = format_param("max_lr", optimizer, max_lr)
        if cycle_momentum:
            use_beta1 = _momentum_key(optimizer)
            base_momentums = format_param("base_momentum", optimizer, base_momentum)
            max_momentums = format_param("max_momentum", optimizer, max_momentum)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = use_beta1
            self.base_momentums, self.max_momentums = base_momentums, max_momentums
            if last_epoch == -1:
                for high, low, group in zip(max_momentums, base_momentums,
                                            optimizer.param_groups):
                    _set_momentum(group, use_beta1, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = self._triangular_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = self._triangular2_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            self._scale_fn_ref = partial(self._exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x):
        """The amplitude scale at ``x`` (a cycle number or an iteration, per scale_mode)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    @staticmethod
    def _triangular_scale_fn(x):
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x):
        return 1 / (2.0 ** (x - 1))

    @staticmethod
    def _exp_range_scale_fn(gamma, x):
        return gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (high - base) * scale_factor * scale
               for base, high in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums,
                                        self.max_momentums):
                _set_momentum(group, self.use_beta1, high - (high - low) * scale_factor * scale)
        return lrs

    def state_dict(self):
        """As the base, without the scale function (a custom callable object's
        ``__dict__`` is saved instead, as for :class:`LambdaLR`)."""
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = (dict(fn.__dict__) if fn is not None and
                                     not isinstance(fn, types.FunctionType) else None)
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom")
        super().load_state_dict(state)           # keeps this scheduler's scale_fn object
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2018): warm up from ``max_lr / div_factor`` to
    ``max_lr`` over ``pct_start * total_steps`` steps, then anneal to
    ``max_lr / (div_factor * final_div_factor)`` (call ``step`` after every batch).

    Each phase goes from ``start`` to ``end`` between its start and end steps; with ``p``
    the fraction of the phase done:

        cos:     value = end + (start - end) / 2 * (1 + cos(pi p))
        linear:  value = start + (end - start) * p

    Two phases (fastai's default): ``initial -> max`` until step ``pct_start * T - 1``,
    then ``max -> min`` until ``T - 1``. With ``three_phase``: ``initial -> max``,
    ``max -> initial`` (until ``2 pct_start T - 2``), ``initial -> min``. The momentum
    (``momentum`` or ``beta1``) runs the other way between ``max_momentum`` and
    ``base_momentum`` when ``cycle_momentum``.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        max_lr (float or list): peak rate, per group.
        total_steps (int, optional): steps of the cycle ``T``; or give ``epochs`` and
            ``steps_per_epoch`` (``T = epochs * steps_per_epoch``).
        epochs (int, optional), steps_per_epoch (int, optional): see total_steps.
        pct_start (float): fraction of the cycle spent warming up. Default 0.3.
        anneal_strategy (str): "cos" or "linear". Default "cos".
        cycle_momentum (bool): cycle the momentum too. Default True.
        base_momentum (float or list): momentum at the peak rate. Default 0.85.
        max_momentum (float or list): momentum at the start and end. Default 0.95.
        div_factor (float): ``initial_lr = max_lr / div_factor``. Default 25.
        final_div_factor (float): ``min_lr = initial_lr / final_div_factor``. Default 1e4.
        three_phase (bool): the paper's three phases. Default False.
        last_epoch (int): index of the last batch. Default -1.

    Example:
        >>> sched = OneCycleLR(opt, max_lr=0.01, steps_per_epoch=len(loader), epochs=10)
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True,
                 base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        check_optimizer(optimizer)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy!r}")
        max_lrs = format_param("max_lr", optimizer, max_lr)
        if cycle_momentum:
            use_beta1 = _momentum_key(optimizer)
            max_momentums = format_param("max_momentum", optimizer, max_momentum)
            base_momentums = format_param("base_momentum", optimizer, base_momentum)
        self.optimizer = optimizer
        self._schedule_phases = _phases(pct_start, self.total_steps, three_phase)
        self._anneal_func_type = anneal_strategy
        if last_epoch == -1:
            for high, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = high / div_factor
                group["max_lr"] = high
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = use_beta1
            if last_epoch == -1:
                for high, low, group in zip(max_momentums, base_momentums,
                                            optimizer.param_groups):
                    _set_momentum(group, use_beta1, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _annealing_cos(start, end, pct):
        """Cosine from ``start`` to ``end`` as ``pct`` goes from 0 to 1."""
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    @staticmethod
    def _annealing_linear(start, end, pct):
        """Straight line from ``start`` to ``end`` as ``pct`` goes from 0 to 1."""
        return (end - start) * pct + start

    def _anneal_func(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return self._annealing_cos(start, end, pct)
        return self._annealing_linear(start, end, pct)

    def step(self, epoch=None):
        """Advance one step; stepping past ``total_steps`` raises (before any change)."""
        self._check_step(self.last_epoch + 1 if epoch is None else epoch)
        super().step(epoch)

    def _check_step(self, step_num):
        if step_num > self.total_steps:
            raise ValueError(f"Tried to step {step_num} times. The specified number of total "
                             f"steps is {self.total_steps}")

    def get_lr(self):
        step_num = self.last_epoch
        self._check_step(step_num)
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lr = self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal_func(group[phase["start_momentum"]],
                                                     group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(group, self.use_beta1, momentum)
        return lrs


def _total_steps(total_steps, epochs, steps_per_epoch):
    if total_steps is not None:
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps!r}")
        return total_steps
    if epochs is not None and steps_per_epoch is not None:
        if not isinstance(epochs, int) or epochs <= 0:
            raise ValueError(f"Expected positive integer epochs, but got {epochs!r}")
        if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
            raise ValueError(f"Expected positive integer steps_per_epoch, but got "
                             f"{steps_per_epoch!r}")
        return epochs * steps_per_epoch
    raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")


def _phases(pct_start, total_steps, three_phase):
    """OneCycleLR's phases: end step and the group keys of their start and end values."""
    def phase(end_step, lr, momentum):
        return {"end_step": end_step, "start_lr": lr[0], "end_lr": lr[1],
                "start_momentum": momentum[0], "end_momentum": momentum[1]}

    up = (float(pct_start * total_steps) - 1, ("initial_lr", "max_lr"),
          ("max_momentum", "base_momentum"))
    if three_phase:
        return [phase(*up),
                phase(float(2 * pct_start * total_steps) - 2, ("max_lr", "initial_lr"),
                      ("base_momentum", "max_momentum")),
                phase(total_steps - 1, ("initial_lr", "min_lr"),
                      ("max_momentum", "max_momentum"))]
    return [phase(*up),
            phase(total_steps - 1, ("max_lr", "min_lr"), ("base_momentum", "max_momentum"))]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR; Loshchilov & Hutter, 2017):

        eta_t = eta_min + (eta_0 - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    where ``T_cur`` counts the epochs since the last restart and ``T_i`` is the length of
    the current period: ``T_0`` at first, multiplied by ``T_mult`` at each restart. At
    ``T_cur = T_i`` the period restarts (``eta = eta_0`` again).

    ``step(epoch)`` accepts a fractional epoch (call it per batch with
    ``epoch + i / iters``); the period is then found in closed form:

        T_mult = 1:   T_cur = epoch mod T_0
        T_mult > 1:   n = floor(log_{T_mult}(epoch / T_0 * (T_mult - 1) + 1))
                      T_cur = epoch - T_0 (T_mult^n - 1) / (T_mult - 1),  T_i = T_0 T_mult^n

    Args:
        optimizer (Optimizer): wrapped optimizer.
        T_0 (int): length of the first period (> 0).
        T_mult (int): growth factor of the periods (>= 1). Default 1.
        eta_min (float): minimum rate. Default 0.
        last_epoch (int): see :class:`LRScheduler`.

    Example:
        >>> sched = CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2)
        >>> for epoch in range(30):
        ...     for i, batch in enumerate(loader):
        ...         train(batch); sched.step(epoch + i / len(loader))
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0!r}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min!r} of type "
                             f"{type(eta_min).__name__}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur
                                                                     / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or go to ``epoch`` (may be fractional; not deprecated here)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch!r}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()
