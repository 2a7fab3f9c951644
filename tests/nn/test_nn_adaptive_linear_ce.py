"""AdaptiveLogSoftmaxWithLoss and LinearCrossEntropyLoss: parameters and state_dict keys as
PyTorch, forward/log_prob/predict against a direct NumPy computation and against torch,
gradients, bad input."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn


def _np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _np_full_log_prob(m, x):
    """log p(c | x) for every class, straight from the definition (NumPy, float64)."""
    head = x @ m.head.weight.numpy().T + (m.head.bias.numpy() if m.head.bias is not None else 0)
    hl = _np_log_softmax(head)
    parts = [hl[:, :m.shortlist_size]]
    for i, proj in enumerate(m.tail):
        z = x @ proj[0].weight.numpy().T @ proj[1].weight.numpy().T
        parts.append(_np_log_softmax(z) + hl[:, m.shortlist_size + i:m.shortlist_size + i + 1])
    return np.concatenate(parts, 1)


def test_structure_and_state_dict_keys():
    m = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 12], div_value=2.0, head_bias=True)
    assert list(m.state_dict()) == ["head.weight", "head.bias", "tail.0.0.weight",
                                    "tail.0.1.weight", "tail.1.0.weight", "tail.1.1.weight"]
    assert m.head.weight.shape == (7, 16)
    assert m.tail[0][0].weight.shape == (8, 16) and m.tail[0][1].weight.shape == (7, 8)
    assert m.tail[1][0].weight.shape == (4, 16) and m.tail[1][1].weight.shape == (8, 4)
    assert m.cutoffs == [5, 12, 20] and m.shortlist_size == 5 and m.n_clusters == 2
    for bad in ([], [0, 5], [5, 5], [12, 5], [5, 20], [2.5]):
        with pytest.raises(ValueError, match="cutoffs should be"):
            nn.AdaptiveLogSoftmaxWithLoss(16, 20, bad)


def test_forward_log_prob_predict_against_the_definition():
    dg.manual_seed(0)
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7], div_value=2.0, dtype=dg.float64)
    x = np.random.default_rng(0).standard_normal((10, 8))
    t = np.array([0, 2, 3, 6, 7, 11, 1, 4, 9, 5])
    full = _np_full_log_prob(m, x)
    np.testing.assert_allclose(np.exp(full).sum(1), 1.0, rtol=1e-12)
    out, loss = m(dg.tensor(x), dg.tensor(t))
    np.testing.assert_allclose(out.numpy(), full[np.arange(10), t], rtol=1e-12)
    np.testing.assert_allclose(loss.numpy(), -full[np.arange(10), t].mean(), rtol=1e-12)
    np.testing.assert_allclose(m.log_prob(dg.tensor(x)).numpy(), full, rtol=1e-12)
    np.testing.assert_array_equal(m.predict(dg.tensor(x)).numpy(), full.argmax(1))
    o1, l1 = m(dg.tensor(x[3]), dg.tensor(t[3]))
    assert o1.shape == () and np.isclose(o1.item(), full[3, t[3]])
    # gradients flow to every parameter a target reaches
    xt = dg.tensor(x, requires_grad=True)
    m(xt, dg.tensor(t)).loss.backward()
    assert all(p.grad is not None and np.abs(p.grad.numpy()).sum() > 0 for p in m.parameters())
    assert dg.gradcheck(lambda a: m(a, dg.tensor(t)).loss, (dg.tensor(x, requires_grad=True),))


def test_bad_input():
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7], div_value=2.0)
    with pytest.raises(RuntimeError, match=r"target values should be in \[0, 11\]"):
        m(dg.randn(2, 8), dg.tensor([0, 12]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        m(dg.randn(3, 8), dg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input"):
        m(dg.randn(2, 2, 8), dg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        m(dg.randn(2, 8), dg.tensor([[0, 1]]))
    with pytest.raises(RuntimeError, match=r"expected input of shape \(N, 8\)"):
        m.log_prob(dg.randn(8))


def test_matches_torch():
    torch = pytest.importorskip("torch")
    tm = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 12], div_value=2.0, head_bias=True).double()
    m = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 12], div_value=2.0, head_bias=True,
                                      dtype=dg.float64)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((9, 16))
    t = np.array([0, 4, 5, 11, 12, 19, 3, 7, 15])
    a, ta = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (o, l), (to, tl) = m(a, dg.tensor(t)), tm(ta, torch.tensor(t))
    np.testing.assert_allclose(o.numpy(), to.detach().numpy(), rtol=1e-12)
    l.backward()
    tl.backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-15)
    for p, tp in zip(m.parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(m.log_prob(dg.tensor(x)).numpy(),
                               tm.log_prob(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(m.predict(dg.tensor(x)).numpy(),
                                  tm.predict(torch.tensor(x)).numpy())
    assert repr(m) == repr(tm)


# ----------------------------------------------------------------- LinearCrossEntropyLoss
def test_linear_cross_entropy_loss_module():
    dg.manual_seed(0)
    m = nn.LinearCrossEntropyLoss(3, 5, out_features=(2,), bias=True, weight=dg.ones(5))
    assert list(m.state_dict()) == ["weight", "linear.weight", "linear.bias"]
    assert m.linear.weight.shape == (10, 3)
    x = dg.randn(4, 3)
    t = dg.randint(0, 5, (4, 2))
    logits = m.linear(x).reshape(4, 5, 2)
    np.testing.assert_allclose(m(x, t).numpy(), dg.nn.functional.cross_entropy(logits, t).numpy(),
                               rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"expected weight shape to be \(5,\)"):
        nn.LinearCrossEntropyLoss(3, 5, weight=dg.ones(4))
    with pytest.raises(RuntimeError, match="label_smoothing to be in range"):
        nn.LinearCrossEntropyLoss(3, 5, label_smoothing=1.5)
    with pytest.raises(ValueError, match="options=None"):
        nn.LinearCrossEntropyLoss(3, 5, options=object())


def test_linear_cross_entropy_loss_matches_torch():
    torch = pytest.importorskip("torch")
    tm = torch.nn.LinearCrossEntropyLoss(3, 5, out_features=(2,), bias=True,
                                         label_smoothing=0.1).double()
    m = nn.LinearCrossEntropyLoss(3, 5, out_features=(2,), bias=True, label_smoothing=0.1,
                                  dtype=dg.float64)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((4, 3))
    t = np.random.default_rng(3).integers(0, 5, (4, 2))
    y, ty = m(dg.tensor(x), dg.tensor(t)), tm(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
    y.backward()
    ty.backward()
    np.testing.assert_allclose(m.linear.weight.grad.numpy(), tm.linear.weight.grad.numpy(),
                               rtol=1e-10)
    assert repr(m) == repr(tm)
