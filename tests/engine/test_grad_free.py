"""The engine's ``grad_free``: a node may write its input gradient into the incoming g
only when nothing else holds g. Every case where g is shared (an addition handing one
array to both inputs, a leaf's .grad, the caller's seed, a view, a second backward with
retain_graph) must leave the other holders' values intact; where g is free, ReLU reuses
it (CPython's reference counts)."""
import platform

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.ops import activation


@pytest.fixture
def seen(monkeypatch):
    """The ``grad_free`` flag of every ReLU backward, in order (on the training loop's
    walk: a hook registered by an earlier test would send backward to the general one)."""
    from deepgrad.autograd import engine
    monkeypatch.setattr(engine.hooked, "any", False)
    flags = []
    real = activation.ReLU.backward

    def backward(self, g):
        flags.append(self.__dict__.get("grad_free"))
        return real(self, g)
    monkeypatch.setattr(activation.ReLU, "backward", backward)
    return flags


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="the reuse follows CPython's reference counts")
def test_a_plain_chain_hands_relu_its_gradient(seen):
    x = dg.tensor(_data(4, 5), requires_grad=True)
    w = dg.tensor(_data(5, 3, seed=1), requires_grad=True)
    (dg.relu(x @ w) @ dg.tensor(np.ones((3, 2)))).sum().backward()
    assert seen == [True]
    mask = (x.detach().numpy() @ w.detach().numpy()) > 0
    np.testing.assert_allclose(x.grad.numpy(), (2.0 * mask) @ w.detach().numpy().T)


def test_an_addition_shares_one_gradient_between_two_relus(seen):
    a = dg.tensor(_data(4, 5), requires_grad=True)
    z = dg.relu(a * 2.0) + dg.relu(a * 3.0)          # Add's backward returns (g, g)
    (z @ dg.tensor(np.ones((5, 1)))).sum().backward()
    assert seen[0] is False                           # the other ReLU still holds g
    x = a.detach().numpy()
    np.testing.assert_array_equal(a.grad.numpy(), 2.0 * (x > 0) + 3.0 * (x > 0))


def test_a_leaf_given_the_same_gradient_keeps_its_values():
    a = dg.tensor(_data(3, 4), requires_grad=True)
    b = dg.tensor(_data(3, 4, seed=2), requires_grad=True)
    for z in (a + dg.relu(b * 1.0), dg.relu(b * 1.0) + a):   # Add hands g to both
        g = _data(3, 4, seed=3)
        a.grad = b.grad = None
        (z * dg.tensor(g)).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), g)     # the leaf's own copy
        np.testing.assert_array_equal(b.grad.numpy(), g * (b.detach().numpy() > 0))


def test_the_callers_seed_is_never_written(seen):
    b = dg.tensor(_data(3, 4), requires_grad=True)
    seed = _data(3, 4, seed=4)
    kept = seed.copy()
    dg.relu(b * 1.0).backward(dg.tensor(seed))
    assert seen == [False]
    np.testing.assert_array_equal(seed, kept)


def test_a_view_of_a_gradient_is_not_free(seen):
    b = dg.tensor(_data(2, 6), requires_grad=True)
    g = _data(3, 4, seed=5)
    (dg.relu(b * 1.0).reshape(3, 4) * dg.tensor(g)).sum().backward()
    assert seen == [False]                            # Reshape hands back a view
    np.testing.assert_array_equal(b.grad.numpy(), g.reshape(2, 6) * (b.detach().numpy() > 0))


def test_retain_graph_twice_gives_twice_the_gradient(seen):
    x = dg.tensor(_data(4, 5), requires_grad=True)
    w = dg.tensor(_data(5, 3, seed=1), requires_grad=True)
    y = dg.relu(x @ w)
    loss = (y @ dg.tensor(np.ones((3, 2)))).sum()
    loss.backward(retain_graph=True)
    # the kept node holds no flag from that walk (the general walk, which hooks and
    # retain_grad use, never sets it)
    assert y.grad_fn.__dict__.get("grad_free") is False
    once = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * once)


def test_a_model_step_equals_the_copying_path(monkeypatch):
    """A conv model's gradients with the reuse and with every g treated as shared."""
    from deepgrad.autograd import engine
    monkeypatch.setattr(engine.hooked, "any", False)
    torch = dg
    results = []
    for free_refs in (engine.FREE_REFS, -1):          # -1: never free
        monkeypatch.setattr(engine, "FREE_REFS", free_refs)
        dg.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(),
                                    torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                    torch.nn.Linear(4 * 3 * 3, 8), torch.nn.ReLU(),
                                    torch.nn.Linear(8, 3))
        x = dg.tensor(_data(5, 1, 8, 8).astype(np.float32))
        y = dg.tensor(np.array([0, 1, 2, 1, 0]))
        torch.nn.functional.cross_entropy(model(x), y).backward()
        results.append([p.grad.numpy().copy() for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="the hand-over follows CPython's reference counts")
def test_a_leaf_takes_a_transposed_fresh_product_as_it_is():
    """A Fortran-ordered weight's gradient (Linear makes it as the transpose of a fresh
    C-ordered product) becomes .grad without a copy, in the weight's order; a view of an
    array something else holds (a transposed leaf handed the seed) is copied."""
    k = dg.tensor(np.asfortranarray(_data(5, 3).astype(np.float32)), requires_grad=True)
    x = dg.tensor(_data(4, 5, seed=1).astype(np.float32))
    g = _data(4, 3, seed=2).astype(np.float32)
    dg.ops.dense(x, k).backward(dg.tensor(g))
    grad = k.grad.numpy()
    assert grad.flags.f_contiguous and not grad.flags.c_contiguous and grad.base is not None
    np.testing.assert_allclose(grad, x.numpy().T @ g, rtol=1e-6, atol=1e-6)
    before = grad.copy()
    dg.ops.dense(x, k).backward(dg.tensor(g))             # accumulates into the view
    assert k.grad.numpy() is grad and np.array_equal(grad, 2 * before)

    a = dg.tensor(_data(3, 4, seed=3), requires_grad=True)
    seed = _data(4, 3, seed=4)
    kept = seed.copy()
    a.t().backward(dg.tensor(seed))                       # hands back seed.T: held by the caller
    assert not np.shares_memory(a.grad.numpy(), seed)
    a.grad.numpy()[...] = 0
    np.testing.assert_array_equal(seed, kept)
