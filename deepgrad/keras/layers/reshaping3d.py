"""ZeroPadding3D, Cropping3D and UpSampling3D over (batch, D, H, W, C) volumes.

Padding and cropping are :func:`deepgrad.ops.pad` with positive or negative amounts (the
2-D layers' ``_Spatial`` base); upsampling repeats each voxel ``size`` times along each axis
(:func:`deepgrad.ops.repeat_interleave`).
"""
import numpy as np

from deepgrad import ops
from deepgrad.keras.layers.conv import normalize_tuple
from deepgrad.keras.layers.reshaping import _Spatial


def _triples(value, name):
    """int -> ((v, v),) * 3; (d, h, w) -> ((d, d), (h, h), (w, w)); pairs stay."""
    if isinstance(value, (int, np.integer)):
        return ((int(value),) * 2,) * 3
    value = tuple(value)
    if len(value) != 3:
        raise ValueError(f"`{name}` should have 3 elements. Received: {name}={value!r}.")
    return tuple(normalize_tuple(v, 2, name, allow_zero=True) for v in value)


class ZeroPadding3D(_Spatial):
    """Zeros around a volume: ``padding`` int, (d, h, w) or ((d1, d2), (h1, h2), (w1, w2))."""

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _triples(padding, "padding")

    def call(self, inputs):
        return self._pad(inputs, self.padding, 1)

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n + sum(self.padding[i]))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class Cropping3D(_Spatial):
    """Drops borders of a volume: ``cropping`` int, (d, h, w) or three (before, after)."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = self.cropping_pairs = _triples(cropping, "cropping")

    def call(self, inputs):
        self._check_crop(inputs.shape)
        return self._pad(inputs, self.cropping, -1)

    def compute_output_shape(self, input_shape):
        self._check_crop(input_shape)
        return self._map_spatial(input_shape, lambda i, n: n - sum(self.cropping[i]))

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class UpSampling3D(_Spatial):
    """Repeats each voxel: (batch, D, H, W, C) -> (batch, D sd, H sh, W sw, C)."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = normalize_tuple(size, 3, "size")

    def call(self, inputs):
        for axis, s in zip(self._spatial_axes(), self.size):
            if s > 1:
                inputs = ops.repeat_interleave(inputs, s, dim=axis)
        return inputs

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n * self.size[i])

    def get_config(self):
        return {**super().get_config(), "size": self.size}
