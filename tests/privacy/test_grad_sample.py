"""Per-sample gradients (GradSampleModule): every closed form against the gradient of each
sample's own loss computed alone, against Opacus's grad samples when installed, and the
refusals (BatchNorm, samples-mixing options)."""
import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn as nn
import deepgrad.nn.functional as F
from deepgrad.privacy import GradSampleModule
from deepgrad.privacy.validators import ShouldReplaceModuleError


def _per_sample_reference(gsm, model, inputs, loss_fn, batch_dim=0):
    """{name: (N, *shape)}: each sample's gradient, from a forward/backward on it alone."""
    n = inputs[0].shape[batch_dim]
    ref = {name: [] for name, _ in model.named_parameters()}
    gsm.disable_hooks()
    try:
        for i in range(n):
            model.zero_grad()
            one = [x[i:i + 1] if batch_dim == 0 else x[:, i:i + 1] for x in inputs]
            loss_fn(model(*one), slice(i, i + 1)).backward()
            for name, p in model.named_parameters():
                ref[name].append(np.zeros(p.shape, p.dtype) if p.grad is None
                                 else p.grad.numpy().copy())
    finally:
        gsm.enable_hooks()
    return {k: np.stack(v) for k, v in ref.items()}


def check(model, inputs, loss_fn, batch_dim=0, **gsm_kwargs):
    gsm = GradSampleModule(model, batch_first=batch_dim == 0, **gsm_kwargs)
    loss_fn(gsm(*inputs), slice(None)).backward()
    full = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    got = {name: p.grad_sample.numpy() for name, p in model.named_parameters()}
    ref = _per_sample_reference(gsm, model, inputs, loss_fn, batch_dim)
    n = inputs[0].shape[batch_dim]
    for name in ref:
        scale = np.abs(ref[name]).max() + 1e-12
        assert got[name].shape == (n,) + full[name].shape, name
        assert np.abs(got[name] - ref[name]).max() <= 1e-5 * scale, name
        # the mean of the per-sample gradients is the batch gradient (mean loss)
        np.testing.assert_allclose(got[name].mean(0), full[name], rtol=1e-4,
                                   atol=1e-6 * scale)
    return gsm


def ce(target):
    """Mean cross-entropy on the selected samples' targets."""
    return lambda out, sel: F.cross_entropy(out, target[sel])


def sq_mean(out, sel=None):
    return (out ** 2).mean()


@pytest.fixture(autouse=True)
def _seed():
    dg.manual_seed(0)


def test_linear_2d_and_sequence_inputs():
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    check(model, [dg.randn(6, 5)], ce(dg.randint(0, 3, (6,))))
    seq = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2, bias=False))
    check(seq, [dg.randn(4, 7, 5)], lambda out, sel: (out.sum(1) ** 2).sum(1).mean())


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1), dict(padding="same", dilation=2),
                                dict(groups=2, bias=False), dict(padding=2,
                                                                 padding_mode="reflect")])
def test_conv2d(kw):
    model = nn.Sequential(nn.Conv2d(4, 6, 3, **kw), nn.ReLU(), nn.Flatten())
    check(model, [dg.randn(3, 4, 9, 9)], sq_mean)


def test_conv1d_and_conv3d():
    check(nn.Sequential(nn.Conv1d(3, 5, 4, stride=2, padding=1), nn.Flatten()),
          [dg.randn(4, 3, 12)], sq_mean)
    check(nn.Sequential(nn.Conv3d(2, 3, 2, padding=(1, 0, 1)), nn.Flatten()),
          [dg.randn(3, 2, 4, 5, 4)], sq_mean)


def test_embedding_with_padding_idx_and_repeated_indices():
    model = nn.Sequential(nn.Embedding(7, 3, padding_idx=0), nn.Flatten(), nn.Linear(12, 2))
    idx = dg.tensor([[1, 1, 0, 3], [0, 0, 0, 0], [6, 5, 4, 6]])
    gsm = check(model, [idx], ce(dg.tensor([0, 1, 1])))
    assert np.all(model[0].weight.grad_sample.numpy()[:, 0] == 0)
    assert gsm is not None


@pytest.mark.parametrize("layer,shape", [
    (lambda: nn.LayerNorm(6), (4, 3, 6)), (lambda: nn.LayerNorm((3, 6)), (4, 3, 6)),
    (lambda: nn.GroupNorm(2, 6), (4, 6, 5)), (lambda: nn.InstanceNorm1d(6, affine=True),
                                              (4, 6, 5)),
    (lambda: nn.RMSNorm(6), (4, 3, 6)), (lambda: nn.GroupNorm(3, 6, affine=True), (4, 6, 2, 3))])
def test_normalizations(layer, shape):
    norm = layer()
    for p in norm.parameters():          # away from the init (1, 0) so that mistakes show
        p.array[...] = np.random.default_rng(1).normal(size=p.shape)
    check(nn.Sequential(norm, nn.Flatten()), [dg.randn(*shape)],
          lambda out, sel: (out * dg.arange(out.shape[1]).float()).sin().mean())


def test_instance_norm_with_running_statistics_in_eval():
    norm = nn.InstanceNorm1d(4, affine=True, track_running_stats=True)
    norm.running_mean.array[...] = [0.1, -0.2, 0.3, 0.0]
    norm.running_var.array[...] = [1.5, 0.5, 2.0, 1.0]
    norm.eval()
    check(nn.Sequential(norm, nn.Flatten()), [dg.randn(3, 4, 5)],
          lambda out, sel: out.sin().mean(), strict=False)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2, bidirectional=True, batch_first=True),
                                dict(bias=False, batch_first=True)])
def test_recurrent(cls, kw):
    rnn = cls(3, 4, **kw)

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnn

        def forward(self, x):
            out, h = self.rnn(x)
            h = h[0] if isinstance(h, tuple) else h
            seq_axis = 1 if self.rnn.batch_first else 0
            # the output sequence and the final state both reach the loss
            return out.sum(seq_axis).sum(-1, keepdim=True) + h.sum(0).sum(-1, keepdim=True)
    x = dg.randn(4, 5, 3) if kw.get("batch_first") else dg.randn(5, 4, 3)
    batch_dim = 0 if kw.get("batch_first") else 1
    check(Head(), [x], lambda out, sel: (out ** 2).sum(-1).mean(), batch_dim=batch_dim)


def test_lstm_with_initial_state_and_cell_output():
    lstm = nn.LSTM(3, 4, batch_first=True)

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x, h0, c0):
            out, (h, c) = self.lstm(x, (h0.transpose(0, 1), c0.transpose(0, 1)))
            return out.mean(1) + c[0]
    check(Head(), [dg.randn(3, 6, 3), dg.randn(3, 1, 4), dg.randn(3, 1, 4)],
          lambda out, sel: out.tanh().sum(1).mean())


def test_generic_fallback_matches_for_a_layer_without_closed_form():
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
    bil = nn.Bilinear(3, 3, 2)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.bil = model, bil

        def forward(self, x):
            h = self.body(x)
            return self.bil(h, h * 2)
    check(Net(), [dg.randn(5, 4)], ce(dg.tensor([0, 1, 1, 0, 1])))


def test_force_functorch_uses_the_generic_path_everywhere():
    model = nn.Sequential(nn.Conv1d(2, 3, 3), nn.Flatten(), nn.Linear(12, 2))
    check(model, [dg.randn(3, 2, 6)], ce(dg.tensor([1, 0, 1])), force_functorch=True)


def test_shared_layer_adds_up_and_sum_reduction():
    shared = nn.Linear(3, 3)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.f = shared

        def forward(self, x):
            return self.f(self.f(x).tanh())
    gsm = GradSampleModule(Twice(), loss_reduction="sum")
    x = dg.randn(4, 3)
    (gsm(x) ** 2).sum().backward()
    np.testing.assert_allclose(shared.weight.grad_sample.numpy().sum(0),
                               shared.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_second_pass_without_zero_grad_gives_a_list_and_zero_grad_clears():
    model = nn.Linear(3, 2)
    gsm = GradSampleModule(model)
    for n in (4, 2):
        sq_mean(gsm(dg.randn(n, 3))).backward()
    gs = model.weight.grad_sample
    assert isinstance(gs, list) and [g.shape[0] for g in gs] == [4, 2]
    gsm(dg.randn(5, 3))                             # a forward without backward is harmless
    gsm.zero_grad()
    assert model.weight.grad_sample is None and model.weight.grad is None


def test_time_major_model_with_batch_first_false():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    check(model, [dg.randn(5, 3, 3)], lambda out, sel: (out ** 2).sum((0, 2)).mean(),
          batch_dim=1)


def test_matches_opacus_grad_samples():
    torch = pytest.importorskip("torch")
    pytest.importorskip("opacus")
    from opacus.grad_sample import GradSampleModule as OpacusGSM

    def build(lib):
        n = lib.nn
        return n.Sequential(n.Conv2d(1, 4, 3, stride=2, padding=1), n.GroupNorm(2, 4),
                            n.ReLU(), n.Flatten(), n.Linear(4 * 4 * 4, 5), n.LayerNorm(5),
                            n.Linear(5, 3))
    torch.manual_seed(0)
    ref = build(torch)
    mine = build(dg)
    mine.load_state_dict({k: dg.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(6, 1, 8, 8)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    o = OpacusGSM(ref)
    torch.nn.functional.cross_entropy(o(torch.tensor(x)), torch.tensor(y)).backward()
    g = GradSampleModule(mine)
    F.cross_entropy(g(dg.tensor(x)), dg.tensor(y)).backward()
    for (name, p), (_, q) in zip(mine.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad_sample.numpy(), q.grad_sample.numpy(), rtol=1e-4,
                                   atol=1e-6, err_msg=name)


def test_refusals():
    with pytest.raises(ShouldReplaceModuleError, match="GroupNorm"):
        GradSampleModule(nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)))
    gsm = GradSampleModule(nn.Embedding(5, 2, scale_grad_by_freq=True))
    with pytest.raises(ValueError, match="mixes samples"):
        gsm(dg.tensor([[1, 2]])).sum().backward()
    gsm = GradSampleModule(nn.LSTM(2, 3, num_layers=2, dropout=0.5))
    out, _ = gsm(dg.randn(4, 2, 2))
    with pytest.raises(ValueError, match="dropout"):
        out.sum().backward()
    with pytest.raises(ValueError, match="loss_reduction"):
        GradSampleModule(nn.Linear(2, 2), loss_reduction="max")
    with pytest.raises(TypeError, match="Module"):
        GradSampleModule(lambda x: x)


def test_to_standard_module_removes_the_hooks():
    model = nn.Linear(3, 2)
    gsm = GradSampleModule(model)
    assert gsm.to_standard_module() is model
    sq_mean(model(dg.randn(4, 3))).backward()
    assert model.weight.grad_sample is None and model.weight.grad is not None
