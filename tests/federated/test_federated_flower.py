"""deepgrad models as Flower NumPyClients: the client API, Flower's aggregation, Flower's
simulation engine, and a server with two client processes on localhost (all skipped
without flwr)."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import federated, nn, optim

NODE = Path(__file__).with_name("flower_node.py")
ROOT = Path(__file__).resolve().parents[2]


def _task(n=300, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(3, 6))
    y = rng.integers(0, 3, size=n)
    return (centers[y] + rng.normal(size=(n, 6))).astype(np.float32), y


def _trainer():
    dg.manual_seed(0)
    return federated.ModuleTrainer(nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)),
                                   nn.CrossEntropyLoss(), lambda p: optim.SGD(p, lr=0.1))


def test_flower_client_is_a_numpy_client():
    flwr = pytest.importorskip("flwr")
    x, y = _task()
    client = federated.FlowerClient(_trainer(), (x[:200], y[:200]), (x[200:], y[200:]),
                                    local_epochs=1, batch_size=16, seed=3)
    assert isinstance(client, flwr.client.NumPyClient)
    assert isinstance(client.to_client(), flwr.client.Client)
    start = client.get_parameters({})
    assert [a.shape for a in start] == [(8, 6), (8,), (3, 8), (3,)]

    # fit = set the parameters, run ClientUpdate with the config's E, B, mu
    params, n, metrics = client.fit(start, {"local_epochs": 2, "batch_size": 0,
                                            "proximal_mu": 0.1})
    reference = _trainer()
    reference.set_weights(start)
    loss = reference.fit(x[:200], y[:200], local_epochs=2, batch_size=None, proximal_mu=0.1,
                         rng=np.random.default_rng(3))
    assert n == 200 and metrics == {"train_loss": pytest.approx(loss)}
    for a, b in zip(params, reference.get_weights()):
        np.testing.assert_array_equal(a, b)

    loss, n, metrics = client.evaluate(params, {})
    ref_loss, ref_acc = reference.evaluate(x[200:], y[200:])
    assert n == 100 and loss == pytest.approx(ref_loss)
    assert metrics == {"accuracy": pytest.approx(ref_acc)}


def test_flower_client_refuses_bad_input():
    pytest.importorskip("flwr")
    x, y = _task(50)
    client = federated.FlowerClient(_trainer(), (x, y))
    start = client.get_parameters({})
    with pytest.raises(ValueError, match=r"unknown config keys \['epochs'\]"):
        client.fit(start, {"epochs": 3})
    with pytest.raises(ValueError, match="local_epochs"):
        client.fit(start, {"local_epochs": 0})
    bad = [start[0], start[1], np.zeros((3, 9), np.float32), start[3]]
    with pytest.raises(ValueError, match=r"array 2 has shape \(3, 9\)"):
        client.fit(bad, {})
    for a, b in zip(start, client.get_parameters({})):
        np.testing.assert_array_equal(a, b)             # nothing was written
    with pytest.raises(ValueError, match="train_data is empty"):
        federated.FlowerClient(_trainer(), (x[:0], y[:0]))


def test_keras_model_as_flower_client():
    pytest.importorskip("flwr")
    keras = pytest.importorskip("deepgrad.keras")
    x, y = _task()
    model = keras.Sequential([keras.layers.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="sparse_categorical_crossentropy")
    client = federated.FlowerClient(model, (x, y), batch_size=10)
    start = client.get_parameters({})
    assert [a.shape for a in start] == [(6, 3), (3,)]          # Keras's layout
    params, n, _ = client.fit(start, {"local_epochs": 3})
    loss, _, metrics = client.evaluate(params, {})
    assert n == 300 and metrics["accuracy"] > 0.9


def test_fedavg_aggregation_matches_flower():
    pytest.importorskip("flwr")
    from flwr.server.strategy.aggregate import aggregate
    rng = np.random.default_rng(0)
    g = [rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)]
    clients = [[a + rng.normal(size=a.shape).astype(np.float32) for a in g] for _ in range(4)]
    counts = [10, 50, 3, 37]
    ours, _ = federated.FedAvg().aggregate(g, clients, counts)
    theirs = aggregate(list(zip(clients, counts)))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_server_and_two_client_processes_on_localhost(tmp_path):
    pytest.importorskip("flwr")
    out, port = tmp_path / "result.json", _free_port()
    server = subprocess.Popen([sys.executable, str(NODE), "server", str(port), "3", str(out)],
                              env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    clients = [subprocess.Popen([sys.executable, str(NODE), "client", str(port), str(i)],
                                env=_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for i in (0, 1)]
    try:
        logs = [p.communicate(timeout=180)[0] for p in [server] + clients]
    finally:
        for p in [server] + clients:
            if p.poll() is None:
                p.kill()
    assert all(p.returncode == 0 for p in [server] + clients), "\n".join(
        log[-2000:] for log in logs)
    result = json.loads(out.read_text())
    central, distributed = result["central_accuracy"], result["distributed_accuracy"]
    # round 0 (initial weights) and three rounds; each client holds two of the four
    # classes, yet the averaged model classifies all four
    assert len(central) == 4 and central[0] < 0.5 and central[-1] > 0.9, central
    assert len(distributed) == 3 and distributed[-1] == pytest.approx(central[-1])


def test_flower_simulation_engine(tmp_path):
    pytest.importorskip("flwr")
    pytest.importorskip("ray")
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, str(NODE), "simulation", "2", str(out)],
                          env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    central = json.loads(out.read_text())["central_accuracy"]
    assert len(central) == 3 and central[0] < 0.5 and central[-1] > 0.9, central


def test_flower_client_without_flwr_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "flwr.client", None)      # as if flwr were absent
    monkeypatch.delitem(sys.modules, "deepgrad.federated.flower", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'deepgrad\[flower\]'"):
        federated.FlowerClient
