"""Dense workloads: multilayer perceptrons and the autoencoder of the seeds.

Every model is ``Linear, ReLU, Linear, ReLU, ..., Linear[, Sigmoid]`` built as
``nn.Sequential``, so deepgrad and PyTorch share one builder (their APIs, and so their
``state_dict`` keys ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ... are the same) and
the hand-written NumPy step (:mod:`benchmarks.numpy_dense`) reads the same keys. The
Keras columns build the same stack of ``Dense`` layers (:func:`keras_sequential`).

    mlp128       seed 000  784-128-10, ReLU, cross-entropy on logits, batch 128
    mlp32_64     seed 001  784-32-64-10, ReLU, cross-entropy on logits, batch 32
    autoencoder  seed 004  784-32-784, ReLU then sigmoid, MSE to the input, batch 256

All use Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8; Keras' eps 1e-7) and float32.
"""
import os
from dataclasses import dataclass

import numpy as np

from benchmarks.workloads import Workload, register
from benchmarks.workloads.common import nn_builders, reference_state
from benchmarks.workloads.keras_models import keras_builders


@dataclass(frozen=True)
class DenseSpec:
    sizes: tuple              # layer widths, input first: (784, 128, 10)
    out_act: str = None       # None (logits) or "sigmoid"
    loss: str = "cross_entropy"   # a name in both nn.functional modules: or "mse_loss"
    lr: float = 1e-3


def sequential(nn, spec):
    """The spec's model from ``nn`` (``torch.nn`` or ``deepgrad.nn``)."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(spec.sizes[:-1], spec.sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(spec.sizes) - 2:
            layers.append(nn.ReLU())
    if spec.out_act == "sigmoid":
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def keras_sequential(keras, spec):
    """The spec's model from ``keras`` (Keras 3 or ``deepgrad.keras``): Dense layers."""
    layers = [keras.Input((spec.sizes[0],))]
    for i, n_out in enumerate(spec.sizes[1:]):
        last = i == len(spec.sizes) - 2
        layers.append(keras.layers.Dense(n_out, activation=spec.out_act if last else "relu"))
    return keras.Sequential(layers)


def build_numpy(spec, state, x, y):
    from benchmarks.numpy_dense import DenseNumPy
    if state is None:
        raise ValueError("numpy: the hand-written step needs initial weights (state)")
    from benchmarks.workloads.common import streaming
    net = DenseNumPy(spec, state, x, y)

    class _Slot(list):               # step i of run(n) points the network at copy i
        def __setitem__(self, i, value):
            super().__setitem__(i, value)
            if i == 0:
                net.x = net.a[0] = value
            else:
                net.y = value

    return streaming(net.step, _Slot([x, y]), lambda a: a, x, y)


def mnist_rows(n):
    """The first ``n`` MNIST training images and labels from $DEEPGRAD_DATA, or None."""
    path = os.path.join(os.environ.get("DEEPGRAD_DATA", ""), "mnist.npz")
    if not os.environ.get("DEEPGRAD_DATA") or not os.path.exists(path):
        return None
    with np.load(path) as f:
        x = f["x_train"][:n].reshape(n, -1).astype(np.float32) / np.float32(255)
        return x, f["y_train"][:n].astype(np.int64)


def batch_maker(spec, batch):
    """``rng -> (x, y)``: MNIST rows if present, else uniform [0, 1) images."""
    def make(rng):
        rows = mnist_rows(batch)
        if rows is None:
            x = rng.random((batch, spec.sizes[0]), dtype=np.float32)
            rows = x, rng.integers(0, spec.sizes[-1], batch).astype(np.int64)
        x, labels = rows
        # the autoencoder's target is its input, one array, as seed 004 trains it:
        # ``autoencoder.fit(x_train, x_train)``
        return (x, labels) if spec.loss == "cross_entropy" else (x, x)
    return make


def dense_workload(name, seed, description, batch, spec):
    def make_model(nn):
        return sequential(nn, spec)
    builders = nn_builders(make_model, "Adam", spec.lr, spec.loss)
    builders["numpy"] = lambda state, x, y: build_numpy(spec, state, x, y)
    builders.update(keras_builders(lambda keras: keras_sequential(keras, spec), "Adam",
                                   spec.lr, spec.loss))
    return register(Workload(
        name=name, seed=seed, description=description, batch=batch,
        make_batch=batch_maker(spec, batch),
        reference_state=lambda s: reference_state(make_model, s),
        make_model=make_model, builders=builders))


dense_workload("mlp128", "000", "784-128-10 ReLU, CE, Adam", 128,
               DenseSpec((784, 128, 10)))
dense_workload("mlp32_64", "001", "784-32-64-10 ReLU, CE, Adam", 32,
               DenseSpec((784, 32, 64, 10)))
dense_workload("autoencoder", "004", "784-32-784 ReLU/sigmoid, MSE, Adam", 256,
               DenseSpec((784, 32, 784), out_act="sigmoid", loss="mse_loss"))
