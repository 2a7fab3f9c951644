"""Each optimizer against ``torch.optim``: 100 steps of the same linear regression, from the
same initial values, in float64 (tight) and float32 (loose).

Both sides get their gradients from their own ``backward`` of ``mean((X W + b - Y)^2)``.
PyTorch's CPU kernels use fused multiply-adds (lerp, addcmul) that NumPy cannot reproduce
bit for bit, so the trajectories differ in the last bits; the settings below keep the
dynamics non-chaotic, where that difference stays ~1e-14 after 100 steps. (Adam-like
methods with small betas, or centered RMSprop, close to a minimum amplify it
exponentially: with ``AdamW(lr=0.01, betas=(0.5, 0.9))`` it grows from 1e-16 at step 40
to 3e-10 at step 100. Adafactor's sign-like steps of size ``lr * RMS(theta)`` oscillate
around the minimum once they reach it; with ``lr >= 0.01`` and ``beta2_decay=-0.5`` that
happens before step 100 and the difference grows tenfold per step from there.)
"""
import numpy as np
import pytest

import deepgrad
from deepgrad import optim
from deepgrad.nn.parameter import Parameter

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny problems: torch's thread pool only costs time (a lot on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

# (class name in both libraries, keyword arguments)
CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.5, 0.99), maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, centered=True)),
    ("RMSprop", dict(lr=0.001, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(lr=2.0, rho=0.95, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adamax", dict(lr=0.02, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict(lr=0.01)),
    ("ASGD", dict(lr=0.02, lambd=0.01, alpha=0.5, t0=20, weight_decay=0.05)),
    ("ASGD", dict(lr=0.01, t0=0, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.001, etas=(0.3, 1.5), step_sizes=(1e-4, 0.1))),
    ("Rprop", dict(lr=0.01, maximize=True)),
    ("Adafactor", dict(lr=0.01)),
    ("Adafactor", dict(lr=0.005, beta2_decay=-0.5, eps=(1e-6, 1e-3), d=2.0, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.005, eps=(None, 1e-2), maximize=True)),
]


def _id(config):
    name, kwargs = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _problem(dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 5)).astype(dtype)
    Y = (X @ rng.standard_normal((5, 3)) + 0.1 * rng.standard_normal((32, 3))).astype(dtype)
    W0 = rng.standard_normal((5, 3)).astype(dtype)
    b0 = rng.standard_normal(3).astype(dtype)
    return X, Y, W0, b0


def run(lib, name, kwargs, dtype, steps=100):
    """Train ``(W, b)`` with ``lib`` (deepgrad or torch); maximize runs on the negated loss,
    so every configuration descends the same regression loss.

    torch keeps scalar state (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) in its
    default dtype; deepgrad keeps Python floats, so in float64 torch runs with float64 as
    its default dtype, where the two are the same numbers."""
    if lib is torch:
        default = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)
        try:
            return _run(lib, name, kwargs, dtype, steps)
        finally:
            torch.set_default_dtype(default)
    return _run(lib, name, kwargs, dtype, steps)


def _run(lib, name, kwargs, dtype, steps):
    X, Y, W0, b0 = _problem(dtype)
    if lib is torch:
        W, b = torch.tensor(W0, requires_grad=True), torch.tensor(b0, requires_grad=True)
        opt_cls = getattr(torch.optim, name)
    else:
        W, b = Parameter(W0), Parameter(b0)
        opt_cls = getattr(optim, name)
    opt = opt_cls([W, b], **kwargs)
    Xt, Yt = lib.tensor(X), lib.tensor(Y)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    for _ in range(steps):
        opt.zero_grad()
        (((Xt @ W + b - Yt) ** 2).mean() * sign).backward()
        opt.step()
    return np.array(W.detach().numpy()), np.array(b.detach().numpy()), opt


@pytest.mark.parametrize("config", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_matches_torch_float64(config):
    W, b, _ = run(deepgrad, *config, np.float64)
    tW, tb, _ = run(torch, *config, np.float64)
    np.testing.assert_allclose(W, tW, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b, tb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_matches_torch_float32(config):
    W, b, opt = run(deepgrad, *config, np.float32)
    tW, tb, _ = run(torch, *config, np.float32)
    assert W.dtype == np.float32 and b.dtype == np.float32
    for state in opt.state.values():
        for value in state.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32
    np.testing.assert_allclose(W, tW, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(b, tb, rtol=1e-5, atol=1e-5)


NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
         "ASGD", "Rprop", "Adafactor"]


@pytest.mark.parametrize("name", NAMES)
def test_state_matches_torch(name):
    """The per-parameter state has torch's names and values."""
    kwargs = {"SGD": dict(lr=0.05, momentum=0.9), "Adam": dict(amsgrad=True),
              "RMSprop": dict(momentum=0.5, centered=True), "ASGD": dict(t0=2)}.get(name, {})
    _, _, opt = run(deepgrad, name, kwargs, np.float64, steps=5)
    _, _, topt = run(torch, name, kwargs, np.float64, steps=5)
    ours, theirs = opt.state_dict()["state"], topt.state_dict()["state"]
    assert set(ours) == set(theirs)
    for index, tstate in theirs.items():
        assert set(ours[index]) == set(tstate)
        for key, tvalue in tstate.items():
            np.testing.assert_allclose(np.asarray(ours[index][key]), tvalue.numpy(), rtol=1e-10)


def test_param_groups_match_torch():
    """Two groups with their own lr and momentum, as in torch."""
    X, Y, W0, b0 = _problem(np.float64)
    W, b = Parameter(W0), Parameter(b0)
    tW, tb = torch.tensor(W0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    opt = optim.SGD([{"params": [W]}, {"params": [b], "lr": 0.01, "momentum": 0.5}], lr=0.05)
    topt = torch.optim.SGD([{"params": [tW]}, {"params": [tb], "lr": 0.01, "momentum": 0.5}],
                           lr=0.05)
    for _ in range(20):
        opt.zero_grad()
        ((deepgrad.tensor(X) @ W + b - deepgrad.tensor(Y)) ** 2).mean().backward()
        opt.step()
        topt.zero_grad()
        ((torch.tensor(X) @ tW + tb - torch.tensor(Y)) ** 2).mean().backward()
        topt.step()
    np.testing.assert_allclose(W.array, tW.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.array, tb.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_layout_matches_torch(name):
    """The same group keys and values (implementation switches included), index layout."""
    _, _, opt = run(deepgrad, name, {}, np.float64, steps=2)
    _, _, topt = run(torch, name, {}, np.float64, steps=2)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]


def _signature(fn):
    import inspect
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", [n for n in torch.optim.__all__
                                  if n not in ("lr_scheduler", "swa_utils")])
def test_optim_signatures_match_torch(name):
    """Argument names, order, kinds (positional / keyword-only) and defaults."""
    ours, theirs = getattr(optim, name), getattr(torch.optim, name)
    if isinstance(theirs, type):
        ours, theirs = ours.__init__, theirs.__init__
    assert _signature(ours) == _signature(theirs)


@pytest.mark.parametrize("module, names", [
    ("lr_scheduler", torch.optim.lr_scheduler.__all__),
    ("swa_utils", torch.optim.swa_utils.__all__)])
def test_scheduler_and_swa_signatures_match_torch(module, names):
    for name in names:
        ours = getattr(getattr(optim, module), name)
        theirs = getattr(getattr(torch.optim, module), name)
        if isinstance(theirs, type):
            ours, theirs = ours.__init__, theirs.__init__
        assert _signature(ours) == _signature(theirs), name
