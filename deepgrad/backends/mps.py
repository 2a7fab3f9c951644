"""``deepgrad.backends.mps``: Apple's Metal backend does not exist in deepgrad."""


def is_available():
    """False: deepgrad has no MPS device."""
    return False


def is_built():
    """False: deepgrad is not built with MPS."""
    return False
