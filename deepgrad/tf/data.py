"""``tf.data.Dataset``: the input pipelines Keras tutorials build, as lazy Python iterators.

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1024, seed=0).batch(32)
    ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    model.fit(ds, epochs=3)

A Dataset is a recipe: each ``for element in ds`` runs the pipeline from the start, so
a shuffled dataset gives a new order every epoch (``reshuffle_each_iteration=True``).
Elements are nested structures (a tensor, a tuple, a dict) of deepgrad Tensors;
``as_numpy_iterator()`` yields NumPy arrays. ``map``/``filter`` functions receive a
tuple element unpacked as positional arguments (TensorFlow's rule) and run eagerly in
this process (``num_parallel_calls`` and ``deterministic`` are accepted: the order is
always deterministic); ``prefetch`` keeps the elements unchanged (iteration is eager).

Shuffling follows TensorFlow's buffer algorithm: fill a buffer of ``buffer_size``
elements, emit one drawn uniformly, refill from the input. Its seed: ``seed=`` if given,
else one drawn from deepgrad's global generator when the dataset is built, so
``tf.random.set_seed(s)`` / ``keras.utils.set_random_seed(s)`` before building the
pipeline make every epoch's order repeat run to run; epoch ``k`` uses ``seed + k``
(or ``seed`` every time with ``reshuffle_each_iteration=False``).

``cardinality()`` is the number of elements, ``INFINITE_CARDINALITY`` (-1) after
``repeat()``, or ``UNKNOWN_CARDINALITY`` (-2) after ``filter``/``unbatch``/
``from_generator``; ``len(ds)`` raises TypeError unless it is known and finite. Keras's
``fit``/``evaluate``/``predict`` take a Dataset through their iterable adapter (each item
is a batch; ``len`` gives the steps), with ``steps_per_epoch`` for an infinite one.
"""
import itertools
import math

import numpy as np

from deepgrad._scope import NotImplementedAttribute
from deepgrad import backend as _backend
from deepgrad.autograd.tensor import Tensor

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


# ---------------------------------------------------------------------- structures
def _map_structure(fn, x):
    if isinstance(x, tuple):
        return tuple(_map_structure(fn, v) for v in x)
    if isinstance(x, dict):
        return {k: _map_structure(fn, v) for k, v in x.items()}
    return fn(x)


def _leaves(x):
    if isinstance(x, tuple):
        return [leaf for v in x for leaf in _leaves(v)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in _leaves(x[k])]
    return [x]


def _zip_structure(template, items):
    """``items`` (a list of structures shaped like ``template``) as one structure of lists."""
    if isinstance(template, tuple):
        return tuple(_zip_structure(t, [i[k] for i in items]) for k, t in enumerate(template))
    if isinstance(template, dict):
        return {k: _zip_structure(template[k], [i[k] for i in items]) for k in template}
    return items


def _to_array(x):
    if isinstance(x, Tensor):
        return x.array
    a = np.asarray(x)
    if a.dtype == np.float64 and not isinstance(x, np.ndarray):
        a = a.astype(np.float32)            # Python floats -> float32, as tf.constant
    elif a.dtype == np.int64 and not isinstance(x, np.ndarray):
        a = a.astype(np.int32)
    return a


def _to_arrays(x):
    if isinstance(x, list):              # a list is one tensor, not a structure (TF)
        x = np.asarray(x)
    return _map_structure(_to_array, x)


def _to_tensors(x):
    return _map_structure(Tensor._wrap, x)


def _call(fn, element):
    args = _to_tensors(element)
    out = fn(*args) if isinstance(args, tuple) else fn(args)
    return _to_arrays(tuple(out) if isinstance(out, list) else out)


def _check_int(name, value, minimum):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, received {value!r}")
    return int(value)


# ---------------------------------------------------------------------- the dataset
class Dataset:
    """A lazy pipeline of elements; build one with the ``from_*``/``range``/``zip``
    constructors, then chain transformations (each returns a new Dataset)."""

    def __init__(self, make_iter, cardinality):
        self._make_iter, self._cardinality = make_iter, int(cardinality)

    # -------------------------------------------------------------- constructors
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row of the leading axis of every leaf (all must agree)."""
        data = _to_arrays(tensors)
        leaves = _leaves(data)
        if any(a.ndim == 0 for a in leaves):
            raise ValueError("from_tensor_slices: every component needs a leading axis to "
                             "slice; received a scalar")
        lengths = sorted({a.shape[0] for a in leaves})
        if len(lengths) > 1:
            raise ValueError(f"from_tensor_slices: all components must have the same "
                             f"length along axis 0, received lengths "
                             f"{[a.shape[0] for a in leaves]}")
        n = lengths[0]
        return Dataset(lambda: (_map_structure(lambda a, i=i: a[i], data) for i in range(n)),
                       n)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element: ``tensors`` itself."""
        data = _to_arrays(tensors)
        return Dataset(lambda: iter([data]), 1)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """Elements from ``generator(*args)`` (called anew for every iteration)."""
        if not callable(generator):
            raise TypeError(f"from_generator: generator must be callable, received "
                            f"{type(generator).__name__}")
        call_args = tuple(args or ())

        def make():
            for item in generator(*call_args):
                yield _to_arrays(tuple(item) if isinstance(item, list) else item)
        return Dataset(make, UNKNOWN_CARDINALITY)

    @staticmethod
    def range(*args, output_type=np.int64, name=None):       # noqa: A003
        """Like Python's ``range`` (``range(stop)``, ``range(start, stop[, step])``)."""
        r = range(*args)
        dtype = np.dtype(getattr(output_type, "name", output_type))
        return Dataset(lambda: (np.asarray(i, dtype) for i in r), len(r))

    @staticmethod
    def zip(*datasets, name=None):
        """Tuples (or the given nested structure) of elements, as long as the shortest."""
        structure = datasets[0] if len(datasets) == 1 and isinstance(datasets[0],
                                                                     (tuple, dict)) \
            else tuple(datasets)
        flat = _leaves(structure)
        if not all(isinstance(d, Dataset) for d in flat):
            raise TypeError("zip: expected Datasets (or a tuple/dict of them)")
        cards = [d._cardinality for d in flat]
        finite = [c for c in cards if c >= 0]
        card = min(finite) if finite else (UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in
                                           cards else INFINITE_CARDINALITY)
        if finite and UNKNOWN_CARDINALITY in cards:
            card = UNKNOWN_CARDINALITY

        def make():
            its = [iter(d._make_iter()) for d in flat]
            for items in zip(*its):
                it = iter(items)
                yield _map_structure(lambda _: next(it), structure)
        return Dataset(make, card)

    # -------------------------------------------------------------- iteration
    def __iter__(self):
        for element in self._make_iter():
            yield _to_tensors(element)

    def as_numpy_iterator(self):
        return iter(self._make_iter())

    def cardinality(self):
        return Tensor._wrap(np.asarray(self._cardinality, np.int64))

    def __len__(self):
        if self._cardinality == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if self._cardinality < 0:
            raise TypeError("The dataset length is unknown.")
        return self._cardinality

    def __bool__(self):
        return True

    def __repr__(self):
        return f"<Dataset cardinality={self._cardinality}>"

    # -------------------------------------------------------------- transformations
    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stack ``batch_size`` consecutive elements (the last batch may be smaller
        unless ``drop_remainder``)."""
        size = _check_int("batch: batch_size", batch_size, 1)

        def make():
            it = iter(self._make_iter())
            while True:
                chunk = list(itertools.islice(it, size))
                if not chunk or (drop_remainder and len(chunk) < size):
                    return
                yield _map_structure(np.stack, _zip_structure(chunk[0], chunk))
        c = self._cardinality
        card = c if c < 0 else (c // size if drop_remainder else math.ceil(c / size))
        return Dataset(make, card)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """``batch`` for elements of different shapes: each component is padded (with
        ``padding_values``, default 0) to the batch's largest size on every axis, or to
        ``padded_shapes`` where it gives a size (None or -1: the largest)."""
        size = _check_int("padded_batch: batch_size", batch_size, 1)

        def pad_stack(arrays, shape, value):
            ndim = arrays[0].ndim
            if any(a.ndim != ndim for a in arrays):
                raise ValueError("padded_batch: the components differ in rank")
            target = [max(a.shape[d] for a in arrays) for d in range(ndim)]
            if shape is not None:
                shape = list(shape)
                for d, n in enumerate(shape):
                    if n is not None and n != -1:
                        if n < target[d]:
                            raise ValueError(f"padded_batch: padded_shapes {shape} is "
                                             f"smaller than an element ({target})")
                        target[d] = int(n)
            out = np.full([len(arrays)] + target, 0 if value is None else value,
                          arrays[0].dtype)
            for i, a in enumerate(arrays):
                out[(i,) + tuple(slice(0, n) for n in a.shape)] = a
            return out

        def make():
            it = iter(self._make_iter())
            while True:
                chunk = list(itertools.islice(it, size))
                if not chunk or (drop_remainder and len(chunk) < size):
                    return
                columns = _zip_structure(chunk[0], chunk)
                leaves = _leaves(columns) if isinstance(columns, (tuple, dict)) else [columns]
                shapes = _leaves(padded_shapes) if isinstance(padded_shapes, (tuple, dict)) \
                    else [padded_shapes] * len(leaves)
                values = _leaves(padding_values) if isinstance(padding_values, (tuple, dict)) \
                    else [padding_values] * len(leaves)
                padded = iter([pad_stack(c, sh, v) for c, sh, v in zip(leaves, shapes, values)])
                yield _map_structure(lambda _: next(padded), chunk[0])
        c = self._cardinality
        card = c if c < 0 else (c // size if drop_remainder else math.ceil(c / size))
        return Dataset(make, card)

    def unbatch(self, name=None):
        """Split every element along its leading axis (the inverse of ``batch``)."""
        def make():
            for element in self._make_iter():
                leaves = _leaves(element)
                for i in range(leaves[0].shape[0]):
                    yield _map_structure(lambda a, i=i: a[i], element)
        return Dataset(make, UNKNOWN_CARDINALITY)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """``map_func(*element)`` (or ``map_func(element)``) on every element."""
        if not callable(map_func):
            raise TypeError(f"map: map_func must be callable, received "
                            f"{type(map_func).__name__}")
        return Dataset(lambda: (_call(map_func, e) for e in self._make_iter()),
                       self._cardinality)

    def filter(self, predicate, name=None):
        """The elements for which ``predicate(*element)`` is True."""
        def keep(e):
            out = _call(predicate, e)
            if np.asarray(out).size != 1:
                raise ValueError("filter: the predicate must return a scalar boolean")
            return bool(np.asarray(out))
        return Dataset(lambda: (e for e in self._make_iter() if keep(e)),
                       UNKNOWN_CARDINALITY if self._cardinality != INFINITE_CARDINALITY
                       else INFINITE_CARDINALITY)

    def flat_map(self, map_func, name=None):
        """``map_func(*element)`` returns a Dataset; their elements in sequence."""
        def make():
            for e in self._make_iter():
                args = _to_tensors(e)
                inner = map_func(*args) if isinstance(args, tuple) else map_func(args)
                yield from inner._make_iter()
        return Dataset(make, UNKNOWN_CARDINALITY)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """TensorFlow's buffered shuffle (see the module docstring for the seeding)."""
        size = _check_int("shuffle: buffer_size", buffer_size, 1)
        base = int(_backend.rng().integers(2 ** 31)) if seed is None else int(seed)
        epoch = itertools.count()

        def make():
            k = next(epoch)
            rng = np.random.default_rng(base + k if reshuffle_each_iteration else base)
            buffer = []
            for e in self._make_iter():
                if len(buffer) < size:
                    buffer.append(e)
                    continue
                i = int(rng.integers(len(buffer)))
                yield buffer[i]
                buffer[i] = e
            while buffer:
                yield buffer.pop(int(rng.integers(len(buffer))))
        return Dataset(make, self._cardinality)

    def repeat(self, count=None, name=None):
        """The dataset ``count`` times (forever for None or -1)."""
        forever = count is None or count == -1
        if not forever:
            count = _check_int("repeat: count", count, 0)

        def make():
            for _ in (itertools.count() if forever else range(count)):
                yield from self._make_iter()
        c = self._cardinality
        if forever:
            card = 0 if c == 0 else INFINITE_CARDINALITY
        else:
            card = c * count if c >= 0 else c
        return Dataset(make, card)

    def take(self, count, name=None):
        """The first ``count`` elements (all for -1)."""
        if count == -1:
            return self
        count = _check_int("take: count", count, 0)
        c = self._cardinality
        card = count if c == INFINITE_CARDINALITY else (min(c, count) if c >= 0 else c)
        return Dataset(lambda: itertools.islice(self._make_iter(), count), card)

    def skip(self, count, name=None):
        """All but the first ``count`` elements."""
        count = _check_int("skip: count", count, 0)
        c = self._cardinality
        return Dataset(lambda: itertools.islice(self._make_iter(), count, None),
                       max(c - count, 0) if c >= 0 else c)

    def cache(self, filename="", name=None):
        """Keep the elements in memory after the first full pass (later passes replay
        them; an interrupted pass is not kept)."""
        if filename:
            raise ValueError("cache: only the in-memory cache (filename='') is supported by "
                             "deepgrad")
        store = {}

        def make():
            if "done" in store:
                yield from store["done"]
                return
            seen = []
            for e in self._make_iter():
                seen.append(e)
                yield e
            store["done"] = seen
        return Dataset(make, self._cardinality)

    def prefetch(self, buffer_size, name=None):
        """Accepted for compatibility: elements are produced when asked, unchanged."""
        return self

    def concatenate(self, dataset, name=None):
        a, b = self._cardinality, dataset._cardinality
        card = a + b if a >= 0 and b >= 0 else (INFINITE_CARDINALITY if
                                                INFINITE_CARDINALITY in (a, b) else
                                                UNKNOWN_CARDINALITY)
        return Dataset(lambda: itertools.chain(self._make_iter(), dataset._make_iter()), card)

    def enumerate(self, start=0, name=None):      # noqa: A003
        return Dataset(lambda: ((np.asarray(i, np.int64), e) for i, e in
                                enumerate(self._make_iter(), start)), self._cardinality)

    def shard(self, num_shards, index, name=None):
        n = _check_int("shard: num_shards", num_shards, 1)
        i = _check_int("shard: index", index, 0)
        if i >= n:
            raise ValueError(f"shard: index {i} must be < num_shards {n}")
        c = self._cardinality
        return Dataset(lambda: itertools.islice(self._make_iter(), i, None, n),
                       (c - i + n - 1) // n if c >= 0 else c)

    def apply(self, transformation_func):
        return transformation_func(self)

    def reduce(self, initial_state, reduce_func, name=None):
        state = _to_tensors(_to_arrays(initial_state))
        for e in self._make_iter():
            args = _to_tensors(e)
            state = reduce_func(state, *args) if isinstance(args, tuple) else \
                reduce_func(state, args)
        return state


class _Experimental:
    """``tf.data.experimental``: the constants and ``cardinality`` helper."""

    AUTOTUNE = AUTOTUNE
    INFINITE_CARDINALITY = INFINITE_CARDINALITY
    UNKNOWN_CARDINALITY = UNKNOWN_CARDINALITY

    @staticmethod
    def cardinality(dataset):
        return dataset.cardinality()


experimental = _Experimental()


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedAttribute(f"deepgrad does not implement tf.data.{name}")
