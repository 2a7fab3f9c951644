"""``skip_init`` (PyTorch's ``torch.nn.utils.skip_init``)."""
import inspect

from deepgrad.nn.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """Instantiate ``module_cls(*args, **kwargs)`` whose parameters are to be overwritten
    (e.g. by ``load_state_dict``): their values are unspecified.

    PyTorch builds the module on its ``meta`` device and then allocates uninitialized
    memory; deepgrad has no meta device, so it builds the module normally (its values are
    the initialisation's, which is one admissible "unspecified" content).

    Raises:
        RuntimeError: ``module_cls`` is not a Module, or takes no ``device`` argument (as
            PyTorch requires).
    """
    if not (inspect.isclass(module_cls) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
