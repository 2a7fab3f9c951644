"""The DataLoader iterator with worker processes (``num_workers > 0``).

The main process walks the (batch) sampler and hands out tasks ``(task_index, indices)``
round-robin to the workers' index queues, keeping ``prefetch_factor`` tasks per worker in
flight. Workers (see :mod:`deepgrad.utils.data.worker`) put ``(task_index, payload)`` on
one shared result queue; the payload is the batch pickled inside the worker (so a batch
that cannot be sent becomes a clear error rather than a lost message). Results that arrive
early wait in ``task_info`` until every earlier task has been yielded, so batches come out
in sampler order (``in_order=False``: as they arrive).

Iterable-style datasets: each task asks a worker for the next batch of its own iterator;
a worker whose iterator is exhausted answers with a stop signal and gets no more tasks;
the epoch ends when every worker has stopped.

Errors and shutdown: an exception in a worker is re-raised here as the same exception type
with the worker's id and original traceback in the message. A worker that dies (killed,
segfault) is noticed within ``_STATUS_INTERVAL`` seconds and raises ``RuntimeError``
naming its pid; ``timeout`` bounds the wait for one batch. Workers are stopped and joined
(never left as zombies) at the end of the epoch, when the iterator is garbage collected,
on a worker death, and at interpreter exit; persistent workers live until their loader's
iterator is collected.
"""
import atexit
import itertools
import pickle
import queue
import time
import weakref

from deepgrad.utils.data import worker as _worker

_STATUS_INTERVAL = 1.0      # seconds between liveness checks while waiting for a batch
_SHUTDOWN_TIMEOUT = 5.0     # seconds a worker gets to exit before it is terminated

_live = weakref.WeakSet()   # iterators whose workers are running


@atexit.register
def _shutdown_all():
    for it in list(_live):
        it._shutdown_workers()


class MultiProcessIter:
    """Batches made by ``loader.num_workers`` worker processes (see the module doc)."""

    def __init__(self, loader):
        from deepgrad.utils.data.dataloader import default_context
        n = loader.num_workers
        self._index_sampler = loader._index_sampler     # not the loader: no reference cycle
        self._num_workers, self._prefetch = n, loader.prefetch_factor
        self._timeout, self._in_order = loader.timeout, loader.in_order
        self._persistent = loader.persistent_workers
        ctx = loader.multiprocessing_context or default_context()
        base_seed = loader._base_seed()
        self._shutdown = False
        self._data_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues, self._workers = [], []
        _live.add(self)
        try:
            for i in range(n):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                w = ctx.Process(
                    target=_run_worker, daemon=True,
                    args=(loader._iterable, loader.dataset, index_queue, self._data_queue,
                          self._done_event, loader._auto_collation, loader.collate_fn, loader.drop_last,
                          base_seed, loader.worker_init_fn, i, n))
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._epoch = 0
        self._start_epoch(resume=False)

    def reset(self, loader):
        """A new epoch on the same (persistent) workers."""
        self._index_sampler = loader._index_sampler
        self._epoch += 1
        self._start_epoch(resume=True)

    def _start_epoch(self, resume):
        self._sampler_iter = iter(self._index_sampler)
        self._send_idx = self._rcvd_idx = 0
        self._task_info = {}            # task index -> (worker id,) or (worker id, batch)
        self._active = [True] * self._num_workers
        self._cycle = itertools.cycle(range(self._num_workers))
        if resume:
            for q in self._index_queues:
                q.put(_worker.ResumeIteration(self._epoch))
            pending = self._num_workers
            while pending:               # anything before the acknowledgements is stale
                idx, _ = self._get_data()
                if isinstance(idx, _worker.ResumeIteration) and idx.epoch == self._epoch:
                    pending -= 1
        for _ in range(self._prefetch * self._num_workers):
            self._put_index()

    def _put_index(self):
        if self._shutdown:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            w = next(self._cycle)
            if self._active[w]:
                break
        else:
            return
        self._index_queues[w].put((self._send_idx, index))
        self._task_info[self._send_idx] = (w,)
        self._send_idx += 1

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler)

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:      # skip tasks that will bring nothing
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            idx, payload = self._get_data()
            if isinstance(idx, _worker.ResumeIteration):
                continue
            data = pickle.loads(payload)
            if isinstance(data, _worker.IterableDatasetStopIteration):
                self._active[data.worker_id] = False
                self._put_index()
                continue
            if idx == self._rcvd_idx or not self._in_order:
                del self._task_info[idx]
                if idx == self._rcvd_idx:
                    self._rcvd_idx += 1
                return self._process(data)
            self._task_info[idx] += (data,)

    def _process(self, data):
        self._put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def _get_data(self):
        """The next ``(task index, payload)``, watching the workers and the timeout."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _STATUS_INTERVAL if deadline is None else \
                max(0.0, min(_STATUS_INTERVAL, deadline - time.monotonic()))
            try:
                return self._data_queue.get(timeout=wait)
            except queue.Empty:
                pass
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                codes = ", ".join(str(w.exitcode) for w in dead)
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly "
                                   f"(exit code(s) {codes})")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _shutdown_workers(self):
        """Stop every worker, wait for it (terminate after a grace period), close queues."""
        if self._shutdown:
            return
        self._shutdown = True
        _live.discard(self)
        self._done_event.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=_SHUTDOWN_TIMEOUT)
            if w.is_alive():
                w.terminate()
                w.join()
        for q in self._index_queues + [self._data_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:        # interpreter shutdown: modules may already be gone
            pass


def _run_worker(iterable, dataset, index_queue, data_queue, *args):
    """The worker entry point: results go out pickled (see the module doc)."""
    _worker.worker_loop(iterable, dataset, index_queue, _PicklingQueue(data_queue), *args)


class _PicklingQueue:
    """The result queue as a worker sees it: batches are pickled before they are put."""

    def __init__(self, q):
        self._q = q

    def put(self, item):
        idx, data = item
        if isinstance(idx, _worker.ResumeIteration):
            self._q.put(item)
            return
        try:
            payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            where = getattr(_worker.get_worker_info(), "id", "?")
            payload = pickle.dumps(_worker.ExceptionWrapper(
                f"in DataLoader worker process {where} while sending the batch to the main "
                f"process (it must be picklable)"))
        self._q.put((idx, payload))

    def cancel_join_thread(self):
        self._q.cancel_join_thread()

    def close(self):
        self._q.close()
