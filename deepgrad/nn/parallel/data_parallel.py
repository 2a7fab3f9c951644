"""``DataParallel``: PyTorch's single-process multi-GPU wrapper, on deepgrad's CPU.

PyTorch's ``DataParallel`` splits each batch along ``dim`` across its GPUs, runs a replica
of the module on each and gathers the outputs on ``output_device``. With no GPU -- always
the case in deepgrad -- PyTorch keeps no device and its ``forward`` is ``module(*inputs,
**kwargs)``; so is deepgrad's. The wrapped module is ``.module``, so ``state_dict()`` keys
carry the ``module.`` prefix exactly as PyTorch's do (``model.module.state_dict()`` gives
the unprefixed ones).
"""
from deepgrad.device import check_device
from deepgrad.nn.module import Module


def _check_devices(device_ids, output_device, dim, where):
    if device_ids is not None and list(device_ids):
        ids = list(device_ids)
        raise RuntimeError(f"{where}: device_ids={ids} names accelerator devices, and deepgrad "
                           f"has none (the devices that exist are: 'cpu'); leave device_ids "
                           f"out to run the module on the CPU")
    if output_device is not None:
        check_device(output_device, where)
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{where}: dim must be an int, received {type(dim).__name__}")


class DataParallel(Module):
    """Run ``module`` as PyTorch's DataParallel does without GPUs: unchanged.

    Args:
        module (Module): the module to run.
        device_ids (list, optional): accelerator ids; None or [] (deepgrad has none).
        output_device (optional): None or the CPU.
        dim (int): the batch dimension PyTorch would scatter along (kept as ``.dim``).

    Example:
        >>> model = nn.DataParallel(nn.Linear(4, 2))
        >>> list(model.state_dict())
        ['module.weight', 'module.bias']
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected an nn.Module, received "
                            f"{type(module).__name__}")
        _check_devices(device_ids, output_device, dim, "DataParallel")
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        """``module(*inputs, **kwargs)``."""
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """The functional form: ``module(*inputs, **module_kwargs)`` (no GPUs to spread over)."""
    _check_devices(device_ids, output_device, dim, "data_parallel")
    if not isinstance(inputs, tuple):
        inputs = (inputs,)
    return module(*inputs, **(module_kwargs or {}))
