"""Fetchers: from what the sampler yields to one batch, in the main process or a worker.

* map-style: a list of indices -> ``collate_fn([dataset[i] for i in indices])`` (one call to
  ``dataset.__getitems__(indices)`` when the dataset has it); without auto-batching, one
  index -> ``collate_fn(dataset[index])``;
* iterable-style: the next ``batch_size`` items of the dataset's iterator ->
  ``collate_fn(items)``; ``StopIteration`` once it is exhausted (or when ``drop_last``
  and the last batch is short).

Fast path: a :class:`TensorDataset` (or a :class:`Subset` of one) with the default collate
cuts each batch out of the arrays with one NumPy fancy-index per tensor, no per-sample
Python loop; the result is exactly what ``default_collate`` would build.
"""
import numpy as np

from deepgrad.autograd import Tensor
from deepgrad.utils.data.collate import default_collate
from deepgrad.utils.data.dataset import Subset, TensorDataset


class MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation = dataset, auto_collation
        self.collate_fn = collate_fn
        self.fast = _tensor_arrays(dataset) \
            if auto_collation and collate_fn is default_collate else None

    def fetch(self, index):
        if self.fast is not None:
            arrays, base = self.fast
            rows = np.asarray(index, dtype=np.intp)     # once, not once per tensor
            if base is not None:
                rows = base[rows]
            return [Tensor(a[rows]) for a in arrays]
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation, self.collate_fn = auto_collation, collate_fn
        self.drop_last, self.ended = drop_last, False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    cls = IterableDatasetFetcher if iterable else MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def _tensor_arrays(dataset):
    """``(arrays, index_map)`` when batches can be cut straight out of arrays, else None.

    ``index_map`` maps loader positions to rows of ``arrays`` (None for the identity); it
    composes through nested :class:`Subset` s. Tensors that require grad take the general
    path so that indexing them is recorded in the graph.
    """
    base = None
    while type(dataset) is Subset:
        idx = np.asarray(dataset.indices, dtype=np.int64)
        base = idx if base is None else idx[base]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset or any(t.requires_grad for t in dataset.tensors):
        return None
    return [t.array for t in dataset.tensors], base
