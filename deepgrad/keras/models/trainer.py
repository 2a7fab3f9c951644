"""``compile``/``fit``/``evaluate``/``predict``: Keras's training API over the engine.

``fit`` is a thin loop over :meth:`Trainer.train_step` (forward, loss, zero_grad,
backward, optimizer step, metrics) with callbacks around it.
"""
import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import optimizers
from deepgrad.keras.callbacks.callback import CallbackList
from deepgrad.keras.callbacks.history import History
from deepgrad.keras.callbacks.progbar import ProgbarLogger
from deepgrad.keras.models import data as data_lib
from deepgrad.keras.models.compile_utils import CompiledLoss, CompiledMetrics, MeanTracker


def _output_names(model):
    outs = getattr(model, "outputs", None) if getattr(model, "_functional", False) else None
    if outs and len(outs) > 1:
        return [t.node.layer.name for t in outs]
    return ["output"]


def _logs(loss_tracker, metrics, prefix=""):
    logs = {"loss": loss_tracker.result()}
    logs.update(metrics.results())
    return {prefix + k: logs[k] for k in sorted(logs)}


def _concat(batches):
    first = batches[0]
    if isinstance(first, (list, tuple)):
        return [_concat([b[i] for b in batches]) for i in range(len(first))]
    if isinstance(first, dict):
        return {k: _concat([b[k] for b in batches]) for k in first}
    return np.concatenate(batches, axis=0)


def _numpy(x):
    if isinstance(x, Tensor):
        return x.array
    if isinstance(x, (list, tuple)):
        return [_numpy(t) for t in x]
    if isinstance(x, dict):
        return {k: _numpy(v) for k, v in x.items()}
    return x


class Trainer:
    """The training half of ``Model`` (mixed in; Keras 3 keeps it in ``Trainer`` too)."""

    def __init__(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._train_params = None
        self._loss_sources_cache = None     # walked once per fit/compile, not every step

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, loss and metrics (strings, objects or callables)."""
        self.optimizer = optimizers.get(optimizer)
        self._compile_config = {"optimizer": self.optimizer, "loss": loss,
                                "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics}
        names = _output_names(self)
        self.compiled_loss = CompiledLoss(loss, loss_weights, names) if loss is not None else None
        fns = self.compiled_loss.fns if self.compiled_loss else [None] * len(names)
        self.compiled_metrics = CompiledMetrics(metrics, names, fns)
        self.loss_tracker = MeanTracker()
        self.compiled = True
        self._train_params = None
        self._loss_sources_cache = None

    def _check_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must call compile() on the model before {what}")

    # ------------------------------------------------------------------ steps
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        """Compiled loss plus regularisation penalties (``model.losses``)."""
        if self.compiled_loss is None:
            raise RuntimeError("compile() was called without a loss; fit/evaluate need one")
        total, _ = self.compiled_loss(y, y_pred, sample_weight)
        sources = self._loss_sources_cache
        if sources is None:
            sources = self._loss_sources_cache = self._loss_sources()
        layers, pairs = sources
        for layer in layers:
            for penalty in layer._losses:
                total = total + penalty
        for reg, v in pairs:
            total = total + reg(v)
        return total

    def _loss_sources(self):
        """The layers that may add losses and the (regularizer, variable) pairs of the
        trainable weights: what :attr:`losses` evaluates (walked once per fit)."""
        layers = self._flatten_layers()
        return layers, [(v.regularizer, v) for v in self.trainable_weights
                        if v.regularizer is not None]

    def train_step(self, x, y=None, sample_weight=None):
        """One optimisation step on one batch; returns the loss value."""
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        params = self._train_params
        if params is None:
            params = self._train_params = self.trainable_weights
            if not params:
                raise ValueError(f'Model "{self.name}" has no trainable weights to train')
        for p in params:
            p.grad = None
        loss.backward()
        self.optimizer.apply(params)
        value = loss.item()
        self.compiled_metrics.update(y, y_pred, sample_weight)
        return value

    def test_step(self, x, y=None, sample_weight=None):
        with no_grad():
            y_pred = self(x, training=False)
            value = self.compute_loss(x, y, y_pred, sample_weight).item()
        self.compiled_metrics.update(y, y_pred, sample_weight)
        return value

    def predict_step(self, x):
        with no_grad():
            return _numpy(self(x, training=False))

    # ------------------------------------------------------------------ loops
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns a ``History`` (``.history`` dict of lists)."""
        self._check_compiled("training/testing")
        batch_size = 32 if batch_size is None else batch_size
        if validation_split and validation_data is None:
            if not data_lib.is_array_data(x):
                raise ValueError("validation_split is only supported for array inputs; pass "
                                 "validation_data for generators and loaders")
            (x, y, sample_weight), validation_data = data_lib.split_validation(
                data_lib.as_arrays(x), data_lib.as_arrays(y),
                data_lib.as_arrays(sample_weight), validation_split)
        if class_weight is not None:
            if y is None:
                raise ValueError("class_weight needs y as an array")
            cw = data_lib.class_weights_to_sample_weights(data_lib.as_arrays(y), class_weight)
            sample_weight = cw if sample_weight is None else np.asarray(sample_weight) * cw
        batches = data_lib.make_batches(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        val = None
        if validation_data is not None:
            vx, vy, vsw = (tuple(validation_data) + (None,))[:3] \
                if isinstance(validation_data, (tuple, list)) else (validation_data, None, None)
            val = data_lib.make_batches(vx, vy, vsw, validation_batch_size or batch_size,
                                        False, validation_steps)
        verbose = 1 if verbose == "auto" else verbose
        self.history = History()
        cbs = list(callbacks or []) + [self.history]     # History sees what callbacks add
        if verbose:
            cbs.append(ProgbarLogger(verbose))
        steps = len(batches) if steps_per_epoch is None else steps_per_epoch
        cb = CallbackList(cbs, self, {"epochs": epochs, "steps": steps, "verbose": verbose})
        self.stop_training = False
        self._train_params = None
        self._loss_sources_cache = None
        cb.call("on_train_begin", {})
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.loss_tracker.reset()
            self.compiled_metrics.reset()
            cb.call("on_epoch_begin", epoch, {})
            for step, (xb, yb, swb) in enumerate(batches):
                if cb._batch_hooks:
                    cb.call("on_train_batch_begin", step, {})
                value = self.train_step(xb, yb, swb)
                self.loss_tracker.update(value, len(data_lib._leaves(xb)[0]))
                if cb._batch_hooks or verbose:
                    cb.call("on_train_batch_end", step, _logs(self.loss_tracker, self.compiled_metrics))
                if self.stop_training:
                    break
            logs = _logs(self.loss_tracker, self.compiled_metrics)
            if val is not None and (epoch + 1) % validation_freq == 0:
                cb.call("on_test_begin", {})
                val_logs = self._run_eval(val, prefix="val_", callbacks=cb)
                cb.call("on_test_end", val_logs)
                logs.update(val_logs)
            cb.call("on_epoch_end", epoch, logs)
            if self.stop_training:
                break
        cb.call("on_train_end", logs)
        return self.history

    def _run_eval(self, batches, prefix="", callbacks=None):
        self.loss_tracker.reset()
        self.compiled_metrics.reset()
        for step, (xb, yb, swb) in enumerate(batches):
            if callbacks is not None and callbacks._batch_hooks:
                callbacks.call("on_test_batch_begin", step, {})
            self.loss_tracker.update(self.test_step(xb, yb, swb), len(data_lib._leaves(xb)[0]))
            if callbacks is not None and callbacks._batch_hooks:
                callbacks.call("on_test_batch_end", step, {})
        return _logs(self.loss_tracker, self.compiled_metrics, prefix)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss (and metrics) on the data: a scalar, ``[loss, *metrics]``, or a dict."""
        self._check_compiled("training/testing")
        batches = data_lib.make_batches(x, y, sample_weight, batch_size or 32, False, steps)
        cb = CallbackList(callbacks, self, {"steps": len(batches) if steps is None else steps})
        cb.call("on_test_begin", {})
        logs = self._run_eval(batches, callbacks=cb)
        cb.call("on_test_end", logs)
        if verbose not in (0, False):
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        names = ["loss"] + self.compiled_metrics.ordered_names
        return logs["loss"] if len(names) == 1 else [logs[n] for n in names]

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` as NumPy arrays, computed in batches without recording a graph."""
        batches = data_lib.make_batches(x, None, None, batch_size or 32, False, steps)
        cb = CallbackList(callbacks, self, {})
        cb.call("on_predict_begin", {})
        outs = []
        for step, (xb, _, _) in enumerate(batches):
            outs.append(self.predict_step(xb))
            cb.call("on_predict_batch_end", step, {})
        cb.call("on_predict_end", {})
        if not outs:
            raise ValueError("predict: received no data")
        return _concat(outs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._check_compiled("training/testing")
        x, y = data_lib.as_arrays(x), data_lib.as_arrays(y)
        data_lib.check_arrays(x, y, sample_weight)
        if class_weight is not None:
            sample_weight = data_lib.class_weights_to_sample_weights(y, class_weight)
        self.loss_tracker.reset()
        self.compiled_metrics.reset()
        self.loss_tracker.update(self.train_step(x, y, sample_weight), 1)
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._check_compiled("training/testing")
        self.loss_tracker.reset()
        self.compiled_metrics.reset()
        self.loss_tracker.update(self.test_step(data_lib.as_arrays(x), data_lib.as_arrays(y),
                                                sample_weight), 1)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x):
        return self.predict_step(data_lib.as_arrays(x))

    def _batch_result(self, return_dict):
        logs = _logs(self.loss_tracker, self.compiled_metrics)
        if return_dict:
            return logs
        names = ["loss"] + self.compiled_metrics.ordered_names
        return logs["loss"] if len(names) == 1 else [logs[n] for n in names]

    @property
    def metrics_names(self):
        return ["loss"] + (self.compiled_metrics.ordered_names if self.compiled else [])
