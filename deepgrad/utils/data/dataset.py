"""Datasets, as ``torch.utils.data``: map-style and iterable-style, and ways to combine them.

* map-style: anything with ``__getitem__(i)`` (and usually ``__len__()``): :class:`Dataset`,
  :class:`TensorDataset`, :class:`StackDataset`, :class:`ConcatDataset`, :class:`Subset`;
* iterable-style: anything with ``__iter__``: :class:`IterableDataset`, :class:`ChainDataset`.

:class:`~deepgrad.utils.data.DataLoader` turns either kind into batches; ``random_split``
cuts a map-style dataset into random non-overlapping :class:`Subset` s.
"""
import bisect
import math
import warnings

import numpy as np

from deepgrad import backend
from deepgrad.autograd import Tensor


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` (and ``__len__``,
    which samplers and ``len(DataLoader)`` use). ``a + b`` is ``ConcatDataset([a, b])``.

    An optional ``__getitems__(indices)`` returning the list of samples lets the
    DataLoader fetch a whole batch in one call.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 10
        ...     def __getitem__(self, i):
        ...         return float(i), i * i
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of iterable-style datasets: subclasses define ``__iter__``.

    With ``num_workers > 0`` every worker process iterates its own copy of the dataset;
    split the work inside ``__iter__`` with :func:`~deepgrad.utils.data.get_worker_info`
    (else each sample comes once per worker). ``a + b`` is ``ChainDataset([a, b])``.

    Example:
        >>> class Range(IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         if info is None:                      # main process: everything
        ...             return iter(range(self.n))
        ...         return iter(range(info.id, self.n, info.num_workers))
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first dimension.

    ``dataset[i]`` is ``(t[i] for t in tensors)`` as a tuple; dtypes are kept (an int64
    label tensor yields int64 labels, uint8 images stay uint8).

    Args:
        *tensors (Tensor or np.ndarray): at least one; all with the same size ``N`` along
            dimension 0. ndarrays are wrapped (sharing memory) as Tensors.

    Shape:
        - each tensor: (N, ...); sample ``i`` holds each tensor's row ``i``.

    Example:
        >>> ds = TensorDataset(deepgrad.randn(100, 3), deepgrad.randint(0, 2, (100,)))
        >>> x, y = ds[0]          # x: (3,) float32, y: () int64
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, received none")
        wrapped = []
        for k, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = Tensor(t)
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {k} is a {type(t).__name__}; "
                                f"expected a Tensor or np.ndarray")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {k} is 0-d; expected at least "
                                 f"one dimension (the sample dimension)")
            wrapped.append(t)
        sizes = [t.shape[0] for t in wrapped]
        if len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in wrapped)
            raise ValueError(f"TensorDataset: size mismatch between tensors; expected the "
                             f"same first dimension, received shapes {shapes}")
        self.tensors = tuple(wrapped)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class StackDataset(Dataset):
    """Datasets of one length side by side: sample ``i`` gathers sample ``i`` of each.

    ``StackDataset(images, texts)[i] == (images[i], texts[i])``;
    ``StackDataset(image=images, text=texts)[i] == {"image": images[i], "text": texts[i]}``.

    Args:
        *args: datasets, for tuple samples; or
        **kwargs: named datasets, for dict samples (not both).
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or ``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        datasets = args if args else kwargs
        items = datasets if args else datasets.values()
        lengths = [len(d) for d in items]
        if len(set(lengths)) != 1:
            raise ValueError(f"Size mismatch between datasets: received lengths {lengths}; "
                             f"every dataset must have the same length")
        self._length = lengths[0]
        self.datasets = datasets

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices):
        """A batch of samples; datasets with their own ``__getitems__`` fetch theirs at once."""
        named = isinstance(self.datasets, dict)
        columns = {}
        for key, d in (self.datasets.items() if named else enumerate(self.datasets)):
            if callable(getattr(d, "__getitems__", None)):
                col = d.__getitems__(indices)
                if len(col) != len(indices):
                    raise ValueError(f"Nested dataset's output size mismatch. Expected "
                                     f"{len(indices)}, got {len(col)}")
            else:
                col = [d[i] for i in indices]
            columns[key] = col
        if named:
            return [{k: columns[k][j] for k in columns} for j in range(len(indices))]
        return [tuple(columns[k][j] for k in columns) for j in range(len(indices))]

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """Map-style datasets one after another: index ``i`` runs through all of them in turn.

    Args:
        datasets (iterable of Dataset): at least one; no :class:`IterableDataset`.

    Attributes:
        cumulative_sizes (list of int): running totals of the lengths.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset; use "
                                "ChainDataset to chain iterable-style datasets")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(f"absolute value of index should not exceed dataset length; "
                                 f"received index {idx} for length {n}")
            idx = n + idx
        if idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for length {n}")
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][idx - start]

    @property
    def cummulative_sizes(self):
        warnings.warn("cummulative_sizes attribute is renamed to cumulative_sizes",
                      DeprecationWarning, stacklevel=2)
        return self.cumulative_sizes


class ChainDataset(IterableDataset):
    """Iterable-style datasets one after another (chained lazily, on the fly).

    Args:
        datasets (iterable of IterableDataset): the datasets to chain.
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, received "
                                f"{type(d).__name__}")
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, received "
                                f"{type(d).__name__}")
            total += len(d)
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset (Dataset): the full dataset.
        indices (sequence of int): positions in ``dataset``.
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of given lengths.

    Args:
        dataset (Dataset): the dataset to split.
        lengths (sequence of int or float): sizes summing to ``len(dataset)``, or fractions
            summing to 1; each fraction gets ``floor(f * N)`` samples and the remainder is
            handed out one by one, round-robin, as ``torch.utils.data.random_split`` does.
        generator (deepgrad.Generator, optional): source of the permutation; default
            deepgrad's default generator (seeded by ``deepgrad.manual_seed``).
    Returns:
        list[Subset]: one per length; each ``indices`` is a list of ints.

    Example:
        >>> train, val = random_split(ds, [0.8, 0.2], generator=deepgrad.Generator().manual_seed(0))
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1 (received "
                                 f"{frac})")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              f"empty dataset.", stacklevel=2)
        lengths = sizes
    for k in lengths:
        if isinstance(k, bool) or int(k) != k or k < 0:
            raise ValueError(f"random_split: lengths must be non-negative ints (or fractions "
                             f"summing to 1), received {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input "
                         f"dataset! (lengths {lengths} sum to {sum(lengths)}, the dataset has "
                         f"{n} samples)")
    perm = backend.rng(generator).permutation(n).tolist()
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, perm[start:start + int(k)]))
        start += int(k)
    return out
