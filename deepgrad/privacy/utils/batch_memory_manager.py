"""``BatchMemoryManager``: large logical (Poisson) batches run as small physical ones
(Opacus's ``opacus.utils.batch_memory_manager``).

Each logical batch is split into physical batches of at most ``max_physical_batch_size``;
the optimizer is told to skip (only clip and accumulate) on every physical batch but the
last, whose ``step`` adds the noise once and updates: the result is the same DP step as
the whole logical batch, with the memory of a physical one.

Example:
    >>> with BatchMemoryManager(data_loader=loader, max_physical_batch_size=64,
    ...                         optimizer=optimizer) as memory_safe_loader:
    ...     for x, y in memory_safe_loader:
    ...         optimizer.zero_grad(); criterion(model(x), y).backward(); optimizer.step()
"""
import math

import numpy as np

from deepgrad.privacy.data_loader import UniformWithReplacementSampler
from deepgrad.privacy.optimizers import DPOptimizer
from deepgrad.utils.data.dataloader import DataLoader
from deepgrad.utils.data.sampler import BatchSampler, Sampler


class BatchSplittingSampler(Sampler):
    """Splits each batch of ``sampler`` into pieces of at most ``max_batch_size`` and
    signals ``optimizer`` to skip the step after every piece but the last."""

    def __init__(self, *, sampler, max_batch_size, optimizer):
        self.sampler, self.max_batch_size, self.optimizer = sampler, max_batch_size, optimizer

    def __iter__(self):
        for batch_idxs in self.sampler:
            if len(batch_idxs) == 0:
                self.optimizer.signal_skip_step(do_skip=False)
                yield []
                continue
            pieces = np.array_split(np.asarray(batch_idxs),
                                    math.ceil(len(batch_idxs) / self.max_batch_size))
            for piece in pieces[:-1]:
                self.optimizer.signal_skip_step(do_skip=True)
                yield piece.tolist()
            self.optimizer.signal_skip_step(do_skip=False)
            yield pieces[-1].tolist()

    def __len__(self):
        if isinstance(self.sampler, BatchSampler):
            return int(len(self.sampler) * (self.sampler.batch_size / self.max_batch_size))
        if isinstance(self.sampler, UniformWithReplacementSampler):
            expected = self.sampler.sample_rate * self.sampler.num_samples
            return int(len(self.sampler) * (expected / self.max_batch_size))
        return len(self.sampler)


def wrap_data_loader(*, data_loader, max_batch_size, optimizer):
    """A DataLoader over the same dataset whose batches are the split ones."""
    return DataLoader(data_loader.dataset,
                      batch_sampler=BatchSplittingSampler(sampler=data_loader.batch_sampler,
                                                          max_batch_size=max_batch_size,
                                                          optimizer=optimizer),
                      num_workers=data_loader.num_workers, collate_fn=data_loader.collate_fn,
                      pin_memory=data_loader.pin_memory, timeout=data_loader.timeout,
                      worker_init_fn=data_loader.worker_init_fn,
                      multiprocessing_context=data_loader.multiprocessing_context,
                      generator=data_loader.generator)


class BatchMemoryManager:
    """Context manager giving a physical-batch view of a (DP) data loader.

    Args:
        data_loader: the DataLoader (usually the DPDataLoader of ``make_private``).
        max_physical_batch_size (int): the largest batch run at once.
        optimizer (DPOptimizer): told which physical batches end a logical one.
    """

    def __init__(self, *, data_loader, max_physical_batch_size, optimizer):
        if not isinstance(optimizer, DPOptimizer):
            raise TypeError(f"BatchMemoryManager: expected a DPOptimizer, received "
                            f"{type(optimizer).__name__}")
        if isinstance(max_physical_batch_size, bool) or \
                not isinstance(max_physical_batch_size, (int, np.integer)) or \
                max_physical_batch_size < 1:
            raise ValueError(f"BatchMemoryManager: max_physical_batch_size must be an int "
                             f">= 1, received {max_physical_batch_size!r}")
        if data_loader.batch_sampler is None:
            raise ValueError("BatchMemoryManager: the data loader must batch (batch_sampler "
                             "is None)")
        self.data_loader, self.optimizer = data_loader, optimizer
        self.max_physical_batch_size = int(max_physical_batch_size)

    def __enter__(self):
        return wrap_data_loader(data_loader=self.data_loader,
                                max_batch_size=self.max_physical_batch_size,
                                optimizer=self.optimizer)

    def __exit__(self, exc_type, exc_value, traceback):
        return False
