"""Convolutional workloads: the small image classifiers of the seeds.

Each model is ``[Conv 3x3, ReLU, MaxPool 2] x k, Flatten, Linear(hidden), ReLU,
Linear(10)``, cross-entropy on the logits. PyTorch and deepgrad.nn build it as
``nn.Sequential`` on NCHW images; the Keras columns build ``Conv2D``/``MaxPooling2D``/
``Flatten``/``Dense`` on NHWC images (the same batch, transposed).

    cnn_mnist  seed 004  28x28x1, Conv(32), Dense(128), Adam lr 1e-3, batch 32
    cnn_cifar  seed 002  32x32x3, Conv(32), Conv(64), Dense(128), SGD lr 0.01, batch 64

Inputs are one fixed batch of uniform [0, 1) float32 images with random labels.
"""
from dataclasses import dataclass

import numpy as np

from benchmarks.workloads import Workload, register
from benchmarks.workloads.common import nn_builders, reference_state
from benchmarks.workloads.keras_models import channels_last, keras_builders


@dataclass(frozen=True)
class ConvSpec:
    image: tuple              # (channels, height, width)
    filters: tuple            # output channels of each Conv 3x3 + ReLU + MaxPool 2 block
    optimizer: str            # a class name in both optim modules: "Adam" or "SGD"
    lr: float
    hidden: int = 128
    classes: int = 10

    def flat_size(self):
        """Features after the last block: each 3x3 'valid' conv takes 2, each pool halves."""
        h, w = self.image[1:]
        for _ in self.filters:
            h, w = (h - 2) // 2, (w - 2) // 2
        return self.filters[-1] * h * w


def sequential(nn, spec):
    """The spec's model from ``nn`` (``torch.nn`` or ``deepgrad.nn``), NCHW."""
    layers, channels = [], spec.image[0]
    for filters in spec.filters:
        layers += [nn.Conv2d(channels, filters, 3), nn.ReLU(), nn.MaxPool2d(2)]
        channels = filters
    layers += [nn.Flatten(), nn.Linear(spec.flat_size(), spec.hidden), nn.ReLU(),
               nn.Linear(spec.hidden, spec.classes)]
    return nn.Sequential(*layers)


def keras_sequential(keras, spec):
    """The spec's model from ``keras`` (Keras 3 or ``deepgrad.keras``), NHWC."""
    c, h, w = spec.image
    L = keras.layers
    layers = [keras.Input((h, w, c))]
    for filters in spec.filters:
        layers += [L.Conv2D(filters, (3, 3), activation="relu"), L.MaxPooling2D((2, 2))]
    layers += [L.Flatten(), L.Dense(spec.hidden, activation="relu"), L.Dense(spec.classes)]
    return keras.Sequential(layers)


def conv_workload(name, seed, description, batch, spec):
    def make_model(nn):
        return sequential(nn, spec)

    def make_batch(rng):
        x = rng.random((batch, *spec.image), dtype=np.float32)
        return x, rng.integers(0, spec.classes, batch).astype(np.int64)

    builders = nn_builders(make_model, spec.optimizer, spec.lr, "cross_entropy")
    builders.update(keras_builders(lambda keras: keras_sequential(keras, spec),
                                   spec.optimizer, spec.lr, "cross_entropy",
                                   layout=channels_last))
    return register(Workload(
        name=name, seed=seed, description=description, batch=batch, make_batch=make_batch,
        reference_state=lambda s: reference_state(make_model, s),
        make_model=make_model, builders=builders))


conv_workload("cnn_mnist", "004", "Conv(32)-Pool-Dense(128)-10 on 28x28x1, CE, Adam", 32,
              ConvSpec((1, 28, 28), (32,), "Adam", 1e-3))
conv_workload("cnn_cifar", "002", "2x[Conv-Pool] (32, 64)-Dense(128)-10 on 32x32x3, CE, "
              "SGD 0.01", 64, ConvSpec((3, 32, 32), (32, 64), "SGD", 0.01))
