"""Each rank's share of ``fit``'s data, and the callbacks that keep the ranks in step.

**Arrays** (``fit(x, y, batch_size=B)`` on N ranks). Every rank builds the same global
order of the n samples (rank 0's shuffle, broadcast, so the ranks need not share a
seed), pads it to a multiple of N by repeating its first samples (as
``DistributedSampler`` does), and cuts it into global batches of N*B; rank r takes the
r-th of the N equal parts of each global batch:

    global batch k = order[k N B : (k + 1) N B]            (m samples, m a multiple of N)
    rank r, step k = global batch k [r m/N : (r + 1) m/N]

So every rank runs the same number of steps, and when n is a multiple of N the N ranks
see, step by step, exactly the samples one process sees with ``batch_size=N*B`` (and
the same shuffle, from the same seed): averaged gradients give the same weights.

**PyDatasets**: rank r reads the batches ``order[k N + r]`` (padded the same way).
**Loaders and generators** are taken as already sharded (a DataLoader with a
``DistributedSampler``); their lengths must agree across the ranks.

**Callbacks**: on ranks other than 0, file writers (``ModelCheckpoint``, ``CSVLogger``)
are left out; a last callback makes ``stop_training`` the ranks' agreement (any rank
stopping stops all, at the same step), and switches on the optimizer's overlap of
gradient reduction with backward for the duration of ``fit``.
"""
import math

import numpy as np

from deepgrad import backend
from deepgrad.distributed import _mpi
from deepgrad.keras.callbacks.callback import Callback
from deepgrad.keras.callbacks.callback_list import _BATCH_HOOKS, CallbackList, _overrides
from deepgrad.keras.callbacks.csv_logger import CSVLogger
from deepgrad.keras.callbacks.model_checkpoint import ModelCheckpoint
from deepgrad.keras.models.data import (ArrayDataAdapter, PyDatasetAdapter, _standardize_item,
                                        take, to_tensors)
from deepgrad.keras.utils.data_utils import pack_x_y_sample_weight
from deepgrad.keras.utils.py_dataset import iterate_batches

#: callbacks that write files: rank 0's only
RANK0_ONLY = (ModelCheckpoint, CSVLogger)


def _shared_order(pg, n, shuffle, chunk):
    """The epoch's order of ``n`` items, the same on every rank (rank 0 draws it)."""
    order = np.arange(n, dtype=np.int64)
    if not shuffle:
        return order
    if pg.rank() == 0:
        if shuffle == "batch":
            for start in range(0, n, chunk):
                order[start:start + chunk] = backend.rng().permutation(order[start:start + chunk])
        else:
            order = backend.rng().permutation(n).astype(np.int64)
    pg.comm.Bcast(order, root=0)
    return order


def _padded(order, multiple):
    total = int(math.ceil(len(order) / multiple)) * multiple
    if total == len(order):
        return order
    return np.resize(order, total)                 # repeats from the start


class ShardedArrayAdapter:
    """Rank r's part of every global batch of N*B samples (see the module docstring)."""

    def __init__(self, inner, pg):
        self.inner, self.pg = inner, pg
        n, size = inner.n, pg.size()
        self.global_batch = size * inner.batch_size
        self.total = int(math.ceil(n / size)) * size if n else 0
        self.num_batches = int(math.ceil(self.total / self.global_batch)) if n else 0

    def get_iterator(self):
        inner, pg = self.inner, self.pg
        order = _padded(_shared_order(pg, inner.n, inner.shuffle, self.global_batch),
                        pg.size())
        size, me = pg.size(), pg.rank()
        for start in range(0, self.total, self.global_batch):
            batch = order[start:start + self.global_batch]
            part = len(batch) // size
            index = batch[me * part:(me + 1) * part]
            yield pack_x_y_sample_weight(to_tensors(take(inner.x, index)),
                                         to_tensors(take(inner.y, index)),
                                         to_tensors(take(inner.sample_weight, index)))

    def on_epoch_begin(self):
        self.inner.on_epoch_begin()

    def on_epoch_end(self):
        self.inner.on_epoch_end()


class ShardedPyDatasetAdapter:
    """Rank r reads batches ``order[k N + r]`` of a PyDataset of known length."""

    def __init__(self, inner, pg):
        self.inner, self.pg = inner, pg
        n = inner.num_batches
        self.num_batches = int(math.ceil(n / pg.size())) if n else n

    def get_iterator(self):
        inner, pg = self.inner, self.pg
        order = _padded(_shared_order(pg, inner.num_batches, inner.shuffle, 1), pg.size())
        mine = (int(i) for i in order[pg.rank()::pg.size()])
        for item in iterate_batches(inner.dataset, mine):
            yield _standardize_item(item, inner.class_weight)

    def on_epoch_begin(self):
        self.inner.on_epoch_begin()

    def on_epoch_end(self):
        self.inner.on_epoch_end()


def shard(epoch_iterator, pg):
    """Make ``fit``'s ``epoch_iterator`` read this rank's shard (in place)."""
    adapter = epoch_iterator.data_adapter
    if isinstance(adapter, ArrayDataAdapter):
        sharded = ShardedArrayAdapter(adapter, pg)
    elif isinstance(adapter, PyDatasetAdapter) and adapter.num_batches is not None:
        sharded = ShardedPyDatasetAdapter(adapter, pg)
    else:
        check_equal_steps(epoch_iterator, pg)
        return
    epoch_iterator.data_adapter = sharded
    epoch_iterator._num_batches = sharded.num_batches
    check_equal_steps(epoch_iterator, pg)


def check_equal_steps(epoch_iterator, pg):
    """Every rank must run the same number of steps per epoch.

    Raises:
        ValueError: (on every rank) the counts differ, or are unknown without
            ``steps_per_epoch``.
    """
    steps = epoch_iterator.num_batches
    everyone = pg.comm.allgather(steps)
    if None in everyone:
        raise ValueError("fit: under deepgrad.keras.distributed every rank must run the same "
                         "number of steps; the data has no length on some rank "
                         f"(steps per rank: {everyone}): pass steps_per_epoch=")
    if len(set(everyone)) > 1:
        raise ValueError(f"fit: the ranks would run different numbers of steps per epoch "
                         f"({', '.join(f'rank {r}: {s}' for r, s in enumerate(everyone))}); "
                         f"give every rank a shard of the same size or pass steps_per_epoch=")


class _RanksInStep(Callback):
    """Agrees ``stop_training`` across the ranks at each epoch end, and turns the
    optimizer's overlap on for the duration of ``fit``."""

    def __init__(self, optimizer, pg):
        super().__init__()
        self.optimizer, self.pg = optimizer, pg

    def on_train_begin(self, logs=None):
        self.optimizer._dist_in_fit = True

    def on_train_end(self, logs=None):
        self.optimizer._dist_in_fit = False
        reducer = self.optimizer._dist_reducer
        if reducer is not None:
            reducer.expect = False                  # a later backward is not reduced

    def _agree_stop(self):
        flag = np.array([1 if self.model.stop_training else 0], dtype=np.int64)
        MPI = _mpi.mpi()
        self.pg.comm.Allreduce(MPI.IN_PLACE, flag, op=MPI.MAX)
        self.model.stop_training = bool(flag[0])

    def on_epoch_end(self, epoch, logs=None):
        self._agree_stop()


class _RanksInStepEveryBatch(_RanksInStep):
    """The same, also after every batch (when a callback may stop mid-epoch)."""

    def on_train_batch_end(self, batch, logs=None):
        self._agree_stop()


def fit_callbacks(optimizer, callbacks, pg):
    """``callbacks`` for this rank: writers on rank 0 only, then the agreement."""
    if isinstance(callbacks, CallbackList):
        raise ValueError("fit: pass callbacks as a list under deepgrad.keras.distributed "
                         "(a CallbackList cannot be sharded by rank)")
    given = list(callbacks or [])
    cbs = [cb for cb in given if pg.rank() == 0 or not isinstance(cb, RANK0_ONLY)]
    # every rank must make the same agreement calls: decided on the callbacks as given
    # (before rank 0's writers are left out elsewhere), by all ranks together
    local = any(_overrides(cb, h) for cb in given for h in _BATCH_HOOKS)
    keeper = _RanksInStepEveryBatch if any(pg.comm.allgather(local)) else _RanksInStep
    return cbs + [keeper(optimizer, pg)]
