"""MNIST as the PyTorch tutorials get it from torchvision, built from deepgrad.datasets.

``datasets.MNIST(..., transform=ToTensor() + Normalize((0.1307,), (0.3081,)))`` gives
(1, 28, 28) float32 images scaled to [0, 1] and then standardised; this helper gives the same
tensors as a :class:`deepgrad.utils.data.TensorDataset`, so the training loops below are the
tutorials' loops unchanged.
"""
import numpy as np

import deepgrad as torch
from deepgrad.datasets import mnist
from deepgrad.utils.data import TensorDataset


def mnist_datasets(samples=None, test_samples=None, normalize=True):
    """(train, test) TensorDatasets of ``(image (1, 28, 28) float32, label int64)``."""
    (x_tr, y_tr), (x_te, y_te) = mnist.load_data()
    x_tr, y_tr = x_tr[:samples], y_tr[:samples]
    x_te, y_te = x_te[:test_samples], y_te[:test_samples]

    def images(x):
        x = x[:, None].astype(np.float32) / 255.0                  # ToTensor()
        if normalize:
            x = (x - np.float32(0.1307)) / np.float32(0.3081)      # Normalize((0.1307,), (0.3081,))
        return torch.from_numpy(x)

    return (TensorDataset(images(x_tr), torch.from_numpy(y_tr.astype(np.int64))),
            TensorDataset(images(x_te), torch.from_numpy(y_te.astype(np.int64))))
