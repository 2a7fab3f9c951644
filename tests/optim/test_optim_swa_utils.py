"""``deepgrad.optim.swa_utils``: AveragedModel (SWA, EMA, custom averages, buffers), SWALR,
update_bn and the average functions, against NumPy and ``torch.optim.swa_utils``."""
import copy
import warnings

import numpy as np
import pytest

import deepgrad
from deepgrad import nn, optim
from deepgrad.optim import swa_utils
from deepgrad.optim.swa_utils import (
    SWALR, AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn, get_swa_avg_fn,
    get_swa_multi_avg_fn, update_bn)


def _model(seed=0):
    deepgrad.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def _perturb(model, seed):
    """A new point of the 'trajectory': every parameter and buffer changes."""
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.array += rng.standard_normal(p.shape).astype(p.dtype)
    for b in model.buffers():
        if b.array.dtype.kind == "f":
            b.array += rng.random(b.shape).astype(b.dtype)
        else:
            b.array += 3


def _snapshots(model, steps=5):
    """The model's parameters (and buffers) after each of ``steps`` perturbations."""
    params, buffers = [], []
    for i in range(steps):
        _perturb(model, i)
        params.append([p.array.copy() for p in model.parameters()])
        buffers.append([b.array.copy() for b in model.buffers()])
    return params, buffers


def test_averaged_model_is_a_deep_copy_and_runs_it():
    model = _model()
    swa = AveragedModel(model)
    assert swa.module is not model and isinstance(swa.module, nn.Sequential)
    for p, q in zip(swa.parameters(), model.parameters()):
        assert p is not q and np.array_equal(p.array, q.array)
    assert swa.n_averaged.array.dtype == np.int64 and int(swa.n_averaged.array) == 0
    assert "n_averaged" in swa.state_dict() and "module.0.weight" in swa.state_dict()
    x = deepgrad.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    model.eval()
    swa.eval()
    np.testing.assert_array_equal(swa(x).array, model(x).array)


def test_swa_is_the_running_mean_and_buffers_are_copied():
    model = _model()
    swa = AveragedModel(model)
    params, buffers = [], []
    for i in range(5):
        _perturb(model, i)
        swa.update_parameters(model)
        params.append([p.array.copy() for p in model.parameters()])
        buffers.append([b.array.copy() for b in model.buffers()])
    assert int(swa.n_averaged.array) == 5
    for k, p in enumerate(swa.module.parameters()):
        np.testing.assert_allclose(p.array, np.mean([s[k] for s in params], axis=0), rtol=1e-5)
        assert p.array.dtype == np.float32
    for k, b in enumerate(swa.module.buffers()):           # use_buffers=False: a copy
        np.testing.assert_array_equal(b.array, buffers[-1][k])


def test_use_buffers_averages_the_buffers_too():
    model = _model()
    swa = AveragedModel(model, use_buffers=True)
    _, buffers = [], []
    for i in range(4):
        _perturb(model, i)
        swa.update_parameters(model)
        buffers.append([b.array.copy() for b in model.buffers()])
    for k, b in enumerate(swa.module.buffers()):
        mean = np.mean([s[k] for s in buffers], axis=0)
        if b.array.dtype.kind == "f":
            np.testing.assert_allclose(b.array, mean, rtol=1e-5)
        else:                                    # num_batches_tracked: int64, as in torch
            assert b.array.dtype == np.int64


@pytest.mark.parametrize("kind", ["ema", "ema_multi", "swa_fn", "swa_multi", "custom"])
def test_average_functions(kind):
    decay = 0.8
    fns = {"ema": dict(avg_fn=get_ema_avg_fn(decay)),
           "ema_multi": dict(multi_avg_fn=get_ema_multi_avg_fn(decay)),
           "swa_fn": dict(avg_fn=get_swa_avg_fn()),
           "swa_multi": dict(multi_avg_fn=get_swa_multi_avg_fn()),
           "custom": dict(avg_fn=lambda avg, cur, n: 0.5 * avg + 0.5 * cur)}
    model = _model()
    averaged = AveragedModel(model, **fns[kind])
    expected = None
    for i in range(6):
        _perturb(model, i)
        averaged.update_parameters(model)
        current = [p.array.astype(np.float64) for p in model.parameters()]
        if expected is None:
            expected = current
        elif kind.startswith("ema"):
            expected = [decay * e + (1 - decay) * c for e, c in zip(expected, current)]
        elif kind.startswith("swa"):
            expected = [e + (c - e) / (i + 1) for e, c in zip(expected, current)]
        else:
            expected = [0.5 * e + 0.5 * c for e, c in zip(expected, current)]
    for p, e in zip(averaged.module.parameters(), expected):
        assert p.array.dtype == np.float32
        np.testing.assert_allclose(p.array, e, rtol=1e-5, atol=1e-6)


def test_average_function_errors():
    with pytest.raises(ValueError, match="Invalid decay value 1.5"):
        get_ema_avg_fn(1.5)
    with pytest.raises(ValueError, match="Invalid decay value -0.1"):
        get_ema_multi_avg_fn(-0.1)
    with pytest.raises(ValueError, match="only one of avg_fn and multi_avg_fn"):
        AveragedModel(_model(), avg_fn=get_swa_avg_fn(), multi_avg_fn=get_swa_multi_avg_fn())
    with pytest.raises(TypeError, match="must be a Module.*list"):
        AveragedModel([1, 2])


@pytest.mark.parametrize("kwargs", [dict(), dict(use_buffers=True),
                                    dict(multi_avg_fn="ema"), dict(avg_fn="ema")],
                         ids=["swa", "swa-buffers", "ema-multi", "ema"])
def test_averaged_model_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    model = _model()
    ours_kwargs, torch_kwargs = dict(kwargs), dict(kwargs)
    for key in ("multi_avg_fn", "avg_fn"):
        if key in kwargs:
            getter = "get_ema_multi_avg_fn" if key == "multi_avg_fn" else "get_ema_avg_fn"
            ours_kwargs[key] = getattr(swa_utils, getter)(0.9)
            torch_kwargs[key] = getattr(torch.optim.swa_utils, getter)(0.9)
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2))
    tmodel.load_state_dict({k: torch.tensor(np.array(v.array)) for k, v in
                            model.state_dict().items()})
    ours = AveragedModel(model, **ours_kwargs)
    theirs = torch.optim.swa_utils.AveragedModel(tmodel, **torch_kwargs)
    for i in range(6):
        _perturb(model, i)
        tmodel.load_state_dict({k: torch.tensor(np.array(v.array)) for k, v in
                                model.state_dict().items()})
        ours.update_parameters(model)
        theirs.update_parameters(tmodel)
    tstate = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(np.asarray(value.array, dtype=float),
                                   tstate[key].numpy().astype(float), rtol=1e-6, atol=1e-7)


def test_deepcopy_of_a_model_is_independent():
    model = _model()
    clone = copy.deepcopy(model)
    _perturb(model, 0)
    assert not np.array_equal(clone[0].weight.array, model[0].weight.array)
    assert clone[0].weight.requires_grad


# ---------------------------------------------------------------------- update_bn
def test_update_bn_recomputes_the_statistics():
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((8, 3)).astype(np.float32) * 2 + 1 for _ in range(4)]
    model = _model()
    model.eval()
    bn = model[1]
    bn.momentum = 0.3
    bn.running_mean.array[...] = 42.0
    loader = [(deepgrad.tensor(b), deepgrad.tensor(np.zeros(8))) for b in batches]
    update_bn(loader, model)
    assert not model.training and bn.momentum == 0.3
    with deepgrad.no_grad():
        hidden = [model[0](deepgrad.tensor(b)).array.astype(np.float64) for b in batches]
    np.testing.assert_allclose(bn.running_mean.array, np.mean([h.mean(0) for h in hidden], 0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.array,
                               np.mean([h.var(0, ddof=1) for h in hidden], 0), rtol=1e-5)
    assert int(bn.num_batches_tracked.array) == 4


def test_update_bn_matches_torch_and_ignores_models_without_batchnorm():
    plain = nn.Linear(3, 2)
    before = plain.weight.array.copy()
    update_bn([deepgrad.tensor(np.ones((2, 3), np.float32))], plain)
    np.testing.assert_array_equal(plain.weight.array, before)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    batches = [rng.standard_normal((6, 3)).astype(np.float32) for _ in range(3)]
    model = _model()
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2))
    tmodel.load_state_dict({k: torch.tensor(np.array(v.array)) for k, v in
                            model.state_dict().items()})
    update_bn([deepgrad.tensor(b) for b in batches], model)
    torch.optim.swa_utils.update_bn([torch.tensor(b) for b in batches], tmodel)
    for key in ("1.running_mean", "1.running_var"):
        np.testing.assert_allclose(model.state_dict()[key].array,
                                   tmodel.state_dict()[key].numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- SWALR
def _swalr_run(lib, kwargs, steps=100):
    if lib is deepgrad:
        opt = optim.SGD([{"params": [nn.Parameter(np.zeros(2))], "lr": 0.1},
                         {"params": [nn.Parameter(np.zeros(1))], "lr": 0.02}], momentum=0.9)
        sched = SWALR(opt, **kwargs)
    else:
        opt = lib.optim.SGD([{"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1},
                             {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.02}],
                            momentum=0.9)
        sched = lib.optim.swa_utils.SWALR(opt, **kwargs)
    lrs = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    return np.array(lrs), sched


SWALR_CONFIGS = [dict(swa_lr=0.05), dict(swa_lr=[0.01, 0.05], anneal_epochs=7),
                 dict(swa_lr=0.2, anneal_epochs=20, anneal_strategy="linear"),
                 dict(swa_lr=0.03, anneal_epochs=0)]


@pytest.mark.parametrize("kwargs", SWALR_CONFIGS, ids=str)
def test_swalr_anneals_to_the_swa_rate(kwargs):
    lrs, sched = _swalr_run(deepgrad, kwargs)
    swa = kwargs["swa_lr"] if isinstance(kwargs["swa_lr"], list) else [kwargs["swa_lr"]] * 2
    np.testing.assert_allclose(lrs[-1], swa, rtol=1e-12)
    n = kwargs.get("anneal_epochs", 10)
    if n > 1 and kwargs.get("anneal_strategy", "cos") == "cos":   # closed form, epoch t < n
        for t in range(n):
            alpha = (1 - np.cos(np.pi * t / n)) / 2
            np.testing.assert_allclose(lrs[t], [s * alpha + b * (1 - alpha)
                                                for s, b in zip(swa, (0.1, 0.02))], rtol=1e-12)
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tlrs, _ = _swalr_run(torch, kwargs)
    np.testing.assert_allclose(lrs, tlrs, rtol=1e-13)


def test_swalr_state_dict_and_errors():
    lrs, sched = _swalr_run(deepgrad, dict(swa_lr=0.05, anneal_strategy="linear"), steps=3)
    state = sched.state_dict()
    assert "anneal_func" not in state and state["_anneal_strategy"] == "linear"
    _, fresh = _swalr_run(deepgrad, dict(swa_lr=0.05), steps=0)
    fresh.load_state_dict(state)
    assert fresh.anneal_func(0.25) == 0.25
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="'cos' or 'linear'.*'exp'"):
        SWALR(opt, swa_lr=0.05, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs.*-1"):
        SWALR(opt, swa_lr=0.05, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        SWALR(opt, swa_lr=[0.1, 0.2])
    assert "swa_lr" not in opt.param_groups[0]          # refused before any change
