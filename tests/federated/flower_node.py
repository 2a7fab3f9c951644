"""Flower federations of deepgrad clients, for test_federated_flower.py.

    python flower_node.py server PORT ROUNDS OUT.json   # Flower server, FedAvg, 2 clients
    python flower_node.py client PORT ID                # a deepgrad model as a NumPyClient
    python flower_node.py simulation ROUNDS OUT.json    # Flower's simulation engine (Ray)

Every side builds the same task (four Gaussian blobs, two clients with two classes each)
and the same initial model; the server evaluates the global model on the test set after
every round and writes the accuracies (central, and the clients' own evaluations
aggregated) to OUT.json.
"""
import json
import sys

import numpy as np

import deepgrad as dg
from deepgrad import federated, nn, optim


def task():
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=3.0, size=(4, 8))
    y = rng.integers(0, 4, size=800)
    x = (centers[y] + rng.normal(size=(800, 8))).astype(np.float32)
    return (x[:600], y[:600]), (x[600:], y[600:])


def model():
    dg.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


def trainer():
    return federated.ModuleTrainer(model(), nn.CrossEntropyLoss(),
                                   lambda p: optim.SGD(p, lr=0.1))


def partition(client_id, train):
    part = federated.ShardPartitioner(2, num_shards_per_partition=2, seed=0)
    part.dataset = train
    return part.load_partition(client_id)


def weighted_accuracy(metrics):
    """Flower's metric aggregation: the clients' accuracies weighted by their examples."""
    total = sum(n for n, _ in metrics)
    return {"accuracy": sum(n * m["accuracy"] for n, m in metrics) / total}


def strategy(central, test, accuracies, proximal_mu=None):
    """Flower's FedAvg (or FedProx, which sends ``proximal_mu`` in the fit config) over
    two clients, evaluating the global model centrally after every round."""
    from flwr.common import ndarrays_to_parameters
    from flwr.server.strategy import FedAvg, FedProx

    def evaluate(server_round, parameters, config):
        central.set_weights(parameters)
        loss, acc = central.evaluate(*test)
        accuracies.append(acc)
        return loss, {"accuracy": acc}

    kwargs = dict(fraction_fit=1.0, fraction_evaluate=1.0, min_fit_clients=2,
                  min_evaluate_clients=2, min_available_clients=2, evaluate_fn=evaluate,
                  initial_parameters=ndarrays_to_parameters(central.get_weights()),
                  on_fit_config_fn=lambda r: {"local_epochs": 2, "batch_size": 10},
                  evaluate_metrics_aggregation_fn=weighted_accuracy)
    if proximal_mu is None:
        return FedAvg(**kwargs)
    return FedProx(proximal_mu=proximal_mu, **kwargs)


def write(out, accuracies, history, rounds):
    distributed = [acc for _, acc in history.metrics_distributed.get("accuracy", [])]
    with open(out, "w") as f:
        json.dump({"central_accuracy": accuracies, "distributed_accuracy": distributed,
                   "rounds": rounds}, f)


def server(port, rounds, out):
    from flwr.server import ServerConfig, start_server

    _, test = task()
    accuracies = []
    history = start_server(server_address=f"127.0.0.1:{port}",
                           config=ServerConfig(num_rounds=rounds),
                           strategy=strategy(trainer(), test, accuracies))
    write(out, accuracies, history, rounds)


def simulation(rounds, out):
    """Flower's simulation engine: a ServerApp and a ClientApp of FlowerClients on two
    simulated SuperNodes (Ray), with FedProx sending proximal_mu to the clients."""
    from flwr.client import ClientApp
    from flwr.server import ServerApp, ServerAppComponents, ServerConfig
    from flwr.simulation import run_simulation

    train, test = task()
    accuracies, histories = [], []

    def client_fn(context):
        pid = int(context.node_config["partition-id"])
        return federated.FlowerClient(trainer(), partition(pid, train), test,
                                      seed=pid).to_client()

    def server_fn(context):
        return ServerAppComponents(
            strategy=strategy(trainer(), test, accuracies, proximal_mu=0.01),
            config=ServerConfig(num_rounds=rounds))

    run_simulation(server_app=ServerApp(server_fn=server_fn),
                   client_app=ClientApp(client_fn=client_fn), num_supernodes=2,
                   backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                                   "init_args": {"num_cpus": 2, "include_dashboard": False}})
    with open(out, "w") as f:
        json.dump({"central_accuracy": accuracies, "rounds": rounds}, f)


def client(port, client_id):
    from flwr.client import start_client

    train, test = task()
    fl_client = federated.FlowerClient(trainer(), partition(client_id, train), test,
                                       seed=client_id)
    start_client(server_address=f"127.0.0.1:{port}", client=fl_client.to_client(),
                 max_retries=60, max_wait_time=60)


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "server":
        server(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif role == "client":
        client(int(sys.argv[2]), int(sys.argv[3]))
    else:
        simulation(int(sys.argv[2]), sys.argv[3])
