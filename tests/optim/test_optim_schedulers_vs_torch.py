"""The schedulers added for issue 7 (Multiplicative, Constant, Linear, Polynomial, Cyclic,
OneCycle, CosineAnnealingWarmRestarts, Sequential, Chained): 100 steps against
``torch.optim.lr_scheduler`` (rates and cycled momenta), closed forms, state dicts and bad
input. The checks that need no torch compare with the closed forms of the docstrings."""
import math
import warnings

import numpy as np
import pytest

import deepgrad
from deepgrad import optim
from deepgrad.nn.parameter import Parameter
from deepgrad.optim import lr_scheduler

LRS = (0.1, 0.03)          # two parameter groups with their own rates


def _optimizer(lib, kind="SGD"):
    """Two groups; SGD with momentum, or Adam (whose beta1 is the cycled momentum)."""
    if lib is deepgrad:
        make = lambda n: Parameter(np.zeros(n))               # noqa: E731
        module = optim
    else:
        make = lambda n: lib.zeros(n, requires_grad=True)    # noqa: E731
        module = lib.optim
    groups = [{"params": [make(2)], "lr": LRS[0]}, {"params": [make(1)], "lr": LRS[1]}]
    if kind == "SGD":
        return module.SGD(groups, momentum=0.9)
    return getattr(module, kind)(groups)


def _build(lib, name, kwargs, kind):
    opt = _optimizer(lib, kind)
    module = lr_scheduler if lib is deepgrad else lib.optim.lr_scheduler
    if name in ("SequentialLR", "ChainedScheduler"):
        inner = [getattr(module, n)(opt, **kw) for n, kw in kwargs["schedulers"]]
        if name == "SequentialLR":
            return opt, module.SequentialLR(opt, inner, milestones=kwargs["milestones"])
        return opt, module.ChainedScheduler(inner, optimizer=opt)
    return opt, getattr(module, name)(opt, **kwargs)


def _trace(opt, sched, steps=100):
    """Per step: the rates, and each group's momentum (or beta1)."""
    def momenta():
        return [g["betas"][0] if "betas" in g else g.get("momentum", 0.0)
                for g in opt.param_groups]

    lrs, moms = [list(sched.get_last_lr())], [momenta()]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        moms.append(momenta())
        assert [g["lr"] for g in opt.param_groups] == lrs[-1]
    return np.array(lrs, dtype=float), np.array(moms, dtype=float)


SCHEDULES = [
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95 + 0.01 * (e % 3)), "SGD"),
    ("MultiplicativeLR", dict(lr_lambda=[lambda e: 0.97, lambda e: 1.0 / (1 + 0.01 * e)]),
     "SGD"),
    ("ConstantLR", dict(), "SGD"),
    ("ConstantLR", dict(factor=0.5, total_iters=40), "SGD"),
    ("LinearLR", dict(), "SGD"),
    ("LinearLR", dict(start_factor=0.05, end_factor=0.7, total_iters=60), "SGD"),
    ("PolynomialLR", dict(total_iters=50, power=0.9), "SGD"),
    ("PolynomialLR", dict(total_iters=200, power=2.0), "SGD"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=10), "SGD"),
    ("CyclicLR", dict(base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=7,
                      step_size_down=13, mode="triangular2"), "SGD"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=6, mode="exp_range",
                      gamma=0.97, base_momentum=0.7, max_momentum=0.95), "Adam"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5,
                      scale_fn=lambda x: 1 / (1 + 0.05 * x), scale_mode="iterations"), "SGD"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=lambda x: 0.8 ** x,
                      cycle_momentum=False), "Adagrad"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=100), "SGD"),
    ("OneCycleLR", dict(max_lr=[0.1, 0.05], epochs=10, steps_per_epoch=10, pct_start=0.25,
                        anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0),
     "SGD"),
    ("OneCycleLR", dict(max_lr=0.01, total_steps=100, three_phase=True,
                        base_momentum=[0.8, 0.85], max_momentum=0.9), "Adam"),
    ("OneCycleLR", dict(max_lr=0.05, total_steps=120, cycle_momentum=False), "Adagrad"),
    ("CosineAnnealingWarmRestarts", dict(T_0=10), "SGD"),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001), "SGD"),
    ("SequentialLR", dict(schedulers=[("LinearLR", dict(start_factor=0.1, total_iters=10)),
                                      ("ExponentialLR", dict(gamma=0.95))],
                          milestones=[10]), "SGD"),
    ("SequentialLR", dict(schedulers=[("ConstantLR", dict(factor=0.2, total_iters=5)),
                                      ("CosineAnnealingLR", dict(T_max=30)),
                                      ("StepLR", dict(step_size=10, gamma=0.5))],
                          milestones=[5, 40]), "SGD"),
    ("ChainedScheduler", dict(schedulers=[("ConstantLR", dict(factor=0.1, total_iters=20)),
                                          ("ExponentialLR", dict(gamma=0.97))]), "SGD"),
    ("ChainedScheduler", dict(schedulers=[("LinearLR", dict(start_factor=0.5,
                                                            total_iters=8)),
                                          ("CosineAnnealingWarmRestarts", dict(T_0=15)),
                                          ("MultiStepLR", dict(milestones=[30, 60]))]),
     "SGD"),
]
IDS = [f"{name}{i}" for i, (name, _, _) in enumerate(SCHEDULES)]


@pytest.mark.parametrize("name, kwargs, kind", SCHEDULES, ids=IDS)
def test_matches_torch_over_100_steps(name, kwargs, kind):
    opt, sched = _build(deepgrad, name, kwargs, kind)
    lrs, moms = _trace(opt, sched)
    torch = pytest.importorskip("torch")
    topt, tsched = _build(torch, name, kwargs, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # torch: steps without gradients
        tlrs, tmoms = _trace(topt, tsched)
    np.testing.assert_allclose(lrs, tlrs, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(moms, tmoms, rtol=1e-13, atol=1e-16)
    for group, tgroup in zip(opt.param_groups, topt.param_groups):
        assert set(group) == set(tgroup)         # initial_lr, max_lr, base_momentum, ...


STATEFUL = [s for s in SCHEDULES if s[0] not in ("SequentialLR", "ChainedScheduler")]


@pytest.mark.parametrize("name, kwargs, kind", SCHEDULES, ids=IDS)
def test_state_dict_resume(name, kwargs, kind):
    """Save after 40 steps; a fresh optimizer + scheduler loaded from both state dicts
    continues exactly as the original."""
    opt, sched = _build(deepgrad, name, kwargs, kind)
    _trace(opt, sched, steps=40)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in sched_state
    full = _trace(opt, sched, steps=60)
    opt2, sched2 = _build(deepgrad, name, kwargs, kind)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    resumed = _trace(opt2, sched2, steps=60)
    np.testing.assert_array_equal(resumed[0], full[0])
    np.testing.assert_array_equal(resumed[1], full[1])


# ---------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("name, kwargs, closed", [
    ("ConstantLR", dict(factor=0.25, total_iters=7),
     lambda t, b: b * (0.25 if t < 7 else 1.0)),
    ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=12),
     lambda t, b: b * (0.2 + 0.7 * min(t, 12) / 12)),
    ("PolynomialLR", dict(total_iters=30, power=1.5),
     lambda t, b: b * (1 - min(t, 30) / 30) ** 1.5),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9),
     lambda t, b: b * 0.9 ** t),
    ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=3, eta_min=0.01),
     lambda t, b: _sgdr(t, b, 4, 3, 0.01)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6,
                      mode="triangular2", cycle_momentum=False),
     lambda t, b: _clr(t, b, 0.01, 0.1, 4, 6)),
])
def test_step_follows_the_closed_form(name, kwargs, closed):
    """The recursive step of each schedule equals its docstring's closed form."""
    opt, sched = _build(deepgrad, name, kwargs, "SGD")
    lrs, _ = _trace(opt, sched, steps=60)
    for t, row in enumerate(lrs):
        bases = LRS if name != "CyclicLR" else (None, None)
        np.testing.assert_allclose(row, [closed(t, b) for b in bases], rtol=1e-12, atol=1e-16)


def _sgdr(t, base, T_0, T_mult, eta_min):
    T_i = T_0
    while t >= T_i:
        t -= T_i
        T_i *= T_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T_i)) / 2


def _clr(t, _, low, high, up, down):
    cycle, pos = divmod(t, up + down)
    h = pos / up if pos <= up else (up + down - pos) / down
    return low + (high - low) * h / 2 ** cycle


def test_one_cycle_phases():
    """Warm-up from max_lr/div_factor to max_lr at step pct_start*T - 1, then down to
    initial/final_div_factor at T - 1; momentum the other way round."""
    opt, sched = _build(deepgrad, "OneCycleLR", dict(max_lr=1.0, total_steps=50,
                                                     pct_start=0.2), "SGD")
    lrs, moms = _trace(opt, sched, steps=49)
    np.testing.assert_allclose(lrs[[0, 9, 49], 0], [1 / 25, 1.0, 1 / 25 / 1e4], rtol=1e-12)
    np.testing.assert_allclose(moms[[0, 9, 49], 0], [0.95, 0.85, 0.95], rtol=1e-12)
    pct = 4 / 9                                  # step 4 of the 9-step warm-up
    np.testing.assert_allclose(lrs[4, 0], 1.0 + (1 / 25 - 1.0) / 2 * (1 + math.cos(math.pi * pct)),
                               rtol=1e-12)
    sched.step()                                 # step 50 = total_steps: allowed
    with pytest.raises(ValueError, match="Tried to step 51 times.*50"):
        sched.step()
    assert sched.last_epoch == 50                # refused before anything changed


@pytest.mark.parametrize("name, kwargs, epochs", [
    ("ConstantLR", dict(factor=0.5, total_iters=4), [2, 7, 4, 0]),
    ("LinearLR", dict(start_factor=0.3, total_iters=8), [3, 11, 8, 1]),
    ("PolynomialLR", dict(total_iters=10, power=2.0), [4, 12, 10, 0]),
])
def test_explicit_epoch_uses_the_closed_form(name, kwargs, epochs):
    opt, sched = _build(deepgrad, name, kwargs, "SGD")
    ours = []
    with pytest.warns(UserWarning, match="deprecated"):
        for epoch in epochs:
            sched.step(epoch)
            ours.append(sched.get_last_lr())
    torch = pytest.importorskip("torch")
    topt, tsched = _build(torch, name, kwargs, "SGD")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch, row in zip(epochs, ours):
            tsched.step(epoch)
            np.testing.assert_allclose(row, tsched.get_last_lr(), rtol=1e-14)


def test_warm_restarts_fractional_epochs():
    """``step(epoch + i / iters)`` per batch, as SGDR is meant to be used."""
    schedule = []
    opt, sched = _build(deepgrad, "CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=2), "SGD")
    epochs = [e + i / 4 for e in range(9) for i in range(4)]
    for epoch in epochs:
        sched.step(epoch)
        schedule.append(sched.get_last_lr()[0])
        assert sched.last_epoch == math.floor(epoch)
    np.testing.assert_allclose(schedule, [_sgdr(e, 0.1, 2, 2, 0.0) for e in epochs],
                               rtol=1e-12, atol=1e-17)
    with pytest.raises(ValueError, match="non-negative epoch.*-1"):
        sched.step(-1)
    torch = pytest.importorskip("torch")
    topt, tsched = _build(torch, "CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=2), "SGD")
    theirs = []
    for epoch in epochs:
        tsched.step(epoch)
        theirs.append(tsched.get_last_lr()[0])
    np.testing.assert_allclose(schedule, theirs, rtol=1e-13)


def test_custom_scale_fn_object_in_state_dict():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, x):
            return self.rate ** x

    opt = _optimizer(deepgrad)
    sched = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=3, scale_fn=Decay())
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.5} and "_scale_fn_ref" not in state
    state["_scale_fn_custom"] = {"rate": 0.9}
    sched.load_state_dict(state)
    assert sched.scale_fn(2) == pytest.approx(0.81)
    plain = lr_scheduler.CyclicLR(_optimizer(deepgrad), 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None


# ---------------------------------------------------------------------- bad input
def _lrs(opt):
    return [(g["lr"], g.get("momentum"), "initial_lr" in g) for g in opt.param_groups]


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1.*1.5"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError, "greater than 0.*0"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=2.0), ValueError, "between 0 and 1.*2.0"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, lr_lambda=0.9), TypeError,
     "should be a function.*float"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, [lambda e: 1.0]), ValueError,
     "Expected 2 lr_lambdas, but got 1"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), ValueError,
     "mode is invalid.*'sawtooth'"),
    (lambda o: lr_scheduler.CyclicLR(o, [0.01], 0.1), ValueError,
     "base_lr must have the same length as optimizer.param_groups.*1 values.*2"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=0), ValueError,
     "step_size_up > 0"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1), ValueError,
     "either total_steps OR \\(epochs AND steps_per_epoch\\)"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, pct_start=1.5), ValueError,
     "pct_start.*1.5"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
     ValueError, "'cos' or 'linear'.*'exp'"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=0), ValueError,
     "steps_per_epoch.*0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0.*0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1.5), ValueError,
     "T_mult >= 1.*1.5"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(o)], milestones=[3]),
     ValueError, "one more than the number of milestone points"),
    (lambda o: lr_scheduler.SequentialLR(o, [], milestones=[]), ValueError,
     "at least one scheduler"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(o)]), ValueError,
     "does not support `ReduceLROnPlateau`"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(_optimizer(deepgrad))],
                                             optimizer=o), ValueError, "same optimizer"),
    (lambda o: lr_scheduler.SequentialLR(o, [object()], milestones=[]), TypeError,
     "should have `optimizer`"),
])
def test_bad_arguments_raise_clear_errors(make, error, match):
    opt = _optimizer(deepgrad)
    with pytest.raises(error, match=match):
        make(opt)


def test_cycle_momentum_needs_momentum_and_changes_nothing_on_error():
    opt = _optimizer(deepgrad, "Adagrad")
    before = _lrs(opt)
    with pytest.raises(ValueError, match="support momentum or beta1.*Adagrad"):
        lr_scheduler.CyclicLR(opt, 0.01, 0.1)
    with pytest.raises(ValueError, match="support momentum or beta1.*Adagrad"):
        lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10)
    assert _lrs(opt) == before


def test_scheduler_package_is_the_public_module():
    """Every name torch's lr_scheduler exports lives in deepgrad.optim.lr_scheduler."""
    expected = {"LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
                "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR",
                "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
                "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR", "LRScheduler"}
    assert set(lr_scheduler.__all__) == expected
    for name in expected:
        cls = getattr(lr_scheduler, name)
        assert issubclass(cls, lr_scheduler.LRScheduler)
