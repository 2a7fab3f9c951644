"""Feeding data to ``fit``/``evaluate``/``predict``: arrays (or lists/dicts of them),
Python generators and ``deepgrad.utils.data.DataLoader``s, cut into batches."""
import math

import numpy as np

from deepgrad import backend
from deepgrad.autograd.tensor import Tensor


def _map(fn, x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return [_map(fn, t) for t in x]
    if isinstance(x, dict):
        return {k: _map(fn, v) for k, v in x.items()}
    return fn(x)


def _leaves(x):
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return [a for t in x for a in _leaves(t)]
    if isinstance(x, dict):
        return [a for t in x.values() for a in _leaves(t)]
    return [x]


def as_arrays(x):
    """Tensors and array-likes -> ndarrays, keeping list/dict structure."""
    return _map(lambda a: a.array if isinstance(a, Tensor) else np.asarray(a), x)


def is_array_data(x):
    return all(isinstance(a, (np.ndarray, Tensor, list, tuple)) or np.isscalar(a)
               for a in _leaves(x)) and not hasattr(x, "__next__")


def check_arrays(x, y=None, sample_weight=None):
    """Same number of samples everywhere and no NaN/inf in the data (Keras's checks)."""
    sizes = {name: [len(a) for a in _leaves(v)] for name, v in
             (("x", x), ("y", y), ("sample_weight", sample_weight)) if v is not None}
    flat = [n for v in sizes.values() for n in v]
    if len(set(flat)) > 1:
        detail = "\n".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous. Make sure all arrays contain the "
                         f"same number of samples.\n{detail}")
    for name, v in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for a in _leaves(v):
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                bad = int(np.size(a) - np.isfinite(a).sum())
                raise ValueError(f"{name} contains {bad} NaN or infinite value(s) (array of "
                                 f"shape {a.shape}); clean the data before training")
    return flat[0] if flat else 0


def take(x, index):
    return _map(lambda a: a[index], x)


def split_validation(x, y, sample_weight, fraction):
    """Keras's ``validation_split``: the LAST ``fraction`` of the samples, before shuffling."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), received {fraction}")
    n = len(_leaves(x)[0])
    at = int(math.floor(n * (1.0 - fraction)))
    if at == 0 or at == n:
        raise ValueError(f"validation_split={fraction} leaves an empty training or validation "
                         f"set for {n} samples")
    head, tail = slice(0, at), slice(at, n)
    return ((take(x, head), take(y, head), take(sample_weight, head)),
            (take(x, tail), take(y, tail), take(sample_weight, tail)))


class ArrayBatches:
    """Batches of in-memory arrays, reshuffled each epoch with deepgrad's generator."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False):
        self.x, self.y, self.sw = x, y, sample_weight
        self.n = len(_leaves(x)[0])
        self.batch_size, self.shuffle = int(batch_size), shuffle

    def __len__(self):
        return max(math.ceil(self.n / self.batch_size), 1 if self.n else 0)

    def __iter__(self):
        if self.shuffle:
            order = backend.rng().permutation(self.n)
            for start in range(0, self.n, self.batch_size):
                idx = order[start:start + self.batch_size]
                yield take(self.x, idx), take(self.y, idx), take(self.sw, idx)
        else:
            for start in range(0, self.n, self.batch_size):
                s = slice(start, start + self.batch_size)
                yield take(self.x, s), take(self.y, s), take(self.sw, s)


class IterableBatches:
    """Batches from a generator or DataLoader; each item is x, (x, y) or (x, y, sample_weight)."""

    def __init__(self, source, steps=None):
        self.source, self.steps = source, steps
        self._iter = None

    def __len__(self):
        if self.steps is not None:
            return self.steps
        try:
            return len(self.source)
        except TypeError:
            return None

    def __iter__(self):
        if self._iter is None or not hasattr(self.source, "__next__"):
            self._iter = iter(self.source)
        for i, item in enumerate(self._iter):
            item = tuple(item) if isinstance(item, (tuple, list)) else (item,)
            if len(item) > 3:
                raise ValueError(f"A generator/loader must yield x, (x, y) or (x, y, "
                                 f"sample_weight); received a tuple of {len(item)} items")
            x, y, sw = _unpack(item)
            yield x, y, sw
            if self.steps is not None and i + 1 >= self.steps:
                break


def _unpack(item):
    item = [as_arrays(v) for v in item] + [None, None]
    return item[0], item[1], item[2]


def make_batches(x, y=None, sample_weight=None, batch_size=32, shuffle=False, steps=None):
    """Choose the adapter for ``x``: arrays are cut into batches, iterables are consumed."""
    if x is None:
        raise ValueError("x is required (received None)")
    if is_array_data(x):
        x, y, sample_weight = as_arrays(x), as_arrays(y), as_arrays(sample_weight)
        check_arrays(x, y, sample_weight)
        return ArrayBatches(x, y, sample_weight, batch_size, shuffle)
    if y is not None:
        raise ValueError("`y` must not be given when x is a generator or a DataLoader: "
                         "it should yield (x, y) pairs")
    return IterableBatches(x, steps)


def class_weights_to_sample_weights(y, class_weight):
    """Per-sample weights w[class of sample] from a ``{class: weight}`` dict."""
    y = np.asarray(y)
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(np.int64)
    unknown = set(np.unique(labels)) - set(class_weight)
    if unknown:
        raise ValueError(f"class_weight has no entry for class(es) {sorted(unknown)}; it "
                         f"has keys {sorted(class_weight)}")
    table = np.zeros(max(max(class_weight), labels.max()) + 1, np.float32)
    for k, v in class_weight.items():
        table[k] = v
    return table[labels]
