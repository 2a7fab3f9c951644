"""What a client does with a model: local training (ClientUpdate) and evaluation, for both
fronts, on NumPy weight lists.

A :class:`LocalTrainer` wraps one model and exchanges its state as a list of NumPy arrays
(what FedAvg averages and what Flower's ``NumPyClient`` sends):

* :class:`ModuleTrainer` -- a ``deepgrad.nn.Module`` (PyTorch style): the arrays are the
  ``state_dict()`` values in its order (parameters and buffers, as Flower's PyTorch
  examples send them); it trains with ``loss_fn(output, target)`` and a fresh optimizer
  ``optimizer_fn(parameters)`` on every :meth:`~LocalTrainer.fit`;
* :class:`KerasTrainer` -- a compiled ``deepgrad.keras`` model: the arrays are
  ``get_weights()`` (Keras's order); it trains with the compiled loss
  (``compute_loss``) and a fresh copy of the compiled optimizer (``from_config``) on
  every fit, with Keras's torch-backend step (``loss.backward()``, ``optimizer.apply``).

A fresh optimizer per fit is McMahan et al.'s ``ClientUpdate`` (and TFF's
``client_optimizer_fn``): no optimizer state travels between rounds or clients.

Local objective (FedProx, Li et al. 2020, with ``proximal_mu`` = mu >= 0)::

    h_k(w) = F_k(w) + mu/2 * ||w - w_t||^2,     grad h_k(w) = grad F_k(w) + mu (w - w_t)

where ``w_t`` are the trainable weights received at the start of the fit; the proximal
gradient is added to each trainable weight's ``.grad`` after ``backward`` (mu = 0 is
FedAvg's plain local SGD). Each epoch visits the client's samples in a fresh random order
in batches of ``batch_size`` (``None``: the whole client dataset, the paper's B = inf).
"""
import inspect
import sys
from collections import OrderedDict

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.module import Module

__all__ = ["LocalTrainer", "ModuleTrainer", "KerasTrainer", "local_trainer", "check_client_data"]


def check_client_data(data, name="client data"):
    """Return ``(x, y, n)`` for a client's ``(x, y)`` pair.

    Raises:
        ValueError: not a pair, different lengths, or no samples.
    """
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{name} must be an (x, y) pair of arrays; received "
                         f"{type(data).__name__}"
                         f"{' of length ' + str(len(data)) if isinstance(data, (tuple, list)) else ''}")
    x, y = data
    n = len(x)
    if len(y) != n:
        raise ValueError(f"{name}: x has {n} samples but y has {len(y)}")
    if n == 0:
        raise ValueError(f"{name} is empty: every client needs at least one sample")
    return x, y, n


def _positive_int_or_none(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer or None; received {value!r}")
    return int(value)


def check_local_settings(local_epochs, batch_size, proximal_mu):
    """Validate E, B and mu; return them as (int, int or None, float)."""
    if (isinstance(local_epochs, bool) or not isinstance(local_epochs, (int, np.integer))
            or local_epochs < 1):
        raise ValueError(f"local_epochs (E) must be a positive integer; received "
                         f"{local_epochs!r}")
    batch_size = _positive_int_or_none(batch_size, "batch_size (B)")
    mu = float(proximal_mu)
    if not (np.isfinite(mu) and mu >= 0):
        raise ValueError(f"proximal_mu must be finite and >= 0; received {proximal_mu!r}")
    return int(local_epochs), batch_size, mu


def _as_numpy(a):
    return a.array if isinstance(a, Tensor) else np.asarray(a)


class LocalTrainer:
    """One model, trained and evaluated by a client; its state as a list of NumPy arrays.

    Subclasses provide the front-specific parts: the weight list, the trainable
    tensors, a fresh optimizer, one batch's loss, and the model's outputs.
    """

    def get_weights(self):
        """Copies of the model's state as a list of NumPy arrays."""
        raise NotImplementedError

    def set_weights(self, weights):
        """Write ``weights`` (a list like :meth:`get_weights`'s) into the model; every
        count and shape is checked before anything is written."""
        raise NotImplementedError

    def check_weights(self, weights, who="weights"):
        """Raise a ValueError unless ``weights`` matches the model's arrays in number and
        shape (the check federated averaging and Flower's parameters need)."""
        own = self.get_weights()
        if not isinstance(weights, (list, tuple)):
            raise ValueError(f"{who} must be a list of NumPy arrays; received "
                             f"{type(weights).__name__}")
        if len(weights) != len(own):
            raise ValueError(f"{who} has {len(weights)} arrays; the model has {len(own)}")
        for i, (w, o) in enumerate(zip(weights, own)):
            shape = tuple(np.shape(w))
            if shape != o.shape:
                raise ValueError(f"{who}: array {i} has shape {shape}; the model's has "
                                 f"shape {o.shape}")

    # ------------------------------------------------------------------ training
    def fit(self, x, y, local_epochs=1, batch_size=None, proximal_mu=0.0, rng=None):
        """Train on one client's data (ClientUpdate); returns the mean training loss.

        Args:
            x, y: the client's samples and targets (NumPy arrays or Tensors).
            local_epochs (int): E, passes over the client's data.
            batch_size (int or None): B; None is the whole client dataset (B = inf).
            proximal_mu (float): FedProx's mu (0: FedAvg).
            rng (numpy.random.Generator or None): the batch order's generator.
        Returns:
            float: the data loss ``F_k`` averaged over every sample visited.
        """
        x, y, n = check_client_data((x, y))
        epochs, batch_size, mu = check_local_settings(local_epochs, batch_size, proximal_mu)
        rng = np.random.default_rng() if rng is None else rng
        x, y = _as_numpy(x), _as_numpy(y)
        step_size = n if batch_size is None else batch_size
        params = self._trainable()
        anchor = [p.array.copy() for p in params] if mu else None
        optimizer = self._new_optimizer(params)
        total = 0.0
        with self._mode(training=True):
            for _ in range(epochs):
                order = rng.permutation(n)
                for start in range(0, n, step_size):
                    ix = order[start:start + step_size]
                    total += self._step(x[ix], y[ix], params, optimizer, anchor, mu) * len(ix)
        return total / (epochs * n)

    @staticmethod
    def _add_proximal_gradient(params, anchor, mu):
        """grad += mu * (w - w_t), the gradient of mu/2 ||w - w_t||^2."""
        for p, a in zip(params, anchor):
            if p.grad is not None:
                p.grad.array = p.grad.array + mu * (p.array - a)

    def evaluate(self, x, y, batch_size=128):
        """Mean loss and accuracy of the model on ``(x, y)``, without recording a graph.

        Accuracy compares ``argmax`` over the last output axis with the targets (class
        indices, or one-hot rows); outputs with fewer than 2 classes raise.

        Returns:
            (float, float): loss (the training loss function, averaged over samples) and
            accuracy in [0, 1].
        """
        x, y, n = check_client_data((x, y), "evaluation data")
        if _positive_int_or_none(batch_size, "batch_size") is None:
            raise ValueError("evaluate: batch_size must be a positive integer; received None")
        x, y = _as_numpy(x), _as_numpy(y)
        loss_sum, correct = 0.0, 0
        with self._mode(training=False), no_grad():
            for start in range(0, n, batch_size):
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
                out, loss = self._predict_loss(xb, yb)
                out = _as_numpy(out)
                if out.ndim < 2 or out.shape[-1] < 2:
                    raise ValueError(f"Accuracy needs class scores of shape (N, C >= 2); the "
                                     f"model returned shape {out.shape}")
                labels = yb.argmax(axis=-1) if yb.ndim == out.ndim else yb
                correct += int((out.argmax(axis=-1) == labels).sum())
                loss_sum += float(loss) * len(xb)
        return loss_sum / n, correct / n

    # ------------------------------------------------------------------ front hooks
    def _trainable(self):
        raise NotImplementedError

    def _new_optimizer(self, params):
        raise NotImplementedError

    def _step(self, xb, yb, params, optimizer, anchor, mu):
        raise NotImplementedError

    def _predict_loss(self, xb, yb):
        raise NotImplementedError

    def _mode(self, training):
        raise NotImplementedError


class _ModuleMode:
    """``module.train(training)`` for a block, then the module's previous mode."""

    def __init__(self, module, training):
        self.module, self.training = module, training

    def __enter__(self):
        self.before = self.module.training
        self.module.train(self.training)

    def __exit__(self, *exc):
        self.module.train(self.before)


class ModuleTrainer(LocalTrainer):
    """A PyTorch-style ``deepgrad.nn.Module`` as a federated client's model.

    Args:
        module (deepgrad.nn.Module): the model.
        loss_fn (callable): ``loss_fn(output, target) -> scalar Tensor``, a mean over the
            batch (e.g. ``nn.CrossEntropyLoss()``).
        optimizer_fn (callable): ``optimizer_fn(parameters) -> Optimizer``, called afresh
            for every local fit (e.g. ``lambda p: optim.SGD(p, lr=0.1)``).
    """

    def __init__(self, module, loss_fn, optimizer_fn):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleTrainer needs a deepgrad.nn.Module; received "
                            f"{type(module).__name__}")
        for name, fn in (("loss_fn", loss_fn), ("optimizer_fn", optimizer_fn)):
            if not callable(fn):
                raise TypeError(f"{name} must be callable; received {type(fn).__name__}")
        self.module, self.loss_fn, self.optimizer_fn = module, loss_fn, optimizer_fn

    def get_weights(self):
        return [t.array.copy() for t in self.module.state_dict().values()]

    def set_weights(self, weights):
        self.check_weights(weights)
        keys = list(self.module.state_dict().keys())
        self.module.load_state_dict(OrderedDict(zip(keys, (_as_numpy(w) for w in weights))))

    def _trainable(self):
        return [p for p in self.module.parameters() if p.requires_grad]

    def _new_optimizer(self, params):
        return self.optimizer_fn(params)

    def _step(self, xb, yb, params, optimizer, anchor, mu):
        optimizer.zero_grad()
        loss = self.loss_fn(self.module(Tensor(xb)), Tensor(yb))
        loss.backward()
        if anchor is not None:
            self._add_proximal_gradient(params, anchor, mu)
        optimizer.step()
        return loss.item()

    def _predict_loss(self, xb, yb):
        out = self.module(Tensor(xb))
        return out, self.loss_fn(out, Tensor(yb)).item()

    def _mode(self, training):
        return _ModuleMode(self.module, training)


class _NoMode:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return None


class KerasTrainer(LocalTrainer):
    """A compiled ``deepgrad.keras`` model as a federated client's model.

    Training uses the compiled loss (``model.compute_loss``, so ``add_loss`` terms and
    weight regularizers count) and, for every local fit, a fresh optimizer built from the
    compiled one's ``get_config()``.

    Args:
        model (deepgrad.keras.Model): a model on which ``compile`` was called.
    """

    def __init__(self, model):
        layer_module = sys.modules.get("deepgrad.keras.layers.layer")
        if layer_module is None or not isinstance(model, layer_module.Layer):
            raise TypeError(f"KerasTrainer needs a deepgrad.keras model; received "
                            f"{type(model).__name__}")
        if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
            raise ValueError("The Keras model must be compiled (with an optimizer and a "
                             "loss) before federated training: call model.compile(...)")
        self.model = model
        self._loss_has_training = "training" in inspect.signature(
            model.compute_loss).parameters

    def get_weights(self):
        return self.model.get_weights()

    def set_weights(self, weights):
        self.check_weights(weights)
        self.model.set_weights([_as_numpy(w) for w in weights])

    def _trainable(self):
        return list(self.model.trainable_weights)

    def _new_optimizer(self, params):
        compiled = self.model.optimizer
        return type(compiled).from_config(compiled.get_config())

    def _loss(self, xb, yb, y_pred, training):
        if self._loss_has_training:
            return self.model.compute_loss(x=xb, y=yb, y_pred=y_pred, training=training)
        return self.model.compute_loss(x=xb, y=yb, y_pred=y_pred)

    def _step(self, xb, yb, params, optimizer, anchor, mu):
        for p in params:
            p.grad = None
        y_pred = self.model(xb, training=True)
        loss = self._loss(xb, yb, y_pred, training=True)
        loss.backward()
        if anchor is not None:
            self._add_proximal_gradient(params, anchor, mu)
        optimizer.apply(params)
        return loss.item()

    def _predict_loss(self, xb, yb):
        y_pred = self.model(xb, training=False)
        return y_pred, self._loss(xb, yb, y_pred, training=False).item()

    def _mode(self, training):
        return _NoMode()


def local_trainer(model, loss_fn=None, optimizer_fn=None):
    """The :class:`LocalTrainer` for ``model``, whichever front it comes from.

    Args:
        model: a ``deepgrad.nn.Module`` (then ``loss_fn`` and ``optimizer_fn`` are
            required), a compiled ``deepgrad.keras`` model (which trains with its compiled
            loss and optimizer: passing either is an error), or a LocalTrainer.
    Raises:
        TypeError / ValueError: another kind of object, or arguments that do not apply.
    """
    if isinstance(model, LocalTrainer):
        if loss_fn is not None or optimizer_fn is not None:
            raise ValueError("loss_fn/optimizer_fn are set on the LocalTrainer itself, not "
                             "passed again with it")
        return model
    if isinstance(model, Module):
        if loss_fn is None or optimizer_fn is None:
            raise ValueError("A deepgrad.nn.Module needs loss_fn (e.g. nn.CrossEntropyLoss()) "
                             "and optimizer_fn (e.g. lambda params: optim.SGD(params, lr=0.1))")
        return ModuleTrainer(model, loss_fn, optimizer_fn)
    layer_module = sys.modules.get("deepgrad.keras.layers.layer")
    if layer_module is not None and isinstance(model, layer_module.Layer):
        if loss_fn is not None or optimizer_fn is not None:
            raise ValueError("A Keras model trains with the loss and optimizer given to "
                             "compile(); loss_fn/optimizer_fn are for deepgrad.nn.Module "
                             "models")
        return KerasTrainer(model)
    raise TypeError(f"Expected a deepgrad.nn.Module, a compiled deepgrad.keras model or a "
                    f"LocalTrainer; received {type(model).__name__}")
