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


def _keep_freed_memory():
    """Ask glibc's malloc to keep freed memory instead of handing it back to the OS.

    A training step allocates and frees the same large temporaries (activations and
    their gradients, ~1 MB each) every step. glibc's defaults return such blocks to the
    OS, and the next step takes hundreds of page faults to get them back: measured on the
    seed 004 autoencoder, ~970 faults and 2 of its 3.3 ms per step. Raising the mmap and
    trim thresholds lets the heap keep them (PyTorch keeps a caching allocator for the
    same reason). The process then holds on to its peak memory. Set
    ``DEEPGRAD_KEEP_MALLOC_DEFAULTS=1`` to leave malloc alone. Does nothing off glibc.
    """
    import ctypes
    import ctypes.util
    import os
    import sys
    if os.environ.get("DEEPGRAD_KEEP_MALLOC_DEFAULTS") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)      # glibc's maximum on 64-bit
    ok &= mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024)
    return bool(ok)


malloc_tuned = _keep_freed_memory()
