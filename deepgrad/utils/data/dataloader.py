"""``DataLoader``: batches of a dataset, in the calling process or in worker processes.

The pieces, as in ``torch.utils.data``:

    sampler        -> indices 0..N-1 (SequentialSampler, RandomSampler when shuffle=True)
    batch_sampler  -> lists of batch_size indices (BatchSampler; None: no auto-batching)
    fetch          -> collate_fn([dataset[i] for i in batch])  (default_collate)

An :class:`IterableDataset` has no indices: each batch is the next ``batch_size`` items of
its iterator. There are

    len(loader) = len(batch_sampler)      = ceil(N / batch_size)  (floor with drop_last)
    len(loader) = len(sampler)            (batch_size=None)

batches per epoch for a map-style dataset, and the same formulas with ``N = len(dataset)``
for an iterable one that defines ``__len__``.

With ``num_workers > 0`` batches are made in worker processes (see
:mod:`deepgrad.utils.data.multiprocessing_iter`) and still come out in sampler order.
"""
import warnings

import numpy as np

from deepgrad import backend
from deepgrad.utils.data.collate import default_collate, default_convert
from deepgrad.utils.data.dataset import IterableDataset
from deepgrad.utils.data.fetch import create_fetcher
from deepgrad.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


class _InfiniteConstantSampler(Sampler):
    """The sampler of an iterable-style dataset: ``None`` forever (the iterator decides)."""

    def __iter__(self):
        while True:
            yield None


_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


class DataLoader:
    """Batches of a dataset, as ``torch.utils.data.DataLoader``.

    Args:
        dataset (Dataset or IterableDataset): where samples come from.
        batch_size (int or None): samples per batch (default 1); None turns auto-batching
            off: each sample goes through ``collate_fn`` (default ``default_convert``) alone.
        shuffle (bool): a new random order every epoch (map-style only).
        sampler (Sampler or iterable): the order of indices (excludes ``shuffle``).
        batch_sampler (Sampler or iterable): yields lists of indices; excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int): worker processes making batches; 0 loads in this process.
        collate_fn (callable): list of samples -> batch; default ``default_collate``.
        pin_memory (bool): accepted; deepgrad has no accelerator, so (as PyTorch without
            one) it warns and pins nothing.
        drop_last (bool): drop the last batch when it is short.
        timeout (float): with workers, seconds to wait for a batch before raising (0: wait
            as long as the workers are alive).
        worker_init_fn (callable): ``fn(worker_id)``, run in each worker after seeding.
            Worker ``k`` seeds Python's ``random`` and deepgrad's default generator with
            ``base_seed + k`` and NumPy's global generator with a state derived from
            ``(k, base_seed)``; ``base_seed`` is drawn from ``generator`` each epoch.
        multiprocessing_context (str or context): "fork", "spawn" or "forkserver" (or a
            ``multiprocessing`` context); default fork where the platform has it, else
            spawn. Only with ``num_workers > 0``.
        generator (deepgrad.Generator): source of the shuffling order and workers' base
            seed; default deepgrad's default generator.
        prefetch_factor (int): batches loaded ahead per worker (default 2 with workers;
            must be None without).
        persistent_workers (bool): keep the workers between epochs (needs workers).
        pin_memory_device (str): only "" or "cpu" (there is no other device).
        in_order (bool): with workers, yield batches in sampler order (default) or as they
            are ready.

    Example:
        >>> ds = TensorDataset(deepgrad.randn(100, 3), deepgrad.randint(0, 2, (100,)))
        >>> loader = DataLoader(ds, batch_size=32, shuffle=True)
        >>> len(loader)
        4
        >>> for x, y in loader:  # x: (32, 3) float32, y: (32,) int64; last batch has 4
        ...     pass
    """

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        _check_options(num_workers, timeout, prefetch_factor, persistent_workers,
                       pin_memory_device, collate_fn, worker_init_fn)
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value!r}")
        elif not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must be a map-style dataset (with "
                            f"__getitem__) or an IterableDataset; received "
                            f"{type(dataset).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is "
                                 "mutually exclusive with drop_last")
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 \
            else prefetch_factor
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _context(multiprocessing_context, num_workers)
        self.batch_size, self.drop_last = batch_size, bool(drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.generator = generator
        backend.rng(generator)                  # a clear error for a bad generator, now
        self.collate_fn = collate_fn if collate_fn is not None else \
            (default_collate if batch_sampler is not None else default_convert)
        self.persistent_workers, self.in_order = persistent_workers, in_order
        self._iterable = iterable
        self._iterator = None
        self.__initialized = True

    def __setattr__(self, attr, val):
        if self.__initialized and attr in _FROZEN:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)               # TypeError for an unsized iterable dataset
            if self.batch_size is not None:
                return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __iter__(self):
        if self.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=2)
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        from deepgrad.utils.data.multiprocessing_iter import MultiProcessIter
        if not self.persistent_workers:
            return MultiProcessIter(self)
        if self._iterator is None:
            self._iterator = MultiProcessIter(self)
        else:
            self._iterator.reset(self)
        return self._iterator

    def _base_seed(self):
        """The workers' base seed for one epoch, drawn from ``generator``."""
        return int(backend.rng(self.generator).integers(0, 2 ** 63))


class _SingleProcessIter:
    """Batches made in the calling process, one at a time."""

    def __init__(self, loader):
        self._fetcher = create_fetcher(loader._iterable, loader.dataset,
                                       loader._auto_collation, loader.collate_fn,
                                       loader.drop_last)
        sampler = loader._index_sampler
        fast = getattr(self._fetcher, "fast", None) is not None and type(sampler) is BatchSampler
        self._sampler_iter = sampler._array_batches() if fast else iter(sampler)
        self._index_sampler = loader._index_sampler

    def __iter__(self):
        return self

    def __next__(self):
        index = next(self._sampler_iter)        # StopIteration ends the epoch
        return self._fetcher.fetch(index)       # so does an exhausted iterable dataset

    def __len__(self):
        return len(self._index_sampler)


def _check_options(num_workers, timeout, prefetch_factor, persistent_workers,
                   pin_memory_device, collate_fn, worker_init_fn):
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
        raise TypeError(f"num_workers should be an int, received {type(num_workers).__name__}")
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in "
                         "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                         "otherwise set prefetch_factor to None.")
    if prefetch_factor is not None:
        if isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int) \
                or prefetch_factor < 1:
            # PyTorch accepts 0 and then loads nothing at all; refused here
            raise ValueError(f"prefetch_factor option should be a positive int (batches in "
                             f"flight per worker), received {prefetch_factor!r}")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if pin_memory_device not in ("", "cpu"):
        raise ValueError(f"pin_memory_device: deepgrad has no accelerator; expected '' or "
                         f"'cpu', received {pin_memory_device!r}")
    for name, fn in (("collate_fn", collate_fn), ("worker_init_fn", worker_init_fn)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} should be callable, received {type(fn).__name__}")


def _context(ctx, num_workers):
    """The multiprocessing context for the workers (None: chosen when they start)."""
    import multiprocessing              # here: ``import deepgrad`` does not load it
    if ctx is None:
        return None
    if num_workers == 0:
        raise ValueError(f"multiprocessing_context can only be used with multi-process "
                         f"loading (num_workers > 0), but got num_workers={num_workers}")
    if isinstance(ctx, str):
        methods = multiprocessing.get_all_start_methods()
        if ctx not in methods:
            raise ValueError(f"multiprocessing_context option should specify a valid start "
                             f"method in {methods!r}, but got multiprocessing_context={ctx!r}")
        return multiprocessing.get_context(ctx)
    if not isinstance(ctx, multiprocessing.context.BaseContext):
        raise TypeError(f"multiprocessing_context option should be a valid context object or "
                        f"a string specifying the start method, but got "
                        f"multiprocessing_context={ctx!r}")
    return ctx


def default_context():
    """fork where the platform has it (fast: the dataset is inherited), else spawn."""
    import multiprocessing
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")

