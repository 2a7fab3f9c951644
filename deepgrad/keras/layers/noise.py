"""Keras 3's regularisation-by-noise layers, active only in training:

    GaussianNoise(stddev)    y = x + e,                 e ~ N(0, stddev^2)
    GaussianDropout(rate)    y = x * m,                 m ~ N(1, rate / (1 - rate))
    AlphaDropout(rate)       y = a (x k + alpha' (1 - k)) + b,  k ~ Bernoulli(1 - rate),
                             alpha' = -1.6733 * 1.0507 (SELU's negative saturation),
                             a = ((1 - rate)(1 + rate alpha'^2))^(-1/2), b = -a alpha' rate
                             (keeps SELU's zero mean and unit variance)
    SpatialDropout1D/2D/3D   Dropout with one mask per (sample, channel): whole feature
                             maps are dropped

Each layer draws from its own ``keras.random.SeedGenerator(seed)``.
"""
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import random
from deepgrad.keras.layers.conv import normalize_data_format
from deepgrad.keras.layers.core import Dropout
from deepgrad.keras.layers.layer import Layer

_ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def _check_rate(name, rate):
    if not 0 <= rate <= 1:
        raise ValueError(f"Invalid value received for argument `rate`. Expected a float value "
                         f"between 0 and 1. Received: rate={rate}")


class _NoiseLayer(Layer):
    supports_masking = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)

    def compute_output_shape(self, input_shape):
        return input_shape


class GaussianNoise(_NoiseLayer):
    """Adds zero-mean Gaussian noise of ``stddev`` in training."""

    def __init__(self, stddev, seed=None, **kwargs):
        if not 0 <= stddev <= 1:
            raise ValueError(f"Invalid value received for argument `stddev`. Expected a float "
                             f"value between 0 and 1. Received: stddev={stddev}")
        super().__init__(seed, **kwargs)
        self.stddev = stddev

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        return inputs + random.normal(tuple(inputs.shape), 0.0, self.stddev,
                                      dtype=inputs.dtype, seed=self.seed_generator)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_NoiseLayer):
    """Multiplies by Gaussian noise of mean 1 and variance ``rate / (1 - rate)``."""

    def __init__(self, rate, seed=None, **kwargs):
        _check_rate("GaussianDropout", rate)
        super().__init__(seed, **kwargs)
        self.rate = rate

    def call(self, inputs, training=False):
        if not training or self.rate == 0 or self.rate == 1:
            return inputs
        std = (self.rate / (1.0 - self.rate)) ** 0.5
        return inputs * random.normal(tuple(inputs.shape), 1.0, std, dtype=inputs.dtype,
                                      seed=self.seed_generator)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_NoiseLayer):
    """Dropout that keeps SELU's self-normalising mean and variance (module docstring)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        _check_rate("AlphaDropout", rate)
        super().__init__(seed, **kwargs)
        self.rate = rate
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = tuple(inputs.shape) if self.noise_shape is None else tuple(
            n if s is None else s for s, n in zip(self.noise_shape, inputs.shape))
        u = random.uniform(shape, dtype=inputs.dtype, seed=self.seed_generator).numpy()
        kept = Tensor((u >= self.rate).astype(inputs.array.dtype))
        a = ((1 - self.rate) * (1 + self.rate * _ALPHA_P ** 2)) ** -0.5
        b = -a * _ALPHA_P * self.rate
        return (inputs * kept + _ALPHA_P * (1 - kept)) * a + b

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}


class _SpatialDropout(Dropout):
    rank = 1

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = normalize_data_format(data_format)
        ones = (1,) * self.rank
        self.noise_shape = (None,) + ones + (None,) if self.data_format == "channels_last" \
            else (None, None) + ones
        if self.seed_generator is None:
            self.seed_generator = random.SeedGenerator(None)

    def call(self, inputs, training=None):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f'Layer "{self.name}" expects inputs of rank {self.rank + 2}; '
                             f'received shape {tuple(inputs.shape)}')
        return super().call(inputs, training)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, steps, channels) inputs."""

    rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, None, seed, name, dtype)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of (batch, H, W, C) inputs."""

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes of (batch, D, H, W, C) inputs."""

    rank = 3
