"""DP-SGD on the PyTorch front: DPOptimizer against the formula (and Opacus), Poisson
loader, BatchMemoryManager, PrivacyEngine, ModuleValidator and their refusals."""
import math
import warnings

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn as nn
import deepgrad.nn.functional as F
from deepgrad.privacy import (
    BatchMemoryManager, DPDataLoader, DPOptimizer, GradSampleModule, ModuleValidator,
    PrivacyEngine, RDPAccountant, get_noise_multiplier)
from deepgrad.privacy.validators import UnsupportedModuleError
from deepgrad.utils.data import DataLoader, IterableDataset, TensorDataset


@pytest.fixture(autouse=True)
def _setup():
    dg.manual_seed(0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Secure RNG turned off")
        yield


def _model():
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))


def _data(n=64):
    x = dg.randn(n, 4)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


def _dp_step_reference(model, x, y, C, sigma, expected_batch, noise):
    """p.grad of one DP step by the formula, from per-sample gradients computed alone."""
    per = {n: [] for n, _ in model.named_parameters()}
    for i in range(len(y)):
        model.zero_grad()
        F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        for n, p in model.named_parameters():
            per[n].append(p.grad.numpy().astype(np.float64))
    norms = np.sqrt(sum((np.stack(v).reshape(len(y), -1) ** 2).sum(1) for v in per.values()))
    factor = np.minimum(C / (norms + 1e-6), 1.0)
    return {n: (np.tensordot(factor, np.stack(v), 1) + sigma * C * noise[n]) / expected_batch
            for n, v in per.items()}


def test_dp_step_is_clip_noise_average():
    model = _model()
    x, y = _data(16)
    C, sigma = 0.1, 0.7
    gsm = GradSampleModule(model)
    opt = DPOptimizer(dg.optim.SGD(model.parameters(), lr=1.0), noise_multiplier=sigma,
                      max_grad_norm=C, expected_batch_size=20, generator=dg.Generator()
                      .manual_seed(3))
    F.cross_entropy(gsm(x), y).backward()
    assert opt.pre_step()
    got = {n: p.grad.numpy() for n, p in model.named_parameters()}
    rng = np.random.default_rng(dg.Generator().manual_seed(3).initial_seed())
    noise = {n: rng.standard_normal(p.shape) for n, p in model.named_parameters()}
    ref = _dp_step_reference(model, x, y, C, sigma, 20, noise)
    for n in ref:
        np.testing.assert_allclose(got[n], ref[n], rtol=1e-4, atol=1e-7, err_msg=n)


def test_dp_updates_equal_opacus_without_noise():
    torch = pytest.importorskip("torch")
    pytest.importorskip("opacus")
    from opacus.grad_sample import GradSampleModule as OGSM
    from opacus.optimizers import DPOptimizer as ODP
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    model = _model()
    model.load_state_dict({k: dg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x, y = _data(32)
    om = OGSM(tm)
    oopt = ODP(torch.optim.SGD(tm.parameters(), lr=0.5, momentum=0.9), noise_multiplier=0.0,
               max_grad_norm=0.05, expected_batch_size=32)
    gsm = GradSampleModule(model)
    opt = DPOptimizer(dg.optim.SGD(model.parameters(), lr=0.5, momentum=0.9),
                      noise_multiplier=0.0, max_grad_norm=0.05, expected_batch_size=32)
    xt, yt = torch.tensor(x.numpy()), torch.tensor(y.numpy())
    for _ in range(3):
        oopt.zero_grad()
        torch.nn.functional.cross_entropy(om(xt), yt).backward()
        oopt.step()
        opt.zero_grad()
        F.cross_entropy(gsm(x), y).backward()
        opt.step()
    for (n, p), (_, q) in zip(model.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=n)


def test_batch_memory_manager_gives_the_logical_batch_step():
    x, y = _data(48)
    updates = []
    for physical in (None, 7):
        dg.manual_seed(0)
        model = _model()
        gsm = GradSampleModule(model)
        opt = DPOptimizer(dg.optim.SGD(model.parameters(), lr=1.0), noise_multiplier=0.0,
                          max_grad_norm=0.2, expected_batch_size=24)
        loader = DataLoader(TensorDataset(x, y), batch_size=24)
        ctx = BatchMemoryManager(data_loader=loader, max_physical_batch_size=physical,
                                 optimizer=opt) if physical else None
        batches = list(ctx.__enter__()) if ctx else list(loader)
        steps = 0
        for xb, yb in batches:
            opt.zero_grad()
            F.cross_entropy(gsm(xb), yb).backward()   # mean over the physical batch
            before = model[0].weight.numpy().copy()
            opt.step()
            steps += not np.array_equal(before, model[0].weight.numpy())
        assert steps == 2
        updates.append([p.numpy().copy() for p in model.parameters()])
    for a, b in zip(*updates):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_step_without_zero_grad_is_refused():
    model = _model()
    gsm = GradSampleModule(model)
    opt = DPOptimizer(dg.optim.SGD(model.parameters(), lr=0.1), noise_multiplier=1.0,
                      max_grad_norm=1.0, expected_batch_size=8)
    x, y = _data(8)
    F.cross_entropy(gsm(x), y).backward()
    opt.step()
    with pytest.raises(ValueError, match="zero_grad"):
        opt.step()


def test_poisson_loader_statistics_and_empty_batches():
    ds = TensorDataset(dg.randn(400, 3), dg.arange(400))
    loader = DPDataLoader(ds, sample_rate=0.05, generator=dg.Generator().manual_seed(1))
    sizes = [len(b[1]) for b in loader]
    assert len(sizes) == 20
    mean, sd = 400 * 0.05, math.sqrt(400 * 0.05 * 0.95)
    assert abs(np.mean(sizes) - mean) < 4 * sd / math.sqrt(20)
    empty = DPDataLoader(ds, sample_rate=1e-9)
    xb, yb = next(iter(empty))
    assert xb.shape == (0, 3) and yb.shape == (0,) and yb.dtype == ds[0][1].dtype

    class Pairs:                            # a plain indexable dataset: the collate path
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return np.full(2, i, np.float32), i
    xb, yb = next(iter(DPDataLoader(Pairs(), sample_rate=1e-9)))
    assert xb.shape == (0, 2)


def test_make_private_trains_and_accounts():
    x, y = _data(256)
    model = _model()
    engine = PrivacyEngine(accountant="rdp")
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    gsm, opt, dl = engine.make_private(module=model, optimizer=dg.optim.SGD(
        model.parameters(), lr=0.5), data_loader=loader, noise_multiplier=0.8, max_grad_norm=1.0)
    assert isinstance(gsm, GradSampleModule) and isinstance(opt, DPOptimizer)
    assert isinstance(dl, DPDataLoader) and dl.sample_rate == 1 / 8
    assert opt.expected_batch_size == 32
    first = F.cross_entropy(gsm(x), y).item()
    for _ in range(4):
        for xb, yb in dl:
            opt.zero_grad()
            F.cross_entropy(gsm(xb), yb).backward()
            opt.step()
    assert F.cross_entropy(gsm(x), y).item() < first
    assert engine.accountant.history == [(0.8, 1 / 8, 32)]
    ref = RDPAccountant()
    ref.history = [(0.8, 1 / 8, 32)]
    assert engine.get_epsilon(1e-3) == ref.get_epsilon(1e-3)


def test_make_private_with_epsilon_meets_the_target():
    x, y = _data(200)
    model = _model()
    engine = PrivacyEngine(accountant="rdp")
    loader = DataLoader(TensorDataset(x, y), batch_size=20)
    _, opt, dl = engine.make_private_with_epsilon(
        module=model, optimizer=dg.optim.SGD(model.parameters(), lr=0.1), data_loader=loader,
        target_epsilon=4.0, target_delta=1e-3, epochs=3, max_grad_norm=1.0)
    assert opt.noise_multiplier == get_noise_multiplier(
        target_epsilon=4.0, target_delta=1e-3, sample_rate=0.1, epochs=3)
    acc = RDPAccountant()
    acc.history = [(opt.noise_multiplier, 0.1, 30)]
    assert 3.99 - 0.01 <= acc.get_epsilon(1e-3) <= 4.0


def test_bad_inputs_are_refused_before_anything_is_wrapped():
    x, y = _data(40)
    loader = DataLoader(TensorDataset(x, y), batch_size=10)
    engine = PrivacyEngine(accountant="rdp")

    def make(model=None, **kw):
        model = model or _model()
        args = dict(module=model, optimizer=dg.optim.SGD(model.parameters(), lr=0.1),
                    data_loader=loader, noise_multiplier=1.0, max_grad_norm=1.0)
        args.update(kw)
        return model, args
    for kw, err in [(dict(max_grad_norm=0.0), "max_grad_norm"),
                    (dict(max_grad_norm=-1.0), "max_grad_norm"),
                    (dict(noise_multiplier=-0.5), "noise_multiplier"),
                    (dict(clipping="per_layer"), "clipping"),
                    (dict(grad_sample_mode="ghost"), "grad_sample_mode")]:
        model, args = make(**kw)
        with pytest.raises(ValueError, match=err):
            engine.make_private(**args)
        assert getattr(model[0].weight, "grad_sample", "unset") == "unset"   # not wrapped
    bn = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    model, args = make(bn)
    with pytest.raises(UnsupportedModuleError, match="GroupNorm"):
        engine.make_private(**args)

    class Stream(IterableDataset):
        def __iter__(self):
            yield from zip(x, y)
    model, args = make(data_loader=DataLoader(Stream(), batch_size=10))
    with pytest.raises(ValueError, match="IterableDataset"):
        engine.make_private(**args)
    model, args = make()
    del args["noise_multiplier"]
    with pytest.raises(ValueError, match="budget is too low"):
        engine.make_private_with_epsilon(**args, target_epsilon=1e-4, target_delta=1e-9,
                                         epochs=50)
    assert getattr(model[0].weight, "grad_sample", "unset") == "unset"
    with pytest.warns(UserWarning, match="1 / dataset size"):
        engine.make_private_with_epsilon(**args, target_epsilon=5.0, target_delta=0.1,
                                         epochs=1)
    with pytest.raises(ValueError, match="secure_mode"):
        PrivacyEngine(secure_mode=True)
    with pytest.raises(ValueError, match="max_grad_norm"):
        DPOptimizer(dg.optim.SGD(_model().parameters(), lr=0.1), noise_multiplier=1.0,
                    max_grad_norm=0, expected_batch_size=4)


def test_module_validator_fix_replaces_batch_norm():
    model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.BatchNorm2d(6), nn.ReLU(),
                          nn.InstanceNorm2d(6, track_running_stats=True))
    errors = ModuleValidator.validate(model)
    assert len(errors) == 2 and not ModuleValidator.is_valid(model)
    fixed = ModuleValidator.fix(model)
    assert isinstance(fixed[1], nn.GroupNorm) and fixed[1].num_groups == math.gcd(32, 6)
    assert not fixed[3].track_running_stats
    assert isinstance(model[1], nn.BatchNorm2d)          # the original is left alone
    assert ModuleValidator.is_valid(fixed)
    model.eval()
    assert any("training mode" in str(e) for e in ModuleValidator.validate(model))
