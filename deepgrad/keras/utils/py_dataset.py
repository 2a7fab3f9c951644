"""``keras.utils.PyDataset``: a dataset of batches indexed by number (Keras 3's class).

A subclass writes ``__len__`` (the number of batches; or ``num_batches`` returning None
for an endless dataset) and ``__getitem__(index)`` (batch ``index`` as ``x``, ``(x, y)``
or ``(x, y, sample_weight)``); ``on_epoch_begin``/``on_epoch_end`` are called around
each epoch of ``fit``. Batches are read in order (shuffled by ``fit(shuffle=True)`` when
the dataset is finite), ``workers`` at a time:

    workers=1                               in the training loop's thread
    workers>1, use_multiprocessing=False    a pool of threads
    workers>1, use_multiprocessing=True     a pool of processes (the dataset is pickled
                                            to them, so it must be picklable)

with at most ``max_queue_size`` batches read ahead; batches always arrive in order, and
an exception raised by ``__getitem__`` in a worker is raised again in ``fit``.
"""
import concurrent.futures
import multiprocessing


class PyDataset:
    """Base class for datasets of batches (see the module docstring).

    Args:
        workers (int): how many batches are read at once. Default 1.
        use_multiprocessing (bool): read them in processes instead of threads.
        max_queue_size (int): the most batches read ahead. Default 10.

    Example:
        >>> class Squares(PyDataset):
        ...     def __len__(self):
        ...         return 10
        ...     def __getitem__(self, i):
        ...         x = np.full((4, 1), float(i), "float32")
        ...         return x, x ** 2
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        for name, value in (("workers", workers), ("max_queue_size", max_queue_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"PyDataset: {name} must be a positive integer, received "
                                 f"{name}={value!r}")
        self._workers, self._use_multiprocessing = workers, bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    @property
    def num_batches(self):
        """The number of batches (``len(self)``), or None for an endless dataset."""
        if hasattr(type(self), "__len__"):
            return len(self)
        return None

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch."""


Sequence = PyDataset         # keras.utils.Sequence, the Keras 2 name


def _read(dataset, index):
    return dataset[index]


def iterate_batches(dataset, indices):
    """The batches ``dataset[i]`` for ``i`` in ``indices`` (an iterable, possibly
    endless), read by the dataset's workers ahead of use, in order."""
    workers = dataset.workers
    if workers <= 1:
        for i in indices:
            yield dataset[i]
        return
    if dataset.use_multiprocessing:
        executor = concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"))
    else:
        executor = concurrent.futures.ThreadPoolExecutor(workers)
    pending = []
    indices = iter(indices)
    finished = False
    try:
        for i in indices:
            pending.append(executor.submit(_read, dataset, i))
            if len(pending) >= dataset.max_queue_size:
                break
        while pending:
            batch = pending.pop(0).result()
            for i in indices:
                pending.append(executor.submit(_read, dataset, i))
                break
            yield batch
        finished = True
    finally:                  # on an error (or an early stop) do not wait for the rest
        executor.shutdown(wait=finished, cancel_futures=True)
