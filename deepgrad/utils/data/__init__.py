"""``torch.utils.data`` for deepgrad: datasets, batching and splitting.

``Dataset`` / ``TensorDataset`` / ``Subset`` / ``random_split`` hold samples;
``DataLoader`` turns them into (shuffled) batches of Tensors via ``default_collate``.
"""
from deepgrad.utils.data.dataset import Dataset, TensorDataset, Subset, random_split
from deepgrad.utils.data.collate import default_collate
from deepgrad.utils.data.dataloader import DataLoader

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "default_collate",
           "DataLoader"]
