"""``keras.preprocessing.sequence``: ``pad_sequences`` (Keras's NumPy semantics)."""
from deepgrad.keras.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
