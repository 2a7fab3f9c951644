"""DataLoader with worker processes: sampler order kept, per-worker seeding and WorkerInfo,
iterable-style sharding, errors re-raised with the worker's traceback, dead workers and
timeouts, persistent workers, and clean shutdown (no process left running or unreaped).
Tiny datasets and two workers keep this quick."""
import os
import pickle
import random
import signal
import time

import numpy as np
import pytest

import deepgrad
from deepgrad.utils.data import (
    DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info)


class Tagged(Dataset):
    """Sample i is (i, worker id, worker seed, a NumPy draw, a Python draw, a deepgrad draw);
    samples take uneven time, so workers finish out of order."""

    def __init__(self, n, fail_at=None, exc=ValueError):
        self.n, self.fail_at, self.exc = n, fail_at, exc

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise self.exc(f"sample {i} is broken")
        time.sleep(0.002 * ((i * 7) % 4))
        info = get_worker_info()
        return (i, info.id, info.seed, float(np.random.rand()), random.random(),
                float(deepgrad.rand(1).item()), os.getpid())


class Shard(IterableDataset):
    """0..n-1, split between workers by get_worker_info (or all of it in the main process)."""

    def __init__(self, n, split=True):
        self.n, self.split = n, split

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.split:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def _record_init(worker_id):
    os.environ["DG_TEST_INIT"] = f"init {worker_id}"


class InitSeen(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return os.environ.get("DG_TEST_INIT", "")


def _failing_init(worker_id):
    raise OSError(f"init of worker {worker_id} failed")


def column(batches, k):
    return [v for b in batches for v in b[k].tolist()]


def reaped(workers):
    """Every worker has exited and been waited for (no zombie left in /proc)."""
    return all(w.exitcode is not None and not os.path.exists(f"/proc/{w.pid}")
               for w in workers)


def test_batches_come_in_sampler_order_from_round_robin_workers():
    loader = DataLoader(Tagged(14), batch_size=3, num_workers=2)
    batches = list(loader)
    assert column(batches, 0) == list(range(14)) and len(batches) == len(loader) == 5
    assert [b[1].tolist()[0] for b in batches] == [0, 1, 0, 1, 0]
    order = [5, 1, 12, 0, 3, 9, 7]
    assert column(list(DataLoader(Tagged(14), batch_size=2, sampler=order, num_workers=2)),
                  0) == order
    assert column(list(DataLoader(Tagged(6), batch_size=4, num_workers=2, drop_last=True)),
                  0) == [0, 1, 2, 3]


def test_same_batches_as_in_process_loading():
    ds = TensorDataset(deepgrad.arange(20.0).reshape(10, 2), deepgrad.arange(10))
    for kw in (dict(batch_size=3), dict(batch_size=None), dict(batch_size=4, drop_last=True)):
        a = list(DataLoader(ds, **kw))
        b = list(DataLoader(ds, num_workers=2, **kw))
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert [t.tolist() for t in x] == [t.tolist() for t in y]
            assert [t.dtype for t in x] == [t.dtype for t in y]


def test_each_worker_is_seeded_base_seed_plus_id_and_streams_differ():
    deepgrad.manual_seed(0)
    batches = list(DataLoader(Tagged(8), batch_size=2, num_workers=2))
    seeds = dict(zip(column(batches, 1), column(batches, 2)))
    assert seeds[1] == seeds[0] + 1
    for k in (3, 4, 5):                         # NumPy, random, deepgrad draws
        by_worker = {}
        for w, v in zip(column(batches, 1), column(batches, k)):
            by_worker.setdefault(w, []).append(v)
        assert by_worker[0] != by_worker[1]
    deepgrad.manual_seed(0)
    again = list(DataLoader(Tagged(8), batch_size=2, num_workers=2))
    assert column(again, 3) == column(batches, 3)       # reproducible under manual_seed
    g = deepgrad.Generator().manual_seed(5)
    first = column(list(DataLoader(Tagged(4), batch_size=2, num_workers=2, generator=g)), 2)
    g.manual_seed(5)
    assert column(list(DataLoader(Tagged(4), batch_size=2, num_workers=2, generator=g)),
                  2) == first


def test_worker_info_is_none_in_the_main_process_and_frozen_in_workers():
    assert get_worker_info() is None
    from deepgrad.utils.data.worker import WorkerInfo
    info = WorkerInfo(id=0, num_workers=1, seed=3, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes"):
        info.id = 1


def test_worker_init_fn_runs_in_each_worker():
    got = list(DataLoader(InitSeen(), batch_size=1, num_workers=2,
                          worker_init_fn=_record_init))
    assert got == [["init 0"], ["init 1"], ["init 0"], ["init 1"]]
    assert "DG_TEST_INIT" not in os.environ


def test_iterable_dataset_sharded_by_worker_info():
    got = [b.tolist() for b in DataLoader(Shard(10), batch_size=3, num_workers=2)]
    assert got == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]              # PyTorch's order
    assert sorted(sum(got, [])) == list(range(10))
    dup = sum((b.tolist() for b in DataLoader(Shard(4, split=False), batch_size=2,
                                              num_workers=2)), [])
    assert sorted(dup) == [0, 0, 1, 1, 2, 2, 3, 3]         # unsplit: one copy per worker
    assert sorted(DataLoader(Shard(5), batch_size=None, num_workers=2)) == [0, 1, 2, 3, 4]
    short = [b.tolist() for b in DataLoader(Shard(7), batch_size=2, num_workers=2,
                                            drop_last=True)]
    assert short == [[0, 2], [1, 3], [4, 6]]              # each worker drops its own tail


def test_worker_error_is_reraised_with_the_worker_and_traceback():
    with pytest.raises(ValueError) as info:
        list(DataLoader(Tagged(10, fail_at=4), batch_size=2, num_workers=2))
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process 0." in msg
    assert "Original Traceback" in msg and "sample 4 is broken" in msg
    assert 'raise self.exc(f"sample {i} is broken")' in msg
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 1"):
        list(DataLoader(Tagged(4, fail_at=1, exc=KeyError), batch_size=1, num_workers=2))


def test_worker_init_fn_error_and_unpicklable_batch_are_reported():
    with pytest.raises(OSError, match="init of worker 0 failed"):
        list(DataLoader(InitSeen(), num_workers=2, worker_init_fn=_failing_init))
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError),
                       match="while sending the batch to the main process .* must be picklable"):
        list(DataLoader(InitSeen(), num_workers=1, collate_fn=lambda s: (lambda: s)))


def test_workers_are_stopped_and_reaped():
    it = iter(DataLoader(Tagged(6), batch_size=2, num_workers=2))
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    list(it)                                                   # end of the epoch
    assert reaped(workers)
    it = iter(DataLoader(Tagged(40), batch_size=2, num_workers=2))
    next(it)                                                   # abandoned mid-epoch
    workers = list(it._workers)
    del it
    assert reaped(workers)
    it = iter(DataLoader(Tagged(10, fail_at=3), batch_size=2, num_workers=2))
    workers = list(it._workers)
    with pytest.raises(ValueError):
        list(it)
    del it
    assert reaped(workers)


def test_a_killed_worker_is_reported():
    it = iter(DataLoader(Tagged(40), batch_size=1, num_workers=2, prefetch_factor=1))
    victim = it._workers[1]
    workers = list(it._workers)
    os.kill(victim.pid, signal.SIGKILL)
    victim.join()
    with pytest.raises(RuntimeError, match=rf"DataLoader worker \(pid\(s\) {victim.pid}\) "
                                           r"exited unexpectedly"):
        list(it)
    assert reaped(workers)


class Sleepy(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(1.5)
        return i


def test_timeout():
    it = iter(DataLoader(Sleepy(), num_workers=1, timeout=0.3))
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        try:
            next(it)
        finally:
            waited = time.monotonic() - start
    assert 0.3 <= waited < 1.2


def test_persistent_workers_survive_epochs():
    loader = DataLoader(Tagged(6), batch_size=2, num_workers=2, persistent_workers=True)
    first = list(loader)
    it = loader._iterator
    pids = {w.pid for w in it._workers}
    second = list(loader)
    assert column(first, 0) == column(second, 0) == list(range(6))
    assert set(column(second, 6)) == pids and all(w.is_alive() for w in it._workers)
    partial = iter(loader)
    next(partial)                                             # abandon an epoch midway
    assert column(list(loader), 0) == list(range(6))          # the next one is whole
    sharded = DataLoader(Shard(6), batch_size=2, num_workers=2, persistent_workers=True)
    assert [sorted(sum((b.tolist() for b in sharded), [])) for _ in range(2)] == \
        [list(range(6))] * 2
    workers = list(it._workers)
    del loader, it, partial
    assert reaped(workers)


def test_out_of_order_delivery_when_asked():
    got = list(DataLoader(Tagged(12), batch_size=2, num_workers=2, in_order=False))
    assert sorted(column(got, 0)) == list(range(12))


def test_spawn_context():
    ds = TensorDataset(deepgrad.arange(6))
    got = [b[0].tolist() for b in DataLoader(ds, batch_size=3, num_workers=1,
                                             multiprocessing_context="spawn")]
    assert got == [[0, 1, 2], [3, 4, 5]]
