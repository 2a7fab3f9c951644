"""nn.utils: parameters_to_vector / vector_to_parameters, stateless.functional_call,
fusion, skip_init, clip_grad exports."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn.utils import stateless


def _mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


def test_parameters_to_vector_and_back():
    m = _mlp()
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    np.testing.assert_array_equal(vec.numpy()[:12], m[0].weight.numpy().ravel())
    (vec * vec).sum().backward()                       # differentiable
    np.testing.assert_allclose(m[0].weight.grad.numpy(), 2 * m[0].weight.numpy())
    new = dg.tensor(np.arange(26, dtype=np.float64))
    nn.utils.vector_to_parameters(new, m.parameters())
    np.testing.assert_array_equal(m[2].bias.numpy(), [24.0, 25.0])
    assert m[0].weight.shape == (4, 3)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: ndarray"):
        nn.utils.vector_to_parameters(np.zeros(26), m.parameters())
    with pytest.raises(RuntimeError, match="expected a 1-D vector of 26 elements"):
        nn.utils.vector_to_parameters(dg.zeros(25), m.parameters())
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    tm = tm.double()
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    np.testing.assert_array_equal(
        nn.utils.parameters_to_vector(m.parameters()).numpy(),
        torch.nn.utils.parameters_to_vector(tm.parameters()).detach().numpy())


def test_functional_call_swaps_and_restores():
    m = _mlp()
    x = dg.tensor(np.random.default_rng(0).normal(size=(5, 3)))
    before = m(x).numpy()
    w = dg.tensor(np.zeros((2, 4)), requires_grad=True)
    out = stateless.functional_call(m, {"2.weight": w}, (x,))
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(m[2].bias.numpy(), (5, 2)))
    out.sum().backward()
    assert w.grad is not None and m[2].weight.grad is None      # gradient to the given tensor
    assert isinstance(m[2].weight, nn.Parameter) and m[2]._parameters["weight"] is m[2].weight
    np.testing.assert_array_equal(m(x).numpy(), before)          # restored
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]   # order kept
    with pytest.raises(RuntimeError, match="Missing key"):
        stateless.functional_call(m, {"2.weight": w}, x, strict=True)
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        stateless.functional_call(m, {"nope.weight": w}, x)
    np.testing.assert_array_equal(m(x).numpy(), before)
    both = stateless.functional_call(m, ({"2.weight": w}, {"2.bias": dg.zeros(2).double()}), x)
    assert np.all(both.numpy() == 0)
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        stateless.functional_call(m, ({"2.bias": w}, {"2.bias": w}), x)

    class Boom(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)

        def forward(self, x):
            raise ValueError("boom")
    b = Boom()
    orig = b.lin.weight
    with pytest.raises(ValueError, match="boom"):
        stateless.functional_call(b, {"lin.weight": dg.zeros(1, 1)}, dg.zeros(1, 1))
    assert b.lin.weight is orig


def test_functional_call_ties_weights_and_matches_torch():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight             # one parameter under two names

        def forward(self, x):
            return self.b(self.a(x))
    m = Tied()
    w = dg.tensor(np.eye(2) * 2.0, dtype=dg.float32)
    out = stateless.functional_call(m, {"a.weight": w}, dg.ones(1, 2))
    np.testing.assert_allclose(out.numpy(), [[4.0, 4.0]])        # b.weight tied to the value
    untied = stateless.functional_call(m, {"a.weight": w}, dg.ones(1, 2), tie_weights=False)
    assert not np.allclose(untied.numpy(), [[4.0, 4.0]])
    with pytest.raises(ValueError, match="which are tied"):
        stateless.functional_call(m, {"a.weight": w, "b.weight": w * 1}, dg.ones(1, 2))
    torch = pytest.importorskip("torch")
    tm = torch.nn.Linear(3, 2).double()
    ours = nn.Linear(3, 2).double()
    params = {"weight": np.random.default_rng(1).normal(size=(2, 3)), "bias": np.ones(2)}
    x = np.random.default_rng(2).normal(size=(4, 3))
    ref = torch.func.functional_call(tm, {k: torch.tensor(v) for k, v in params.items()},
                                     (torch.tensor(x),))
    got = stateless.functional_call(ours, {k: dg.tensor(v) for k, v in params.items()},
                                    (dg.tensor(x),))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)


def test_fusion_matches_torch():
    torch = pytest.importorskip("torch")
    conv, bn = nn.Conv2d(2, 3, 3).double(), nn.BatchNorm2d(3).double()
    tconv, tbn = torch.nn.Conv2d(2, 3, 3).double(), torch.nn.BatchNorm2d(3).double()
    with torch.no_grad():
        for t in (tbn.running_mean, tbn.running_var, tbn.weight, tbn.bias):
            t.uniform_(0.5, 1.5)
    conv.load_state_dict({k: v.numpy() for k, v in tconv.state_dict().items()})
    bn.load_state_dict({k: v.numpy() for k, v in tbn.state_dict().items()})
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        nn.utils.fuse_conv_bn_eval(conv, bn)
    conv.eval(), bn.eval(), tconv.eval(), tbn.eval()
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    tfused = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn)
    np.testing.assert_allclose(fused.weight.numpy(), tfused.weight.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(fused.bias.numpy(), tfused.bias.detach().numpy(), rtol=1e-12)
    x = dg.tensor(np.random.default_rng(0).normal(size=(1, 2, 5, 5)))
    np.testing.assert_allclose(fused(x).numpy(), bn(conv(x)).numpy(), rtol=1e-10, atol=1e-12)
    lin, bn1 = nn.Linear(3, 4, bias=False).double().eval(), nn.BatchNorm1d(4).double().eval()
    bn1.running_mean.array[...] = np.arange(4.0)
    fl = nn.utils.fuse_linear_bn_eval(lin, bn1)
    x = dg.tensor(np.random.default_rng(1).normal(size=(2, 3)))
    np.testing.assert_allclose(fl(x).numpy(), bn1(lin(x)).numpy(), rtol=1e-10, atol=1e-12)


def test_skip_init_and_clip_exports():
    lin = nn.utils.skip_init(nn.Linear, 3, 4)
    assert isinstance(lin, nn.Linear) and lin.weight.shape == (4, 3)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        nn.utils.skip_init(int)

    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()
    with pytest.raises(RuntimeError, match="must support a 'device' arg"):
        nn.utils.skip_init(NoDevice, 3)
    for name in ("clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"):
        assert callable(getattr(nn.utils, name))


def test_clip_grad_foreach_and_deprecated_alias():
    lin = nn.Linear(3, 2).double()
    lin(dg.ones(4, 3).double()).sum().backward()
    grads = [p.grad.numpy().copy() for p in lin.parameters()]
    total = nn.utils.clip_grad_norm_(lin.parameters(), 0.1, foreach=True)
    expected = np.sqrt(sum((g ** 2).sum() for g in grads))
    np.testing.assert_allclose(total.item(), expected)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        nn.utils.clip_grad_norm(lin.parameters(), 0.1)
    nn.utils.clip_grad_value_(lin.parameters(), 0.01, foreach=False)
    assert all(np.abs(p.grad.numpy()).max() <= 0.01 for p in lin.parameters())


def test_convert_conv_weight_memory_format():
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.Sequential(nn.ConvTranspose2d(4, 2, 3)),
                          nn.Conv3d(1, 1, 1))
    before = [m.weight.numpy().copy() for m in (model[0], model[1][0])]
    nn.utils.convert_conv2d_weight_memory_format(model, dg.channels_last)
    for m, b in zip((model[0], model[1][0]), before):
        assert m.weight.is_contiguous(memory_format=dg.channels_last)
        np.testing.assert_array_equal(m.weight.numpy(), b)
    nn.utils.convert_conv3d_weight_memory_format(model, dg.channels_last_3d)
    assert model[2].weight.is_contiguous(memory_format=dg.channels_last_3d)
    out = model[0](dg.randn(1, 2, 5, 5))
    assert out.shape == (1, 4, 3, 3)
