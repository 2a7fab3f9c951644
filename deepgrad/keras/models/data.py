"""Feeding data to ``fit``/``evaluate``/``predict`` (Keras 3's data adapters and
``EpochIterator``).

What a step receives (``train_step(self, data)``) is Keras's ``data``: ``(x,)``,
``(x, y)`` or ``(x, y, sample_weight)`` (:func:`pack_x_y_sample_weight`; a custom step
unpacks it with :func:`unpack_x_y_sample_weight`), its arrays as deepgrad Tensors:

    arrays (or lists/dicts of them)   cut into batches, reshuffled each epoch
    keras.utils.PyDataset             its batches by index (shuffled order if finite),
                                      read by its workers
    a DataLoader or any re-iterable   a new pass each epoch
    a generator / iterator            consumed as it comes (a pass continues where the
                                      previous epoch stopped)

``steps_per_epoch`` (any source, arrays included) runs that many steps per epoch: the
pass continues across epochs and restarts when the data runs out, as Keras's iterator
does; a source that ends early stops the epoch with Keras's "ran out of data" warning
(which a generator of unknown length also gives at its end: that is how its length is
learnt, as in Keras).
"""
import math
import warnings

import numpy as np

from deepgrad import backend, parallel
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from deepgrad.keras.utils.py_dataset import PyDataset, iterate_batches


# ====================================================================== structures
def _map(fn, x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return type(x)(_map(fn, t) for t in x)
    if isinstance(x, dict):
        return {k: _map(fn, v) for k, v in x.items()}
    return fn(x)


def leaves(x):
    """The arrays of a nested structure, in order (None is no leaf)."""
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return [a for t in x for a in leaves(t)]
    if isinstance(x, dict):
        return [a for t in x.values() for a in leaves(t)]
    return [x]


def _as_array(a):
    if isinstance(a, Tensor):
        return a.array
    try:
        return np.asarray(a)
    except ValueError as e:                  # a ragged nested list
        raise ValueError(f"The data is not a rectangular array (a ragged nested list?): "
                         f"{e}") from None


def as_arrays(x):
    """Tensors and array-likes -> ndarrays, keeping list/dict structure."""
    return _map(_as_array, x)


def _as_tensor(a):
    if isinstance(a, Tensor):
        return a
    return Tensor._wrap(a if isinstance(a, np.ndarray) else np.asarray(a))


def to_tensors(x):
    """Array-likes -> deepgrad Tensors (shared, not copied), keeping the structure."""
    return _map(_as_tensor, x)


def is_array_data(x):
    """Whether ``x`` is arrays (or nested lists/tuples/dicts of them), as opposed to a
    dataset, loader or generator."""
    if isinstance(x, PyDataset) or hasattr(x, "__next__"):
        return False
    if isinstance(x, (np.ndarray, Tensor)) or np.isscalar(x):
        return True
    if isinstance(x, dict):
        return all(is_array_data(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return all(is_array_data(v) or isinstance(v, (int, float, bool)) for v in x)
    return False


def check_arrays(x, y=None, sample_weight=None):
    """Same number of samples everywhere and no NaN/inf in float data; the sample count.

    Raises:
        ValueError: Keras's "Data cardinality is ambiguous", or non-finite values.
    """
    for name, v in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if any(np.ndim(a) == 0 for a in leaves(v)):
            raise ValueError(f"{name} holds a single number where arrays of samples are "
                             f"expected (a list is read as one array per model input; a "
                             f"ragged nested list is no array): pass a rectangular "
                             f"np.array of shape (samples, ...)")
    sizes = {name: [len(a) for a in leaves(v)] for name, v in
             (("x", x), ("y", y), ("sample_weight", sample_weight)) if v is not None}
    flat = [n for v in sizes.values() for n in v]
    if len(set(flat)) > 1:
        detail = "\n".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous. Make sure all arrays contain the "
                         f"same number of samples.\n{detail}")
    checked = set()                           # fit(x, x) (an autoencoder): x read once
    for name, v in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for a in leaves(v):
            if id(a) in checked:
                continue
            checked.add(id(a))
            if a.dtype.kind not in "biuf":
                raise TypeError(f"{name} is an array of dtype {a.dtype} (shape {a.shape}); "
                                f"expected numbers (float, int or bool): convert it, e.g. "
                                f"np.asarray({name}, dtype='float32')")
            if a.dtype.kind == "f" and not _all_finite(a):
                bad = int(np.size(a) - np.isfinite(a).sum())
                raise ValueError(f"{name} contains {bad} NaN or infinite value(s) (array of "
                                 f"shape {a.shape}); clean the data before training")
    return flat[0] if flat else 0


def _all_finite(a):
    """Whether a float array holds no NaN or infinity.

    A finite sum of squares proves it: x^2 is NaN or infinite exactly where x is, and a
    sum of non-negative terms is finite unless a term is not (or the sum overflows). It
    reads the data once without writing (``np.isfinite(a).all()`` also writes a boolean
    array as large as the data: twice the time on the large arrays ``fit`` receives), and
    a float32/float64 array's is one BLAS dot product per part, the parts on deepgrad's
    threads. Measured on 20 MB of float32 not in cache, per 32 x 784 batch: 3.2 us at one
    thread, 3.5 at two (the BLAS's row sums it replaced: 6.6 and 4.0). Any other
    array is summed by NumPy. Only a sum that overflows is checked element by element.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if a.size >= 1 << 16 and a.flags.c_contiguous and a.dtype in (np.float32, np.float64):
            total = _sum_of_squares(a.reshape(-1))
        else:
            total = np.add.reduce(a, axis=None)
        if np.isfinite(total):
            return True
    return bool(np.isfinite(a).all())


def _sum_of_squares(flat):
    """sum(flat ** 2) of a 1-D float32/float64 array, as dot products over parts of it."""
    step = 1 << 20
    parts = -(-flat.size // step)
    sums = np.zeros(parts, flat.dtype)

    def chunk(i, j):
        for k in range(i, j):
            v = flat[k * step:(k + 1) * step]
            sums[k] = np.dot(v, v)
    parallel.parallel_for(parts, chunk, work=flat.size)
    return np.add.reduce(sums)


def take(x, index):
    return _map(lambda a: a[index], x)


def train_validation_split(arrays, validation_split):
    """Keras's ``validation_split``: the LAST fraction of the samples, before shuffling.

    Raises:
        ValueError: a fraction outside (0, 1), one that empties a side, or non-arrays.
    """
    if not all(v is None or is_array_data(v) for v in arrays):
        raise ValueError("`validation_split` is only supported for arrays (NumPy arrays, "
                         "Tensors, or lists/dicts of them); pass `validation_data` for "
                         "datasets, loaders and generators")
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), received {validation_split}")
    arrays = [as_arrays(v) for v in arrays]
    n = len(leaves(arrays[0])[0])
    at = int(math.floor(n * (1.0 - validation_split)))
    if at == 0 or at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to "
                         f"split it into a validation and training set as specified by "
                         f"`validation_split={validation_split}`. Either provide more data, "
                         f"or a different value for the `validation_split` argument.")
    head, tail = slice(0, at), slice(at, n)
    return ([take(v, head) for v in arrays], [take(v, tail) for v in arrays])


def class_weight_to_sample_weights(y, class_weight):
    """Per-sample weights ``class_weight.get(class, 1.0)`` (Keras's rule): the class of a
    sample is its label, or the argmax of a one-hot row.

    Raises:
        ValueError: a class_weight for several outputs (y a list or dict).
    """
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for models with a single output "
                         "(y given as one array)")
    y = _as_array(y)
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else np.squeeze(y, axis=-1)
    labels = np.round(y).astype(np.int64).reshape(len(y), -1)[:, 0]
    weights = np.ones(len(labels), dtype=backend.default_float)
    for k, v in class_weight.items():
        weights[labels == int(k)] = v
    return weights


# ====================================================================== adapters
class ArrayDataAdapter:
    """Batches of in-memory arrays; ``shuffle`` True reshuffles every epoch, ``"batch"``
    shuffles within batch-sized chunks (Keras's modes)."""

    def __init__(self, x, y=None, sample_weight=None, class_weight=None, shuffle=False,
                 batch_size=None, steps=None):
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"shuffle must be True, False or 'batch', received {shuffle!r}")
        x, y, sample_weight = as_arrays(x), as_arrays(y), as_arrays(sample_weight)
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot `class_weight` and `sample_weight` at the same "
                                 "time.")
            if y is None:
                raise ValueError("`class_weight` needs targets `y`")
            sample_weight = class_weight_to_sample_weights(y, class_weight)
        n = check_arrays(x, y, sample_weight)
        if n == 0:
            raise ValueError(f"The data is empty: x has 0 samples (shape "
                             f"{leaves(x)[0].shape if leaves(x) else None}); expected at "
                             f"least one sample")
        if batch_size is None:
            batch_size = int(math.ceil(n / steps)) if steps else 32
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, received {batch_size!r}")
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.n, self.batch_size, self.shuffle = n, int(batch_size), shuffle
        self.num_batches = int(math.ceil(n / self.batch_size)) if n else 0

    def _order(self):
        if not self.shuffle:
            return None
        if self.shuffle == "batch":
            order = np.arange(self.n)
            for start in range(0, self.n, self.batch_size):
                chunk = order[start:start + self.batch_size]
                chunk[...] = backend.rng().permutation(chunk)
            return order
        return backend.rng().permutation(self.n)

    def get_iterator(self, order=None, start_batch=0):
        """The batches of one pass; ``order``/``start_batch`` resume a pass (the order is
        drawn on the first ``next``, and kept as ``current_order``, for a backup)."""
        bs = self.batch_size
        order = self._order() if order is None and self.shuffle else order
        self.current_order = order
        x, y, sw = self.x, self.y, self.sample_weight
        plain = type(x) is np.ndarray and type(y) is np.ndarray and sw is None
        wrap = Tensor._wrap
        for start in range(start_batch * bs, self.n, bs):
            index = slice(start, start + bs) if order is None else order[start:start + bs]
            if plain:                                  # the common case, kept cheap
                yield wrap(x[index]), wrap(y[index])
            else:
                yield pack_x_y_sample_weight(to_tensors(take(x, index)),
                                             to_tensors(take(y, index)),
                                             to_tensors(take(sw, index)))

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


def _standardize_item(item, class_weight):
    """An item a dataset yielded, its arrays as Tensors (class weights added)."""
    if class_weight is not None:
        x, y, sw = unpack_x_y_sample_weight(item)
        if y is None:
            raise ValueError("`class_weight` needs the dataset to yield targets (x, y)")
        if sw is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        item = (x, y, class_weight_to_sample_weights(y, class_weight))
    if isinstance(item, list):
        item = tuple(item)
    if isinstance(item, tuple) and len(item) > 3:
        unpack_x_y_sample_weight(item)               # raises Keras's error
    return to_tensors(item)


class IterableDataAdapter:
    """A generator, iterator, DataLoader or other iterable; each item is a batch."""

    def __init__(self, source, class_weight=None):
        self.source, self.class_weight = source, class_weight
        try:
            self.num_batches = len(source)
        except TypeError:
            self.num_batches = None

    def get_iterator(self):
        for item in self.source:
            yield _standardize_item(item, self.class_weight)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


class PyDatasetAdapter:
    """A :class:`~deepgrad.keras.utils.PyDataset`: batches by index, by its workers."""

    def __init__(self, dataset, class_weight=None, shuffle=False):
        self.dataset, self.class_weight, self.shuffle = dataset, class_weight, shuffle
        self.num_batches = dataset.num_batches

    def _indices(self):
        if self.num_batches is None:
            i = 0
            while True:
                yield i
                i += 1
        order = np.arange(self.num_batches)
        if self.shuffle:
            order = backend.rng().permutation(self.num_batches)
        yield from (int(i) for i in order)

    def get_iterator(self):
        for item in iterate_batches(self.dataset, self._indices()):
            yield _standardize_item(item, self.class_weight)

    def on_epoch_begin(self):
        self.dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.dataset.on_epoch_end()


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                     shuffle=False, class_weight=None):
    """The adapter for ``x`` (see the module docstring).

    Raises:
        ValueError: no data, or ``y``/``sample_weight`` given with a dataset (it must
            yield them).
    """
    if x is None:
        raise ValueError("Unrecognized data: x is None; expected arrays, a "
                         "keras.utils.PyDataset, a DataLoader or a generator")
    if is_array_data(x):
        return ArrayDataAdapter(x, y, sample_weight, class_weight, shuffle, batch_size,
                                steps_per_epoch)
    kind = "PyDataset" if isinstance(x, PyDataset) else "dataset, loader or generator"
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(f"When providing `x` as a {kind}, `{name}` should not be passed: "
                             f"the {kind} must yield it")
    if isinstance(x, PyDataset):
        return PyDatasetAdapter(x, class_weight, shuffle)
    if not hasattr(x, "__iter__"):
        raise ValueError(f"Unrecognized data type: x={x!r:.100} (of type "
                         f"{type(x).__name__}); expected arrays, a keras.utils.PyDataset, a "
                         f"DataLoader or a generator")
    return IterableDataAdapter(x, class_weight)


class EpochIterator:
    """The steps of one epoch: ``for step, data in epoch_iterator`` (Keras 3's rules for
    ``steps_per_epoch``, see the module docstring)."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None):
        if steps_per_epoch is not None and (not isinstance(steps_per_epoch, (int, np.integer))
                                            or steps_per_epoch < 1):
            raise ValueError(f"steps_per_epoch must be a positive integer or None, received "
                             f"{steps_per_epoch!r}")
        self.steps_per_epoch = steps_per_epoch
        self.data_adapter = get_data_adapter(x, y, sample_weight, batch_size, steps_per_epoch,
                                             shuffle, class_weight)
        self._num_batches = self.data_adapter.num_batches
        self._current = None
        self._steps_seen = 0
        self._resume_step = None

    @property
    def can_resume(self):
        """Whether a pass can be resumed mid-way (array data: its order is kept)."""
        return isinstance(self.data_adapter, ArrayDataAdapter)

    def position(self):
        """(the current pass's order or None, batches of the pass done): for a backup."""
        return getattr(self.data_adapter, "current_order", None), self._steps_seen

    def resume(self, order, steps_seen, epoch_step):
        """Continue a pass at batch ``steps_seen`` in ``order`` (a backup's
        :meth:`position`); the next epoch starts at step ``epoch_step``, no number drawn."""
        if not self.can_resume:
            raise ValueError("Only array data can be resumed in the middle of an epoch")
        if order is not None and sorted(np.asarray(order).tolist()) != list(
                range(self.data_adapter.n)):
            raise ValueError(f"The saved data order does not fit the data's "
                             f"{self.data_adapter.n} samples (other data than the backup's?)")
        self._current = self.data_adapter.get_iterator(
            None if order is None else np.asarray(order), int(steps_seen))
        self._steps_seen, self._resume_step = int(steps_seen), int(epoch_step)

    @property
    def resuming(self):
        return self._resume_step is not None

    @property
    def num_batches(self):
        return self.steps_per_epoch or self._num_batches

    def _warn_ran_out(self):
        warnings.warn("Your input ran out of data; interrupting training. Make sure that "
                      "your dataset or generator can generate at least `steps_per_epoch * "
                      "epochs` batches.", stacklevel=3)

    def __iter__(self):
        adapter = self.data_adapter
        adapter.on_epoch_begin()
        steps = self.steps_per_epoch or self._num_batches
        resumed, step = self._resume_step is not None, self._resume_step or 0
        self._resume_step = None
        if not resumed and (self._current is None or self.steps_per_epoch is None):
            self._current, self._steps_seen = adapter.get_iterator(), 0
        while steps is None or step < steps:
            if self._num_batches and self._steps_seen >= self._num_batches:
                if self.steps_per_epoch:
                    self._warn_ran_out()
                break
            try:
                data = next(self._current)
            except StopIteration:                 # Keras warns, and learns the length
                if self._num_batches is None:
                    self._num_batches = self._steps_seen
                self._warn_ran_out()
                self._current = None
                break
            self._steps_seen += 1
            yield step, data
            step += 1
        if self._num_batches and self._steps_seen >= self._num_batches:
            self._current, self._steps_seen = adapter.get_iterator(), 0
        adapter.on_epoch_end()
