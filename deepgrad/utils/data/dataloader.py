"""``DataLoader``: iterate over a dataset in (optionally shuffled) mini-batches.

Each epoch (each ``iter(loader)``) orders the sample indices ``0..N-1`` (a fresh random
permutation when ``shuffle=True``, drawn from ``deepgrad.backend.rng()`` so that
``deepgrad.manual_seed`` makes runs reproducible), cuts them into consecutive groups of
``batch_size`` and turns each group into a batch. There are

    len(loader) = ceil(N / batch_size)      (drop_last=False; the last batch may be smaller)
    len(loader) = floor(N / batch_size)     (drop_last=True)

batches per epoch. Fast path: for a :class:`TensorDataset` (or a :class:`Subset` of one)
with the default collate, a batch is ``t.array[idx]`` for each tensor, one NumPy fancy-index
per tensor and no per-sample Python loop. Any other dataset goes sample by sample through
``collate_fn`` (by default :func:`default_collate`).
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd import Tensor
from deepgrad.utils.data.collate import default_collate
from deepgrad.utils.data.dataset import Subset, TensorDataset


class DataLoader:
    """Batches of a map-style dataset, as ``torch.utils.data.DataLoader``.

    Args:
        dataset (Dataset): anything with ``__getitem__(int)`` and ``__len__()``.
        batch_size (int): samples per batch. Default 1.
        shuffle (bool): draw a new random order every epoch. Default False.
        drop_last (bool): drop the last batch when it has fewer than ``batch_size``.
        collate_fn (callable, optional): list of samples -> batch; default
            :func:`default_collate`.
        generator (np.random.Generator, optional): source of the shuffling order; default
            deepgrad's global generator at the time each epoch starts.
        num_workers, pin_memory: accepted so PyTorch scripts run unchanged; loading
            always happens in the calling process and there is no device memory to pin.

    Example:
        >>> ds = TensorDataset(deepgrad.randn(100, 3), deepgrad.randint(0, 2, (100,)))
        >>> loader = DataLoader(ds, batch_size=32, shuffle=True)
        >>> len(loader)
        4
        >>> for x, y in loader:  # x: (32, 3) float32, y: (32,) int64; last batch has 4
        ...     pass
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False,
                 collate_fn=None, generator=None, num_workers=0, pin_memory=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, received "
                             f"{batch_size!r}")
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset must define __getitem__ and __len__ "
                            f"(a map-style dataset); received {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory

    def __len__(self):
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = (self.generator or backend.rng()).permutation(n) if self.shuffle \
            else np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        fast = _tensor_arrays(self.dataset) if self.collate_fn is default_collate else None
        for start in range(0, stop, self.batch_size):
            idx = order[start:start + self.batch_size]
            if fast is not None:
                arrays, base = fast
                rows = idx if base is None else base[idx]
                yield [Tensor(a[rows]) for a in arrays]
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])


def _tensor_arrays(dataset):
    """``(arrays, index_map)`` when batches can be cut straight out of arrays, else None.

    ``index_map`` maps loader positions to rows of ``arrays`` (None for the identity); it
    composes through nested :class:`Subset` s. Tensors that require grad take the general
    path so that indexing them is recorded in the graph.
    """
    base = None
    while isinstance(dataset, Subset):
        idx = np.asarray(dataset.indices, dtype=np.int64)
        base = idx if base is None else idx[base]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset or any(t.requires_grad for t in dataset.tensors):
        return None
    return [t.array for t in dataset.tensors], base
