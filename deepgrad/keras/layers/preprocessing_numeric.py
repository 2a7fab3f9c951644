"""Keras 3's numeric preprocessing layers: Normalization, Discretization, Rescaling,
CategoryEncoding, Hashing and HashedCrossing.

They are not trained by ``fit``: ``Normalization`` and ``Discretization`` learn their
state from data with ``adapt(data)`` (an array, or an iterable of batches such as a
``tf.data``-style dataset); the others are fixed maps.

    Normalization:    y = (x - mean) / max(sqrt(var), 1e-7)      (invert: x * s + mean)
    Discretization:   y = #{b in boundaries : b <= x}              (NumPy's ``digitize``)
    Rescaling:        y = x * scale + offset
    CategoryEncoding: one_hot / multi_hot / count of integer ids in [0, num_tokens)
    Hashing:          y = Fingerprint64(str(x)) mod num_bins       (SipHash with a salt)
    HashedCrossing:   y = Fingerprint64 of the joined feature strings mod num_bins

Normalization and Rescaling are differentiable compositions of engine ops; the rest map
values to integer ids (no gradient). Hashes are TensorFlow's (FarmHash Fingerprint64 and
SipHash-2-4, :mod:`deepgrad.keras.layers.string_hash`), so ids agree with tf.keras.
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.layers.string_hash import fingerprint64, siphash24

_EPSILON = 1e-7
_MODES = ("int", "one_hot", "multi_hot", "count")


def _array(x):
    if isinstance(x, Tensor):
        return x.array
    return np.asarray(x)


def iterate_batches(data, steps=None):
    """The batches of ``adapt``'s ``data``: an array is one batch; a dataset or any other
    iterable gives its elements (the ``x`` of ``(x, y)`` pairs), at most ``steps``."""
    if isinstance(data, (np.ndarray, Tensor, list, tuple)) and not _is_batch_list(data):
        yield _array(data)
        return
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            return
        if isinstance(batch, tuple):
            batch = batch[0]
        yield _array(batch)


def _is_batch_list(data):
    return isinstance(data, list) and len(data) > 0 and isinstance(data[0], (np.ndarray, Tensor,
                                                                            tuple))


def encode_categorical(ids, mode, depth, dtype="float32", count_weights=None):
    """Keras's ``encode_categorical_inputs`` on integer ``ids``: ``int`` returns them;
    ``one_hot`` adds an axis of ``depth`` (a trailing axis of 1 is replaced);
    ``multi_hot``/``count`` reduce the last axis (rank 1 is one sample)."""
    ids = np.asarray(ids)
    if mode == "int":
        return ids
    if ids.size and (ids.min() < 0 or ids.max() >= depth):
        raise ValueError(f"Class values must be smaller than num_classes ({depth}) and "
                         f"non-negative; received values in [{ids.min()}, {ids.max()}]")
    if mode == "one_hot":
        if ids.ndim == 0:
            ids = ids.reshape(1)
        elif ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        return np.eye(depth, dtype=dtype)[ids]
    batch = ids if ids.ndim > 1 else ids.reshape(1, -1)
    out = np.zeros(batch.shape[:-1] + (depth,), np.float64)
    weights = np.ones(batch.shape) if count_weights is None else np.asarray(
        count_weights, np.float64).reshape(batch.shape)
    rows = np.indices(batch.shape[:-1]).reshape(batch.ndim - 1, -1)
    flat = batch.reshape(-1, batch.shape[-1])
    for j in range(flat.shape[1]):
        index = tuple(rows) + (flat[:, j],)
        if mode == "count":
            np.add.at(out.reshape(-1, depth), (np.arange(flat.shape[0]), flat[:, j]),
                      weights.reshape(-1, batch.shape[-1])[:, j])
        else:
            out[index] = 1.0
    out = out.astype(dtype)
    return out if ids.ndim > 1 else out[0]


def _check_mode(mode, allowed=_MODES):
    if mode not in allowed:
        raise ValueError(f"Unknown arg for output_mode: {mode!r}. Expected one of "
                         f"{allowed}.")


def _refuse_sparse(name, sparse):
    if sparse:
        raise ValueError(f"{name}: sparse=True is not supported (deepgrad has no sparse "
                         f"tensors)")


class Normalization(Layer):
    """Feature-wise standardisation with a mean and variance given or learned by ``adapt``.

    Args:
        axis: the axes kept (one mean per index along them); -1 by default, None for one
            scalar mean.
        mean, variance: fixed statistics (both or neither); otherwise ``adapt`` computes
            them (population variance) and an unadapted layer uses 0 and 1, as Keras.
        invert (bool): map standardised values back: ``x * max(sqrt(var), eps) + mean``.
    """

    float_inputs = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must "
                             f"be set. Received: mean={mean} and variance={variance}")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(f"When setting values directly, `mean` and `variance` must have "
                             f"the same shape. Received: mean shape {np.shape(mean)} and "
                             f"variance shape {np.shape(variance)}")
        if mean is not None and np.ndim(mean) > len(self.axis):
            raise ValueError(f"The rank of `mean` must be less than or equal to the number of "
                             f"axes ({len(self.axis)}). Received: mean shape "
                             f"{np.shape(mean)} for axis {self.axis}")
        self.input_mean, self.input_variance, self.invert = mean, variance, invert
        self.supports_masking = True

    def _keep(self, ndim):
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received "
                             f"inputs with ndim={ndim}, while axis={self.axis}")
        return tuple(sorted(a % ndim for a in self.axis))

    def build(self, input_shape):
        ndim = len(input_shape)
        keep = self._keep(ndim)
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. "
                                 f"Received axis={self.axis}, inputs.shape={input_shape}, "
                                 f"with unknown axis at index {d}")
        self._broadcast = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        shape = tuple(input_shape[d] for d in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape=shape, initializer="zeros", name="mean",
                                              trainable=False)
            self.adapt_variance = self.add_weight(shape=shape, initializer="ones",
                                                  name="variance", trainable=False)
            self.count = self.add_weight(shape=(), initializer="zeros", name="count",
                                         trainable=False, dtype="int64")
        self.built = True

    def _stats(self):
        if self.input_mean is not None:
            mean = np.asarray(self.input_mean, np.float64)
            var = np.asarray(self.input_variance, np.float64)
            expanded = [1] * len(self._broadcast)
            for i in range(1, mean.ndim + 1):
                expanded[self._keep(len(self._broadcast))[-i]] = mean.shape[-i]
            mean = np.broadcast_to(mean.reshape(expanded), self._broadcast)
            var = np.broadcast_to(var.reshape(expanded), self._broadcast)
            return mean.astype(self.dtype), var.astype(self.dtype)
        return (self.adapt_mean.numpy().reshape(self._broadcast),
                self.adapt_variance.numpy().reshape(self._broadcast))

    def adapt(self, data, steps=None):
        """Mean and (population) variance of ``data`` over every axis but ``axis``,
        accumulated batch by batch."""
        total = count = total_sq = None
        for batch in iterate_batches(data, steps):
            batch = np.asarray(batch, np.float64)
            if not self.built:
                self.build((None,) + batch.shape[1:] if batch.ndim else batch.shape)
            keep = self._keep(batch.ndim)
            reduce = tuple(d for d in range(batch.ndim) if d not in keep)
            n = int(np.prod([batch.shape[d] for d in reduce]))
            s, sq = batch.sum(axis=reduce), (batch ** 2).sum(axis=reduce)
            total = s if total is None else total + s
            total_sq = sq if total_sq is None else total_sq + sq
            count = n if count is None else count + n
        if total is None:
            raise ValueError("Normalization.adapt: the data has no batches")
        if self.input_mean is not None:
            raise ValueError("Normalization.adapt: the layer was given `mean` and `variance`; "
                             "adapt only a layer built without them")
        mean = total / count
        self.adapt_mean.assign(mean.astype(self.dtype))
        self.adapt_variance.assign(np.maximum(total_sq / count - mean ** 2, 0).astype(
            self.dtype))
        self.count.assign(np.asarray(count, np.int64))

    def call(self, inputs):
        mean, var = (Tensor(a) for a in self._stats())
        scale = ops.maximum(ops.sqrt(var), Tensor(np.asarray(_EPSILON, var.dtype)))
        if self.invert:
            return inputs * scale + mean
        return (inputs - mean) / scale

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("mean") is None or config.get("mean") == []:   # np.array(None)
            config["mean"] = config["variance"] = None
        return cls(**config)


def _summarize(values, epsilon):
    """Keras's quantile summary of one batch: every ``step``-th sorted value, weight
    ``step`` (``step = max(n epsilon, 1)``)."""
    values = np.sort(np.asarray(values, np.float32).reshape(-1))
    step = max(values.size * epsilon, 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full(kept.shape, step, kept.dtype)])


def _compress(summary, epsilon):
    """Re-bin a summary at cumulative-weight fractions epsilon, 2 epsilon, ..., 1
    (linear interpolation), unless it is already that small."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    values = np.interp(fractions, cum / cum[-1], summary[0])
    new_cum = np.interp(fractions, cum / cum[-1], cum)
    return np.stack([values, np.diff(new_cum, prepend=0.0)]).astype(np.float32)


class Discretization(Layer):
    """Buckets values by boundaries: ``x < b0`` -> 0, ``b0 <= x < b1`` -> 1, ...

    Args:
        bin_boundaries (list): fixed boundaries; or
        num_bins (int): learn ``num_bins - 1`` quantile boundaries with ``adapt``
            (Keras's summary with tolerance ``epsilon``).
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        _check_mode(output_mode)
        _refuse_sparse("Discretization", sparse)
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: "
                             f"`num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. "
                             f"Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        out_dtype = dtype or ("int64" if output_mode == "int" else "float32")
        super().__init__(name=name, dtype="float32" if output_mode == "int" else out_dtype)
        self.output_dtype = out_dtype
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins, self.epsilon, self.output_mode = num_bins, epsilon, output_mode
        self.sparse = sparse
        self.summary = np.zeros((2, 0), np.float32)
        self.built = True

    def adapt(self, data, steps=None):
        """Approximate quantile boundaries of ``data`` (Keras's summary algorithm)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized "
                             "with `bin_boundaries`, use `num_bins` instead.")
        summary = np.zeros((2, 0), np.float32)
        for batch in iterate_batches(data, steps):
            merged = np.concatenate([summary, _summarize(batch, self.epsilon)], axis=1)
            summary = _compress(merged[:, np.argsort(merged[0], kind="stable")], self.epsilon)
        if summary.shape[1] == 0:
            raise ValueError("Discretization.adapt: the data has no values")
        self.summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def __call__(self, inputs, *args, **kwargs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at "
                             "construction time or call `adapt(dataset)` before you can "
                             "start using the `Discretization` layer.")
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        ids = np.digitize(_array(inputs), np.asarray(self.bin_boundaries, np.float64))
        out = encode_categorical(ids, self.output_mode, len(self.bin_boundaries) + 1,
                                 self.output_dtype)
        return Tensor(out.astype(self.output_dtype))

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, len(self.bin_boundaries or ()) + 1)

    def get_config(self):
        return {"name": self.name, "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse,
                "dtype": self.output_dtype}


def _encoded_shape(shape, mode, depth):
    shape = tuple(shape)
    if mode == "int":
        return shape
    if mode == "one_hot":
        return (shape[:-1] if shape and shape[-1] == 1 else shape) + (depth,)
    return (shape[:-1] if len(shape) > 1 else ()) + (depth,)


class Rescaling(Layer):
    """``y = x * scale + offset`` (e.g. ``Rescaling(1 / 255)`` for pixels in [0, 1])."""

    float_inputs = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def call(self, inputs):
        dtype = inputs.array.dtype
        y = inputs * Tensor(np.asarray(self.scale, dtype))
        return y + Tensor(np.asarray(self.offset, dtype)) if np.any(self.offset) else y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        scale, offset = self.scale, self.offset
        return {**super().get_config(),
                "scale": scale.tolist() if isinstance(scale, np.ndarray) else scale,
                "offset": offset.tolist() if isinstance(offset, np.ndarray) else offset}


class CategoryEncoding(Layer):
    """Integer ids in [0, num_tokens) to one-hot, multi-hot or count vectors.

    ``call(inputs, count_weights=None)``: with ``output_mode="count"`` each id adds its
    weight instead of 1. Ids out of range raise a ValueError.
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        _check_mode(output_mode, ("one_hot", "multi_hot", "count"))
        _refuse_sparse("CategoryEncoding", sparse)
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of "
                             "tokens is not known beforehand, use the IntegerLookup layer "
                             "instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        super().__init__(**kwargs)
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse

    def __call__(self, inputs, count_weights=None, **kwargs):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"`count_weights` is not used when `output_mode` is not "
                             f"`'count'`. Received `count_weights={count_weights}`.")
        if count_weights is None:
            return super().__call__(inputs, **kwargs)
        return super().__call__(inputs, count_weights=_array(count_weights), **kwargs)

    def call(self, inputs, count_weights=None):
        out = encode_categorical(_array(inputs).astype(np.int64), self.output_mode,
                                 self.num_tokens, self.dtype, count_weights)
        return Tensor(out)

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": self.sparse}


def _as_strings(values):
    """Values as TensorFlow's ``as_string`` writes them (ints in decimal), as bytes."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return np.vectorize(lambda v: str(int(v)).encode(), otypes=[object])(arr)
    if arr.dtype.kind == "f":
        raise ValueError(f"Hashing/HashedCrossing accept strings or integers; received "
                         f"dtype {arr.dtype}")
    return np.vectorize(lambda v: v if isinstance(v, bytes) else str(v).encode("utf-8"),
                        otypes=[object])(arr)


class Hashing(Layer):
    """Hashes strings or integers into ``num_bins`` ids (TensorFlow's FarmHash
    Fingerprint64; with ``salt``, SipHash-2-4 keyed by ``salt``).

    With ``mask_value`` that value maps to 0 and the others to ``1 + hash mod (num_bins -
    1)``. ``output_mode`` ``"int"`` (default), ``"one_hot"``, ``"multi_hot"`` or
    ``"count"``.
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        _check_mode(output_mode)
        _refuse_sparse("Hashing", sparse)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        if salt is not None and not (isinstance(salt, int) or (
                isinstance(salt, (list, tuple)) and len(salt) == 2)):
            raise ValueError(f"The `salt` argument for `Hashing` can only be a tuple of size "
                             f"2 integers, or a single integer. Received: salt={salt}.")
        super().__init__(**kwargs)
        self.num_bins, self.mask_value, self.output_mode = num_bins, mask_value, output_mode
        self.sparse = sparse
        self.salt = None if salt is None else [salt, salt] if isinstance(salt, int) \
            else list(salt)
        self.built = True

    def _hash(self, value):
        if self.salt is None:
            return fingerprint64(value)
        return siphash24(self.salt[0], self.salt[1], value)

    def __call__(self, inputs, *args, **kwargs):
        return self.call(inputs)

    def call(self, inputs):
        raw = _array(inputs)
        strings = _as_strings(raw)
        bins = self.num_bins - (self.mask_value is not None)
        ids = np.vectorize(lambda s: self._hash(s) % bins, otypes=[np.int64])(strings) \
            if strings.size else np.zeros(strings.shape, np.int64)
        if self.mask_value is not None:
            mask = _as_strings(np.asarray(self.mask_value)).item()
            ids = np.where(strings == mask, 0, ids + 1)
        out = encode_categorical(ids, self.output_mode, self.num_bins)
        return Tensor(out)

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self.num_bins)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}


def _cross_column(arr):
    """Integers stay integers (crossed by value); anything else becomes bytes."""
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64).astype(object)
    return _as_strings(arr)


class HashedCrossing(Layer):
    """Crosses categorical features by hashing their combination into ``num_bins`` ids:
    ``call((a, b, ...))`` combines the features' values (Fingerprint64 of a string, an
    integer itself) with ``FingerprintCat64`` from the key 0xDECAFCAFFE, modulo ``num_bins``
    (``tf.sparse.cross_hashed``'s rule).

    ``output_mode`` ``"int"`` or ``"one_hot"``.
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        _check_mode(output_mode, ("int", "one_hot"))
        _refuse_sparse("HashedCrossing", sparse)
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.num_bins, self.output_mode, self.sparse = num_bins, output_mode, sparse
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        return self.call(inputs)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of at "
                             f"least two inputs. Received: inputs={inputs!r}")
        columns = [_cross_column(_array(x)) for x in inputs]
        shapes = {c.shape for c in columns}
        if len(shapes) != 1:
            raise ValueError(f"All `HashedCrossing` inputs should have equal shape. Received: "
                             f"shapes {[c.shape for c in columns]}")
        ids = np.empty(columns[0].shape, np.int64)
        for index in np.ndindex(ids.shape):
            ids[index] = _cross_fingerprint([c[index] for c in columns]) % self.num_bins
        out = encode_categorical(ids, self.output_mode, self.num_bins, self.dtype)
        return Tensor(out)

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape[0], self.output_mode, self.num_bins)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins,
                "output_mode": self.output_mode, "sparse": self.sparse}


_CROSS_SEED = 0xDECAFCAFFE     # tf.sparse.cross_hashed's default hash_key
_MUL = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1


def _feature_hash(value):
    """A crossed feature's 64-bit value: Fingerprint64 of a string, an integer itself."""
    if isinstance(value, (bytes, str)):
        return fingerprint64(value)
    return int(value) & _MASK


def _cross_fingerprint(values):
    """TensorFlow's hashed cross: ``h = key``; ``h = FingerprintCat64(h, f)`` for each
    feature's value ``f``."""
    h = _CROSS_SEED
    for v in values:
        h = _fingerprint_cat(h, _feature_hash(v))
    return h


def _shift_mix(v):
    return v ^ (v >> 47)


def _fingerprint_cat(fp1, fp2):
    """TensorFlow's ``FingerprintCat64`` (a MurmurHash-style 64-bit mix of two values)."""
    r = fp1 ^ _MUL
    r ^= (_shift_mix((fp2 * _MUL) & _MASK) * _MUL) & _MASK
    r = (r * _MUL) & _MASK
    r = (_shift_mix(r) * _MUL) & _MASK
    return _shift_mix(r)
