"""Utilities: ``deepgrad.utils.data`` (Dataset, DataLoader)."""
from deepgrad.utils import data
