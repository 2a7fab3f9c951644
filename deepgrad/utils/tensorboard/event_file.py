"""``EventFile``: one TensorBoard event file, written synchronously.

An event file is a sequence of records (TFRecord framing: length, its masked CRC-32C, the
serialized ``Event``, its masked CRC-32C; tensorboardX's ``RecordWriter`` writes them). The
first event says ``file_version: "brain.Event:2"``; each later one carries a ``Summary``,
a ``step`` and a ``wall_time``.

Why not tensorboardX's ``FileWriter``: its files are named by the second they were opened
in (``events.out.tfevents.<seconds>.<host>``), so a second writer opened on the same folder
within the same second truncates the first one's file; and its ``flush()`` does not wait
for the events still queued for its background thread. Here a file is named as
TensorBoard's own writer (and torch's) names it, ``...<seconds>.<host>.<pid>.<n><suffix>``
with ``n`` counting the files this process opened, and ``flush()`` puts every event added
so far on disk.

Pending events are flushed when ``max_queue`` of them are waiting, when an event is added
``flush_secs`` or more after the last flush, on ``flush()``/``close()``, and when the
interpreter exits.
"""
import itertools
import os
import socket
import time
import weakref

_FILE_NUMBERS = itertools.count()


def _close(records):
    try:
        records.flush()
    finally:
        records.close()


class EventFile:
    """Args: log_dir (made if missing), max_queue, flush_secs, filename_suffix."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        from tensorboardX.proto.event_pb2 import Event
        from tensorboardX.record_writer import RecordWriter

        self._event_type = Event
        self.log_dir = str(log_dir)
        self.max_queue, self.flush_secs = max_queue, flush_secs
        os.makedirs(self.log_dir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                f"{os.getpid()}.{next(_FILE_NUMBERS)}{filename_suffix}")
        self.path = os.path.join(self.log_dir, name)
        self._records = RecordWriter(self.path)
        self._finalizer = weakref.finalize(self, _close, self._records)
        self._pending, self._last_flush = 0, time.time()
        self.add_event(Event(wall_time=time.time(), file_version="brain.Event:2"))

    def get_logdir(self):
        return self.log_dir

    def add_event(self, event):
        """Append an ``Event``; flush when the queue is full or ``flush_secs`` have passed."""
        self._records.write(event.SerializeToString())
        self._pending += 1
        if self._pending >= self.max_queue or time.time() - self._last_flush >= self.flush_secs:
            self.flush()

    def add_summary(self, summary, global_step=None, walltime=None):
        """Append a ``Summary`` at ``global_step`` (int) and ``walltime`` (default now)."""
        event = self._event_type(summary=summary,
                                 wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def flush(self):
        if self._finalizer.alive:
            self._records.flush()
        self._pending, self._last_flush = 0, time.time()

    def close(self):
        self._finalizer()                      # flush and close once; later calls do nothing
