"""``TensorBoard``: Keras 3's callback, writing event files through
``deepgrad.utils.tensorboard.SummaryWriter`` (tensorboardX, an optional extra).

What is written, with Keras 3's names (``tensorboard --logdir <log_dir>`` shows it)::

    <log_dir>/train/        epoch_<metric>, epoch_learning_rate     step = epoch (0-based)
                            [epoch_steps_per_second]                write_steps_per_second
                            batch_<metric> [batch_steps_per_second] update_freq=N: every N
                                                                    batches, step = batch
                                                                    count since fit began
                            <weight.path>/histogram                 every histogram_freq
                            [<weight.path>/image]                   epochs, + write_images
                            keras (the model's JSON)                write_graph, step 0
    <log_dir>/validation/   epoch_<metric> (val_ prefix removed)    step = epoch
                            evaluation_<metric>_vs_iterations       after each evaluation,
                                                                    step = optimizer.iterations

Decisions where deepgrad cannot do what Keras does:

* ``write_graph=True`` (the default) writes what Keras 3 writes on its torch and JAX
  backends: the model's Keras JSON under the tag ``keras`` (plugin ``graph_keras_model``),
  which TensorBoard's Graphs dashboard draws as the conceptual graph, for Sequential and
  functional models. There is no TensorFlow op graph to write. For a subclassed model
  (no JSON graph; Keras writes nothing there, silently) a warning is given once.
* ``profile_batch`` other than 0 raises ValueError, as Keras 3 does on its torch backend;
  ``embeddings_freq > 0`` (and ``embeddings_metadata``) raise ValueError: deepgrad writes
  no projector checkpoints.
* ``write_images``: Keras (through ``tf.summary.image``) shows at most 3 images of a
  weight; deepgrad tiles all of them into one grid image under the same tag.
* ``evaluation_<metric>_vs_iterations`` is written after every evaluation (Keras gates it
  on a batch counter when ``update_freq`` is an integer).
"""
import time
import warnings

import numpy as np

from deepgrad.keras.callbacks.callback import Callback
from deepgrad.utils.tensorboard import summary as tb_summary
from deepgrad.utils.tensorboard.writer import SummaryWriter

_GRAPH_MODELS = ("Functional", "Sequential")     # Keras writes the JSON graph of these


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"TensorBoard: {name} must be an int >= 0, received {value!r}")


def _check_update_freq(update_freq):
    if update_freq in ("batch", "epoch"):
        return 1 if update_freq == "batch" else "epoch"
    if isinstance(update_freq, (int, np.integer)) and not isinstance(update_freq, bool) \
            and update_freq > 0:
        return int(update_freq)
    raise ValueError(f"TensorBoard: update_freq must be 'batch', 'epoch' or an int > 0, "
                     f"received {update_freq!r}")


def _check_profile_batch(profile_batch):
    """Keras 3's accepted forms (int >= 0, 'a,b', a pair); anything but 0 is refused."""
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(v) for v in value.split(",")]
        except ValueError:
            value = None
    if isinstance(value, (list, tuple)) and len(value) == 2:
        start, stop = value
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        start = stop = value
    else:
        start = stop = -1
    if start < 0 or stop < start:
        raise ValueError(f"TensorBoard: profile_batch must be a non-negative integer or a "
                         f"2-tuple of positive integers, received {profile_batch!r}")
    if start or stop:
        raise ValueError(f"TensorBoard: profiling is not available in deepgrad (Keras 3 "
                         f"refuses it on its torch backend too): profile_batch must be 0, "
                         f"received {profile_batch!r}")


def _weight_image(array):
    """Keras's layout of a weight as images (N, H, W, C), or None when it has none: a bias
    is one 1 x n image, a kernel (n, m) one image with its longer side across, a (k, k, n)
    kernel n images; a 4-D array is used as it is when its last axis is 1, 3 or 4."""
    w = np.squeeze(array)
    if w.ndim == 1:
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:                            # channels_last: (kh, kw, n) -> n images
        w = np.transpose(w, (2, 0, 1))
        w = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
    return w if w.ndim == 4 and w.shape[-1] in (1, 3, 4) else None


class TensorBoard(Callback):
    """Write training curves, weight histograms and the model graph for TensorBoard.

    Args (Keras 3's):
        log_dir (str or path-like): the root folder; ``train/`` and ``validation/`` are
            made under it. Default ``"logs"``.
        histogram_freq (int): write every weight's histogram every this many epochs
            (epochs 0, f, 2f, ...); 0 writes none.
        write_graph (bool): write the model's Keras JSON (TensorBoard's conceptual graph).
        write_images (bool): with histograms, also write each weight as an image.
        write_steps_per_second (bool): also log training steps per second.
        update_freq ("epoch", "batch" or int N): ``"epoch"`` logs epoch values only; N
            also logs ``batch_<metric>`` every N training batches (``"batch"`` is 1).
        profile_batch: must be 0 (see the module docstring).
        embeddings_freq (int): must be 0; embeddings_metadata: must be None.

    Raises:
        ValueError: an argument out of range or one deepgrad cannot honour.
        ImportError: tensorboardX is not installed (the message says how to install it).

    Example::

        model.fit(x, y, epochs=5, validation_split=0.2,
                  callbacks=[keras.callbacks.TensorBoard("logs", histogram_freq=1)])
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        _check_count("histogram_freq", histogram_freq)
        _check_count("embeddings_freq", embeddings_freq)
        update_freq = _check_update_freq(update_freq)
        _check_profile_batch(profile_batch)
        if embeddings_freq or embeddings_metadata is not None:
            raise ValueError(f"TensorBoard: embeddings are not written by deepgrad (no "
                             f"projector checkpoints): embeddings_freq must be 0 and "
                             f"embeddings_metadata None, received embeddings_freq="
                             f"{embeddings_freq!r}, embeddings_metadata={embeddings_metadata!r}")
        tb_summary.require_tensorboardx()
        self.log_dir = str(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph, self.write_images = bool(write_graph), bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = update_freq
        self.profile_batch, self.embeddings_freq = profile_batch, embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._graph_warned = False
        self._global_train_batch = 0
        self._batch_start_time = self._epoch_start_time = 0.0
        self._previous_epoch_iterations = 0

    # ------------------------------------------------------------------ writers
    def _writer(self, run):
        """The SummaryWriter of ``train`` or ``validation``, made on first use."""
        if run not in self._writers:
            self._writers[run] = SummaryWriter(f"{self.log_dir}/{run}")
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model):
        """Set the model; with ``write_graph`` its JSON is written now, as Keras does."""
        self._close_writers()
        super().set_model(model)
        if self.write_graph:
            self._write_keras_model_summary()

    def _write_keras_model_summary(self):
        if getattr(self.model, "_config_class_name", None) not in _GRAPH_MODELS:
            if not self._graph_warned:
                self._graph_warned = True
                warnings.warn(
                    f"TensorBoard(write_graph=True): only Sequential and functional models "
                    f"have a Keras JSON graph to write (as in Keras); "
                    f"{type(self.model).__name__} is a subclassed model, so no graph is "
                    f"written. Pass write_graph=False to silence this.", stacklevel=3)
            return
        writer = self._writer("train")
        writer.file_writer.add_summary(tb_summary.keras_model("keras", self.model.to_json()), 0)
        writer.flush()

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations()
            self._epoch_start_time = time.time()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        writer = self._writer("train")
        if self.write_steps_per_second:
            rate = 1.0 / max(time.time() - self._batch_start_time, 1e-12)
            writer.add_scalar("batch_steps_per_second", rate, step)
        for name, value in (logs or {}).items():
            writer.add_scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if not logs or optimizer is None or not hasattr(optimizer, "iterations"):
            return
        writer, step = self._writer("validation"), self._iterations()
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", value, step)
        writer.flush()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    # ------------------------------------------------------------------ helpers
    def _iterations(self):
        return int(np.asarray(self.model.optimizer.iterations))

    def _learning_rates(self):
        """Keras's ``_collect_learning_rate``: ``learning_rate`` of the optimizer (its inner
        one for a wrapper), or ``learning_rate_<name>`` per optimizer of a list."""
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):
            return {f"learning_rate_{opt.name}": float(np.asarray(opt.learning_rate))
                    for opt in optimizer.optimizers}
        if getattr(optimizer, "learning_rate", None) is not None:
            return {"learning_rate": float(np.asarray(optimizer.learning_rate))}
        return {}

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train.update(self._learning_rates())
        if self.write_steps_per_second:
            seconds = max(time.time() - self._epoch_start_time, 1e-12)
            train["steps_per_second"] = (self._iterations()
                                         - self._previous_epoch_iterations) / seconds
        for run, values in (("train", train), ("validation", val)):
            if values:
                writer = self._writer(run)
                for name, value in values.items():
                    writer.add_scalar(f"epoch_{name}", value, epoch)
                writer.flush()

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                array = np.asarray(weight)
                writer.add_histogram(f"{name}/histogram", array, epoch)
                image = _weight_image(array) if self.write_images else None
                if image is not None:
                    writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")
        writer.flush()
