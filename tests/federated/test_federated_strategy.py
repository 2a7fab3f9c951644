"""FedAvg / FedProx: local training and aggregation against NumPy and PyTorch references,
on both fronts."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import federated, nn, optim

D, C = 5, 3


def _data(n, seed):
    rng = np.random.default_rng(seed)
    # float64 values exact in float32: Keras 3 (and deepgrad.keras) pass a model's float
    # inputs through float32 even when every layer is float64
    x = rng.normal(size=(n, D)).astype(np.float32).astype(np.float64)
    y = rng.integers(0, C, size=n)
    return x, y


def _init(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=0.5, size=(C, D)), rng.normal(scale=0.1, size=C)


def _ref_local_sgd(w, b, x, y, epochs, batch_size, lr, mu, rng):
    """Softmax regression trained by SGD on mean cross-entropy (+ mu/2 ||theta - theta0||^2),
    visiting rng.permutation(n) in batches each epoch: the ClientUpdate of trainer.py."""
    w, b = w.copy(), b.copy()
    w0, b0 = w.copy(), b.copy()
    n = len(x)
    bs = n if batch_size is None else batch_size
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, bs):
            ix = order[s:s + bs]
            logits = x[ix] @ w.T + b
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(ix)), y[ix]] -= 1
            g = p / len(ix)
            w = w - lr * (g.T @ x[ix] + mu * (w - w0))
            b = b - lr * (g.sum(0) + mu * (b - b0))
    return w, b


def _module(w, b):
    lin = nn.Linear(D, C, dtype=dg.float64)
    lin.load_state_dict({"weight": w, "bias": b})
    return lin


def _module_trainer(w, b, lr):
    return federated.ModuleTrainer(_module(w, b), nn.CrossEntropyLoss(),
                                   lambda p: optim.SGD(p, lr=lr))


def _keras_trainer(w, b, lr):
    keras = pytest.importorskip("deepgrad.keras")
    model = keras.Sequential([keras.layers.Input((D,), dtype="float64"),
                              keras.layers.Dense(C, dtype="float64")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                     dtype="float64"))
    model.set_weights([w.T, b])
    return federated.KerasTrainer(model)


@pytest.mark.parametrize("mu", [0.0, 0.3])
@pytest.mark.parametrize("front", ["module", "keras"])
def test_client_update_matches_numpy(front, mu):
    w, b = _init()
    x, y = _data(23, 1)
    # lr 0.25: exact in float32, where Keras keeps its learning rate
    trainer = (_module_trainer if front == "module" else _keras_trainer)(w, b, 0.25)
    loss = trainer.fit(x, y, local_epochs=2, batch_size=7, proximal_mu=mu,
                       rng=np.random.default_rng(5))
    rw, rb = _ref_local_sgd(w, b, x, y, 2, 7, 0.25, mu, np.random.default_rng(5))
    got = trainer.get_weights()
    got_w = got[0] if front == "module" else got[0].T
    np.testing.assert_allclose(got_w, rw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[1], rb, rtol=1e-10, atol=1e-12)
    assert np.isfinite(loss) and loss > 0


@pytest.mark.parametrize("weighting, eta", [("num_examples", 1.0), ("uniform", 1.0),
                                            ("num_examples", 0.5)])
def test_fedavg_round_matches_numpy(weighting, eta):
    w, b = _init()
    clients = [_data(n, s) for n, s in ((10, 1), (30, 2), (5, 3))]
    strategy = federated.FedAvg(fraction_fit=1.0, local_epochs=3, batch_size=None,
                                server_learning_rate=eta, weighting=weighting)
    model = _module(w, b)
    history = federated.simulate(model, clients, strategy, num_rounds=1,
                                 loss_fn=nn.CrossEntropyLoss(),
                                 optimizer_fn=lambda p: optim.SGD(p, lr=0.1), verbose=0)
    locals_ = [_ref_local_sgd(w, b, x, y, 3, None, 0.1, 0.0, np.random.default_rng(0))
               for x, y in clients]      # full batches: the order does not matter
    n = np.array([10, 30, 5], dtype=float)
    p = n / n.sum() if weighting == "num_examples" else np.full(3, 1 / 3)
    ref_w = w + eta * sum(pk * (lw - w) for pk, (lw, _) in zip(p, locals_))
    ref_b = b + eta * sum(pk * (lb - b) for pk, (_, lb) in zip(p, locals_))
    np.testing.assert_allclose(model.weight.array, ref_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.bias.array, ref_b, rtol=1e-10, atol=1e-12)
    # the drift is the weighted spread of the client models around their average
    flat = [np.concatenate([(lw - w).ravel(), (lb - b).ravel()]) for lw, lb in locals_]
    mean = sum(pk * f for pk, f in zip(p, flat))
    drift = np.sqrt(sum(pk * np.sum((f - mean) ** 2) for pk, f in zip(p, flat)))
    r = history.rounds[0]
    np.testing.assert_allclose(r["client_drift"], drift, rtol=1e-9)
    np.testing.assert_allclose(r["update_norm"], np.linalg.norm(mean), rtol=1e-9)
    assert r["num_clients"] == 3 and r["num_examples"] == 45


def test_fedprox_round_matches_numpy_and_differs_from_fedavg():
    w, b = _init()
    clients = [_data(12, 1), _data(20, 2)]
    out = {}
    for mu in (0.0, 0.5):
        model = _module(w, b)
        federated.simulate(model, clients, federated.FedProx(mu, local_epochs=4),
                           num_rounds=1, loss_fn=nn.CrossEntropyLoss(),
                           optimizer_fn=lambda p: optim.SGD(p, lr=0.3), verbose=0)
        locals_ = [_ref_local_sgd(w, b, x, y, 4, None, 0.3, mu, np.random.default_rng(0))
                   for x, y in clients]
        ref = sum(n / 32 * lw for n, (lw, _) in zip((12, 20), locals_))
        np.testing.assert_allclose(model.weight.array, ref, rtol=1e-10, atol=1e-12)
        out[mu] = model.weight.array.copy()
    # the proximal term keeps the clients nearer the global model
    assert np.linalg.norm(out[0.5] - w) < np.linalg.norm(out[0.0] - w)


def test_fedavg_round_matches_pytorch():
    torch = pytest.importorskip("torch")
    w, b = _init()
    clients = [_data(17, 1), _data(9, 2)]
    seeds = (11, 12)
    results, counts = [], []
    trainer = _module_trainer(w, b, 0.15)
    for (x, y), s in zip(clients, seeds):
        trainer.set_weights([w, b])
        trainer.fit(x, y, local_epochs=2, batch_size=4, rng=np.random.default_rng(s))
        results.append(trainer.get_weights())
        counts.append(len(x))
    new, _ = federated.FedAvg(local_epochs=2, batch_size=4).aggregate([w, b], results, counts)

    torch_results = []
    for (x, y), s in zip(clients, seeds):
        lin = torch.nn.Linear(D, C, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        opt = torch.optim.SGD(lin.parameters(), lr=0.15)
        rng = np.random.default_rng(s)
        for _ in range(2):
            order = rng.permutation(len(x))
            for st in range(0, len(x), 4):
                ix = order[st:st + 4]
                opt.zero_grad()
                torch.nn.functional.cross_entropy(lin(torch.from_numpy(x[ix])),
                                                  torch.from_numpy(y[ix])).backward()
                opt.step()
        torch_results.append([lin.weight.detach().numpy(), lin.bias.detach().numpy()])
    total = sum(counts)
    for i in range(2):
        ref = sum(n / total * r[i] for n, r in zip(counts, torch_results))
        np.testing.assert_allclose(new[i], ref, rtol=1e-10, atol=1e-12)


def test_aggregate_keeps_dtypes_and_rounds_integer_buffers():
    g = [np.zeros(3, np.float32), np.array(10, np.int64)]
    c1 = [np.ones(3, np.float32), np.array(13, np.int64)]
    c2 = [np.full(3, 3, np.float32), np.array(16, np.int64)]
    new, metrics = federated.FedAvg().aggregate(g, [c1, c2], [1, 3])
    assert new[0].dtype == np.float32 and new[1].dtype == np.int64
    np.testing.assert_allclose(new[0], 2.5)
    assert int(new[1]) == round(10 + 0.25 * 3 + 0.75 * 6)
    # drift over the float arrays only: updates 1 and 3 (x3 entries), mean 2.5
    np.testing.assert_allclose(metrics["client_drift"],
                               np.sqrt(0.25 * 3 * 1.5 ** 2 + 0.75 * 3 * 0.5 ** 2))
    np.testing.assert_allclose(metrics["mean_client_update_norm"],
                               0.25 * np.sqrt(3) + 0.75 * 3 * np.sqrt(3))


def test_client_sampling():
    rng = np.random.default_rng(0)
    s = federated.FedAvg(fraction_fit=0.1)
    for _ in range(20):
        chosen = s.sample_clients(100, rng)
        assert len(chosen) == 10 == len(np.unique(chosen))
    assert len(federated.FedAvg(fraction_fit=0.01).sample_clients(10, rng)) == 1   # max(CK, 1)
    assert len(federated.FedAvg(fraction_fit=0.3).sample_clients(10, rng)) == 3
    np.testing.assert_array_equal(federated.FedAvg().sample_clients(4, rng), np.arange(4))


@pytest.mark.parametrize("make, message", [
    (lambda: federated.FedAvg(fraction_fit=0.0), r"fraction_fit \(C\) must be in \(0, 1\]"),
    (lambda: federated.FedAvg(fraction_fit=1.5), r"received 1.5"),
    (lambda: federated.FedAvg(fraction_fit=-0.1), "fraction_fit"),
    (lambda: federated.FedAvg(local_epochs=0), "local_epochs"),
    (lambda: federated.FedAvg(local_epochs=1.5), "local_epochs"),
    (lambda: federated.FedAvg(batch_size=0), "batch_size"),
    (lambda: federated.FedAvg(server_learning_rate=0), "server_learning_rate"),
    (lambda: federated.FedAvg(weighting="size"), "weighting"),
    (lambda: federated.FedProx(-0.1), "proximal_mu"),
])
def test_bad_strategy_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_clients_whose_shapes_differ_are_refused():
    g = [np.zeros((2, 3)), np.zeros(3)]
    good = [np.ones((2, 3)), np.ones(3)]
    with pytest.raises(ValueError, match=r"Client 1: array 0 has shape \(3, 2\)"):
        federated.FedAvg().aggregate(g, [good, [np.ones((3, 2)), np.ones(3)]], [1, 1])
    with pytest.raises(ValueError, match="Client 0 returned 1 arrays"):
        federated.FedAvg().aggregate(g, [[np.ones((2, 3))]], [1])
    with pytest.raises(ValueError, match="at least one client"):
        federated.FedAvg().aggregate(g, [], [])
    with pytest.raises(ValueError, match="positive count"):
        federated.FedAvg().aggregate(g, [good], [0])


def test_set_weights_checks_before_writing():
    w, b = _init()
    trainer = _module_trainer(w, b, 0.1)
    with pytest.raises(ValueError, match=r"array 1 has shape \(4,\)"):
        trainer.set_weights([w + 1, np.zeros(4)])
    np.testing.assert_array_equal(trainer.get_weights()[0], w)      # nothing written
    with pytest.raises(ValueError, match="has 1 arrays"):
        trainer.set_weights([w])


def test_local_trainer_dispatch_and_errors():
    w, b = _init()
    assert isinstance(federated.local_trainer(_module(w, b), nn.CrossEntropyLoss(),
                                              lambda p: optim.SGD(p, lr=0.1)),
                      federated.ModuleTrainer)
    with pytest.raises(ValueError, match="needs loss_fn"):
        federated.local_trainer(_module(w, b))
    with pytest.raises(TypeError, match="received ndarray"):
        federated.local_trainer(np.zeros(3))
    keras = pytest.importorskip("deepgrad.keras")
    model = keras.Sequential([keras.layers.Input((D,)), keras.layers.Dense(C)])
    with pytest.raises(ValueError, match="must be compiled"):
        federated.local_trainer(model)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="compile"):
        federated.local_trainer(model, loss_fn=nn.MSELoss())
    assert isinstance(federated.local_trainer(model), federated.KerasTrainer)


def test_client_optimizer_state_is_fresh_each_fit():
    """Momentum does not leak from one client's fit into the next (ClientUpdate)."""
    w, b = _init()
    x, y = _data(8, 1)
    trainer = federated.ModuleTrainer(_module(w, b), nn.CrossEntropyLoss(),
                                      lambda p: optim.SGD(p, lr=0.1, momentum=0.9))
    trainer.fit(x, y, batch_size=None, rng=np.random.default_rng(0))
    first = trainer.get_weights()
    trainer.set_weights([w, b])
    trainer.fit(x, y, batch_size=None, rng=np.random.default_rng(0))
    for a, c in zip(first, trainer.get_weights()):
        np.testing.assert_array_equal(a, c)
