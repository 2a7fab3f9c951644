"""``deepgrad.accelerator``: PyTorch's device-agnostic accelerator API, answered for a
framework that runs on the CPU only.

``is_available()`` is False, ``current_accelerator()`` None and ``device_count()`` 0, as
in PyTorch on a machine without an accelerator, so the pattern ::

    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() \\
        else torch.device("cpu")

picks the CPU. Calls that need an accelerator (``current_device_index``, ``set_device_index``,
``synchronize``...) raise the no-such-device error; ``empty_cache`` has nothing to free.
"""


def _refuse(where):
    raise RuntimeError(f"accelerator.{where}: cannot access an accelerator device when none "
                       f"is available; deepgrad runs on the CPU only (the devices that exist "
                       f"are: 'cpu')")


def is_available():
    """False: deepgrad has no accelerator."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator (``check_available`` changes nothing then)."""
    return None


def device_count():
    """0: deepgrad has no accelerator."""
    return 0


def current_device_index():
    """Refused: there is no accelerator device."""
    _refuse("current_device_index")


current_device_idx = current_device_index


def set_device_index(device):
    """Refused: there is no accelerator device to select."""
    _refuse("set_device_index")


set_device_idx = set_device_index


def synchronize(device=None):
    """Refused: there is no accelerator to wait for."""
    _refuse("synchronize")


def empty_cache():
    """Does nothing: no accelerator memory is ever cached."""
