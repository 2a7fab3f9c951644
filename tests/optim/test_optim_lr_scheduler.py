"""Learning-rate schedulers against ``torch.optim.lr_scheduler``: the lr sequences over 30
epochs, ReduceLROnPlateau on metric sequences, state dicts and argument errors."""
import math
import warnings

import numpy as np
import pytest

import deepgrad
from deepgrad import optim
from deepgrad.nn.parameter import Parameter
from deepgrad.optim import lr_scheduler


@pytest.fixture
def torch():
    """The reference, for the comparisons only (the other tests run without it)."""
    return pytest.importorskip("torch")


LRS = (0.1, 0.03)          # two param groups with their own rates

SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("MultiStepLR", dict(milestones=[3, 10, 10, 25], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.005)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1.0 / (1 + epoch) + 0.01 * (epoch % 3))),
]


def _optimizers(torch=None):
    """deepgrad's optimizer, and torch's twin when ``torch`` is given."""
    ours = optim.SGD([{"params": [Parameter(np.zeros(2))], "lr": LRS[0]},
                      {"params": [Parameter(np.zeros(1))], "lr": LRS[1]}], momentum=0.9)
    if torch is None:
        return ours, None
    theirs = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": LRS[0]},
                              {"params": [torch.zeros(1, requires_grad=True)], "lr": LRS[1]}],
                             momentum=0.9)
    return ours, theirs


def _sequence(opt, sched, epochs=30):
    lrs = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == lrs[-1]
    return np.array(lrs, dtype=float)


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[s[0] + str(i) for i, s in
                                                          enumerate(SCHEDULES)])
def test_lr_sequence_matches_torch(name, kwargs, torch):
    ours, theirs = _optimizers(torch)
    sched = getattr(lr_scheduler, name)(ours, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    assert [g["initial_lr"] for g in ours.param_groups] == list(LRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # torch warns about steps without grads
        expected = _sequence(theirs, tsched)
    np.testing.assert_allclose(_sequence(ours, sched), expected, rtol=1e-13, atol=1e-16)


def test_cosine_closed_form():
    """Within the first half period the recursion equals the closed form."""
    ours, _ = _optimizers()
    sched = lr_scheduler.CosineAnnealingLR(ours, T_max=20, eta_min=0.001)
    for t in range(1, 21):
        ours.step()
        sched.step()
        expected = 0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * t / 20)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(expected, rel=1e-12)


def test_scheduler_drives_the_optimizer():
    """The optimizer uses the scheduled rate at its next step."""
    p = Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = Parameter(np.ones(1))
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.array, [-(1.0 + 0.5 + 0.25)])


@pytest.mark.parametrize("name, kwargs", SCHEDULES[:6], ids=[s[0] + str(i) for i, s in
                                                              enumerate(SCHEDULES[:6])])
def test_scheduler_state_dict_resume(name, kwargs):
    ours, _ = _optimizers()
    sched = getattr(lr_scheduler, name)(ours, **kwargs)
    for _ in range(9):
        ours.step()
        sched.step()
    opt_state, sched_state = ours.state_dict(), sched.state_dict()
    assert "optimizer" not in sched_state and sched_state["last_epoch"] == 9
    full = _sequence(ours, sched, epochs=10)

    resumed, _ = _optimizers()
    resumed.load_state_dict(opt_state)
    sched2 = getattr(lr_scheduler, name)(resumed, **kwargs)
    sched2.load_state_dict(sched_state)
    np.testing.assert_allclose(_sequence(resumed, sched2, epochs=10), full, rtol=1e-15)


def test_lambda_lr_state_dict_skips_functions():
    ours, _ = _optimizers()

    class Warmup:
        def __init__(self):
            self.epochs = 5

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.epochs)

    sched = lr_scheduler.LambdaLR(ours, [Warmup(), lambda e: 0.5 ** e])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"epochs": 5}, None]
    state["lr_lambdas"] = [{"epochs": 10}, None]
    sched.load_state_dict(state)
    assert sched.lr_lambdas[0].epochs == 10
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(ours, [lambda e: 1.0])


def test_step_with_explicit_epoch_uses_closed_form(torch):
    ours, theirs = _optimizers(torch)
    sched = lr_scheduler.StepLR(ours, step_size=3, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(theirs, step_size=3, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [4, 9, 2]:
            sched.step(epoch)
            tsched.step(epoch)
            assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15)
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(1)


def test_resuming_needs_initial_lr():
    ours, _ = _optimizers()
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.ExponentialLR(ours, gamma=0.9, last_epoch=5)


def test_scheduler_argument_errors():
    ours, _ = _optimizers()
    with pytest.raises(ValueError, match="step_size.*0"):
        lr_scheduler.StepLR(ours, step_size=0)
    with pytest.raises(ValueError, match="T_max.*-1"):
        lr_scheduler.CosineAnnealingLR(ours, T_max=-1)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="factor.*1.5"):
        lr_scheduler.ReduceLROnPlateau(ours, factor=1.5)
    with pytest.raises(ValueError, match="mode.*'median'"):
        lr_scheduler.ReduceLROnPlateau(ours, mode="median")
    with pytest.raises(ValueError, match="threshold_mode.*'ratio'"):
        lr_scheduler.ReduceLROnPlateau(ours, threshold_mode="ratio")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        lr_scheduler.ReduceLROnPlateau(ours, min_lr=[0, 0, 0])


# ---------------------------------------------------------------------- ReduceLROnPlateau
LOSSES = [1.0, 0.9, 0.95, 0.91, 0.905, 0.9, 0.8999, 0.92, 0.93, 0.5, 0.6, 0.61, 0.62, 0.63,
          0.64, 0.499, 0.7, 0.8, 0.9, 1.0, 1.1, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
PLATEAU = [
    dict(),
    dict(patience=2),
    dict(patience=0, factor=0.5, cooldown=2),
    dict(patience=1, threshold=0.05, threshold_mode="abs", min_lr=[0.02, 0.001]),
    dict(mode="max", patience=1, factor=0.3),
    dict(mode="max", patience=2, threshold=0.1, threshold_mode="abs", min_lr=0.05),
    dict(patience=1, factor=0.999, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kwargs, torch):
    ours, theirs = _optimizers(torch)
    sched = lr_scheduler.ReduceLROnPlateau(ours, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs)
    assert "initial_lr" not in ours.param_groups[0]          # as in torch
    for metric in LOSSES:
        sched.step(deepgrad.tensor(metric, dtype=np.float64))   # a 0-d tensor works too
        tsched.step(metric)
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15)
        assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter) == \
            (pytest.approx(tsched.best), tsched.num_bad_epochs, tsched.cooldown_counter)


def test_reduce_lr_on_plateau_state_dict():
    ours, _ = _optimizers()
    sched = lr_scheduler.ReduceLROnPlateau(ours, patience=1)
    for metric in LOSSES[:6]:
        sched.step(metric)
    state = sched.state_dict()
    sched2 = lr_scheduler.ReduceLROnPlateau(ours, mode="max")
    sched2.load_state_dict(state)
    assert sched2.mode == "min" and sched2.best == sched.best
    assert sched2.num_bad_epochs == sched.num_bad_epochs
