"""The one array-module seam.

Every array the engine creates goes through ``xp`` (NumPy today). A GPU backend such as
CuPy can later be dropped in here without touching the ops, the way Chainer's ``xp`` works.
This module also owns the global random generator (``manual_seed``) and the default
floating dtype (float32).
"""
import numpy as np

xp = np

#: floating dtype used when none is given (PyTorch's and Keras's default).
default_float = np.dtype(np.float32)

_rng = np.random.default_rng()


def rng():
    """Return the global ``numpy.random.Generator`` used by init, dropout and ``rand*``."""
    return _rng


def manual_seed(seed):
    """Seed deepgrad's global random generator (and NumPy's legacy one, for user code).

    Args:
        seed (int): the seed.
    Returns:
        the new ``numpy.random.Generator``.
    """
    global _rng
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: expected an int seed, received {type(seed).__name__}")
    _rng = np.random.default_rng(int(seed))
    np.random.seed(int(seed) % (2 ** 32))
    return _rng
