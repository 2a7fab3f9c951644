"""``deepgrad.backends.cudnn``: settable flags (there is no cuDNN; see the package doc).

As in PyTorch: ``benchmark`` False, ``deterministic`` False, ``enabled`` True,
``allow_tf32`` True by default; ``is_available()`` False and ``version()`` None.
"""
benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available():
    """False: deepgrad has no cuDNN."""
    return False


def version():
    """None: no cuDNN is linked."""
    return None
