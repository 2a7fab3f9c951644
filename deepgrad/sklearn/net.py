"""``NeuralNet``: a :mod:`deepgrad.nn` module trained and used as a scikit-learn estimator
(skorch's ``NeuralNet``, on deepgrad).

The arguments are stored as given (the module stays a class) so ``sklearn.base.clone``
can copy the estimator; :meth:`NeuralNet.initialize` makes the objects, each from its
own settings:

    module_    = module(**module__*)                      (a class, or an instance as is)
    criterion_ = criterion(**criterion__*)
    optimizer_ = optimizer(module_.parameters(), lr=lr, **optimizer__*)
    history_   = History()

A setting for a part is routed by its prefix, ``<part>__<name>`` (``module__hidden=32``,
``optimizer__momentum=0.9``, ``iterator_train__shuffle=True``), so ``set_params`` and
``GridSearchCV`` reach it; a setting changed on an initialized net re-makes the parts it
concerns. ``fit(X, y)`` validates the data (``n_features_in_`` and, for the subclasses,
``classes_`` or ``n_outputs_`` are set *before* the parts are made, so an overridden
:meth:`initialize_module` can size the module from them), initializes (unless
``warm_start`` and already initialized), splits off a validation set with
``train_split`` and runs ``max_epochs`` epochs. Each epoch is, for every batch
:math:`(x_b, y_b)` of the training loader,

.. math::

    \\hat y_b = f_\\theta(x_b), \\quad L_b = \\ell(\\hat y_b, y_b), \\quad
    \\theta \\leftarrow \\mathrm{step}(\\theta, \\nabla_\\theta L_b)

(zero the gradients, forward, loss, backward, optimizer step), then the validation loss
without gradients; the epoch's losses go into :attr:`history_`
(:class:`~deepgrad.sklearn.history.History`). ``partial_fit`` runs the same epochs
without re-initializing.

Differences from skorch: there are no callbacks, no ``dataset`` argument and no fit
parameters passed to ``forward``; ``device`` must be ``"cpu"`` (or None); the inputs
``X`` are validated by scikit-learn (2-D, finite, numeric; converted to float32).
"""
import inspect
import time

import numpy as np

import deepgrad
from deepgrad import nn, optim
from deepgrad.autograd import no_grad
from deepgrad.sklearn._compat import BaseEstimator, require_sklearn, validate_data
from deepgrad.sklearn.dataset import ValidSplit
from deepgrad.sklearn.history import History
from deepgrad.utils.data import DataLoader, TensorDataset

__all__ = ["NeuralNet"]

_PREFIXES = ("module", "criterion", "optimizer", "iterator_train", "iterator_valid")


def _instance(part, kwargs):
    """``part`` made with ``kwargs``: an ``nn.Module`` instance is used as it is (or
    re-made from its class when ``kwargs`` are given); a class or callable is called."""
    if isinstance(part, nn.Module):
        return type(part)(**kwargs) if kwargs else part
    return part(**kwargs)


def _identity(x):
    return x


class NeuralNet(BaseEstimator):
    """A :mod:`deepgrad.nn` module as a scikit-learn estimator.

    Args:
        module: an ``nn.Module`` class (made at ``initialize`` with the ``module__*``
            settings) or instance (used as it is; it keeps its weights across fits).
        criterion: the loss, an ``nn.Module`` class or instance (``criterion__*``).
        optimizer: an optimizer class (default ``deepgrad.optim.SGD``), made with
            ``lr`` and the ``optimizer__*`` settings.
        lr (float): the learning rate (``optimizer__lr`` takes precedence).
        max_epochs (int): epochs per ``fit`` or ``partial_fit``.
        batch_size (int): samples per batch for training and prediction; -1 for all.
        iterator_train, iterator_valid: loader classes (default
            :class:`~deepgrad.utils.data.DataLoader`); ``iterator_train__shuffle=True``
            shuffles the training batches (skorch's default does not).
        train_split: ``None`` (train on everything) or a callable
            ``(dataset, y) -> (dataset_train, dataset_valid)``; default
            ``ValidSplit(5)`` (the first fold of five held out).
        predict_nonlinearity: ``"auto"`` (softmax after a ``CrossEntropyLoss``, else
            nothing), ``None`` (nothing) or a callable applied to the module's output in
            ``predict``/``predict_proba`` (never in the loss).
        warm_start (bool): ``fit`` continues from the current weights.
        verbose (int): 0 silent; 1 prints one table row per epoch.
        device (str or None): ``"cpu"`` or None; deepgrad computes on the CPU only.
        **kwargs: routed settings, ``<part>__<name>`` for the parts above.

    Attributes:
        module_, criterion_, optimizer_: the parts made by :meth:`initialize`.
        history_ (History): one dict per epoch (also as ``history``).
        initialized_ (bool): whether :meth:`initialize` has run.
        n_features_in_ (int): input features seen in ``fit``.
    """

    prefixes_ = _PREFIXES

    def __init__(self, module, criterion, optimizer=optim.SGD, lr=0.01, max_epochs=10,
                 batch_size=128, iterator_train=DataLoader, iterator_valid=DataLoader,
                 train_split=ValidSplit(5), predict_nonlinearity="auto", warm_start=False,
                 verbose=1, device="cpu", **kwargs):
        require_sklearn(type(self).__name__)
        self.module = module
        self.criterion = criterion
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.iterator_train = iterator_train
        self.iterator_valid = iterator_valid
        self.train_split = train_split
        self.predict_nonlinearity = predict_nonlinearity
        self.warm_start = warm_start
        self.verbose = verbose
        self.device = device
        vars(self).update(kwargs)

    # ------------------------------------------------------------------ parameters
    def _get_param_names(self):
        """The named arguments and the routed ``<part>__<name>`` settings (every public
        attribute not ending in ``_``), so ``get_params`` and ``clone`` carry both."""
        return sorted(k for k in vars(self) if not k.startswith("_") and not k.endswith("_"))

    def get_params_for(self, prefix):
        """The routed settings of one part: ``{name: value}`` for every
        ``<prefix>__<name>``."""
        start = prefix + "__"
        return {k[len(start):]: v for k, v in vars(self).items() if k.startswith(start)}

    def set_params(self, **params):
        """Set arguments and routed settings (any ``<part>__<name>``, new or not); on an
        initialized net, re-make the parts whose settings changed."""
        routed = {k: v for k, v in params.items()
                  if any(k.startswith(p + "__") for p in self.prefixes_)}
        plain = {k: v for k, v in params.items() if k not in routed}
        if plain:
            super().set_params(**plain)
        vars(self).update(routed)
        if getattr(self, "initialized_", False):
            self._reinitialize(set(params))
        return self

    def _reinitialize(self, names):
        def touches(part):
            return any(n == part or n.startswith(part + "__") for n in names)
        if touches("criterion"):
            self.initialize_criterion()
        if touches("module"):
            self.initialize_module()
        if touches("module") or touches("optimizer") or "lr" in names:
            self.initialize_optimizer()

    def _check_params(self):
        """Refuse unknown or malformed routed settings and a device other than the CPU."""
        msgs = []
        for key in sorted(self._get_param_names()):
            if key in self._named_params():
                continue
            prefix = next((p for p in sorted(self.prefixes_, key=len, reverse=True)
                           if key.startswith(p)), None)
            if prefix is None:
                msgs.append(f"__init__() got unexpected argument {key!r}; routed settings "
                            f"start with one of {', '.join(self.prefixes_)} and '__'")
            elif not key.startswith(prefix + "__"):
                msgs.append(f"Got an unexpected argument {key}, did you mean "
                            f"{prefix}__{key[len(prefix):].lstrip('_')}?")
        if self.device is not None and str(self.device) != "cpu":
            msgs.append(f"device={self.device!r} is not available: deepgrad computes on the "
                        f"CPU; use device='cpu' (or None)")
        if msgs:
            raise ValueError("\n".join(msgs))

    def _named_params(self):
        return set(inspect.signature(type(self).__init__).parameters) - {"self", "kwargs"}

    # ------------------------------------------------------------------ initialization
    def initialize_criterion(self):
        """``criterion_`` from ``criterion`` and the ``criterion__*`` settings."""
        self.criterion_ = _instance(self.criterion, self.get_params_for("criterion"))
        return self

    def initialize_module(self):
        """``module_`` from ``module`` and the ``module__*`` settings."""
        self.module_ = _instance(self.module, self.get_params_for("module"))
        return self

    def initialize_optimizer(self):
        """``optimizer_`` over ``module_``'s parameters, with ``lr`` unless
        ``optimizer__lr`` is given."""
        kwargs = self.get_params_for("optimizer")
        kwargs.setdefault("lr", self.lr)
        self.optimizer_ = self.optimizer(self.module_.parameters(), **kwargs)
        return self

    def initialize_history(self):
        """A new, empty ``history_``."""
        self.history_ = History()
        return self

    def initialize(self):
        """Check the settings, then make the criterion, module, optimizer and history."""
        self._check_params()
        self.initialize_criterion()
        self.initialize_module()
        self.initialize_optimizer()
        self.initialize_history()
        self.initialized_ = True
        return self

    @property
    def history(self):
        """``history_`` (skorch's name)."""
        return self.history_

    def __sklearn_is_fitted__(self):
        return getattr(self, "initialized_", False)

    # ------------------------------------------------------------------ data
    def _validate_kwargs(self):
        """What ``validate_data`` checks of ``y`` (the subclasses refine it)."""
        return {"multi_output": True}

    def _prepare_target(self, y, reset, classes=None):
        """The target as the criterion wants it (floats as float32)."""
        if classes is not None:
            raise ValueError(f"partial_fit(classes=...) is for classifiers; "
                             f"{type(self).__name__} received classes={classes!r}")
        y = np.asarray(y)
        return y.astype(np.float32) if y.dtype.kind == "f" else y

    def _prepare_data(self, X, y, reset, classes=None):
        X, y = validate_data(self, X, y, reset=reset, dtype=(np.float32, np.float64),
                             **self._validate_kwargs())
        return X.astype(np.float32, copy=False), self._prepare_target(y, reset, classes)

    def _prepare_X(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float32, np.float64))
        return X.astype(np.float32, copy=False)

    def get_iterator(self, dataset, training=False):
        """A loader over ``dataset``: ``iterator_train`` (with ``iterator_train__*``) when
        training, else ``iterator_valid``; ``batch_size`` unless routed, -1 for all."""
        kwargs = self.get_params_for("iterator_train" if training else "iterator_valid")
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        loader = self.iterator_train if training else self.iterator_valid
        return loader(dataset, batch_size=batch_size, **kwargs)

    # ------------------------------------------------------------------ training
    def infer(self, x):
        """The module's output for a batch."""
        return self.module_(x)

    def get_loss(self, y_pred, y_true, training=False):
        """The criterion :math:`\\ell(\\hat y, y)` of a batch."""
        return self.criterion_(y_pred, y_true)

    def train_step(self, xb, yb):
        """One optimizer step on a batch; ``{"loss": L_b, "y_pred": y_hat_b}``."""
        self.optimizer_.zero_grad()
        y_pred = self.infer(xb)
        loss = self.get_loss(y_pred, yb, training=True)
        loss.backward()
        self.optimizer_.step()
        return {"loss": loss, "y_pred": y_pred}

    def validation_step(self, xb, yb):
        """The loss of a batch, without gradients."""
        with no_grad():
            y_pred = self.infer(xb)
            return {"loss": self.get_loss(y_pred, yb, training=False), "y_pred": y_pred}

    def _epoch_scores(self, y_pred, y_true):
        """Extra validation scores of an epoch (the classifier adds ``valid_acc``)."""
        return {}

    def _run_epoch(self, iterator, training):
        prefix = "train" if training else "valid"
        self.module_.train(training)
        total, count, batches, preds, trues = 0.0, 0, 0, [], []
        for xb, yb in iterator:
            step = self.train_step(xb, yb) if training else self.validation_step(xb, yb)
            loss, n = float(step["loss"].item()), len(xb)
            self.history_.record_batch({f"{prefix}_loss": loss, f"{prefix}_batch_size": n})
            total, count, batches = total + loss * n, count + n, batches + 1
            if not training:
                preds.append(step["y_pred"].detach().numpy())
                trues.append(yb.numpy())
        self.history_.record(f"{prefix}_batch_count", batches)
        if count:
            self.history_.record(f"{prefix}_loss", total / count)
            if not training:
                for key, value in self._epoch_scores(np.concatenate(preds),
                                                     np.concatenate(trues)).items():
                    self.history_.record(key, value)

    def _record_best(self):
        last = self.history_[-1]
        for key, lower in (("train_loss", True), ("valid_loss", True), ("valid_acc", False)):
            if key not in last:
                continue
            earlier = [h[key] for h in self.history_[:-1] if key in h]
            if not earlier:
                beats = True
            else:
                beats = last[key] < min(earlier) if lower else last[key] > max(earlier)
            self.history_.record(f"{key}_best", bool(beats))

    def _print_epoch(self):
        last = self.history_[-1]
        keys = ["epoch"] + sorted(k for k in last if k not in ("epoch", "dur", "batches")
                                  and not k.endswith(("_best", "_count"))) + ["dur"]
        if len(self.history_) == 1:
            print("  ".join(f"{k:>12}" for k in keys))
            print("  ".join("-" * 12 for _ in keys))
        cells = [f"{last[k]:>12d}" if k == "epoch" else f"{last[k]:>12.4f}" for k in keys]
        print("  ".join(cells), flush=True)

    def fit_loop(self, X, y, epochs=None):
        """Train ``epochs`` (default ``max_epochs``) epochs on prepared arrays."""
        epochs = self.max_epochs if epochs is None else epochs
        dataset = TensorDataset(X, y)
        if self.train_split is None:
            train, valid = dataset, None
        else:
            train, valid = self.train_split(dataset, y)
        it_train = self.get_iterator(train, training=True)
        it_valid = self.get_iterator(valid) if valid is not None and len(valid) else None
        for _ in range(epochs):
            start = time.perf_counter()
            self.history_.new_epoch(len(self.history_) + 1)
            self._run_epoch(it_train, training=True)
            if it_valid is not None:
                self._run_epoch(it_valid, training=False)
            self.history_.record("dur", time.perf_counter() - start)
            self._record_best()
            if self.verbose:
                self._print_epoch()
        return self

    def fit(self, X, y):
        """Initialize (unless ``warm_start`` and initialized) and train ``max_epochs``
        epochs on ``X`` (n_samples, n_features) and ``y``. Returns ``self``."""
        X, y = self._prepare_data(X, y, reset=True)
        if not self.warm_start or not getattr(self, "initialized_", False):
            self.initialize()
        return self.fit_loop(X, y)

    def partial_fit(self, X, y, classes=None):
        """Train ``max_epochs`` more epochs, initializing only on the first call."""
        first = not getattr(self, "initialized_", False)
        X, y = self._prepare_data(X, y, reset=first, classes=classes)
        if first:
            self.initialize()
        return self.fit_loop(X, y)

    # ------------------------------------------------------------------ inference
    def forward_iter(self, X, training=False):
        """The module's outputs batch by batch (no gradients)."""
        self.module_.train(training)
        with no_grad():
            for batch in self.get_iterator(TensorDataset(X), training=False):
                out = self.infer(batch[0])
                yield out[0] if isinstance(out, tuple) else out

    def forward(self, X, training=False):
        """The module's output for all of ``X``, one tensor (no gradients)."""
        X = self._prepare_X(X)
        return deepgrad.cat(list(self.forward_iter(X, training=training)))

    def _get_predict_nonlinearity(self):
        nonlin = self.predict_nonlinearity
        if nonlin is None:
            return _identity
        if isinstance(nonlin, str) and nonlin == "auto":
            if isinstance(self.criterion_, nn.CrossEntropyLoss):
                return lambda t: deepgrad.softmax(t, dim=-1)
            return _identity
        if not callable(nonlin):
            raise TypeError(f"predict_nonlinearity has to be a callable, 'auto' or None; "
                            f"received {nonlin!r}")
        return nonlin

    def predict_proba(self, X):
        """The module's output for ``X`` after ``predict_nonlinearity``, as an array."""
        X = self._prepare_X(X)
        nonlin = self._get_predict_nonlinearity()
        outs = [np.asarray(nonlin(out).detach().numpy()) for out in self.forward_iter(X)]
        return np.concatenate(outs) if outs else np.empty((0,), np.float32)

    def predict(self, X):
        """:meth:`predict_proba` (the subclasses turn it into labels or values)."""
        return self.predict_proba(X)
