"""``SummaryWriter``: TensorBoard event files with ``torch.utils.tensorboard``'s API.

The records are built and framed by tensorboardX (an optional extra, imported when the
first writer is made) and written by :class:`~deepgrad.utils.tensorboard.event_file.EventFile`
(one file per run, named as TensorBoard names them); what goes into them follows torch's
``SummaryWriter``:

* ``log_dir`` defaults to ``runs/<Mon01_12-00-00>_<hostname><comment>``;
* ``add_scalars(main, {tag: v})`` writes each series to its own run ``<log_dir>/<main>_<tag>``
  under the tag ``main`` (so TensorBoard draws them in one chart);
* ``add_hparams`` writes a run ``<log_dir>/<run_name or time.time()>`` with the hparams
  and the metrics as scalars;
* a float image is scaled by 255 and clipped to [0, 255] before it becomes a PNG (a uint8
  image is written as it is).

Every value may be a deepgrad ``Tensor``, a NumPy array or a Python number: it is turned
into a NumPy array before tensorboardX sees it. Arguments are checked before anything is
written. Two differences from torch, both deliberate: a ``bool`` hyperparameter is stored
as a boolean (torch stores it as the number 1.0 or 0.0), and ``add_graph``/``add_embedding``
/``add_video``/``add_audio``/``add_pr_curve``/``add_mesh`` are not provided.
"""
import functools
import os
import time

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.utils.tensorboard import summary
from deepgrad.utils.tensorboard.event_file import EventFile

_IMAGE_FORMATS = {"add_image": ("CHW", "HW"), "add_images": ("NCHW",)}


def to_numpy(value):
    """A deepgrad Tensor (or a torch tensor), an array or a number as a NumPy array."""
    if isinstance(value, Tensor):
        return value.detach().numpy()
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):        # a torch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


@functools.lru_cache(maxsize=1)
def _default_bins():
    """TensorFlow's histogram bucket edges: +-1e-12 * 1.1**k up to 1e20, and 0."""
    v, buckets = 1e-12, []
    while v < 1e20:
        buckets.append(v)
        v *= 1.1
    return [-b for b in reversed(buckets)] + [0] + buckets


def _check_tag(method, tag):
    if not isinstance(tag, str):
        raise TypeError(f"{method}: tag must be a str, received {type(tag).__name__}")


def _image_array(method, img_tensor, dataformats):
    """The image as uint8 (a float one scaled by 255 and clipped, as torch does), after
    checking ``dataformats`` against its shape and its channel count (1, 3 or 4)."""
    array = to_numpy(img_tensor)
    fmt = dataformats.upper() if isinstance(dataformats, str) else None
    if fmt is None or sorted(fmt) not in [sorted(f) for f in _IMAGE_FORMATS[method]]:
        raise ValueError(f"{method}: dataformats must be a permutation of one of "
                         f"{_IMAGE_FORMATS[method]}, received {dataformats!r}")
    if array.ndim != len(fmt):
        raise ValueError(f"{method}: dataformats={dataformats!r} needs a {len(fmt)}-D array, "
                         f"received shape {array.shape}")
    if "C" in fmt and array.shape[fmt.index("C")] not in (1, 3, 4):
        raise ValueError(f"{method}: an image has 1, 3 or 4 channels, received "
                         f"{array.shape[fmt.index('C')]} (shape {array.shape}, "
                         f"dataformats={dataformats!r})")
    if array.dtype == np.uint8:
        return array, fmt
    return (array.astype(np.float32) * 255).clip(0, 255).astype(np.uint8), fmt


class SummaryWriter:
    """Writes TensorBoard event files (``torch.utils.tensorboard.SummaryWriter``'s API).

    Args:
        log_dir (str or os.PathLike, optional): the run's folder. Default
            ``runs/<date>_<hostname><comment>``.
        comment (str): appended to the default ``log_dir`` (no effect when it is given).
        purge_step (int, optional): after a crash at step T+X and a restart at step T,
            events with a step >= T are hidden by TensorBoard.
        max_queue (int): pending events before a write forces a flush (10).
        flush_secs (int): seconds between flushes (120).
        filename_suffix (str): appended to the event files' names.

    Example::

        with SummaryWriter("runs/exp1") as w:
            for step in range(100):
                w.add_scalar("loss", 1.0 / (step + 1), step)

    Raises:
        ImportError: tensorboardX is not installed (the message says how to install it).
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10,
                 flush_secs=120, filename_suffix=""):
        if log_dir is not None and not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"SummaryWriter: log_dir must be a str or os.PathLike, received "
                            f"{type(log_dir).__name__}")
        for name, value in (("max_queue", max_queue), ("flush_secs", flush_secs)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"SummaryWriter: {name} must be a positive number, received "
                                 f"{value!r}")
        summary.require_tensorboardx()
        if not log_dir:
            import socket
            from datetime import datetime
            log_dir = os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_"
                                   + socket.gethostname() + comment)
        self.log_dir = os.fspath(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs = max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()

    # ------------------------------------------------------------------ files
    def _new_file_writer(self, log_dir):
        return EventFile(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)

    def _get_file_writer(self):
        """The run's file writer, made again after ``close()`` (as torch does)."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = self._new_file_writer(self.log_dir)
            if self.purge_step is not None:
                from tensorboardX.proto.event_pb2 import Event, SessionLog
                self.file_writer.add_event(Event(step=self.purge_step,
                                                 file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=self.purge_step, session_log=SessionLog(
                    status=SessionLog.START)))
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
        return self.file_writer

    def get_logdir(self):
        """The folder the event files are written to."""
        return self.log_dir

    # ------------------------------------------------------------------ scalars
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One value of the series ``tag`` at ``global_step``.

        ``new_style`` stores it as a tensor read by the scalars plugin (float32, or float64
        with ``double_precision``) instead of the classic ``simple_value``.
        """
        _check_tag("add_scalar", tag)
        proto = summary.scalar(tag, to_numpy(scalar_value), new_style, double_precision)
        self._get_file_writer().add_summary(proto, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several series in one chart: ``tag_scalar_dict[k]`` goes to the run
        ``<log_dir>/<main_tag with / as _>_<k>`` under the tag ``main_tag``."""
        _check_tag("add_scalars", main_tag)
        if not isinstance(tag_scalar_dict, dict):
            raise TypeError(f"add_scalars: tag_scalar_dict must be a dict, received "
                            f"{type(tag_scalar_dict).__name__}")
        protos = {tag: summary.scalar(main_tag, to_numpy(v)) for tag, v in tag_scalar_dict.items()}
        walltime = time.time() if walltime is None else walltime
        logdir = self._get_file_writer().get_logdir()
        for tag, proto in protos.items():
            fw_tag = logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            if fw_tag not in self.all_writers:
                self.all_writers[fw_tag] = self._new_file_writer(fw_tag)
            self.all_writers[fw_tag].add_summary(proto, global_step, walltime)

    # ------------------------------------------------------------------ histograms
    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        """A histogram of ``values`` (any shape). ``bins``: ``"tensorflow"`` (TensorFlow's
        exponential buckets), or anything ``numpy.histogram`` takes (``"auto"``, an int, edges).
        """
        _check_tag("add_histogram", tag)
        array = to_numpy(values)
        if array.size == 0:
            raise ValueError(f"add_histogram({tag!r}): values are empty")
        from tensorboardX.summary import histogram
        if isinstance(bins, str) and bins == "tensorflow":
            bins = _default_bins()
        self._get_file_writer().add_summary(histogram(tag, array, bins, max_bins=max_bins),
                                            global_step, walltime)

    # ------------------------------------------------------------------ images
    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: ``(C, H, W)`` by default, or ``dataformats="HWC"`` / ``"HW"``. C is 1
        (grey), 3 (RGB) or 4 (RGBA); floats in [0, 1], or uint8 in [0, 255]."""
        self._add_image("add_image", tag, img_tensor, global_step, walltime, dataformats)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch ``(N, C, H, W)`` (or ``"NHWC"``), tiled into one grid image, 8 per row."""
        self._add_image("add_images", tag, img_tensor, global_step, walltime, dataformats)

    def _add_image(self, method, tag, img_tensor, global_step, walltime, dataformats):
        _check_tag(method, tag)
        array, fmt = _image_array(method, img_tensor, dataformats)
        try:
            import PIL  # noqa: F401  (tensorboardX encodes the PNG with Pillow)
        except ImportError as exc:
            raise ImportError(f"{method} encodes images with Pillow: pip install pillow") \
                from exc
        from tensorboardX.summary import image
        self._get_file_writer().add_summary(image(tag, array, dataformats=fmt),
                                            global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them, side by side) rendered as an image."""
        _check_tag("add_figure", tag)
        try:
            import matplotlib  # noqa: F401
        except ImportError as exc:
            raise ImportError("add_figure renders matplotlib figures: pip install "
                              "'deepgrad[plot]' (or pip install matplotlib)") from exc
        from tensorboardX.utils import figure_to_image
        if isinstance(figure, list):
            self.add_images(tag, figure_to_image(figure, close), global_step, walltime, "NCHW")
        else:
            self.add_image(tag, figure_to_image(figure, close), global_step, walltime, "CHW")

    # ------------------------------------------------------------------ text, hparams
    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Text (Markdown) under ``<tag>/text_summary``."""
        _check_tag("add_text", tag)
        if not isinstance(text_string, str):
            raise TypeError(f"add_text({tag!r}): text_string must be a str, received "
                            f"{type(text_string).__name__}")
        from tensorboardX.summary import text
        self._get_file_writer().add_summary(text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None,
                    run_name=None, global_step=None):
        """One row of the HParams dashboard, written to the run
        ``<log_dir>/<run_name or time.time()>``: the hyperparameters, and each metric of
        ``metric_dict`` as a scalar there (so its key should not be a tag used elsewhere).
        """
        experiment, start, end = summary.hparams(hparam_dict, metric_dict,
                                                 hparam_domain_discrete)
        metrics = {k: summary.scalar(k, to_numpy(v)) for k, v in metric_dict.items()}
        run = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        writer = self._new_file_writer(run)
        try:
            for proto in (experiment, start, end):
                writer.add_summary(proto, global_step)
            for proto in metrics.values():
                writer.add_summary(proto, global_step)
        finally:
            writer.close()

    # ------------------------------------------------------------------ lifetime
    def flush(self):
        """Write pending events to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self):
        """Flush and close every file; a later ``add_*`` opens a new one."""
        for writer in (self.all_writers or {}).values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()
