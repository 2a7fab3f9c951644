"""Run one of these example programs on PyTorch itself, for a side-by-side comparison.

    python examples/pytorch/run_with_torch.py examples/pytorch/vae.py --epochs 1 --samples 6000

The programs import ``deepgrad`` as ``torch``; this runner maps ``deepgrad``,
``deepgrad.nn``, ``deepgrad.optim``... to PyTorch's modules and gives ``_mnist`` the same
tensors built with PyTorch, then runs the program unchanged. The figures quoted in the tests
(tests/examples/test_pytorch_examples.py) and the README come from this runner.
"""
import os
import runpy
import sys
import types

import numpy as np
import torch
import torch.nn
import torch.nn.functional
import torch.optim
import torch.optim.lr_scheduler
import torch.utils.data

for name, module in {"deepgrad": torch, "deepgrad.nn": torch.nn,
                     "deepgrad.nn.functional": torch.nn.functional, "deepgrad.optim": torch.optim,
                     "deepgrad.optim.lr_scheduler": torch.optim.lr_scheduler,
                     "deepgrad.utils": torch.utils, "deepgrad.utils.data": torch.utils.data}.items():
    sys.modules[name] = module


def mnist_datasets(samples=None, test_samples=None, normalize=True):
    """``_mnist.mnist_datasets`` with PyTorch tensors (reads $DEEPGRAD_DATA/mnist.npz)."""
    data = np.load(os.path.join(os.environ.get("DEEPGRAD_DATA", "."), "mnist.npz"))

    def images(x):
        x = x[:, None].astype(np.float32) / 255.0
        if normalize:
            x = (x - np.float32(0.1307)) / np.float32(0.3081)
        return torch.from_numpy(x)

    def labels(y):
        return torch.from_numpy(y.astype(np.int64))

    return (torch.utils.data.TensorDataset(images(data["x_train"][:samples]),
                                           labels(data["y_train"][:samples])),
            torch.utils.data.TensorDataset(images(data["x_test"][:test_samples]),
                                           labels(data["y_test"][:test_samples])))


_mnist = types.ModuleType("_mnist")
_mnist.mnist_datasets = mnist_datasets
sys.modules["_mnist"] = _mnist

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")
