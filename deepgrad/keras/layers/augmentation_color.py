"""Keras 3's colour augmentation layers: AutoContrast, Solarization, RandomInvert,
RandomGrayscale and RandomPosterization (images in ``value_range``, rescaled to 0-255
inside as Keras does). The random ones change images unless ``training=False``, drawing
per image from their SeedGenerator:

    AutoContrast         y = (x - min) 255 / (max - min) per image and channel (always on;
                         a constant channel is left unchanged)
    Solarization         y = x + a clipped to [0, 255], then 255 - y where y >= t,
                         a ~ U(f_a0, 255 f_a1), t ~ U(f_t0, 255 f_t1)  (Keras's draws)
    RandomInvert         y = v1 - x for images where u < p, p ~ U(factor), u ~ U(0, 1)
    RandomGrayscale      y = 0.2989 R + 0.587 G + 0.114 B on all channels where u < factor
                         (``keras.ops.image.rgb_to_grayscale``)
    RandomPosterization  keep the top b bits of each 0-255 value, b ~ randint(factor)
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import random
from deepgrad.keras.layers.augmentation import _value_range
from deepgrad.keras.layers.preprocessing_image import ImageLayer
from deepgrad.keras.ops import image as _kimage


def _unit_factor(factor, name, bounds=(0.0, 1.0)):
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in the "
               f"range [{bounds[0]}, {bounds[1]}]. Received: {name}={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or min(factor) < bounds[0] or max(factor) > bounds[1]:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(message)
        return (bounds[0] if bounds[0] > 0 else 0, factor)
    raise ValueError(message)


class _ColorLayer(ImageLayer):
    def __init__(self, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = _value_range(value_range)
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def _uniform(self, n, low, high):
        return random.uniform((n,), low, high, dtype="float64", seed=self.generator).numpy()

    def _to255(self, x):
        v0, v1 = self.value_range
        return x if (v0, v1) == (0, 255) else (x - v0) * (255.0 / (v1 - v0))

    def _from255(self, x):
        v0, v1 = self.value_range
        return x if (v0, v1) == (0, 255) else x * ((v1 - v0) / 255.0) + v0

    def call(self, inputs, training=True):
        if training is not None and not training and self.random:
            return inputs
        x, single = self._to_nchw(inputs)
        return self._from_nchw(self._augment(x), single)

    random = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "seed": self.seed}


def _per_image(values, dtype):
    return Tensor(np.asarray(values, dtype).reshape(-1, 1, 1, 1))


class AutoContrast(_ColorLayer):
    """Stretches each image channel to the full value range (applied at inference too)."""

    random = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(value_range, **kwargs)

    def _augment(self, x):
        y = self._to255(x)
        low, high = ops.amin(y, (2, 3), keepdim=True), ops.amax(y, (2, 3), keepdim=True)
        flat = (high - low).array == 0
        span = ops.where(Tensor(flat), 1.0, high - low)
        stretched = self._from255(ops.clamp((y - low) * (255.0 / span), 0.0, 255.0))
        return ops.where(Tensor(np.broadcast_to(flat, x.shape)), x, stretched)

    def get_config(self):
        config = super().get_config()
        config.pop("seed")
        config.pop("data_format")
        return config


class Solarization(_ColorLayer):
    """Inverts the values above a random threshold after a random addition."""

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.addition_factor = _unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor")

    def _augment(self, x):
        n, dtype = x.shape[0], x.array.dtype
        add = self._uniform(n, self.addition_factor[0], self.addition_factor[1] * 255)
        thr = self._uniform(n, self.threshold_factor[0], self.threshold_factor[1] * 255)
        y = ops.clamp(self._to255(x) + _per_image(add, dtype), 0.0, 255.0)
        y = ops.where(y < _per_image(thr, dtype), y, 255.0 - y)
        return self._from255(y)

    def get_config(self):
        return {**super().get_config(), "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor}


class RandomInvert(_ColorLayer):
    """Inverts (``v1 - x``) each image with a probability drawn from ``factor``."""

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _unit_factor(factor, "factor")

    def _augment(self, x):
        n = x.shape[0]
        p = self._uniform(n, *self.factor)
        apply = self._uniform(n, 0.0, 1.0) < p
        flip = _per_image(apply, x.array.dtype)
        return (self.value_range[1] - x) * flip + x * (1 - flip)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomGrayscale(_ColorLayer):
    """Turns each RGB image grey (all three channels) with probability ``factor``."""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        if not 0 <= factor <= 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        super().__init__((0, 255), seed, data_format, **kwargs)
        self.factor = factor

    def _augment(self, x):
        if x.shape[1] != 3:
            raise ValueError(f"RandomGrayscale expects RGB images (3 channels); received "
                             f"{x.shape[1]} channels")
        apply = _per_image(self._uniform(x.shape[0], 0.0, 1.0) < self.factor, x.array.dtype)
        grey = _kimage.rgb_to_grayscale(x, data_format="channels_first")
        return grey * apply + x * (1 - apply)

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")
        return {**config, "factor": self.factor}


class RandomPosterization(_ColorLayer):
    """Keeps ``b`` bits of each 0-255 value, ``b`` drawn from ``factor`` in [1, 8]."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _unit_factor(factor, "factor", (1, 8))

    def _augment(self, x):
        n = x.shape[0]
        lo, hi = int(self.factor[0]), int(self.factor[1])
        bits = np.full(n, lo) if lo == hi else random.randint(
            (n,), lo, hi, dtype="int64", seed=self.generator).numpy()
        shift = (8 - bits).reshape(-1, 1, 1, 1)
        values = self._to255(x).array.astype(np.uint8)
        poster = ((values >> shift) << shift).astype(x.array.dtype)
        return Tensor(self._from255(poster))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
