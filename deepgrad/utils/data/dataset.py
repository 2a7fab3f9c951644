"""Map-style datasets: ``Dataset``, ``TensorDataset``, ``Subset`` and ``random_split``.

A map-style dataset is anything with ``__getitem__(i)`` and ``__len__()``, as in
``torch.utils.data``; :class:`~deepgrad.utils.data.DataLoader` turns one into batches.
"""
import math

import numpy as np

from deepgrad import backend
from deepgrad.autograd import Tensor


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 10
        ...     def __getitem__(self, i):
        ...         return float(i), i * i
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")


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


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset (Dataset): the full dataset.
        indices (sequence of int): positions in ``dataset``.
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of given lengths.

    Args:
        dataset (Dataset): the dataset to split.
        lengths (sequence of int or float): sizes summing to ``len(dataset)``, or fractions
            summing to 1; each fraction gets ``floor(f * N)`` samples and the remainder is
            handed out one by one, round-robin, as ``torch.utils.data.random_split`` does.
        generator (np.random.Generator, optional): defaults to deepgrad's global generator
            (seeded by ``deepgrad.manual_seed``).
    Returns:
        list[Subset]: one per length.

    Example:
        >>> train, val = random_split(ds, [0.8, 0.2])
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        if any(not 0 <= f <= 1 for f in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1], received {lengths}")
        sizes = [int(math.floor(f * n)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if sum(lengths) != n or any(int(k) != k or k < 0 for k in lengths):
        raise ValueError(f"random_split: lengths must be non-negative ints summing to the "
                         f"dataset size {n} (or fractions summing to 1); received {lengths}")
    perm = (generator or backend.rng()).permutation(n)
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, perm[start:start + int(k)]))
        start += int(k)
    return out
