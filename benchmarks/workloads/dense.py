"""Dense workloads: multilayer perceptrons and the autoencoder of the seeds.

Every model is ``Linear, ReLU, Linear, ReLU, ..., Linear[, Sigmoid]`` built as
``nn.Sequential``, so deepgrad and PyTorch share one builder (their APIs, and so their
``state_dict`` keys ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ... are the same) and
the hand-written NumPy step (:mod:`benchmarks.numpy_dense`) reads the same keys.

    mlp128       seed 000  784-128-10, ReLU, cross-entropy on logits, batch 128
    mlp32_64     seed 001  784-32-64-10, ReLU, cross-entropy on logits, batch 32
    autoencoder  seed 004  784-32-784, ReLU then sigmoid, MSE to the input, batch 256

All use Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8) and float32.
"""
import os
from dataclasses import dataclass

import numpy as np

from benchmarks.workloads import Workload, register


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


def _autograd_step(fw, spec, state, x, y):
    """One training step closure for a PyTorch-style framework module ``fw``."""
    model = sequential(fw.nn, spec)
    if state is not None:
        model.load_state_dict({k: fw.from_numpy(v.copy()) for k, v in state.items()})
    opt = fw.optim.Adam(model.parameters(), lr=spec.lr)
    loss_fn = getattr(fw.nn.functional, spec.loss)
    xt, yt = fw.from_numpy(x), fw.from_numpy(y)

    def step():
        loss = loss_fn(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def build_deepgrad(spec, state, x, y):
    import deepgrad
    return _autograd_step(deepgrad, spec, state, x, y)


def build_torch(spec, state, x, y):
    import torch
    return _autograd_step(torch, spec, state, x, y)


def build_numpy(spec, state, x, y):
    from benchmarks.numpy_dense import DenseNumPy
    if state is None:
        raise ValueError("numpy: the hand-written step needs initial weights (state)")
    return DenseNumPy(spec, state, x, y).step


def reference_state(spec, seed):
    """PyTorch's default initialisation under ``torch.manual_seed(seed)``, as arrays."""
    import torch
    torch.manual_seed(seed)
    model = sequential(torch.nn, spec)
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


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
        return (x, labels) if spec.loss == "cross_entropy" else (x, x.copy())
    return make


def dense_workload(name, seed, description, batch, spec):
    return register(Workload(
        name=name, seed=seed, description=description, batch=batch,
        make_batch=batch_maker(spec, batch),
        reference_state=lambda s: reference_state(spec, s),
        builders={fw: (lambda state, x, y, b=b: b(spec, state, x, y))
                  for fw, b in (("deepgrad", build_deepgrad), ("torch", build_torch),
                                ("numpy", build_numpy))}))


dense_workload("mlp128", "000", "784-128-10 ReLU, CE, Adam", 128,
               DenseSpec((784, 128, 10)))
dense_workload("mlp32_64", "001", "784-32-64-10 ReLU, CE, Adam", 32,
               DenseSpec((784, 32, 64, 10)))
dense_workload("autoencoder", "004", "784-32-784 ReLU/sigmoid, MSE, Adam", 256,
               DenseSpec((784, 32, 784), out_act="sigmoid", loss="mse_loss"))
