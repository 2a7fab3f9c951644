"""``deepgrad.cuda``: what PyTorch code asks of ``torch.cuda``, answered for a machine
without CUDA -- which deepgrad always is.

``is_available()`` is False and ``device_count()`` is 0, so the usual
``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU. As in PyTorch
without CUDA: seeding (``manual_seed``, ``manual_seed_all``, ``seed``, ``seed_all``) does
nothing, because there is no CUDA generator to seed (deepgrad's CPU generator is seeded by
``deepgrad.manual_seed``); the memory statistics are 0 and ``empty_cache`` has nothing to
free; anything that needs a device (``synchronize``, ``current_device``, ``set_device``,
``get_device_name``...) raises the no-such-device error naming the devices that exist.
"""
from deepgrad._scope import OUT_OF_SCOPE, out_of_scope
from deepgrad.backend import _seed_value
from deepgrad.device import no_such_device


def is_available():
    """False: deepgrad has no CUDA device."""
    return False


def device_count():
    """0: deepgrad has no CUDA device."""
    return 0


def is_initialized():
    """False: CUDA is never initialised in deepgrad."""
    return False


def is_bf16_supported(including_emulation=True):
    """False: there is no CUDA device (and NumPy has no bfloat16)."""
    return False


def manual_seed(seed):
    """Does nothing (there is no CUDA generator); the seed is still checked.
    Seed deepgrad's CPU generator with ``deepgrad.manual_seed``."""
    _seed_value(seed, "cuda.manual_seed")


def manual_seed_all(seed):
    """Does nothing (there are no CUDA generators); the seed is still checked."""
    _seed_value(seed, "cuda.manual_seed_all")


def seed():
    """Does nothing: there is no CUDA generator to seed."""


def seed_all():
    """Does nothing: there are no CUDA generators to seed."""


def empty_cache():
    """Does nothing: no CUDA memory is ever cached."""


def _no_memory(device=None):
    if device is not None:
        _no_device(device)
    return 0


def memory_allocated(device=None):
    """0 bytes: no CUDA memory is ever allocated."""
    return _no_memory(device)


def max_memory_allocated(device=None):
    """0 bytes: no CUDA memory is ever allocated."""
    return _no_memory(device)


def memory_reserved(device=None):
    """0 bytes: no CUDA memory is ever reserved."""
    return _no_memory(device)


def max_memory_reserved(device=None):
    """0 bytes: no CUDA memory is ever reserved."""
    return _no_memory(device)


def _no_device(device=None, where="cuda"):
    name = "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int)
                                          else str(device))
    raise no_such_device(name, where)


def synchronize(device=None):
    """Refused: there is no CUDA device to wait for."""
    _no_device(device, "cuda.synchronize")


def current_device():
    """Refused: there is no current CUDA device."""
    _no_device(None, "cuda.current_device")


def set_device(device):
    """Refused: there is no CUDA device to select."""
    _no_device(device, "cuda.set_device")


def get_device_name(device=None):
    """Refused: there is no CUDA device to name."""
    _no_device(device, "cuda.get_device_name")


def get_device_capability(device=None):
    """Refused: there is no CUDA device."""
    _no_device(device, "cuda.get_device_capability")


def get_device_properties(device=None):
    """Refused: there is no CUDA device."""
    _no_device(device, "cuda.get_device_properties")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    scope = out_of_scope(name)
    family, reason = scope if scope is not None else OUT_OF_SCOPE[0][:2]
    raise AttributeError(f"deepgrad.cuda has no attribute {name!r}: {family} is out of "
                         f"deepgrad's scope ({reason})")
