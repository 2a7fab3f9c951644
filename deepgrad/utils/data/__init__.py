"""``torch.utils.data`` for deepgrad: datasets, samplers, collation and the DataLoader.

* datasets: ``Dataset``, ``IterableDataset``, ``TensorDataset``, ``StackDataset``,
  ``ConcatDataset``, ``ChainDataset``, ``Subset``, ``random_split``;
* samplers: ``Sampler``, ``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
  ``WeightedRandomSampler``, ``BatchSampler``, ``DistributedSampler``;
* ``default_collate`` / ``default_convert``, and ``DataLoader`` (worker processes with
  ``num_workers > 0``, where ``get_worker_info`` tells a worker who it is).
"""
from deepgrad.utils.data.dataset import (
    Dataset, IterableDataset, TensorDataset, StackDataset, ConcatDataset, ChainDataset, Subset,
    random_split)
from deepgrad.utils.data.sampler import (
    Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
    BatchSampler)
from deepgrad.utils.data.distributed import DistributedSampler
from deepgrad.utils.data.collate import default_collate, default_convert
from deepgrad.utils.data.worker import get_worker_info
from deepgrad.utils.data.dataloader import DataLoader

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "DistributedSampler", "default_collate", "default_convert", "get_worker_info",
           "DataLoader"]


def __getattr__(name):
    """A name deepgrad lacks raises an AttributeError saying so (or that its family is
    out of scope), instead of Python's bare "has no attribute"."""
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad.utils.data' has no attribute {name!r}")
    from deepgrad._scope import missing_attribute
    raise missing_attribute("deepgrad.utils.data", name)
