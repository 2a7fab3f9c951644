"""``deepgrad.keras.models``: Model, Sequential, and loading saved models."""
from deepgrad.keras.models.model import Model
from deepgrad.keras.models.sequential import Sequential
from deepgrad.keras.saving.saving_lib import load_model, model_from_json, save_model
