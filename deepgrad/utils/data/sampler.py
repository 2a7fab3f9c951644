"""Samplers: the order in which a DataLoader visits a map-style dataset (``torch.utils.data``).

A sampler is an iterable of indices (``BatchSampler``: of lists of indices) with a
``__len__``. Random samplers draw from a ``generator`` (a :class:`deepgrad.Generator` or
a ``numpy.random.Generator``); without one, :class:`RandomSampler` takes one seed from
deepgrad's default generator per epoch (so ``deepgrad.manual_seed`` fixes the order) and
the others draw from the default generator directly, as PyTorch's do. The streams are
NumPy's (PCG64), so orders differ from PyTorch's for the same seed.
"""
import itertools

import numpy as np

from deepgrad import backend


def _check_bool(value, name):
    if not isinstance(value, bool):
        raise TypeError(f"{name} should be a boolean value, but got {name}={value!r}")


def _check_positive_int(value, name, exc=ValueError):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise exc(f"{name} should be a positive integer value, but got {name}={value!r}")


class Sampler:
    """Base class of samplers: subclasses define ``__iter__`` (and ``__len__``)."""

    def __init__(self, data_source=None):
        if data_source is not None:
            import warnings
            warnings.warn("`data_source` argument is not used and will be removed in 2.2.0. "
                          "You may still have custom implementation that utilizes it.",
                          stacklevel=2)

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1``, in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)

    def _epoch_array(self):
        """The epoch's indices as one array (see ``BatchSampler._array_batches``)."""
        return np.arange(len(self.data_source))


class RandomSampler(Sampler):
    """Indices in random order: a fresh permutation each epoch, or draws with replacement.

    Without replacement, ``num_samples`` larger than the dataset chains whole permutations
    (then a partial one); with replacement, indices are drawn uniformly in blocks of 32,
    as PyTorch does.

    Args:
        data_source (Dataset): the dataset (only its length is used).
        replacement (bool): draw with replacement. Default False.
        num_samples (int, optional): indices per epoch; default ``len(data_source)``.
        generator (Generator, optional): source of randomness (see the module doc).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_bool(replacement, "replacement")
        if num_samples is not None:
            _check_positive_int(num_samples, "num_samples")
        backend.rng(generator)                         # a clear error for a bad generator
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _rng(self):
        if self.generator is None:              # one seed per epoch from the default stream
            return np.random.default_rng(int(backend.rng().integers(0, 2 ** 63)))
        return backend.rng(self.generator)

    def _permutations(self, rng):
        """Without replacement: whole permutations of ``0..n-1``, then part of one."""
        n, total = len(self.data_source), self.num_samples
        parts = [rng.permutation(n) for _ in range(total // n)]
        parts.append(rng.permutation(n)[:total % n])
        return np.concatenate(parts)

    def __iter__(self):
        n, total = len(self.data_source), self.num_samples
        rng = self._rng()
        if self.replacement:
            for _ in range(total // 32):
                yield from rng.integers(0, n, 32).tolist()
            yield from rng.integers(0, n, total % 32).tolist()
        else:
            yield from self._permutations(rng).tolist()

    def _epoch_array(self):
        """The epoch's indices as one array, or None with replacement (drawn lazily)."""
        return None if self.replacement else self._permutations(self._rng())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a new random order each epoch.

    Args:
        indices (sequence of int): the indices to visit.
        generator (Generator, optional): source of randomness.
    """

    def __init__(self, indices, generator=None):
        backend.rng(generator)
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in backend.rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))`` drawn with probability
    ``p_i = w_i / sum(w)`` (PyTorch's ``multinomial``).

    Args:
        weights (sequence of float): one non-negative weight per index (need not sum to 1).
        num_samples (int): indices per epoch.
        replacement (bool): draw with replacement (default); without it, no index twice and
            ``num_samples`` may not exceed the number of non-zero weights.
        generator (Generator, optional): source of randomness.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int(num_samples, "num_samples")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement!r}")
        w = np.asarray(getattr(weights, "array", weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry < 0, inf or nan)")
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError(f"cannot sample num_samples={num_samples} indices without "
                               f"replacement from {np.count_nonzero(w)} non-zero weights")
        backend.rng(generator)
        self.weights, self.num_samples = w, int(num_samples)
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        rng = backend.rng(self.generator)
        draws = rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                           p=self.weights / self.weights.sum())
        return iter(draws.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler (Sampler or iterable): the indices.
        batch_size (int): indices per batch.
        drop_last (bool): drop the last batch if it is smaller than ``batch_size``.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int(batch_size, "batch_size")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self):
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def _array_batches(self):
        """The same batches as iterating, as slices of one index array when the sampler
        can give a whole epoch at once (``_epoch_array``); the DataLoader's array fast path
        uses this to skip per-index Python work."""
        epoch = getattr(self.sampler, "_epoch_array", None)
        indices = epoch() if epoch is not None and type(self.sampler) in _ARRAY_SAMPLERS \
            else None
        if indices is None:
            yield from self
            return
        n, bs = len(indices), self.batch_size
        stop = n - n % bs if self.drop_last else n
        for start in range(0, stop, bs):
            yield indices[start:start + bs]

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)


_ARRAY_SAMPLERS = (SequentialSampler, RandomSampler)   # exact types (a subclass may override)
