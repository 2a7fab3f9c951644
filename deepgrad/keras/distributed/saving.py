"""``load_model``: Horovod's loader, which wraps the saved model's optimizer.

A model saved during distributed training stores its optimizer as the plain class
(``Adam``); ``load_model`` loads it (``deepgrad.keras.saving.load_model``) and wraps
the compiled optimizer in :func:`DistributedOptimizer`, its state carried over, so
training resumes data-parallel.
"""
from deepgrad.keras.distributed.mpi_ops import Compression
from deepgrad.keras.distributed.optimizer import DistributedOptimizer
from deepgrad.keras.saving import saving_lib


def load_model(filepath, custom_optimizers=None, custom_objects=None,
               compression=Compression.none):
    """Load a saved model; its optimizer becomes a :func:`DistributedOptimizer`.

    Args:
        filepath: a ``.keras``, ``.dgkeras`` or legacy ``.h5`` file.
        custom_optimizers (list of classes, optional): optimizer classes of your own
            the file names.
        custom_objects (dict, optional): as ``keras.saving.load_model``.
        compression: the wrapped optimizer's compression.
    """
    objects = dict(custom_objects or {})
    for cls in custom_optimizers or ():
        objects.setdefault(cls.__name__, cls)
    model = saving_lib.load_model(filepath, custom_objects=objects or None)
    if getattr(model, "optimizer", None) is not None:
        model.optimizer = DistributedOptimizer(model.optimizer, compression=compression)
    return model
