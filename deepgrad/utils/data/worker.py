"""What runs inside a DataLoader worker process, and ``get_worker_info``.

A worker receives ``(task_index, indices)`` on its own index queue, fetches and collates
that batch (see :mod:`deepgrad.utils.data.fetch`) and puts ``(task_index, batch)`` on the
shared result queue. An exception becomes an :class:`ExceptionWrapper` holding the
formatted traceback, which the main process re-raises naming the worker. ``None`` on the
index queue, or the shared ``done_event``, stops the worker (the event also works when the
main process's queues are already being torn down by the garbage collector); so does the
main process disappearing. Both are checked every ``_STATUS_INTERVAL`` seconds of idleness.

Seeding, as PyTorch: worker ``k`` of an epoch whose base seed is ``b`` seeds Python's
``random`` and deepgrad's default generator with ``b + k`` (``get_worker_info().seed``),
and NumPy's legacy global generator (``np.random.seed``) with a state derived from
``(k, b)`` by ``numpy.random.SeedSequence`` (PyTorch uses its own hash; the point, distinct
NumPy streams per worker, is the same). ``b`` is drawn once per epoch from the loader's
``generator`` (or deepgrad's default generator).
"""
import os
import queue
import random
import sys
import traceback

import numpy as np

_STATUS_INTERVAL = 0.2      # seconds between checks for shutdown / the main process

_worker_info = None


class WorkerInfo:
    """Information about the DataLoader worker process the code runs in.

    Attributes:
        id (int): this worker's id, ``0 .. num_workers - 1``.
        num_workers (int): how many workers the loader has.
        seed (int): the seed this worker's generators were given (base seed + id).
        dataset: this worker's copy of the dataset.
    """

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__keys)
        return f"{type(self).__name__}({items})"


def get_worker_info():
    """The :class:`WorkerInfo` of the current DataLoader worker, or None in the main process.

    Use it in an :class:`IterableDataset`'s ``__iter__`` (or a ``worker_init_fn``) to give
    each worker its own share of the data.
    """
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, with its formatted traceback, to re-raise in the main
    process as ``<type>("Caught <type> in DataLoader worker process <k>.\\nOriginal
    Traceback ...")`` (RuntimeError when the type cannot be built from one message)."""

    def __init__(self, where):
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            del exception       # no frame <-> exception cycle keeping the iterator alive


class _KeyErrorMessage(str):
    """A KeyError shows ``repr`` of its argument; this keeps the traceback readable."""

    def __repr__(self):
        return str(self)


class IterableDatasetStopIteration:
    """A worker's signal that its copy of an iterable dataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class ResumeIteration:
    """Main -> persistent worker: a new epoch starts (re-create the iterator), and the reply
    marking where the worker's results of the new epoch begin."""

    def __init__(self, epoch):
        self.epoch = epoch


def _seed_worker(base_seed, worker_id):
    from deepgrad import backend
    seed = base_seed + worker_id
    random.seed(seed)
    backend.manual_seed(seed % 2 ** 64)
    mask = 2 ** 32 - 1
    np.random.seed(np.random.SeedSequence(
        [worker_id, base_seed & mask, base_seed >> 32]).generate_state(4))
    return seed


def worker_loop(iterable, dataset, index_queue, data_queue, done_event, auto_collation,
                collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    """The body of worker process ``worker_id`` (see the module doc)."""
    global _worker_info
    from deepgrad.utils.data.fetch import create_fetcher
    parent = os.getppid()
    seed = _seed_worker(base_seed, worker_id)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                              dataset=dataset)
    where = f"in DataLoader worker process {worker_id}"
    init_error = fetcher = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_error = ExceptionWrapper(where)
    ended = False
    while True:
        try:
            task = index_queue.get(timeout=_STATUS_INTERVAL)
        except queue.Empty:
            if done_event.is_set() or os.getppid() != parent:   # shutdown, or no parent
                break
            continue
        if task is None or done_event.is_set():
            break
        if isinstance(task, ResumeIteration):
            ended = False
            if iterable and init_error is None:
                try:
                    fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn,
                                             drop_last)
                except Exception:
                    init_error = ExceptionWrapper(where)
            data_queue.put((task, None))
            continue
        idx, index = task
        if ended:
            continue
        if init_error is not None:          # worker_init_fn (or iter(dataset)) failed
            data = init_error
        else:
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                if not iterable:
                    data = ExceptionWrapper(where)
                else:
                    data, ended = IterableDatasetStopIteration(worker_id), True
            except Exception:
                data = ExceptionWrapper(where)
        data_queue.put((idx, data))
        del data
    data_queue.cancel_join_thread()     # exit now, even if the main process stopped reading
    data_queue.close()
