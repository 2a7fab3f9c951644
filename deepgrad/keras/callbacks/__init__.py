"""``deepgrad.keras.callbacks``: hooks into ``fit`` (Keras's names)."""
from deepgrad.keras.callbacks.callback import Callback, CallbackList
from deepgrad.keras.callbacks.history import History
from deepgrad.keras.callbacks.progbar import ProgbarLogger
