"""Learning-rate schedules (``torch.optim.lr_scheduler``).

A scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups, once per
``scheduler.step()`` (call it after ``optimizer.step()``, per epoch or per batch). With
``eta_0`` the initial rate of a group (recorded as ``group["initial_lr"]``) and ``t`` the
step counter ``last_epoch``:

    LambdaLR           eta_t = eta_0 * lr_lambda(t)
    MultiplicativeLR   eta_t = eta_{t-1} * lr_lambda(t)
    StepLR             eta_t = eta_0 * gamma^floor(t / step_size)
    MultiStepLR        eta_t = eta_0 * gamma^(number of milestones <= t)
    ConstantLR         eta_t = eta_0 * (factor if t < total_iters else 1)
    LinearLR           eta_t = eta_0 * (s + (e - s) * min(t, total_iters) / total_iters)
    ExponentialLR      eta_t = eta_0 * gamma^t
    PolynomialLR       eta_t = eta_0 * (1 - min(t, total_iters) / total_iters)^power
    CosineAnnealingLR  eta_t = eta_min + (eta_0 - eta_min) * (1 + cos(pi t / T_max)) / 2
    CosineAnnealingWarmRestarts
                       the same within each period, restarting after T_0, T_0 T_mult, ...
    CyclicLR           triangular cycles between base_lr and max_lr (momentum inverse)
    OneCycleLR         warm-up to max_lr, then annealing far below the start (1cycle)
    SequentialLR       one scheduler after another, switching at milestones
    ChainedScheduler   several schedulers stepped together (their factors compose)
    ReduceLROnPlateau  eta <- max(eta * factor, min_lr) after ``patience`` epochs
                       without improvement of a monitored metric

As in PyTorch, the step-wise schedules are computed recursively from the current
``group["lr"]`` (so they compose with changes made by others), and a closed form is used
when an explicit ``epoch`` is passed to ``step`` (deprecated). The classes live in
:mod:`deepgrad.optim.schedulers` by family; this module is their public name.
"""
from deepgrad.optim.schedulers.base import LRScheduler
from deepgrad.optim.schedulers.decay import (
    LambdaLR, MultiplicativeLR, StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR,
    PolynomialLR, CosineAnnealingLR)
from deepgrad.optim.schedulers.cyclic import CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts
from deepgrad.optim.schedulers.composite import SequentialLR, ChainedScheduler, ReduceLROnPlateau

__all__ = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
           "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
           "PolynomialLR", "LRScheduler"]
