"""nn.utils.parametrize, parametrizations.weight_norm/spectral_norm and the legacy
weight_norm/spectral_norm hooks, against PyTorch where it has them."""
import copy
import pickle

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn.utils import parametrize as P
from deepgrad.nn.utils import parametrizations


def _triu(X, k=0):
    return X * dg.tensor(np.triu(np.ones(X.shape), k).astype(X.dtype))


class Symmetric(nn.Module):
    def forward(self, X):
        return _triu(X) + _triu(X, 1).transpose(-1, -2)

    def right_inverse(self, A):
        return _triu(A)


class Scale(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.calls = 0

    def forward(self, X):
        self.calls += 1
        return X * self.c

    def right_inverse(self, A):
        return A / self.c


class Split(nn.Module):              # right_inverse returns two tensors
    def forward(self, a, b):
        return a + b

    def right_inverse(self, w):
        return w * 0.25, w * 0.75


def test_register_value_gradient_and_state_dict():
    lin = nn.Linear(3, 3).double()
    w0 = lin.weight.numpy().copy()
    P.register_parametrization(lin, "weight", Symmetric())
    assert type(lin).__name__ == "ParametrizedLinear" and isinstance(lin, nn.Linear)
    assert P.type_before_parametrizations(lin) is nn.Linear
    assert P.is_parametrized(lin) and P.is_parametrized(lin, "weight")
    assert not P.is_parametrized(lin, "bias")
    W = lin.weight.numpy()
    np.testing.assert_allclose(W, W.T)
    np.testing.assert_allclose(np.triu(W), np.triu(w0))        # right_inverse kept triu
    assert list(lin.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in lin.named_parameters()] == ["bias", "parametrizations.weight.original"]
    x = dg.tensor(np.random.default_rng(0).normal(size=(2, 3)))
    lin(x).sum().backward()
    g = lin.parametrizations.weight.original.grad.numpy()
    np.testing.assert_allclose(np.tril(g, -1), 0)              # d/dX of triu parts only
    lin.weight = dg.tensor(np.eye(3) * 2.0)                    # setter: right_inverse
    np.testing.assert_allclose(lin.weight.numpy(), np.eye(3) * 2.0)
    torch = pytest.importorskip("torch")
    tlin = torch.nn.Linear(3, 3).double()

    class TSymmetric(torch.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()
    torch.nn.utils.parametrize.register_parametrization(tlin, "weight", TSymmetric())
    assert list(tlin.state_dict()) == list(lin.state_dict())


def test_remove_parametrizations_restores_class_and_values():
    lin = nn.Linear(2, 2).double()
    P.register_parametrization(lin, "weight", Scale(3.0))
    original = lin.parametrizations.weight.original
    value = lin.weight.numpy().copy()
    P.remove_parametrizations(lin, "weight")
    assert type(lin) is nn.Linear and not hasattr(lin, "parametrizations")
    assert lin.weight is original and isinstance(lin.weight, nn.Parameter)
    np.testing.assert_allclose(lin.weight.numpy(), value)
    lin2 = nn.Linear(2, 2).double()
    P.register_parametrization(lin2, "weight", Scale(3.0))
    stored = lin2.parametrizations.weight.original.numpy().copy()
    P.remove_parametrizations(lin2, "weight", leave_parametrized=False)
    np.testing.assert_allclose(lin2.weight.numpy(), stored)
    assert list(lin2.state_dict()) == ["bias", "weight"] or set(lin2.state_dict()) == {"bias",
                                                                                      "weight"}
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(lin2, "weight")


def test_sequence_right_inverse_chaining_and_cache():
    lin = nn.Linear(2, 2).double()
    w = lin.weight.numpy().copy()
    P.register_parametrization(lin, "weight", Split())
    assert {"parametrizations.weight.original0", "parametrizations.weight.original1"} <= \
        set(lin.state_dict())
    np.testing.assert_allclose(lin.weight.numpy(), w)
    scale = Scale(2.0)
    P.register_parametrization(lin, "weight", scale)               # applied after Split
    np.testing.assert_allclose(lin.weight.numpy(), 2 * w)
    scale.calls = 0
    with P.cached():
        a, b = lin.weight, lin.weight
    assert a is b and scale.calls == 1
    lin.weight
    assert scale.calls == 2
    with pytest.raises(ValueError, match="leave_parametrized=False"):
        P.remove_parametrizations(lin, "weight", leave_parametrized=False)
    P.remove_parametrizations(lin, "weight")
    np.testing.assert_allclose(lin.weight.numpy(), 2 * w)


def test_registration_errors_and_unsafe():
    lin = nn.Linear(3, 2)

    class Shrink(nn.Module):
        def forward(self, X):
            return X[:1]
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(lin, "weight", Shrink())
    assert type(lin) is nn.Linear and "weight" in lin._parameters      # nothing changed
    P.register_parametrization(lin, "weight", Shrink(), unsafe=True)
    assert lin.weight.shape == (1, 3)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        P.register_parametrization(nn.Linear(1, 1), "nope", Scale(1.0))
    with pytest.raises(TypeError, match="must be an nn.Module"):
        P.register_parametrization(nn.Linear(1, 1), "weight", lambda x: x)


def test_deepcopy_works_and_pickle_is_refused():
    lin = nn.Linear(2, 2)
    P.register_parametrization(lin, "weight", Scale(2.0))
    twin = copy.deepcopy(lin)
    np.testing.assert_allclose(twin.weight.numpy(), lin.weight.numpy())
    assert twin.parametrizations.weight.original is not lin.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(lin)


def test_transfer_parametrizations_and_params():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    P.register_parametrization(a, "weight", Scale(2.0))
    P.transfer_parametrizations_and_params(a, b)
    np.testing.assert_allclose(b.weight.numpy(), a.weight.numpy())
    assert b.parametrizations.weight.original is not a.parametrizations.weight.original


# ---------------------------------------------------------------------- weight norm
def _load(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _compare(ours, theirs, x, rtol=1e-10):
    torch = pytest.importorskip("torch")
    out, tout = ours(dg.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=rtol, atol=1e-12)
    w = np.random.default_rng(9).normal(size=out.shape)
    (out * dg.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    tp = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tp)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-11, err_msg=name)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_matches_torch(dim):
    torch = pytest.importorskip("torch")
    ours = parametrizations.weight_norm(nn.Linear(4, 3).double(), dim=dim)
    theirs = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(4, 3).double(), dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in ours.state_dict().items():
        assert tuple(v.shape) == tuple(theirs.state_dict()[k].shape), k
    _load(ours, theirs)
    _compare(ours, theirs, np.random.default_rng(0).normal(size=(5, 4)))


def test_weight_norm_on_conv_and_legacy_keys_load():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv2d(2, 3, 3).double())
    ours = parametrizations.weight_norm(nn.Conv2d(2, 3, 3).double())
    _load(ours, theirs)
    _compare(ours, theirs, np.random.default_rng(1).normal(size=(2, 2, 5, 5)))
    legacy = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).double())    # weight_g / weight_v
    ours = parametrizations.weight_norm(nn.Linear(4, 3).double())
    ours.load_state_dict({k: v.detach().numpy() for k, v in legacy.state_dict().items()})
    np.testing.assert_allclose(ours.weight.numpy(), legacy.weight.detach().numpy(), rtol=1e-12)


def test_legacy_weight_norm_hook_matches_torch():
    torch = pytest.importorskip("torch")
    with pytest.warns(FutureWarning):
        ours = nn.utils.weight_norm(nn.Linear(4, 3).double())
    theirs = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).double())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g",
                                                                   "weight_v"]
    _load(ours, theirs)
    _compare(ours, theirs, np.random.default_rng(2).normal(size=(5, 4)))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        nn.utils.weight_norm(ours)
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == ["bias", "weight"] and isinstance(ours.weight, nn.Parameter)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(ours)


# ---------------------------------------------------------------------- spectral norm
@pytest.mark.parametrize("make", ["linear", "conv", "convT"])
def test_spectral_norm_parametrization_matches_torch(make):
    torch = pytest.importorskip("torch")
    builders = {"linear": (lambda m: m.Linear(4, 3), (5, 4)),
                "conv": (lambda m: m.Conv2d(2, 3, 3), (2, 2, 5, 5)),
                "convT": (lambda m: m.ConvTranspose2d(2, 3, 3), (2, 2, 4, 4))}
    build, shape = builders[make]
    ours = parametrizations.spectral_norm(build(nn).double())
    theirs = torch.nn.utils.parametrizations.spectral_norm(build(torch.nn).double())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _load(ours, theirs)                     # same u, v: the power iterations then agree
    rng = np.random.default_rng(3)
    for _ in range(3):                      # training: u, v move at every forward
        _compare(ours, theirs, rng.normal(size=shape))
        for k in ("parametrizations.weight.0._u", "parametrizations.weight.0._v"):
            np.testing.assert_allclose(ours.state_dict()[k].numpy(),
                                       theirs.state_dict()[k].numpy(), rtol=1e-10)
    ours.eval(), theirs.eval()
    _compare(ours, theirs, rng.normal(size=shape))
    w = ours.weight.numpy().reshape(ours.weight.shape[0 if make != "convT" else 1], -1) \
        if make != "convT" else np.moveaxis(ours.weight.numpy(), 1, 0).reshape(3, -1)
    assert abs(np.linalg.svd(w, compute_uv=False)[0] - 1.0) < 0.05   # sigma_max ~ 1


def test_spectral_norm_errors_and_1d_weight():
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        parametrizations.spectral_norm(nn.Linear(2, 2), name="nope")
    m = parametrizations.spectral_norm(nn.Linear(2, 3), name="bias")
    np.testing.assert_allclose(np.linalg.norm(m.bias.numpy()), 1.0, rtol=1e-6)


def test_legacy_spectral_norm_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.utils.spectral_norm(nn.Linear(4, 3).double())
    theirs = torch.nn.utils.spectral_norm(torch.nn.Linear(4, 3).double())
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    assert sd._metadata[""]["spectral_norm"] == tsd._metadata[""]["spectral_norm"]
    _load(ours, theirs)
    rng = np.random.default_rng(4)
    for _ in range(3):
        _compare(ours, theirs, rng.normal(size=(5, 4)))
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(ours)
    nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-10)


def test_legacy_spectral_norm_loads_a_pre_0_4_state_dict():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.utils.spectral_norm(torch.nn.Linear(4, 3).double())
    theirs(torch.randn(2, 4, dtype=torch.float64))
    old = {k: v.detach().numpy() for k, v in theirs.state_dict().items() if k != "weight_v"}
    old["weight"] = theirs.weight.detach().numpy()              # the old format stored it
    ours = nn.utils.spectral_norm(nn.Linear(4, 3).double()).eval()
    ours.load_state_dict(old)                                   # no metadata: version None
    theirs.eval()
    x = np.random.default_rng(5).normal(size=(2, 4))
    np.testing.assert_allclose(ours(dg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-8)
