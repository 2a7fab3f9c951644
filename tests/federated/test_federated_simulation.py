"""The simulation loop end to end, on both fronts; its metrics, callbacks and bad input."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import federated, nn, optim


def _task(n=1200, seed=0):
    """Four Gaussian blobs in 8-D: learnable to ~100% by a small MLP."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(4, 8))
    y = rng.integers(0, 4, size=n)
    x = (centers[y] + rng.normal(size=(n, 8))).astype(np.float32)
    return x, y


def _clients(x, y, k=12, seed=0):
    part = federated.ShardPartitioner(k, num_shards_per_partition=2, seed=seed)
    part.dataset = (x, y)
    return [part.load_partition(i) for i in range(k)]


def _mlp():
    dg.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


def _run(model, clients, strategy, rounds=6, **kw):
    kw.setdefault("verbose", 0)
    if isinstance(model, nn.Module):
        kw.setdefault("loss_fn", nn.CrossEntropyLoss())
        kw.setdefault("optimizer_fn", lambda p: optim.SGD(p, lr=0.1))
    return federated.simulate(model, clients, strategy, rounds, **kw)


@pytest.mark.parametrize("algorithm", ["fedavg", "fedprox"])
def test_module_front_learns_on_pathological_split(algorithm):
    x, y = _task()
    clients = _clients(x[:1000], y[:1000])
    strategy = (federated.FedAvg(0.5, local_epochs=2, batch_size=10) if algorithm == "fedavg"
                else federated.FedProx(0.01, 0.5, local_epochs=2, batch_size=10))
    history = _run(_mlp(), clients, strategy, test_data=(x[1000:], y[1000:]), seed=0)
    acc = history.history["test_accuracy"]
    assert acc[-1] > 0.9, acc
    assert all(r["num_clients"] == 6 for r in history.rounds)
    assert all(r["client_drift"] > 0 for r in history.rounds)


def test_keras_front_learns():
    keras = pytest.importorskip("deepgrad.keras")
    x, y = _task()
    clients = _clients(x[:1000], y[:1000])
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(4, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="sparse_categorical_crossentropy")
    history = _run(model, clients, federated.FedAvg(0.5, local_epochs=2, batch_size=10),
                   test_data=(x[1000:], y[1000:]), seed=0)
    assert history.rounds[-1]["test_accuracy"] > 0.9, history.history["test_accuracy"]


def test_same_seed_same_run_and_model_ends_at_the_global_weights():
    x, y = _task(400)
    clients = _clients(x, y, k=8)
    runs = []
    for _ in range(2):
        model = _mlp()
        h = _run(model, clients, federated.FedAvg(0.5, batch_size=8), rounds=3, seed=7,
                 test_data=(x, y))
        runs.append((h.history["test_accuracy"], [p.array.copy() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)
    # the final model is the evaluated global model
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    model.load_state_dict(dict(zip(model.state_dict().keys(), runs[0][1])))
    trainer = federated.ModuleTrainer(model, nn.CrossEntropyLoss(), optim.SGD)
    assert trainer.evaluate(x, y)[1] == runs[0][0][-1]


def test_history_and_callback():
    x, y = _task(400)
    seen = []

    def stop_at_90(metrics):
        seen.append(metrics["round"])
        return metrics["test_accuracy"] >= 0.9

    h = _run(_mlp(), _clients(x, y, k=8), federated.FedAvg(1.0, local_epochs=2, batch_size=8),
             rounds=30, seed=0, test_data=(x, y), callback=stop_at_90)
    assert seen == list(range(1, len(h) + 1)) and len(h) < 30
    assert h.rounds_to(0.9) == len(h)
    assert h.rounds_to(1.01) is None
    hist = h.history
    for key in ("round", "num_clients", "num_examples", "train_loss", "test_loss",
                "test_accuracy", "client_drift", "update_norm", "mean_client_update_norm",
                "seconds"):
        assert len(hist[key]) == len(h), key


def test_verbose_prints_one_line_per_round(capsys):
    x, y = _task(200)
    _run(_mlp(), _clients(x, y, k=4), federated.FedAvg(), rounds=2, test_data=(x, y),
         verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("round 2") and "test accuracy" in lines[1]


def _weights(model):
    return [p.array.copy() for p in model.parameters()]


@pytest.mark.parametrize("clients, kwargs, message", [
    ("empty-client", {}, "client 1 is empty"),
    ("no-clients", {}, "non-empty list"),
    ("ragged", {}, "client 0: x has 10 samples but y has 9"),
    ("ok", {"num_rounds": 0}, "num_rounds"),
    ("ok", {"strategy": "fedavg"}, "strategy must be"),
    ("ok", {"test_data": (np.zeros((0, 8), np.float32), np.zeros(0))}, "test_data is empty"),
    ("ok", {"loss_fn": None}, "needs loss_fn"),
    ("ok", {"eval_batch_size": 0}, "eval_batch_size"),
    ("ok", {"callback": 3}, "callback must be callable"),
])
def test_bad_input_is_refused_before_training(clients, kwargs, message):
    x, y = _task(100)
    data = {"empty-client": [(x[:10], y[:10]), (x[:0], y[:0])], "no-clients": [],
            "ragged": [(x[:10], y[:9])], "ok": [(x[:10], y[:10])]}[clients]
    model = _mlp()
    before = _weights(model)
    args = dict(num_rounds=2, strategy=federated.FedAvg(), loss_fn=nn.CrossEntropyLoss(),
                optimizer_fn=lambda p: optim.SGD(p, lr=0.1), verbose=0)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        federated.simulate(model, data, **args)
    for a, b in zip(before, _weights(model)):
        np.testing.assert_array_equal(a, b)


def test_fraction_outside_range_is_refused():
    for c in (0, 1.01, -1):
        with pytest.raises(ValueError, match=r"fraction_fit \(C\) must be in \(0, 1\]"):
            federated.FedAvg(fraction_fit=c)
