"""``deepgrad.keras.callbacks``: hooks into ``fit`` (Keras's names)."""
from deepgrad.keras.callbacks.callback import Callback
from deepgrad.keras.callbacks.history import History
from deepgrad.keras.callbacks.progbar import ProgbarLogger
from deepgrad.keras.callbacks.callback_list import CallbackList
from deepgrad.keras.callbacks.monitor_callback import MonitorCallback
from deepgrad.keras.callbacks.early_stopping import EarlyStopping
from deepgrad.keras.callbacks.model_checkpoint import ModelCheckpoint
from deepgrad.keras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from deepgrad.keras.callbacks.learning_rate_scheduler import LearningRateScheduler
from deepgrad.keras.callbacks.csv_logger import CSVLogger
from deepgrad.keras.callbacks.terminate_on_nan import TerminateOnNaN
from deepgrad.keras.callbacks.lambda_callback import LambdaCallback
from deepgrad.keras.callbacks.backup_and_restore import BackupAndRestore
from deepgrad.keras.callbacks.ema_and_remote import RemoteMonitor, SwapEMAWeights

import importlib as _importlib


def __getattr__(name):
    """``TensorBoard`` (and the event-file writer under it) loads on first use."""
    if name == "TensorBoard":
        value = _importlib.import_module("deepgrad.keras.callbacks.tensorboard").TensorBoard
        globals()[name] = value
        return value
    raise AttributeError(f"module 'deepgrad.keras.callbacks' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"TensorBoard"})
