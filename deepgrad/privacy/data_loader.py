"""``DPDataLoader``: Poisson sampling, the batch sampling DP-SGD's accounting assumes
(Opacus's ``opacus.data_loader`` and ``opacus.utils.uniform_sampler`` names).

Each batch includes every example independently with probability q = ``sample_rate``, so
a batch's size is Binomial(N, q) (mean qN, possibly 0) and one example's presence is
independent of the others'. An epoch is ``1 / q`` such batches. Empty batches come out
as arrays of batch size 0 with each field's shape and dtype.
"""
import warnings

import numpy as np

from deepgrad import backend
from deepgrad.autograd.tensor import Tensor
from deepgrad.utils.data.collate import default_collate
from deepgrad.utils.data.dataloader import DataLoader
from deepgrad.utils.data.dataset import IterableDataset
from deepgrad.utils.data.fetch import _tensor_arrays
from deepgrad.utils.data.sampler import Sampler


class UniformWithReplacementSampler(Sampler):
    """Batches of indices, each index in with probability ``sample_rate`` (Poisson).

    Args:
        num_samples (int): dataset size N.
        sample_rate (float): q in (0, 1].
        generator (deepgrad.Generator, optional): the random stream.
        steps (int, optional): batches per epoch; ``1 / sample_rate`` rounded down by
            default (Opacus's ``int(1 / sample_rate)`` loses a batch to rounding for some
            rates, e.g. int(1 / (1 / 93)) = 92; 1e-9 of slack keeps it).
    """

    def __init__(self, *, num_samples, sample_rate, generator=None, steps=None):
        if not isinstance(num_samples, (int, np.integer)) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples!r}")
        if not 0 < sample_rate <= 1:
            raise ValueError(f"sample_rate must be in (0, 1], received {sample_rate!r}")
        self.num_samples, self.sample_rate, self.generator = int(num_samples), sample_rate, \
            generator
        self.steps = int(1 / sample_rate + 1e-9) if steps is None else int(steps)

    def __len__(self):
        return self.steps

    def __iter__(self):
        rng = backend.rng(self.generator)
        for _ in range(self.steps):
            mask = rng.random(self.num_samples) < self.sample_rate
            yield np.flatnonzero(mask).tolist()


def _empty_batch(sample):
    """Zero-row arrays shaped and typed like one dataset item's fields."""
    fields = sample if isinstance(sample, (tuple, list)) else [sample]
    out = []
    for x in fields:
        a = x.array if isinstance(x, Tensor) else np.asarray(x)
        out.append(Tensor(np.zeros((0,) + a.shape, a.dtype)))
    return out if isinstance(sample, (tuple, list)) else out[0]


def wrap_collate_with_empty(collate_fn, sample):
    """``collate_fn``, with an empty batch collated to zero-row fields like ``sample``."""
    def collate(batch):
        if len(batch) == 0:
            return _empty_batch(sample)
        return collate_fn(batch)
    return collate


class DPDataLoader(DataLoader):
    """A DataLoader drawing Poisson batches of ``dataset`` (module docstring).

    Args:
        dataset: a map-style dataset (sized, indexable).
        sample_rate (float): q.
        collate_fn: as DataLoader's (default: ``default_collate``).
        drop_last: ignored with a warning, as Opacus (Poisson batches have no "last").
        generator (deepgrad.Generator, optional): the sampling stream.
        **kwargs: DataLoader's other options (num_workers, ...).
    """

    def __init__(self, dataset, *, sample_rate, collate_fn=None, drop_last=False,
                 generator=None, distributed=False, **kwargs):
        if distributed:
            raise ValueError("DPDataLoader: distributed Poisson sampling is not supported by "
                             "deepgrad.privacy; use distributed=False")
        _check_dataset(dataset)
        self.sample_rate = sample_rate
        batch_sampler = UniformWithReplacementSampler(num_samples=len(dataset),
                                                      sample_rate=sample_rate,
                                                      generator=generator)
        if collate_fn is None:
            collate_fn = default_collate
        if not (collate_fn is default_collate and _tensor_arrays(dataset) is not None):
            collate_fn = wrap_collate_with_empty(collate_fn, dataset[0])   # no array fast path
        if drop_last:
            warnings.warn("Ignoring drop_last as it is not compatible with DPDataLoader.")
        super().__init__(dataset, batch_sampler=batch_sampler, collate_fn=collate_fn,
                         generator=generator, **kwargs)

    @classmethod
    def from_data_loader(cls, data_loader, *, distributed=False, generator=None):
        """The Poisson counterpart of ``data_loader``: the same dataset and options,
        sample rate 1 / len(data_loader) (so an epoch has as many batches as before)."""
        if not isinstance(data_loader, DataLoader):
            raise TypeError(f"DPDataLoader.from_data_loader: expected a deepgrad DataLoader, "
                            f"received {type(data_loader).__name__}")
        _check_dataset(data_loader.dataset)
        if len(data_loader) == 0:
            raise ValueError("DPDataLoader.from_data_loader: the data loader has no batches")
        collate = data_loader.collate_fn
        return cls(data_loader.dataset, sample_rate=1 / len(data_loader),
                   num_workers=data_loader.num_workers, collate_fn=collate,
                   pin_memory=data_loader.pin_memory, drop_last=data_loader.drop_last,
                   timeout=data_loader.timeout, worker_init_fn=data_loader.worker_init_fn,
                   multiprocessing_context=data_loader.multiprocessing_context,
                   generator=generator if generator is not None else data_loader.generator,
                   prefetch_factor=data_loader.prefetch_factor if data_loader.num_workers
                   else None, persistent_workers=data_loader.persistent_workers,
                   distributed=distributed)


def _check_dataset(dataset):
    if isinstance(dataset, IterableDataset):
        raise ValueError("Uniform sampling is not supported for IterableDataset: Poisson "
                         "sampling needs a map-style dataset (len and per-index access)")
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise ValueError(f"Poisson sampling needs a sample-indexable dataset (with __len__ "
                         f"and __getitem__), received {type(dataset).__name__}")
    if len(dataset) == 0:
        raise ValueError("Poisson sampling needs a non-empty dataset")
