"""Client data partitions, with Flower Datasets' names (``flwr_datasets.partitioner``).

A partitioner splits one dataset (a tuple of arrays of equal length, the labels among
them, or the label array alone) into ``num_partitions`` disjoint client partitions:

* :class:`IidPartitioner` -- a random permutation cut into ``num_partitions`` contiguous
  pieces of ``floor(N/K)`` or ``ceil(N/K)`` samples (McMahan et al. 2017's IID split:
  "shuffled, and then partitioned into 100 clients each receiving 600 examples");
* :class:`DirichletPartitioner` -- label skew: for every class ``c`` the class's samples
  are divided among the partitions in proportions ``p_c ~ Dir(alpha)`` (Yurochkin et al.
  2019; Hsu et al. 2019); small ``alpha`` gives few classes per client, ``alpha -> inf``
  the IID split;
* :class:`ShardPartitioner` -- McMahan et al.'s pathological non-IID split: sort by label,
  cut into shards of ``shard_size`` consecutive samples, give every partition
  ``num_shards_per_partition`` shards at random (MNIST: 200 shards of 300, two per client,
  so most clients see only two digits).

Usage, as with Flower Datasets (``load_partition`` returns the partition's rows)::

    part = ShardPartitioner(num_partitions=100, num_shards_per_partition=2, shard_size=300)
    part.dataset = (x_train, y_train)          # the labels are the last array
    clients = [part.load_partition(i) for i in range(100)]     # [(x_0, y_0), ...]
    part.partition_indices                      # the index arrays into the dataset

The assignment is drawn once, on first use, from ``numpy.random.default_rng(seed)``, so
one seed gives one split. Every partition must be non-empty: a split that would leave a
client without data is refused with an error naming the sizes involved.
"""
import math

import numpy as np

__all__ = ["Partitioner", "IidPartitioner", "DirichletPartitioner", "ShardPartitioner"]


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; received {value!r}")
    return int(value)


class Partitioner:
    """The base class: holds the dataset, draws the split once, serves partitions.

    Args:
        num_partitions (int): K, the number of client partitions (>= 1).
        partition_by (int): position of the label array in the dataset tuple
            (Flower Datasets names a column; here the dataset is a tuple of arrays).
        shuffle (bool): shuffle the samples inside each partition after assignment.
        seed (int or None): seed of the NumPy generator that draws the split.
    """

    def __init__(self, num_partitions, partition_by=-1, shuffle=True, seed=42):
        self._num_partitions = _positive_int(num_partitions, "num_partitions")
        if isinstance(partition_by, bool) or not isinstance(partition_by, (int, np.integer)):
            raise TypeError(f"partition_by must be the position (int) of the label array in "
                            f"the dataset tuple; received {partition_by!r}")
        self._partition_by = int(partition_by)
        self._shuffle = bool(shuffle)
        self._seed = seed
        self._dataset = None
        self._indices = None

    # ------------------------------------------------------------------ dataset
    @property
    def dataset(self):
        """The dataset being partitioned: a tuple of arrays of equal length (or one array).

        Raises:
            AttributeError: read before a dataset was assigned.
        """
        if self._dataset is None:
            raise AttributeError("The dataset has not been assigned: set "
                                 "`partitioner.dataset = (x, y)` first")
        return self._dataset

    @dataset.setter
    def dataset(self, value):
        if self._dataset is not None:
            raise ValueError("The dataset may be assigned only once (the split is drawn "
                             "for it); make a new partitioner for another dataset")
        arrays = tuple(value) if isinstance(value, (tuple, list)) else (value,)
        if not arrays:
            raise ValueError("The dataset is an empty tuple; expected arrays such as (x, y)")
        arrays = tuple(a if hasattr(a, "shape") and hasattr(a, "__getitem__")
                       else np.asarray(a) for a in arrays)
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"The dataset's arrays must have one length; received lengths "
                             f"{[len(a) for a in arrays]}")
        try:
            arrays[self._partition_by]
        except IndexError:
            raise ValueError(f"partition_by={self._partition_by} is outside the dataset "
                             f"tuple of {len(arrays)} arrays") from None
        self._dataset = arrays if isinstance(value, (tuple, list)) else arrays[0]
        self._arrays = arrays

    def _num_rows(self):
        return len(self._arrays[0])

    def _labels(self):
        labels = np.asarray(self._arrays[self._partition_by])
        if labels.ndim == 2 and labels.shape[1] > 1:     # one-hot rows -> class indices
            labels = labels.argmax(axis=1)
        if labels.ndim != 1:
            raise ValueError(f"Labels must be a 1-D array of classes (or one-hot rows); "
                             f"received shape {labels.shape}")
        return labels

    # ------------------------------------------------------------------ partitions
    @property
    def num_partitions(self):
        return self._num_partitions

    @property
    def partition_indices(self):
        """The split: one int64 index array per partition, into the dataset's rows."""
        if self._indices is None:
            self.dataset    # noqa: B018 (raises a clear error when unset)
            n = self._num_rows()
            if self._num_partitions > n:
                raise ValueError(f"Cannot split {n} samples into {self._num_partitions} "
                                 f"non-empty partitions (num_partitions > dataset size)")
            rng = np.random.default_rng(self._seed)
            indices = [np.asarray(ix, dtype=np.int64) for ix in self._split(rng)]
            empty = [i for i, ix in enumerate(indices) if len(ix) == 0]
            if empty:
                raise ValueError(f"Partitions {empty[:10]} would be empty; every client needs "
                                 f"data ({self._num_partitions} partitions of {n} samples)")
            if self._shuffle:
                for ix in indices:
                    rng.shuffle(ix)
            self._indices = indices
        return self._indices

    def load_partition(self, partition_id):
        """The rows of partition ``partition_id``: a tuple of arrays (or one array, when
        the dataset is one array).

        Raises:
            ValueError: ``partition_id`` outside ``[0, num_partitions)``.
        """
        if (isinstance(partition_id, bool) or not isinstance(partition_id, (int, np.integer))
                or not 0 <= partition_id < self._num_partitions):
            raise ValueError(f"partition_id must be an int in [0, {self._num_partitions}); "
                             f"received {partition_id!r}")
        ix = self.partition_indices[int(partition_id)]
        rows = tuple(a[ix] for a in self._arrays)
        return rows if isinstance(self._dataset, tuple) else rows[0]

    def _split(self, rng):
        raise NotImplementedError


class IidPartitioner(Partitioner):
    """IID partitions: a random permutation of the N samples cut into K contiguous pieces
    (the first ``N mod K`` of size ``ceil(N/K)``, the rest ``floor(N/K)``).

    Flower's ``IidPartitioner`` shards the dataset in its stored order (it expects a
    shuffled dataset); this one shuffles first (``seed``), as McMahan et al. describe.

    Args:
        num_partitions (int): K.
        shuffle (bool), seed (int or None): see :class:`Partitioner`.
    """

    def __init__(self, num_partitions, shuffle=True, seed=42):
        super().__init__(num_partitions, partition_by=0, shuffle=shuffle, seed=seed)

    def _split(self, rng):
        order = rng.permutation(self._num_rows())
        return np.array_split(order, self._num_partitions)


class DirichletPartitioner(Partitioner):
    """Label-skewed partitions drawn from a Dirichlet distribution.

    For every class ``c`` (in sorted order) with sample set ``S_c``, draw
    ``p_c ~ Dir(alpha_1, ..., alpha_K)``; with ``self_balancing`` set
    ``p_{c,k} = 0`` for every partition already holding more than ``N/K`` samples and
    renormalise; then cut ``S_c`` at ``floor(cumsum(p_c) |S_c|)``. If the smallest
    partition has fewer than ``min_partition_size`` samples the whole draw is repeated, at
    most 10 times (Flower Datasets' rule), after which it raises.

    Args:
        num_partitions (int): K.
        alpha (float or sequence of K floats): the concentration, > 0.
        partition_by (int): position of the labels in the dataset tuple (default last).
        min_partition_size (int): the smallest partition accepted (>= 1 here: an empty
            client is an error).
        self_balancing (bool): stop giving samples to partitions above the mean size.
        shuffle (bool), seed (int or None): see :class:`Partitioner`.
    """

    def __init__(self, num_partitions, alpha, partition_by=-1, min_partition_size=10,
                 self_balancing=True, shuffle=True, seed=42):
        super().__init__(num_partitions, partition_by, shuffle, seed)
        alpha = np.asarray(alpha, dtype=np.float64).ravel()
        if alpha.size == 1:
            alpha = np.repeat(alpha, self._num_partitions)
        if alpha.size != self._num_partitions:
            raise ValueError(f"alpha must be a number or {self._num_partitions} numbers (one "
                             f"per partition); received {alpha.size}")
        if not np.all(np.isfinite(alpha) & (alpha > 0)):
            raise ValueError(f"alpha must be finite and > 0; received {alpha.tolist()}")
        self._alpha = alpha
        self._min_partition_size = _positive_int(min_partition_size, "min_partition_size")
        self._self_balancing = bool(self_balancing)

    def _split(self, rng):
        labels = self._labels()
        classes = np.unique(labels)
        mean_size = len(labels) / self._num_partitions
        for attempt in range(11):
            parts = [[] for _ in range(self._num_partitions)]
            sizes = np.zeros(self._num_partitions, dtype=np.int64)
            for c in classes:
                members = np.flatnonzero(labels == c)
                p = rng.dirichlet(self._alpha)
                if self._self_balancing:
                    p = np.where(sizes > mean_size, 0.0, p)
                    p = p / p.sum()
                cuts = (np.cumsum(p) * len(members)).astype(np.int64)[:-1]
                for k, piece in enumerate(np.split(members, cuts)):
                    parts[k].append(piece)
                    sizes[k] += len(piece)
            if sizes.min() >= self._min_partition_size:
                return [np.concatenate(p) for p in parts]
        raise ValueError(f"No Dirichlet(alpha) draw gave every partition at least "
                         f"min_partition_size={self._min_partition_size} samples in 11 "
                         f"attempts (last draw's smallest: {int(sizes.min())}); raise alpha, "
                         f"lower min_partition_size or use fewer partitions")


class ShardPartitioner(Partitioner):
    """McMahan et al. (2017)'s pathological non-IID split by label-sorted shards.

    Sort the samples by label (stable), cut the sorted order into shards of ``shard_size``
    consecutive samples, and give each partition ``num_shards_per_partition`` shards drawn
    without replacement. Given only ``num_shards_per_partition``, the shard size is
    ``floor(N / (K * num_shards_per_partition))``; given only ``shard_size``, all
    ``floor(N / shard_size)`` full shards (``ceil`` with ``keep_incomplete_shard``) are
    dealt out, the first partitions receiving one more when they do not divide evenly.

    Args:
        num_partitions (int): K (100 in the paper).
        num_shards_per_partition (int or None): shards per client (2 in the paper).
        shard_size (int or None): samples per shard (300 in the paper).
        partition_by (int): position of the labels in the dataset tuple (default last).
        keep_incomplete_shard (bool): with ``shard_size`` alone, also deal the last,
            short shard.
        shuffle (bool), seed (int or None): see :class:`Partitioner`.
    """

    def __init__(self, num_partitions, num_shards_per_partition=None, shard_size=None,
                 partition_by=-1, keep_incomplete_shard=False, shuffle=True, seed=42):
        super().__init__(num_partitions, partition_by, shuffle, seed)
        if num_shards_per_partition is None and shard_size is None:
            raise ValueError("Give num_shards_per_partition, shard_size or both")
        if num_shards_per_partition is not None:
            num_shards_per_partition = _positive_int(num_shards_per_partition,
                                                     "num_shards_per_partition")
        if shard_size is not None:
            shard_size = _positive_int(shard_size, "shard_size")
        if keep_incomplete_shard and num_shards_per_partition is not None:
            raise ValueError("keep_incomplete_shard applies only when shard_size alone is "
                             "given (with num_shards_per_partition every partition gets "
                             "the same number of equal shards)")
        self._per = num_shards_per_partition
        self._shard_size = shard_size
        self._keep_incomplete = bool(keep_incomplete_shard)

    def _split(self, rng):
        labels = self._labels()
        n, k = len(labels), self._num_partitions
        order = np.argsort(labels, kind="stable")
        size, per = self._shard_size, self._per
        if per is not None:
            if size is None:
                size = n // (k * per)
                if size == 0:
                    raise ValueError(f"{n} samples cannot make {k * per} shards "
                                     f"({k} partitions x {per} shards) of at least one sample")
            if k * per * size > n:
                raise ValueError(f"{k} partitions x {per} shards x {size} samples = "
                                 f"{k * per * size} exceeds the dataset's {n} samples")
            counts = np.full(k, per)
            available = n // size
        else:
            available = math.ceil(n / size) if self._keep_incomplete else n // size
            if available < k:
                raise ValueError(f"{available} shards of {size} samples cannot give each of "
                                 f"{k} partitions a shard")
            counts = np.full(k, available // k)
            counts[:available % k] += 1
        shards = rng.permutation(available)[:int(counts.sum())]
        groups = np.split(shards, np.cumsum(counts)[:-1])
        return [np.concatenate([order[s * size:min((s + 1) * size, n)] for s in g])
                for g in groups]
