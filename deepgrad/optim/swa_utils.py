"""Weight averaging: SWA and EMA models, the SWA learning rate, BatchNorm refresh
(PyTorch's ``torch.optim.swa_utils``).

Stochastic Weight Averaging (Izmailov et al., 2018) keeps the running mean of the weights
visited by SGD, and an exponential moving average (EMA) a decayed one:

    SWA:  theta_avg <- theta_avg + (theta - theta_avg) / (n + 1)     (n models averaged)
    EMA:  theta_avg <- decay * theta_avg + (1 - decay) * theta

:class:`AveragedModel` holds a copy of the model and applies one of these at each
``update_parameters(model)``; :class:`SWALR` anneals the rate to a constant SWA rate;
:func:`update_bn` recomputes BatchNorm statistics for the averaged weights.
"""
import math
from copy import deepcopy
from itertools import chain

import numpy as np

from deepgrad.autograd import Tensor, no_grad
from deepgrad.nn.module import Module
from deepgrad.nn.normalization import _BatchNorm
from deepgrad.optim.rules import lerp_
from deepgrad.optim.schedulers.base import LRScheduler, check_optimizer, format_param


def _check_decay(decay):
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         f"[0,1] range.")


def _is_float(t):
    return t.array.dtype.kind == "f"


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA over lists of tensors, for ``AveragedModel(multi_avg_fn=...)``:
    ``avg <- decay * avg + (1 - decay) * current`` (a lerp towards ``current``).

    Args:
        decay (float): in [0, 1]. Default 0.999.
    """
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        if _is_float(ema_param_list[0]):
            for ema, current in zip(ema_param_list, current_param_list):
                lerp_(ema.array, current.array, 1 - decay)
        else:
            for ema, current in zip(ema_param_list, current_param_list):
                ema.array[...] = ema.array * decay + current.array * (1 - decay)
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean over lists of tensors, for ``multi_avg_fn``:
    ``avg <- avg + (current - avg) / (n + 1)`` with ``n`` the models averaged so far."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        weight = 1 / (float(num_averaged) + 1)
        if _is_float(averaged_param_list[0]):
            for avg, current in zip(averaged_param_list, current_param_list):
                lerp_(avg.array, current.array, weight)
        else:
            for avg, current in zip(averaged_param_list, current_param_list):
                avg.array[...] = avg.array + (current.array - avg.array) * weight
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An EMA of one tensor, for ``AveragedModel(avg_fn=...)``: returns
    ``decay * avg + (1 - decay) * current``.

    Args:
        decay (float): in [0, 1]. Default 0.999.
    """
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """A running mean of one tensor, for ``avg_fn``: returns
    ``avg + (current - avg) / (num_averaged + 1)``."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def _by_dtype(averaged, current):
    """Pairs of lists grouped by dtype (order kept), as PyTorch groups them for the
    multi-tensor functions (float parameters apart from integer buffers)."""
    groups = {}
    for a, c in zip(averaged, current):
        pair = groups.setdefault(a.array.dtype, ([], []))
        pair[0].append(a)
        pair[1].append(c)
    return list(groups.values())


class AveragedModel(Module):
    """A deep copy of ``model`` whose weights are an average of the models passed to
    :meth:`update_parameters` (SWA by default; EMA or anything else via ``avg_fn`` /
    ``multi_avg_fn``).

    The first update copies the model's weights; each later one applies the averaging
    function with ``n_averaged``, the number of models averaged so far (a 0-d int64
    buffer). Calling the averaged model runs the copy.

    Args:
        model (Module): the model to average (deep-copied).
        device (str or device, optional): where to keep the copy (only the CPU here).
        avg_fn (callable, optional): ``(avg, current, n_averaged) -> new avg``, per tensor.
        multi_avg_fn (callable, optional): ``(avg_list, current_list, n_averaged)``,
            updating ``avg_list`` in place. Give at most one of the two; neither means
            the SWA running mean.
        use_buffers (bool): average the buffers (BatchNorm statistics) together with the
            parameters; when False (default) they are copied from the model instead.

    Example:
        >>> swa_model = AveragedModel(model)
        >>> ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
        >>> for epoch in range(100):
        ...     train(model, ...)
        ...     swa_model.update_parameters(model)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: only one of avg_fn and multi_avg_fn should be "
                             "provided; received both")
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be a Module, received "
                            f"{type(model).__name__}")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor(np.zeros((), np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged copy."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Average ``model``'s weights (and buffers, with ``use_buffers``) into this copy."""
        if self.use_buffers:
            averaged = list(chain(self.module.parameters(), self.module.buffers()))
            current = list(chain(model.parameters(), model.buffers()))
        else:
            averaged, current = list(self.parameters()), list(model.parameters())
        n = int(self.n_averaged.array)
        with no_grad():
            if n == 0:
                for a, c in zip(averaged, current):
                    a.array[...] = c.array
            elif self.multi_avg_fn is not None:
                for avg_list, current_list in _by_dtype(averaged, current):
                    self.multi_avg_fn([a.detach() for a in avg_list],
                                      [c.detach() for c in current_list], self.n_averaged)
            elif self.avg_fn is not None:
                for a, c in zip(averaged, current):
                    a.array[...] = _array(self.avg_fn(a.detach(), c.detach(), self.n_averaged))
            else:                                # SWA: avg + (current - avg) / (n + 1)
                for a, c in zip(averaged, current):
                    a.array[...] = a.array + (c.array - a.array) / (n + 1)
            if not self.use_buffers:
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg.array[...] = b_model.array
        self.n_averaged.array += 1


def _array(value):
    return value.array if isinstance(value, Tensor) else np.asarray(value)


def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``.

    Every BatchNorm's statistics are reset and re-estimated as the plain (cumulative)
    average over the loader's batches (``momentum=None`` during the pass), in training
    mode; the momenta and the model's mode are restored afterwards. A batch that is a
    list or tuple contributes its first element. A model without BatchNorm is left alone.

    Args:
        loader (iterable): batches of inputs (or ``(input, target, ...)`` tuples).
        model (Module): the model, usually an :class:`AveragedModel`.
        device (str or device, optional): where to move each input (only the CPU here).

    Example:
        >>> update_bn(train_loader, swa_model)
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's rate to a constant ``swa_lr`` over ``anneal_epochs`` epochs,
    then hold it (the rate schedule of SWA). With ``alpha(s)`` = ``(1 - cos(pi s)) / 2``
    ("cos") or ``s`` ("linear") and ``s = min(1, t / anneal_epochs)``:

        eta_t = swa_lr * alpha(s) + eta_start * (1 - alpha(s))

    where ``eta_start`` is the rate when the annealing began (recovered from the current
    rate at each step, so other changes compose as in PyTorch).

    Args:
        optimizer (Optimizer): wrapped optimizer.
        swa_lr (float or list): the target rate, per group.
        anneal_epochs (int): epochs of the annealing (>= 0). Default 10.
        anneal_strategy (str): "cos" or "linear". Default "cos".
        last_epoch (int): see :class:`LRScheduler`.

    Example:
        >>> swa_scheduler = SWALR(opt, swa_lr=0.05, anneal_epochs=5)
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        check_optimizer(optimizer)
        swa_lrs = format_param("swa_lr", optimizer, swa_lr)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy!r}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs!r}")
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        self._set_anneal_func(anneal_strategy)
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs)]

    def state_dict(self):
        """As the base, without the annealing function (rebuilt from its name on load)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
