"""Module hooks: forward, forward-pre, full backward (pre-)hooks, global hooks, handles."""
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn import module as module_api


def _linear_pair(seed=0):
    """A deepgrad Linear(4, 3) in float64 and, when torch is present, its torch twin."""
    lin = nn.Linear(4, 3).double()
    x = np.random.default_rng(seed).normal(size=(5, 4))
    return lin, x


def test_forward_pre_hook_replaces_input_and_single_values_are_wrapped():
    lin, x = _linear_pair()
    seen = []
    h = lin.register_forward_pre_hook(lambda m, args: (seen.append(args), args[0] * 2)[1])
    out = lin(dg.tensor(x))
    assert isinstance(seen[0], tuple) and len(seen[0]) == 1
    h.remove()
    np.testing.assert_allclose(out.numpy(), lin(dg.tensor(2 * x)).numpy())
    assert len(seen) == 1                 # removed: not called again


def test_forward_hook_replaces_output_with_kwargs_and_prepend_order():
    lin, x = _linear_pair()
    order = []
    lin.register_forward_hook(lambda m, a, out: order.append("first"))
    lin.register_forward_hook(lambda m, a, out: order.append("prepended"), prepend=True)

    def with_kwargs(m, args, kwargs, out):
        order.append(("kw", dict(kwargs)))
        return out + 1
    lin.register_forward_hook(with_kwargs, with_kwargs=True)
    y = lin(dg.tensor(x))
    assert order == ["prepended", "first", ("kw", {})]
    np.testing.assert_allclose(y.numpy(), x @ lin.weight.numpy().T + lin.bias.numpy() + 1)


def test_forward_pre_hook_with_kwargs_returns_args_and_kwargs():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor
    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                with_kwargs=True)
    assert m(dg.tensor([1.0, 2.0]), factor=10.0).tolist() == [3.0, 6.0]
    bad = Scale()
    bad.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        bad(dg.tensor([1.0]))


def test_always_call_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    m, calls = Boom(), []
    m.register_forward_hook(lambda mod, a, out: calls.append("always"), always_call=True)
    m.register_forward_hook(lambda mod, a, out: calls.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(dg.tensor([1.0]))
    assert calls == ["always"]


def test_handle_as_context_manager_and_double_remove():
    lin, x = _linear_pair()
    calls = []
    with lin.register_forward_hook(lambda m, a, o: calls.append(1)) as handle:
        lin(dg.tensor(x))
    lin(dg.tensor(x))
    handle.remove()                        # a second remove does nothing
    assert calls == [1]
    assert not lin._forward_hooks and not lin._forward_hooks_with_kwargs


def test_global_forward_hooks_see_every_module_and_run_first():
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    seen = []
    seq[0].register_forward_hook(lambda m, a, o: seen.append("local"))
    with module_api.register_module_forward_hook(lambda m, a, o: seen.append(type(m).__name__)):
        seq(dg.randn(1, 2))
    seq(dg.randn(1, 2))
    assert seen == ["Linear", "local", "ReLU", "Sequential", "local"]
    pre = []
    h = module_api.register_module_forward_pre_hook(lambda m, a: pre.append(type(m).__name__))
    seq(dg.randn(1, 2))
    h.remove()
    assert pre == ["Sequential", "Linear", "ReLU"]


# ---------------------------------------------------------------------- backward hooks
def _torch_linear(lin):
    torch = pytest.importorskip("torch")
    t = torch.nn.Linear(4, 3).double()
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in lin.state_dict().items()})
    return torch, t


def test_full_backward_hook_grads_match_torch():
    lin, x = _linear_pair()
    rec = {}
    lin.register_full_backward_hook(
        lambda m, gi, go: rec.update(gi=[g.numpy().copy() for g in gi],
                                     go=[g.numpy().copy() for g in go]))
    xt = dg.tensor(x, requires_grad=True)
    w = np.random.default_rng(1).normal(size=(5, 3))
    (lin(xt) * dg.tensor(w)).sum().backward()
    np.testing.assert_allclose(rec["go"][0], w)
    np.testing.assert_allclose(rec["gi"][0], w @ lin.weight.numpy())
    np.testing.assert_allclose(xt.grad.numpy(), w @ lin.weight.numpy())

    torch, t = _torch_linear(lin)
    trec = {}
    t.register_full_backward_hook(lambda m, gi, go: trec.update(gi=gi, go=go))
    xtt = torch.tensor(x, requires_grad=True)
    (t(xtt) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(rec["gi"][0], trec["gi"][0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(rec["go"][0], trec["go"][0].numpy(), rtol=1e-12)


def test_backward_hook_and_pre_hook_replace_gradients_as_torch():
    lin, x = _linear_pair()
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
    xt = dg.tensor(x, requires_grad=True)
    lin(xt).sum().backward()
    expected = 2 * np.ones((5, 3)) @ lin.weight.numpy() + 1
    np.testing.assert_allclose(xt.grad.numpy(), expected)
    np.testing.assert_allclose(lin.bias.grad.numpy(), 2 * 5 * np.ones(3))   # uses new grad_output

    torch, t = _torch_linear(lin)
    t.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    t.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
    xtt = torch.tensor(x, requires_grad=True)
    t(xtt).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), xtt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad.numpy(), t.bias.grad.numpy(), rtol=1e-12)


def test_backward_hook_non_tensor_and_no_grad_inputs_are_none():
    class Mix(nn.Module):
        def forward(self, a, scale, b):
            return a * scale + b
    m, rec = Mix(), {}
    m.register_full_backward_hook(lambda mod, gi, go: rec.update(gi=gi, go=go))
    a = dg.tensor([1.0, 2.0], requires_grad=True)
    b = dg.tensor([3.0, 4.0])
    m(a, 3.0, b).sum().backward()
    assert rec["gi"][1] is None and rec["gi"][2] is None
    np.testing.assert_allclose(rec["gi"][0].numpy(), [3.0, 3.0])
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 3.0])


def test_backward_hook_fires_on_outputs_when_no_input_requires_grad():
    lin, x = _linear_pair()
    rec = {}
    lin.register_full_backward_hook(lambda m, gi, go: rec.update(gi=gi, go=go))
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        lin(dg.tensor(x)).sum().backward()
    assert rec["gi"] == (None,)
    np.testing.assert_allclose(rec["go"][0].numpy(), np.ones((5, 3)))


def test_backward_hook_bad_returns_raise_clear_errors():
    lin, x = _linear_pair()
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        lin(dg.tensor(x, requires_grad=True)).sum().backward()
    lin2, _ = _linear_pair()
    lin2.register_full_backward_hook(lambda m, gi, go: (dg.ones(3),))
    xt = dg.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad_input\[0\] of shape \(3,\), expected the "
                                           r"shape \(5, 4\)"):
        lin2(xt).sum().backward()
    assert xt.grad is None                 # nothing reached the input
    lin3, _ = _linear_pair()
    lin3.register_full_backward_pre_hook(lambda m, go: (go[0][:1],))
    with pytest.raises(RuntimeError, match=r"grad_output\[0\] of shape \(1, 3\)"):
        lin3(dg.tensor(x, requires_grad=True)).sum().backward()


def test_backward_hooks_on_nested_modules_and_global_backward_hook():
    seq = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    names = []
    for name, m in seq.named_children():
        m.register_full_backward_hook(lambda mod, gi, go, n=name: names.append(n))
    glob = []
    with module_api.register_module_full_backward_hook(
            lambda mod, gi, go: glob.append(type(mod).__name__)):
        x = dg.tensor(np.ones((2, 4)), requires_grad=True)
        seq(x).sum().backward()
    assert names == ["2", "1", "0"]        # reverse order of the forward
    assert glob == ["Linear", "Tanh", "Linear", "Sequential"]
    ref = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    ref.load_state_dict(seq.state_dict())
    x2 = dg.tensor(np.ones((2, 4)), requires_grad=True)
    ref(x2).sum().backward()               # identity routing changes no gradient
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(seq[0].weight.grad.numpy(), ref[0].weight.grad.numpy())


def test_backward_hook_with_tuple_output_and_no_grad_mode():
    class Two(nn.Module):
        def forward(self, x):
            return x * 2, x * 3
    m, rec = Two(), {}
    m.register_full_backward_hook(lambda mod, gi, go: rec.update(go=go, gi=gi))
    x = dg.tensor([1.0, 1.0], requires_grad=True)
    a, b = m(x)
    a.sum().backward()                     # b unused: None, as torch
    np.testing.assert_allclose(rec["go"][0].numpy(), [1.0, 1.0])
    assert rec["go"][1] is None
    np.testing.assert_allclose(rec["gi"][0].numpy(), [2.0, 2.0])
    with dg.no_grad():
        out = m(x)
    assert not out[0].requires_grad


def test_legacy_backward_hook_is_refused_with_the_replacement_named():
    with pytest.raises(RuntimeError, match="use register_full_backward_hook"):
        nn.Linear(2, 2).register_backward_hook(lambda m, gi, go: None)


def test_full_and_legacy_backward_hooks_cannot_mix():
    lin = nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda m, gi, go: None)
    lin.__dict__["_is_full_backward_hook"] = False
    with pytest.raises(RuntimeError, match="Cannot use both"):
        lin.register_full_backward_hook(lambda m, gi, go: None)


def test_registration_hooks():
    seen = []
    with module_api.register_module_parameter_registration_hook(
            lambda m, n, p: seen.append(("param", n))), \
            module_api.register_module_buffer_registration_hook(
                lambda m, n, b: seen.append(("buffer", n))), \
            module_api.register_module_module_registration_hook(
                lambda m, n, s: seen.append(("module", n))):
        m = nn.Module()
        m.w = nn.Parameter(dg.zeros(2))
        m.register_buffer("b", dg.zeros(1))
        m.sub = nn.Identity()
    m.w2 = nn.Parameter(dg.zeros(2))
    assert seen == [("param", "w"), ("buffer", "b"), ("module", "sub")]


def test_backward_hook_keeps_a_namedtuple_output():
    from collections import namedtuple
    Out = namedtuple("Out", ["a", "b"])

    class Pair(nn.Module):
        def forward(self, x):
            return Out(x * 2, x * 3)
    m, rec = Pair(), {}
    m.register_full_backward_hook(lambda mod, gi, go: rec.update(go=go))
    x = dg.tensor([1.0], requires_grad=True)
    out = m(x)
    assert isinstance(out, Out)
    (out.a + out.b).sum().backward()
    assert len(rec["go"]) == 2 and x.grad.item() == 5.0
