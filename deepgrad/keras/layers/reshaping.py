"""Reshaping layers: Reshape, Permute, RepeatVector, UpSampling1D/2D, ZeroPadding1D/2D,
Cropping1D/2D (Keras 3 names, arguments and defaults; channels-last images).

Each is one shape op of :mod:`deepgrad.ops` (reshape, permute, expand, interpolate, pad,
getitem) applied to the non-batch axes; none has weights.
"""
import numpy as np

from deepgrad import ops
from deepgrad.keras.layers.conv import normalize_data_format, normalize_tuple
from deepgrad.keras.layers.layer import InputSpec, Layer


def _known_size(shape):
    return None if any(n is None for n in shape) else int(np.prod(shape, dtype=np.int64))


class Reshape(Layer):
    """(batch, *input) -> (batch, *target_shape); one entry of target_shape may be -1.

    Args:
        target_shape (tuple): the new shape of one sample (without the batch axis).
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = tuple(int(n) for n in target_shape)
        if target.count(-1) > 1 or any(n < -1 or n == 0 for n in target):
            raise ValueError(f"The `target_shape` argument must be a tuple of positive "
                             f"integers, with at most one -1. Received target_shape="
                             f"{tuple(target_shape)!r}")
        self.target_shape = target
        self.built = True

    def _resolve(self, sample_shape):
        size = _known_size(sample_shape)
        known = int(np.prod([n for n in self.target_shape if n != -1], dtype=np.int64))
        if -1 in self.target_shape:
            if size is None:
                return tuple(None if n == -1 else n for n in self.target_shape)
            if size % known == 0:
                return tuple(size // known if n == -1 else n for n in self.target_shape)
        elif size is None or size == known:
            return self.target_shape
        raise ValueError(f'Layer "{self.name}": the total size of the new array must be '
                         f'unchanged; cannot reshape a sample of shape {tuple(sample_shape)} '
                         f'(size {size}) to target_shape {self.target_shape}')

    def call(self, inputs):
        shape = self._resolve(inputs.shape[1:])
        return ops.reshape(inputs, (inputs.shape[0],) + shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Reorders the non-batch axes: ``Permute((2, 1))`` swaps axes 1 and 2.

    Args:
        dims (tuple): a permutation of 1..ndim-1 (the batch axis 0 stays first).
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set "
                             f"of indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={tuple(dims)!r}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def build(self, input_shape):
        self.input_spec.check(self, input_shape)
        self.built = True

    def call(self, inputs):
        return ops.permute(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the vector repeated n times."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, (int, np.integer)) or n <= 0:
            raise TypeError(f"Expected an integer value for `n`, received n={n!r}")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def build(self, input_shape):
        self.input_spec.check(self, input_shape)
        self.built = True

    def call(self, inputs):
        batch, features = inputs.shape
        return ops.expand(ops.unsqueeze(inputs, 1), (batch, self.n, features))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class _Spatial(Layer):
    """Base of the layers acting on the ``rank`` spatial axes (channels-last by default)."""

    rank = 2
    has_data_format = True        # Cropping1D and UpSampling1D take no data_format (Keras)

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        self.input_spec.check(self, input_shape)
        self.built = True

    def _spatial_axes(self):
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.rank))

    def _map_spatial(self, input_shape, fn):
        """input_shape with each spatial length n replaced by fn(i, n) (None stays None)."""
        out = list(input_shape)
        for i, axis in enumerate(self._spatial_axes()):
            out[axis] = None if out[axis] is None else fn(i, out[axis])
        return tuple(out)

    def _pad(self, inputs, amounts, sign):
        """ops.pad by sign * (before, after) on each spatial axis (a negative pad crops)."""
        flat = [0, 0] * inputs.ndim                     # ops.pad's order: last axis first
        for axis, (b, a) in zip(self._spatial_axes(), amounts):
            k = inputs.ndim - 1 - axis
            flat[2 * k], flat[2 * k + 1] = sign * b, sign * a
        return ops.pad(inputs, tuple(flat))

    def _check_crop(self, shape):
        for axis, (b, a) in zip(self._spatial_axes(), self.cropping_pairs):
            if shape[axis] is not None and b + a >= shape[axis]:
                raise ValueError(f'Layer "{self.name}": cropping {self.cropping} is too large '
                                 f'for input shape {tuple(shape)}: every cropped axis must '
                                 f'keep at least one element')

    def get_config(self):
        config = super().get_config()
        if self.has_data_format:
            config["data_format"] = self.data_format
        return config


class UpSampling1D(_Spatial):
    """(batch, steps, C) -> (batch, steps * size, C): each step repeated ``size`` times."""

    rank, has_data_format = 1, False

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, (int, np.integer)) or size <= 0:
            raise TypeError(f"UpSampling1D: expected an integer value for `size`, received "
                            f"size={size!r}")
        self.size = int(size)

    def call(self, inputs):
        y = ops.interpolate(ops.permute(inputs, (0, 2, 1)), scale_factor=self.size)
        return ops.permute(y, (0, 2, 1))

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n * self.size)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(_Spatial):
    """Repeats rows and columns: (batch, H, W, C) -> (batch, H * sh, W * sw, C).

    Args:
        size (int or pair): the factors (sh, sw).
        interpolation: 'nearest' (repeat) or 'bilinear' (half-pixel centres, as Keras's
            image resize; PyTorch's align_corners=False).
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = normalize_tuple(size, 2, "size")
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear', "
                             f"received {interpolation!r}")

    def call(self, inputs):
        last = self.data_format == "channels_last"
        x = ops.permute(inputs, (0, 3, 1, 2)) if last else inputs
        size = (x.shape[2] * self.size[0], x.shape[3] * self.size[1])
        y = ops.interpolate(x, size=size, mode=self.interpolation)
        return ops.permute(y, (0, 2, 3, 1)) if last else y

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n * self.size[i])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


def _pairs_2d(value, name):
    """int -> ((v, v), (v, v)); (h, w) -> ((h, h), (w, w)); ((t, b), (l, r)) stays."""
    if isinstance(value, (int, np.integer)):
        return ((int(value),) * 2,) * 2
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"`{name}` should have two elements. Received: {name}={value!r}.")
    return tuple(normalize_tuple(v, 2, name, allow_zero=True) for v in value)


class ZeroPadding1D(_Spatial):
    """Zeros before and after the steps: (batch, steps, C) -> (batch, steps + b + a, C).

    Args:
        padding: int (both ends) or (before, after).
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = normalize_tuple(padding, 2, "padding", allow_zero=True)

    def call(self, inputs):
        return self._pad(inputs, (self.padding,), 1)

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n + sum(self.padding))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class ZeroPadding2D(_Spatial):
    """Rows and columns of zeros around an image.

    Args:
        padding: int (all sides), (sym_h, sym_w), or ((top, bottom), (left, right)).
    Shape:
        (batch, H, W, C) -> (batch, H + top + bottom, W + left + right, C).
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs_2d(padding, "padding")

    def call(self, inputs):
        return self._pad(inputs, self.padding, 1)

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n + sum(self.padding[i]))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class Cropping1D(_Spatial):
    """Drops steps at the start and end: ``cropping`` = int or (start, end)."""

    rank, has_data_format = 1, False

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = normalize_tuple(cropping, 2, "cropping", allow_zero=True)
        self.cropping_pairs = (self.cropping,)

    def call(self, inputs):
        self._check_crop(inputs.shape)
        return self._pad(inputs, self.cropping_pairs, -1)

    def compute_output_shape(self, input_shape):
        self._check_crop(input_shape)
        return self._map_spatial(input_shape, lambda i, n: n - sum(self.cropping))

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(_Spatial):
    """Drops rows and columns at the borders: int, (sym_h, sym_w) or ((t, b), (l, r))."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = self.cropping_pairs = _pairs_2d(cropping, "cropping")

    def call(self, inputs):
        self._check_crop(inputs.shape)
        return self._pad(inputs, self.cropping, -1)

    def compute_output_shape(self, input_shape):
        self._check_crop(input_shape)
        return self._map_spatial(input_shape, lambda i, n: n - sum(self.cropping[i]))

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}
