"""The federated simulation loop: K clients on one machine, one model object.

Each round (McMahan et al. 2017, Algorithm 1; the strategy supplies the sampling and the
aggregation, see strategy.py and dp.py)::

    S_t = strategy.sample_clients(K)
    for k in S_t:                          (sequentially, on one model object)
        set w_t;  ClientUpdate on (x_k, y_k): E epochs, batches of B, FedProx's mu
        w_k, n_k = the trained weights and the client's sample count
    w_{t+1}, diagnostics = strategy.aggregate(w_t, [w_k], [n_k])
    set w_{t+1};  evaluate on the test data (the global model's accuracy)

The model ends holding the last global weights. Randomness: one ``numpy`` generator seeded
by ``seed`` samples the clients, orders each client's batches and draws DP noise; the
model's own randomness (dropout, initialisation) comes from ``deepgrad.manual_seed``.
"""
import math
import time

import numpy as np

from deepgrad.federated.trainer import check_client_data, local_trainer

__all__ = ["simulate", "History"]


class History:
    """Per-round metrics of a simulation.

    Attributes:
        rounds (list of dict): one dict per round: ``round``, ``num_clients`` (sampled),
            ``num_examples``, ``train_loss`` (the clients' local loss, weighted by their
            samples), ``client_drift``, ``update_norm``, ``mean_client_update_norm``, and
            with test data ``test_loss``/``test_accuracy``; DP-FedAvg adds
            ``clipped_fraction`` (and ``epsilon`` when it has a ``delta``).
    """

    def __init__(self):
        self.rounds = []

    @property
    def history(self):
        """The metrics as a dict of lists, Keras's ``History.history`` shape."""
        keys = []
        for r in self.rounds:
            keys += [k for k in r if k not in keys]
        return {k: [r.get(k) for r in self.rounds] for k in keys}

    def rounds_to(self, accuracy):
        """The first round whose global test accuracy is >= ``accuracy``, or None."""
        for r in self.rounds:
            if r.get("test_accuracy") is not None and r["test_accuracy"] >= accuracy:
                return r["round"]
        return None

    def __len__(self):
        return len(self.rounds)

    def __repr__(self):
        return f"History({len(self.rounds)} rounds)"


def _check_strategy(strategy):
    for attr in ("sample_clients", "aggregate", "local_epochs", "batch_size", "proximal_mu"):
        if not hasattr(strategy, attr):
            raise TypeError(f"strategy must be a FedAvg, FedProx or DPFedAvg (it has no "
                            f"{attr!r}); received {type(strategy).__name__}")


def _format(metrics):
    parts = [f"round {metrics['round']}", f"clients {metrics['num_clients']}"]
    if "test_accuracy" in metrics:
        parts.append(f"test accuracy {metrics['test_accuracy']:.4f}")
        parts.append(f"test loss {metrics['test_loss']:.4f}")
    if not math.isnan(metrics["train_loss"]):
        parts.append(f"train loss {metrics['train_loss']:.4f}")
    parts.append(f"drift {metrics['client_drift']:.4f}")
    if "epsilon" in metrics:
        parts.append(f"epsilon {metrics['epsilon']:.3f}")
    parts.append(f"{metrics['seconds']:.1f}s")
    return "  ".join(parts)


def simulate(model, clients, strategy, num_rounds, test_data=None, loss_fn=None,
             optimizer_fn=None, seed=None, eval_batch_size=128, verbose=1, callback=None):
    """Run ``num_rounds`` rounds of federated training on simulated clients.

    Args:
        model: a ``deepgrad.nn.Module`` (with ``loss_fn`` and ``optimizer_fn``), a compiled
            ``deepgrad.keras`` model, or a :class:`~deepgrad.federated.LocalTrainer`. Its
            weights at the call are the initial global model w_0.
        clients (list of (x, y)): each client's data (e.g. from a partitioner's
            ``load_partition``); every client needs at least one sample.
        strategy: :class:`FedAvg`, :class:`FedProx` or :class:`DPFedAvg` (C, E, B, eta...).
        num_rounds (int): communication rounds T.
        test_data ((x, y) or None): the global test set evaluated after every round.
        loss_fn, optimizer_fn: for a ``deepgrad.nn.Module`` (see :func:`local_trainer`).
        seed (int or None): seed of the simulation's NumPy generator.
        eval_batch_size (int): batch size of the evaluation.
        verbose (int): 1 prints one line per round, 0 nothing.
        callback (callable or None): ``callback(metrics) -> bool``, called after each
            round with its metrics dict; returning True stops the simulation.
    Returns:
        History: the per-round metrics.
    Raises:
        ValueError / TypeError: bad clients, strategy, rounds or model, before any
            training.

    Example:
        >>> part = ShardPartitioner(num_partitions=100, num_shards_per_partition=2)
        >>> part.dataset = (x_train, y_train)
        >>> clients = [part.load_partition(i) for i in range(100)]
        >>> history = simulate(model, clients, FedAvg(fraction_fit=0.1, local_epochs=5,
        ...                    batch_size=10), num_rounds=50, test_data=(x_test, y_test),
        ...                    loss_fn=nn.CrossEntropyLoss(),
        ...                    optimizer_fn=lambda p: optim.SGD(p, lr=0.1))
        >>> history.rounds_to(0.97)
    """
    _check_strategy(strategy)
    if isinstance(num_rounds, bool) or not isinstance(num_rounds, (int, np.integer)) \
            or num_rounds < 1:
        raise ValueError(f"num_rounds must be a positive integer; received {num_rounds!r}")
    if not isinstance(clients, (list, tuple)) or not clients:
        raise ValueError(f"clients must be a non-empty list of (x, y) pairs; received "
                         f"{type(clients).__name__}"
                         f"{' of length 0' if isinstance(clients, (list, tuple)) else ''}")
    data = [check_client_data(c, f"client {k}") for k, c in enumerate(clients)]
    if test_data is not None:
        check_client_data(test_data, "test_data")
    if isinstance(eval_batch_size, bool) or not isinstance(eval_batch_size, (int, np.integer)) \
            or eval_batch_size < 1:
        raise ValueError(f"eval_batch_size must be a positive integer; received "
                         f"{eval_batch_size!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable; received {type(callback).__name__}")
    trainer = local_trainer(model, loss_fn, optimizer_fn)
    rng = np.random.default_rng(seed)
    global_weights = trainer.get_weights()
    history = History()
    for t in range(1, int(num_rounds) + 1):
        start = time.perf_counter()
        chosen = strategy.sample_clients(len(data), rng)
        results, counts, losses = [], [], []
        for k in chosen:
            x, y, n = data[k]
            trainer.set_weights(global_weights)
            client_rng = np.random.default_rng(rng.integers(0, 2 ** 63 - 1))
            losses.append(trainer.fit(x, y, strategy.local_epochs, strategy.batch_size,
                                      strategy.proximal_mu, client_rng))
            results.append(trainer.get_weights())
            counts.append(n)
        global_weights, diagnostics = strategy.aggregate(global_weights, results, counts,
                                                         rng=rng, num_clients=len(data))
        trainer.set_weights(global_weights)
        total = int(sum(counts))
        metrics = {"round": t, "num_clients": len(chosen), "num_examples": total,
                   "train_loss": (float(np.dot(losses, counts)) / total if total
                                  else float("nan"))}
        metrics.update(diagnostics)
        if test_data is not None:
            metrics["test_loss"], metrics["test_accuracy"] = trainer.evaluate(
                *test_data, batch_size=eval_batch_size)
        metrics["seconds"] = time.perf_counter() - start
        history.rounds.append(metrics)
        if verbose:
            print(_format(metrics), flush=True)
        if callback is not None and callback(metrics):
            break
    return history
