"""A deepgrad model as a Flower client (``flwr``, an optional extra: ``pip install
'deepgrad[flower]'``).

deepgrad does not carry its own network layer: for training across machines, a model
of either front joins a Flower federation as a ``flwr.client.NumPyClient``, exchanging
the NumPy arrays deepgrad already holds (``state_dict()`` values for a
``deepgrad.nn.Module``, ``get_weights()`` for a Keras model)::

    from flwr.client import ClientApp
    from deepgrad.federated import FlowerClient

    def client_fn(context):
        pid = context.node_config["partition-id"]
        return FlowerClient(make_model(), partitions[pid], test_data,
                            loss_fn=nn.CrossEntropyLoss(),
                            optimizer_fn=lambda p: optim.SGD(p, lr=0.1),
                            local_epochs=5, batch_size=10).to_client()

    app = ClientApp(client_fn=client_fn)

``fit`` runs the same ClientUpdate as :func:`deepgrad.federated.simulate` (trainer.py).
The server's fit config may set ``local_epochs``, ``batch_size`` (0: the whole dataset,
B = inf, as configs cannot carry None) and ``proximal_mu`` (which Flower's ``FedProx``
strategy sends); ``evaluate``'s config may set ``batch_size``. Any other key is refused,
so a setting the server meant to apply is never dropped silently.
"""
import numpy as np

try:
    from flwr.client import NumPyClient
except ImportError as exc:      # the optional extra is missing
    raise ImportError("deepgrad.federated.FlowerClient needs Flower: "
                      "pip install 'deepgrad[flower]' (or pip install flwr)") from exc

from deepgrad.federated.trainer import check_client_data, check_local_settings, local_trainer

__all__ = ["FlowerClient"]

_FIT_KEYS = ("local_epochs", "batch_size", "proximal_mu")
_EVALUATE_KEYS = ("batch_size",)


def _check_config(config, allowed, method):
    if config is None:
        return {}
    if not hasattr(config, "items"):
        raise TypeError(f"{method}: config must be a dict; received {type(config).__name__}")
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise ValueError(f"{method}: unknown config keys {unknown}; FlowerClient reads "
                         f"{list(allowed)}")
    return dict(config)


class FlowerClient(NumPyClient):
    """A deepgrad model and one client's data as a Flower ``NumPyClient``.

    Args:
        model: a ``deepgrad.nn.Module`` (with ``loss_fn`` and ``optimizer_fn``), a compiled
            ``deepgrad.keras`` model, or a :class:`~deepgrad.federated.LocalTrainer`.
        train_data ((x, y)): this client's training data (non-empty).
        test_data ((x, y) or None): the data ``evaluate`` uses (None: the training data).
        loss_fn, optimizer_fn: for a ``deepgrad.nn.Module`` (see ``local_trainer``).
        local_epochs (int): E unless the fit config says otherwise.
        batch_size (int or None): B unless the config says otherwise (None: B = inf).
        proximal_mu (float): FedProx's mu unless the config says otherwise.
        seed (int or None): seed of the generator ordering the local batches.
    """

    def __init__(self, model, train_data, test_data=None, loss_fn=None, optimizer_fn=None,
                 local_epochs=1, batch_size=32, proximal_mu=0.0, seed=None):
        self.trainer = local_trainer(model, loss_fn, optimizer_fn)
        self.x, self.y, self.num_examples = check_client_data(train_data, "train_data")
        if test_data is not None:
            check_client_data(test_data, "test_data")
        self.test_data = test_data if test_data is not None else (self.x, self.y)
        self.local_epochs, self.batch_size, self.proximal_mu = check_local_settings(
            local_epochs, batch_size, proximal_mu)
        self.rng = np.random.default_rng(seed)

    def get_parameters(self, config):
        """The model's state as a list of NumPy arrays."""
        _check_config(config, (), "get_parameters")
        return self.trainer.get_weights()

    def set_parameters(self, parameters):
        """Load a list of NumPy arrays (Flower's parameters) into the model; counts and
        shapes are checked before anything is written."""
        self.trainer.set_weights(list(parameters))

    def fit(self, parameters, config):
        """ClientUpdate from ``parameters``: returns (weights, n_k, {"train_loss": ...})."""
        config = _check_config(config, _FIT_KEYS, "fit")
        batch_size = config.get("batch_size", self.batch_size)
        epochs, batch_size, mu = check_local_settings(
            config.get("local_epochs", self.local_epochs),
            None if batch_size == 0 else batch_size,
            config.get("proximal_mu", self.proximal_mu))
        self.set_parameters(parameters)
        loss = self.trainer.fit(self.x, self.y, epochs, batch_size, mu, self.rng)
        return self.trainer.get_weights(), int(self.num_examples), {"train_loss": float(loss)}

    def evaluate(self, parameters, config):
        """Loss and accuracy of ``parameters`` on the client's evaluation data."""
        config = _check_config(config, _EVALUATE_KEYS, "evaluate")
        batch_size = config.get("batch_size", 128)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"evaluate: batch_size must be a positive integer; received "
                             f"{batch_size!r}")
        self.set_parameters(parameters)
        loss, accuracy = self.trainer.evaluate(*self.test_data, batch_size=batch_size)
        return float(loss), int(len(self.test_data[0])), {"accuracy": float(accuracy)}
