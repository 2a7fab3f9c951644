"""Keras 3's image augmentation layers: RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomContrast, RandomBrightness, RandomCrop.

They change images unless called with ``training=False``: as in Keras 3 (whose call
defaults to ``training=True``), a direct call, ``model(x)`` and ``fit`` augment, while
``predict`` and ``evaluate`` pass ``training=False`` and get the input unchanged. Each draws its random
parameters per image from its own ``keras.random.SeedGenerator(seed)``, so a seeded layer
repeats its draws. The geometric ones warp with :func:`deepgrad.ops.affine_transform`
(output pixel (x, y) reads the input at M (x, y, 1)), centred on ((W-1)/2, (H-1)/2):

    rotation     M = [[cos t, -sin t, cx - cx cos t + cy sin t],
                      [sin t,  cos t, cy - cx sin t - cy cos t]],   t ~ U(f0, f1) 2 pi
    zoom         M = [[zx, 0, cx (1 - zx)], [0, zy, cy (1 - zy)]],   z ~ 1 + U(f0, f1)
    translation  M = [[1, 0, -dx], [0, 1, -dy]],   dx ~ U(f0, f1) W,  dy ~ U(f0, f1) H

and the photometric ones, clipped to ``value_range``:

    contrast     y = (x - mean_HW(x)) c + mean_HW(x),   c ~ U(1 - f0, 1 + f1)
    brightness   y = x + d (v1 - v0),   d ~ U(f0, f1)

All are differentiable in the pixels (compositions of engine ops).
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import random
from deepgrad.keras.layers.preprocessing_image import ImageLayer, resize_nchw

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("bilinear", "nearest")


def _factor_pair(factor, name, bounds=(-1.0, 1.0), symmetric_floor=None):
    """Keras's factor rule: a number f means (-f, f) (or (max(-f, floor), f)); a pair is
    sorted; values outside ``bounds`` are refused."""
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in the "
               f"range [{bounds[0]}, {bounds[1]}]. Received: {name}={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or min(factor) < bounds[0] or max(factor) > bounds[1]:
            raise ValueError(message)
        return tuple(sorted(float(f) for f in factor))
    if isinstance(factor, (int, float, np.number)) and not isinstance(factor, bool):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(message)
        f = abs(float(factor))
        return (-f if symmetric_floor is None else max(-f, symmetric_floor), f)
    raise ValueError(message)


class _RandomLayer(ImageLayer):
    """Base: a SeedGenerator, the training switch and per-image uniform draws."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def _uniform(self, n, low, high):
        return random.uniform((n,), low, high, dtype="float64", seed=self.generator).numpy()

    def call(self, inputs, training=True):
        if training is not None and not training:          # None: Keras's default, True
            return inputs
        x, single = self._to_nchw(inputs)
        return self._from_nchw(self._augment(x), single)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(_RandomLayer):
    """Flips each image left-right and/or up-down with probability 1/2 (one draw per
    image drives both flips in ``"horizontal_and_vertical"``, as Keras)."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip layer {kwargs.get('name')} received an unknown mode "
                             f"argument {mode}")
        super().__init__(seed, data_format, **kwargs)
        self.mode = mode

    def _augment(self, x):
        flips = self._uniform(x.shape[0], 0.0, 1.0) <= 0.5
        if not flips.any():
            return x
        mask = Tensor(flips.reshape(-1, 1, 1, 1).astype(x.array.dtype))
        y = x
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            y = ops.flip(y, (3,))
        if self.mode in ("vertical", "horizontal_and_vertical"):
            y = ops.flip(y, (2,))
        return y * mask + x * (1 - mask)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(_RandomLayer):
    """Base of the warping layers: fill mode, interpolation, fill value."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one "
                                      f"{_FILL_MODES}.")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of "
                                      f"one {_INTERPOLATIONS}.")
        super().__init__(seed, data_format, **kwargs)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, \
            fill_value

    def _augment(self, x):
        transform = self._transforms(x.shape[0], x.shape[2], x.shape[3])
        return ops.affine_transform(x, transform, self.interpolation, self.fill_mode,
                                    self.fill_value)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


def _matrix(a0, a1, a2, b0, b1, b2):
    zeros = np.zeros_like(a0)
    return np.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


class RandomRotation(_AffineLayer):
    """Rotates each image by ``U(factor) * 2 pi`` about its centre (``factor=0.1``: up to
    36 degrees either way)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _factor_pair(factor, "factor")

    def _transforms(self, n, height, width):
        angle = self._uniform(n, self.factor[0] * 2 * np.pi, self.factor[1] * 2 * np.pi)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        cos, sin = np.cos(angle), np.sin(angle)
        return _matrix(cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_AffineLayer):
    """Zooms each image by ``1 + U(height_factor)`` (and ``1 + U(width_factor)``, else
    the same): a positive factor zooms out, a negative one in."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = _factor_pair(height_factor, "height_factor")
        self.width_factor = None if width_factor is None else _factor_pair(width_factor,
                                                                           "width_factor")

    def _transforms(self, n, height, width):
        zy = 1.0 + self._uniform(n, *self.height_factor)
        zx = zy if self.width_factor is None else 1.0 + self._uniform(n, *self.width_factor)
        zeros = np.zeros(n)
        return _matrix(zx, zeros, (width - 1) / 2 * (1 - zx), zeros, zy,
                       (height - 1) / 2 * (1 - zy))

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomTranslation(_AffineLayer):
    """Shifts each image by ``U(height_factor) H`` rows and ``U(width_factor) W`` columns."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = _factor_pair(height_factor, "height_factor")
        self.width_factor = _factor_pair(width_factor, "width_factor")

    def _transforms(self, n, height, width):
        dy = self._uniform(n, *self.height_factor) * height
        dx = self._uniform(n, *self.width_factor) * width
        ones, zeros = np.ones(n), np.zeros(n)
        return _matrix(ones, zeros, -dx, zeros, ones, -dy)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"The `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range}")
    return tuple(sorted(value_range))


class RandomContrast(_RandomLayer):
    """Scales each image's deviation from its per-channel mean by ``c ~ U(1 - f0, 1 + f1)``
    (``factor`` in [0, 1]), clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        self.factor = _factor_pair(factor, "factor", (0.0, 1.0), symmetric_floor=0.0)
        self.value_range = _value_range(value_range)
        super().__init__(seed, **kwargs)

    def _augment(self, x):
        c = self._uniform(x.shape[0], 1.0 - self.factor[0], 1.0 + self.factor[1])
        c = Tensor(c.reshape(-1, 1, 1, 1).astype(x.array.dtype))
        mean = ops.mean(x, (2, 3), keepdim=True)
        return ops.clamp((x - mean) * c + mean, *self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range}


class RandomBrightness(_RandomLayer):
    """Adds ``d (v1 - v0)``, ``d ~ U(factor)`` (in [-1, 1]), to every pixel of an image,
    clipped to ``value_range = (v0, v1)``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        self.factor = _factor_pair(factor, "factor")
        self.value_range = _value_range(value_range)
        super().__init__(seed, **kwargs)

    def _augment(self, x):
        v0, v1 = self.value_range
        d = self._uniform(x.shape[0], *self.factor) * (v1 - v0)
        return ops.clamp(x + Tensor(d.reshape(-1, 1, 1, 1).astype(x.array.dtype)), v0, v1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": self.value_range}


class RandomCrop(_RandomLayer):
    """A random (height, width) window of each batch in training (one offset for the
    batch, as Keras 3; a smaller image is resized up); at inference the input passes
    through unchanged (Keras 3.15's behaviour)."""

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(seed, data_format, name=name, **kwargs)
        self.height, self.width = int(height), int(width)

    def _augment(self, x):
        h, w = x.shape[2], x.shape[3]
        top = int(self._uniform(1, 0, max(h - self.height + 1, 1))[0]) if h > self.height \
            else 0
        left = int(self._uniform(1, 0, max(w - self.width + 1, 1))[0]) if w > self.width \
            else 0
        y = x[:, :, top:top + self.height, left:left + self.width]
        if tuple(y.shape[2:]) != (self.height, self.width):
            y = resize_nchw(y, (self.height, self.width))
        return y

    def compute_output_shape(self, input_shape):
        return self._with_hw(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
