"""``BackupAndRestore``: survive a crash or a kill in the middle of ``fit`` (Keras 3's
callback, resuming at the batch where the backup was made).

What a backup holds, in ONE file written atomically (``<backup_dir>/latest.backup.pt``,
deepgrad's checkpoint format, read back weights-only)::

    weights            every model weight (trainable and not: BatchNorm's statistics)
    optimizer          its variables (iterations, learning rate, slots), Keras's order
    epoch, batch       where training stands: the next epoch to run, the batches of it
                       already done (0 after an epoch-end backup)
    order, seen        the current pass's shuffled order and its batches done (array data)
    rng                deepgrad's global generator and every seeded layer's generator
                       (dropout masks), as they were at the backup
    metrics            the epoch's metric accumulators (loss tracker, compiled metrics)

The next ``fit`` with the callback restores all of it in ``on_train_begin`` and starts at
that epoch and batch, so a run killed at any point and resumed ends with weights
bit-identical to an uninterrupted run (same data, same ``fit`` arguments, same model and
seeds; array data: a generator or dataset resumes at the start of the interrupted epoch,
as in Keras). Keras itself restores the epoch only and runs the interrupted epoch again.

Differences from Keras 3.15: one file instead of ``latest.weights.h5`` plus
``training_metadata.json`` (no state where the weights and the epoch disagree, and no
h5py needed); ``delete_checkpoint`` removes the callback's own files and then the folder
only if it is empty (Keras removes the whole folder).
"""
import json
import os

import numpy as np

from deepgrad import backend, serialization
from deepgrad.keras.callbacks.callback import Callback
from deepgrad.keras.models import data as data_lib
from deepgrad.keras.random import SeedGenerator

_FILE = "latest.backup.pt"
_FORMAT = "deepgrad.keras.BackupAndRestore/1"


def _generators(model):
    """The model's own random streams, in a fixed order: (path, numpy Generator)."""
    out = []
    for i, layer in enumerate(model._flatten_layers()):    # by position: names vary
        for name, value in sorted(vars(layer).items()):
            if isinstance(value, SeedGenerator):
                out.append((f"layer {i} ({type(layer).__name__}).{name}", value.generator))
            elif isinstance(value, np.random.Generator):
                out.append((f"layer {i} ({type(layer).__name__}).{name}", value))
    return out


def _metric_states(model):
    """``{metric name: its accumulators}`` (the compiled metrics' own ones included)."""
    out = {}
    for m in model.metrics:
        for sub in [m] + list(getattr(m, "metrics", None) or []):
            if getattr(sub, "variables", None):
                out.setdefault(sub.name, sub.variables)
    return out


def _build_compiled_metrics(model):
    """Build the compiled metrics (as their first batch would) so that their restored
    accumulators have somewhere to go: from one sample's target and prediction shapes
    (an inference call: no random number is drawn, no statistic updated)."""
    compiled = getattr(model, "_compile_metrics", None)
    adapter = getattr(getattr(model, "_fit_iterator", None), "data_adapter", None)
    if compiled is None or compiled.built or getattr(adapter, "y", None) is None:
        return
    first = [0]
    y_pred = model.predict_on_batch(data_lib.take(adapter.x, first))
    compiled.build(data_lib.take(adapter.y, first), y_pred)


class BackupAndRestore(Callback):
    """Back up the training state during ``fit`` and restore it when ``fit`` runs again.

    Args:
        backup_dir (str): the folder of the backup (made if missing); use it for this
            training run only.
        save_freq: ``"epoch"`` (a backup at the end of every epoch) or an int ``N`` (a
            backup every ``N`` batches).
        double_checkpoint (bool): keep the previous backup too
            (``latest.backup.pt.bkp``), used when the latest cannot be read.
        delete_checkpoint (bool): remove the backup when ``fit`` completes.

    Example:
        >>> backup = keras.callbacks.BackupAndRestore("/tmp/backup", save_freq=100)
        >>> model.fit(x, y, epochs=10, callbacks=[backup])   # killed? run it again
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(
                save_freq, (int, np.integer)) or save_freq < 1):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq}. Expected either 'epoch' or a positive "
                             f"integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._path = os.path.join(self.backup_dir, _FILE)
        self._prev_path = self._path + ".bkp"
        self._batches_since_save = 0
        self._epoch = 0                  # the epoch running (next to run after its end)
        self._pending_metrics = None

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError(f"To use the BackupAndRestore callback, your model must be "
                             f"built before you call `fit()`. Model {self.model.name!r} is "
                             f"unbuilt. You can build it beforehand by calling it on a "
                             f"batch of data.")
        self._batches_since_save = 0
        state = self._read()
        if state is not None:
            self._restore(state)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        pending, self._pending_metrics = self._pending_metrics, None
        if pending is not None:             # a resumed epoch: its metrics so far
            _build_compiled_metrics(self.model)
            for name, variables in _metric_states(self.model).items():
                saved = pending.get(name)
                if saved is not None and len(saved) == len(variables) and all(
                        v.shape == a.shape for v, a in zip(variables, saved)):
                    for v, a in zip(variables, saved):
                        v.assign(a)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        for path in (self._path, self._prev_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)          # only if nothing else is in it
        except OSError:
            pass

    # ------------------------------------------------------------------ state
    def _state(self, epoch, batch):
        model = self.model
        iterator = getattr(model, "_fit_iterator", None)
        order, seen = None, 0
        if batch and getattr(iterator, "can_resume", False):     # array data
            order, seen = iterator.position()
        optimizer = model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_weights)
        return {
            "format": _FORMAT, "epoch": int(epoch), "batch": int(batch),
            "order": None if order is None else np.asarray(order, np.int64),
            "seen": int(seen),
            "weights": [np.array(w.array) for w in model.weights],
            "optimizer": [] if optimizer is None else
            [np.array(v) for v in optimizer.variables],
            "rng": np.asarray(backend.default_generator.get_state().array),
            "generators": {path: json.dumps(g.bit_generator.state)
                           for path, g in _generators(model)},
            "metrics": {name: [np.array(v.value) for v in variables]
                        for name, variables in _metric_states(model).items()},
        }

    def _save(self, epoch, batch):
        state = self._state(epoch, batch)
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            os.replace(self._path, self._prev_path)
        serialization.save(state, self._path)

    def _read(self):
        """The latest readable backup (the previous one if the latest is unreadable and
        ``double_checkpoint``), or None when there is none."""
        errors = []
        for path in (self._path, self._prev_path if self.double_checkpoint else None):
            if path is None or not os.path.exists(path):
                continue
            try:
                state = serialization.load(path)
                if not isinstance(state, dict) or state.get("format") != _FORMAT:
                    raise ValueError("not a BackupAndRestore backup")
                return state
            except (OSError, ValueError, RuntimeError) as e:
                errors.append(f"{path}: {e}")
        if errors:
            raise ValueError(f"BackupAndRestore: cannot read the backup in "
                             f"{self.backup_dir!r}: {'; '.join(errors)}")
        return None

    def _restore(self, state):
        """Everything of :meth:`_state`, checked first, then written."""
        model, source = self.model, f"BackupAndRestore({self.backup_dir!r})"
        weights, optimizer = model.weights, model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_weights)
        _check_arrays(source, "weights", state["weights"], [w.array for w in weights])
        if state["optimizer"] and optimizer is not None:
            _check_arrays(source, "optimizer variables", state["optimizer"],
                          optimizer.variables)
        generators = dict(_generators(model))
        if set(state["generators"]) != set(generators):
            raise ValueError(f"{source}: the backup's random streams "
                             f"{sorted(state['generators'])} are not the model's "
                             f"{sorted(generators)} (another model?)")
        iterator = getattr(model, "_fit_iterator", None)
        resume_batch = state["batch"] > 0 and getattr(iterator, "can_resume", False)
        for w, a in zip(weights, state["weights"]):
            w.array[...] = a
        if state["optimizer"] and optimizer is not None:
            optimizer.assign_variables(state["optimizer"])
        backend.default_generator.set_state(state["rng"])
        for path, g in generators.items():
            g.bit_generator.state = json.loads(state["generators"][path])
        model._initial_epoch = state["epoch"]
        if resume_batch:
            iterator.resume(state["order"], state["seen"], state["batch"])
            self._pending_metrics = state["metrics"]
            self._batches_since_save = 0
        self._epoch = state["epoch"]


def _check_arrays(source, what, saved, current):
    if not isinstance(saved, list) or len(saved) != len(current):
        raise ValueError(f"{source}: the backup holds {len(saved)} {what}, the model has "
                         f"{len(current)} (another model, or other compile settings?)")
    for i, (a, b) in enumerate(zip(saved, current)):
        if not isinstance(a, np.ndarray) or a.shape != np.shape(b):
            raise ValueError(f"{source}: {what} {i} has shape "
                             f"{getattr(a, 'shape', type(a).__name__)} in the backup, "
                             f"{np.shape(b)} in the model")
