"""``compile``/``fit``/``evaluate``/``predict``: Keras 3's training API and its override
contracts, on the engine (Keras's torch-backend trainer, step for step).

``fit`` is a thin loop over :meth:`Trainer.train_step` plus callbacks::

    for epoch:   reset_metrics(); for data in batches: logs = train_step(data)
                 epoch logs = the metrics' results (or the last step's logs when a
                 custom step returns other keys); validation -> "val_" + name

A model subclass overrides the steps exactly as in Keras 3:

* ``train_step(self, data)`` / ``test_step(self, data)`` / ``predict_step(self, data)``:
  ``data`` is ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` of Tensors
  (``keras.utils.unpack_x_y_sample_weight``); the dict a step returns is the logs the
  progress bar, ``History`` and callbacks see (nested dicts flattened, values made
  floats, keys sorted).
* ``compute_loss(x, y, y_pred, sample_weight, training)``: the compiled loss plus
  ``self.losses`` (``add_loss`` and regularizers); ``compute_metrics(x, y, y_pred,
  sample_weight)`` updates the compiled metrics and returns ``get_metrics_result()``.
* ``metrics``: the loss tracker, the compiled metrics, the per-output loss trackers,
  then metrics assigned as attributes (``self.loss_tracker = keras.metrics.Mean(
  name="loss")``); ``fit`` and ``evaluate`` reset them all first.

Inside a custom step gradients come either the torch-backend way (``self.zero_grad();
loss.backward(); [v.value.grad for v in self.trainable_weights]``) or from a
``GradientTape``; ``self.optimizer.apply(grads, variables)`` (or ``apply_gradients``)
updates the weights.
"""
import contextlib
import inspect
import math
import warnings

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import metrics as metrics_module
from deepgrad.keras import optimizers
from deepgrad.keras.callbacks.callback_list import CallbackList
from deepgrad.keras.layers.layer import _CALL
from deepgrad.keras.models import data as data_lib
from deepgrad.keras.models import data_checks
from deepgrad.keras.models.compile_utils import CompileLoss, CompileMetrics
from deepgrad.keras.models.data import EpochIterator
from deepgrad.keras.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight


def pythonify_logs(logs):
    """Keras's ``pythonify_logs``: nested dicts flattened, Tensors and arrays made Python
    numbers, keys sorted."""
    out = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        if isinstance(value, Tensor):
            value = value.array
        if isinstance(value, (np.ndarray, np.generic)):
            value = value.item() if value.size == 1 else value
        out[key] = value
    return dict(sorted(out.items()))


def _warn_nonfinite_loss(logs, epoch, step):
    """Warn when a training step's ``logs['loss']`` is NaN or +-inf; True if it warned.

    ``fit`` warns once per call (training goes on, as Keras; ``TerminateOnNaN`` stops
    it); ``deepgrad.autograd.detect_anomaly()`` names the op that made the NaN."""
    loss = logs.get("loss") if isinstance(logs, dict) else None
    try:
        value = float(loss)
    except (TypeError, ValueError):
        return False                     # no loss, or not a single number
    if math.isfinite(value):
        return False
    warnings.warn(f"fit: the training loss became {value} at epoch {epoch + 1} (index "
                  f"{epoch}), batch {step}; training goes on. Stop it with the "
                  f"TerminateOnNaN callback, and find the op that made it with "
                  f"deepgrad.autograd.detect_anomaly().", RuntimeWarning, stacklevel=4)
    return True


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
    return np.asarray(x)


def _batch_size(x):
    if type(x) is Tensor:
        return x.array.shape[0]
    for leaf in data_lib.leaves(x):
        return leaf.shape[0]
    return 0


def _accepts(fn, arg):
    try:
        return arg in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Trainer:
    """The training half of ``Model`` (mixed in; Keras 3 keeps it in ``Trainer`` too)."""

    def __init__(self):
        self.optimizer = None
        self.compiled = False
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._compile_config = None
        self._compute_loss_has_training_arg = _accepts(self.compute_loss, "training")
        self._call_has_training_arg = _accepts(self.call, "training")
        self._train_params = None
        self._loss_sources_cache = None     # walked once per fit/compile, not every step
        self._loop_metrics = None           # self.metrics, read once per fit/evaluate
        self._loop_metric_list = None       # ... with the compiled ones (_current_metrics)

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, loss and metrics (strings, objects or callables).

        ``run_eagerly`` is what deepgrad always does; ``jit_compile`` may be ``"auto"``
        or False (there is no compiler); ``auto_scale_loss`` only concerns float16
        policies, which deepgrad does not have.

        Raises:
            ValueError: an unknown name, a bad per-output structure,
                ``steps_per_execution`` other than 1 or ``jit_compile=True``.
        """
        if steps_per_execution != 1:
            raise ValueError(f"`steps_per_execution` must be 1 with deepgrad (as with the "
                             f"PyTorch backend). Received: steps_per_execution="
                             f"{steps_per_execution}")
        if jit_compile not in ("auto", False, None):
            raise ValueError(f"jit_compile={jit_compile!r} is not supported: deepgrad runs "
                             f"eagerly and has no compiler (use 'auto' or False)")
        names = self.output_names if hasattr(self, "output_names") else None
        # every name resolved before anything is set: a bad one leaves the model as it was
        resolved = optimizers.get(optimizer)
        compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        compile_metrics = CompileMetrics(metrics, weighted_metrics, names) \
            if metrics is not None or weighted_metrics is not None else None
        self.optimizer = resolved
        # set without attribute tracking: these are listed by `metrics` themselves
        d = self.__dict__
        d["_compile_loss"], d["_compile_metrics"] = compile_loss, compile_metrics
        d["_loss_tracker"] = metrics_module.Mean(name="loss")
        self.loss = loss
        self.stop_training = False
        self.compiled = True
        self._train_params = None
        self._loss_sources_cache = None
        d["_loop_metric_list"] = None
        self._compile_config = {"optimizer": self.optimizer, "loss": loss,
                                "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics}

    def _assert_compile_called(self, method_name):
        if not self.compiled:
            raise ValueError(f"You must call `compile()` before calling `{method_name}()`.")

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self):
        """The loss tracker, the compiled metrics, the per-output loss trackers, the
        metrics tracked as attributes, then sub-layers' (sub-models' are their own)."""
        return self._compiled_metric_list() + self._tracked_metrics()

    def _compiled_metric_list(self):
        out = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
            if self._compile_loss is not None:
                out.extend(self._compile_loss.metrics)
        return out

    def _tracked_metrics(self):
        out = list(self._metrics)
        for layer in self._flatten_layers(include_self=False):
            if not isinstance(layer, Trainer):
                out.extend(layer._metrics)
        return out

    def _current_metrics(self):
        """``self.metrics``; inside a loop without walking the model each step (unless a
        subclass overrides ``metrics``, whose property is then read): the list is made
        once the compiled loss has built its per-output trackers (on the first batch)."""
        cached = self._loop_metric_list
        if cached is not None:
            return cached
        tracked = self._loop_metrics
        if tracked is None or type(self).metrics is not Trainer.metrics:
            return self.metrics
        out = self._compiled_metric_list() + tracked
        if self._compile_loss is None or self._compile_loss.built:
            self.__dict__["_loop_metric_list"] = out
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self._current_metrics():
            m.reset_state()

    def get_metrics_result(self):
        """``{name: value}`` of :attr:`metrics` (a metric whose result is a dict, such as
        the compiled metrics, contributes its entries)."""
        out = {}
        for m in self._current_metrics():
            result = m.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[m.name] = result
        return out

    def _get_metrics_result_or_logs(self, logs):
        """The metrics' results if their names are the step's log keys, else the logs of
        the last step (a custom step returning other keys), as Keras."""
        metric_logs = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) == set(metric_logs):
            return metric_logs
        return logs

    def _flatten_metrics_in_order(self, logs):
        """``logs`` as a list in ``metrics_names`` order (extra keys sorted after); one
        value alone when there is one (Keras's ``evaluate`` return value)."""
        names = []
        for m in self.metrics:
            if isinstance(m, CompileMetrics):
                names += [sub.name for sub in m.metrics]
            else:
                names.append(m.name)
        results = [logs[n] for n in names if n in logs]
        results += [logs[k] for k in sorted(logs) if k not in names]
        return results[0] if len(results) == 1 else results

    # ------------------------------------------------------------------ steps
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss: the compiled loss plus :attr:`losses` (``add_loss`` terms and
        the trainable weights' regularizer penalties).

        Raises:
            ValueError: nothing to compute (no loss in ``compile`` and no added loss).
        """
        total = None
        if self._compile_loss is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        for term in self._current_losses():
            total = term if total is None else total + term
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    def _current_losses(self):
        """:attr:`losses`, from the layer list and regularized weights walked once per
        ``fit`` (``self.losses`` would walk the model every step)."""
        sources = self._loss_sources_cache
        if sources is None:
            layers = self._flatten_layers()
            pairs = [(v.regularizer, v) for v in self.trainable_weights
                     if v.regularizer is not None]
            sources = self._loss_sources_cache = (layers, pairs)
        layers, pairs = sources
        if not pairs and not _CALL.holding:
            return ()
        out = [loss for layer in layers if layer._losses for loss in layer._losses]
        return out + [reg(v) for reg, v in pairs] if pairs else out

    def _compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``compute_loss``, also for overrides written without ``training`` (Keras < 3.3)."""
        if self._compute_loss_has_training_arg:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics; return :meth:`get_metrics_result`."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _forward(self, x, training):
        return self(x, training=training) if self._call_has_training_arg else self(x)

    def train_step(self, data):
        """One optimisation step on one batch (Keras's torch-backend step); returns the
        logs (``compute_metrics``)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        dp_step = getattr(self.optimizer, "per_example_train_step", None)
        if dp_step is not None:     # TF Privacy's DP optimizers (deepgrad.privacy.keras)
            y_pred, loss = dp_step(self, x, y, sample_weight)
            self._loss_tracker.update_state(loss, _batch_size(x))
            return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
        y_pred = self(x, training=True) if self._call_has_training_arg else self(x)
        params = self._train_params
        if params is None:
            params = self._train_params = self.trainable_weights
        for p in params:
            p.grad = None
        if self._compute_loss_has_training_arg:
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        else:
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        self._loss_tracker.update_state(loss.item(), _batch_size(x))
        if self.optimizer.loss_scale_factor is not None:
            loss = self.optimizer.scale_loss(loss)
        if params:
            loss.backward()
            self.optimizer.apply(params)             # reads each .grad (None: skipped)
        else:
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data):
        """Loss and metrics on one batch, without recording a graph; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self._forward(x, False)
        loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                  training=False)
        # a reduction='none' loss (one per example, as DP training compiles) is averaged,
        # as Keras 3's loss tracker does
        value = loss.item() if loss.ndim == 0 else float(loss.array.mean())
        self._loss_tracker.update_state(value, _batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self._forward(x, False)

    # ------------------------------------------------------------------ loops
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns a ``History`` (``.history`` dict of lists).

        ``x`` may be arrays (with ``y``), a ``keras.utils.PyDataset``, a DataLoader or a
        generator (see :mod:`deepgrad.keras.models.data`).
        """
        self._assert_compile_called("fit")
        data_checks.check_batch_size(batch_size)
        data_checks.check_batch_size(validation_batch_size, "validation_batch_size")
        data_checks.check_validation_split(validation_split)
        self._should_eval(0, validation_freq)            # its type, before any step
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = data_lib.train_validation_split(
                (x, y, sample_weight), validation_split)
        # lengths, dtypes, emptiness, NaN/inf (the adapter), then against the model
        epoch_iterator = EpochIterator(x, y, sample_weight, batch_size, steps_per_epoch,
                                       shuffle, class_weight)
        data_checks.check_fit_data(self, x, y, sample_weight)
        val = None
        if validation_data is not None:     # checked now, before the first step
            vx, vy, vsw = unpack_x_y_sample_weight(validation_data)
            val = EpochIterator(vx, vy, vsw, validation_batch_size or batch_size,
                                validation_steps, False)
            data_checks.check_fit_data(self, vx, vy, vsw, "fit: validation_data")
            if data_lib.is_array_data(x) and data_lib.is_array_data(vx):
                data_checks.check_same_features(data_lib.as_arrays(x), data_lib.as_arrays(vx))
        verbose = 1 if verbose == "auto" else verbose
        distribute = getattr(self.optimizer, "distribute_fit", None)   # keras.distributed:
        if distribute is not None:          # this rank's shard, rank 0's progress and files
            epoch_iterator, verbose, callbacks = distribute(epoch_iterator, verbose, callbacks)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, verbose=verbose,
            epochs=epochs, steps=epoch_iterator.num_batches, model=self)
        self.stop_training = False
        try:
            with self._in_loop():
                self._fit_epochs(epoch_iterator, cbs, initial_epoch, epochs, val,
                                 validation_freq)
        finally:
            self.__dict__.pop("_fit_iterator", None)
        return self.history

    @contextlib.contextmanager
    def _in_loop(self):
        """Within a loop: ``self.metrics``, the trainable weights and the loss sources are
        read once (walking the model every step would cost Python time)."""
        d = self.__dict__
        outer = d.get("_loop_metrics")
        d["_train_params"] = d["_loss_sources_cache"] = d["_loop_metric_list"] = None
        d["_loop_metrics"] = self._tracked_metrics()
        try:
            yield
        finally:
            d["_loop_metrics"] = outer
            d["_loop_metric_list"] = None

    def _fit_epochs(self, epoch_iterator, cbs, initial_epoch, epochs, val_iterator,
                    validation_freq):
        hooks = cbs.has_batch_hooks
        self.__dict__["_fit_iterator"] = epoch_iterator      # a backup reads and resumes it
        self.__dict__["_initial_epoch"] = None
        cbs.on_train_begin()                    # BackupAndRestore may set _initial_epoch
        initial_epoch = self.__dict__.pop("_initial_epoch", None) or initial_epoch
        training_logs = None
        nan_warned = False                  # fit warns once when the loss turns NaN/inf
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)           # (a backup's metric values come back here)
            # an epoch resumed after its last batch reports its restored metrics
            logs = self.get_metrics_result() if epoch_iterator.resuming else {}
            for step, data in epoch_iterator:
                if hooks:
                    cbs.on_train_batch_begin(step)
                logs = self.train_step(data)
                if not nan_warned:
                    nan_warned = _warn_nonfinite_loss(logs, epoch, step)
                if hooks:
                    cbs.on_train_batch_end(step, pythonify_logs(logs))
                if self.stop_training:
                    break
            epoch_logs = pythonify_logs(self._get_metrics_result_or_logs(logs))
            if val_iterator is not None and self._should_eval(epoch, validation_freq):
                val_logs = self._evaluate_iterator(val_iterator, cbs)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        if epochs > 0 and getattr(self.optimizer, "use_ema", False):
            self.optimizer.finalize_variable_values(self.trainable_weights)  # <- averages
        cbs.on_train_end(training_logs)

    @staticmethod
    def _should_eval(epoch, validation_freq):
        epoch += 1
        if isinstance(validation_freq, int) and not isinstance(validation_freq, bool):
            return epoch % validation_freq == 0
        if isinstance(validation_freq, (list, tuple)):
            return epoch in validation_freq
        raise ValueError(f"Expected `validation_freq` to be a list or int. Received: "
                         f"validation_freq={validation_freq!r} of the type "
                         f"{type(validation_freq).__name__}.")

    def _evaluate_iterator(self, iterator, cbs):
        """Run ``test_step`` over ``iterator`` (no graph recorded); the epoch's logs."""
        hooks = cbs.has_batch_hooks
        self.reset_metrics()
        cbs.on_test_begin()
        logs = {}
        with no_grad():
            for step, data in iterator:
                if hooks:
                    cbs.on_test_batch_begin(step)
                logs = self.test_step(data)
                if hooks:
                    cbs.on_test_batch_end(step, pythonify_logs(logs))
        logs = pythonify_logs(self._get_metrics_result_or_logs(logs))
        cbs.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss and metrics on the data: a scalar, a list in ``metrics_names`` order, or
        (``return_dict``) a dict."""
        self._assert_compile_called("evaluate")
        data_checks.check_batch_size(batch_size)
        iterator = EpochIterator(x, y, sample_weight, batch_size, steps, False)
        data_checks.check_fit_data(self, x, y, sample_weight, "evaluate")
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, verbose=verbose, epochs=1,
            steps=iterator.num_batches, model=self)
        with self._in_loop():
            logs = self._evaluate_iterator(iterator, cbs)
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` as NumPy arrays, computed in batches without recording a graph."""
        iterator = EpochIterator(x, None, None, batch_size, steps, False)
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, verbose=verbose, epochs=1,
            steps=iterator.num_batches, model=self)
        cbs.on_predict_begin()
        outs = []
        with no_grad():
            for step, data in iterator:
                cbs.on_predict_batch_begin(step)
                batch = _numpy(self.predict_step(data))
                outs.append(batch)
                cbs.on_predict_batch_end(step, {"outputs": batch})
        cbs.on_predict_end()
        if not outs:
            raise ValueError("predict: received no data (the input has no batches)")
        return _concat(outs)

    def _one_batch(self, x, y, sample_weight, class_weight):
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(f"Arguments `sample_weight` and `class_weight` cannot be "
                                 f"specified at the same time. Received: sample_weight="
                                 f"{sample_weight!r}, class_weight={class_weight!r}")
            sample_weight = data_lib.class_weight_to_sample_weights(y, class_weight)
        x, y, sample_weight = (data_lib.as_arrays(v) for v in (x, y, sample_weight))
        data_lib.check_arrays(x, y, sample_weight)
        data_checks.check_fit_data(self, x, y, sample_weight, "train_on_batch/test_on_batch")
        return pack_x_y_sample_weight(*(data_lib.to_tensors(v) for v in (x, y, sample_weight)))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One ``train_step`` on one batch; the logs (a dict, or in ``metrics_names`` order)."""
        self._assert_compile_called("train_on_batch")
        data = self._one_batch(x, y, sample_weight, class_weight)
        with self._in_loop():
            self.reset_metrics()
            logs = pythonify_logs(self.train_step(data))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """One ``test_step`` on one batch; the logs."""
        self._assert_compile_called("test_on_batch")
        data = self._one_batch(x, y, sample_weight, None)
        with self._in_loop(), no_grad():
            self.reset_metrics()
            logs = pythonify_logs(self.test_step(data))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        """``predict_step`` on one batch, as NumPy arrays."""
        with no_grad():
            return _numpy(self.predict_step((data_lib.to_tensors(data_lib.as_arrays(x)),)))
