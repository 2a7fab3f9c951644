"""``deepgrad.keras.models``: Model, Sequential, and loading saved models."""
from deepgrad.keras.models.model import Model
from deepgrad.keras.models.sequential import Sequential
