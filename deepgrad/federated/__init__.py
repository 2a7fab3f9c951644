"""Federated learning on deepgrad: client partitions, FedAvg/FedProx simulation,
client-level DP-FedAvg, and a Flower client for real deployments.

* partitions (Flower Datasets' names): :class:`IidPartitioner`,
  :class:`DirichletPartitioner` (label skew), :class:`ShardPartitioner` (McMahan et al.'s
  pathological split) -- ``partition.py``;
* strategies: :class:`FedAvg` (C = ``fraction_fit``, E = ``local_epochs``,
  B = ``batch_size``, ``server_learning_rate``, weighting by client size),
  :class:`FedProx` (``proximal_mu``) -- ``strategy.py``; :class:`DPFedAvg` (update
  clipping, Gaussian noise, user-level Rényi accounting) -- ``dp.py``;
* :func:`simulate`: the round loop with per-round metrics (global test accuracy, client
  drift) -- ``simulation.py``;
* models of both fronts through :func:`local_trainer` (``ModuleTrainer`` for
  ``deepgrad.nn``, ``KerasTrainer`` for ``deepgrad.keras``) -- ``trainer.py``;
* :class:`FlowerClient`, a ``flwr.client.NumPyClient`` (needs ``flwr``; loaded on first
  use) -- ``flower.py``.

Example (McMahan et al. 2017's pathological non-IID MNIST)::

    from deepgrad import federated
    part = federated.ShardPartitioner(num_partitions=100, num_shards_per_partition=2,
                                      shard_size=300)
    part.dataset = (x_train, y_train)
    clients = [part.load_partition(i) for i in range(100)]
    strategy = federated.FedAvg(fraction_fit=0.1, local_epochs=5, batch_size=10)
    history = federated.simulate(model, clients, strategy, num_rounds=100,
                                 test_data=(x_test, y_test), loss_fn=nn.CrossEntropyLoss(),
                                 optimizer_fn=lambda p: optim.SGD(p, lr=0.1))
    history.rounds_to(0.97)
"""
from deepgrad.federated.dp import DPFedAvg
from deepgrad.federated.partition import (DirichletPartitioner, IidPartitioner, Partitioner,
                                          ShardPartitioner)
from deepgrad.federated.simulation import History, simulate
from deepgrad.federated.strategy import FedAvg, FedProx
from deepgrad.federated.trainer import KerasTrainer, LocalTrainer, ModuleTrainer, local_trainer

__all__ = ["Partitioner", "IidPartitioner", "DirichletPartitioner", "ShardPartitioner",
           "FedAvg", "FedProx", "DPFedAvg", "simulate", "History", "LocalTrainer",
           "ModuleTrainer", "KerasTrainer", "local_trainer", "FlowerClient"]


def __getattr__(name):
    """``FlowerClient`` imports ``flwr`` (an optional extra) only when first asked for."""
    if name == "FlowerClient":
        from deepgrad.federated.flower import FlowerClient
        return FlowerClient
    raise AttributeError(f"module 'deepgrad.federated' has no attribute {name!r}")
