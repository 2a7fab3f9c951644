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

#: the device creation functions use when none is given (``set_default_device``).
default_device = None

_FLOAT_DEFAULTS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def set_default_dtype(d):
    """Set the dtype that Python floats (and float factories without ``dtype=``) become.

    As ``torch.set_default_dtype``: only floating dtypes (float16, float32, float64) are
    accepted. Integers stay int64 and NumPy arrays keep their dtype whatever the default.

    Args:
        d: ``deepgrad.float32``, ``deepgrad.float64`` or ``deepgrad.float16``.
    """
    try:
        dtype = np.dtype(d)
    except TypeError:
        raise TypeError(f"set_default_dtype: expected a floating dtype such as "
                        f"deepgrad.float32, received {d!r}") from None
    if dtype not in _FLOAT_DEFAULTS:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type (float16, float32, float64), received {dtype}")
    global default_float
    default_float = dtype


def get_default_dtype():
    """The dtype Python floats become (float32 unless :func:`set_default_dtype` changed it)."""
    return default_float.type


def set_default_device(device):
    """Set the device that creation functions use when ``device=`` is not given.

    deepgrad has one device, the CPU: ``None``, ``"cpu"`` and ``"cpu:0"`` are accepted;
    any other device raises the no-such-device ``RuntimeError`` here, not later.
    """
    from deepgrad.device import check_device
    global default_device
    default_device = check_device(device, "set_default_device")


def get_default_device():
    """The default device: always ``device(type='cpu')`` in deepgrad."""
    from deepgrad.device import CPU
    return CPU


# ---------------------------------------------------------------------- random generators
_UINT64 = 2 ** 64
#: bytes of Generator.get_state(): PCG64 state (16) + increment (16) + has_uint32 (4) +
#: uinteger (4) + seed (8).
_STATE_BYTES = 48


def _seed_value(seed, where):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{where}: expected an int seed, received {type(seed).__name__}")
    seed = int(seed)
    if not -2 ** 63 <= seed < _UINT64:
        raise ValueError(f"{where}: seed must lie in [-2**63, 2**64), received {seed}")
    return seed % _UINT64          # negative seeds wrap to uint64, as PyTorch's


class Generator:
    """A seedable source of random numbers, PyTorch's ``torch.Generator``.

    Pass one as ``generator=`` to the random functions (``rand``, ``randn``, ``randint``,
    ``randperm``, ``bernoulli``, ``multinomial``, ``normal``, ...), to ``random_split`` and
    to DataLoader samplers, to draw from a stream of its own. It wraps a NumPy
    ``Generator`` (PCG64); the numbers therefore differ from PyTorch's (Mersenne twister)
    for the same seed, but the same seed always gives the same numbers in deepgrad.

    Args:
        device: ``"cpu"`` (the only device deepgrad has).

    Example:
        >>> g = deepgrad.Generator().manual_seed(0)
        >>> a = deepgrad.rand(3, generator=g)
    """

    __slots__ = ("_seed", "_rng")

    def __init__(self, device="cpu"):
        from deepgrad.device import check_device
        check_device(device, "Generator")
        self._set_seed(int.from_bytes(_os_random(8), "little"))

    def _set_seed(self, seed):
        self._seed = seed
        self._rng = np.random.default_rng(seed)

    @property
    def device(self):
        """Where the generator's numbers go: ``device(type='cpu')``."""
        from deepgrad.device import CPU
        return CPU

    def manual_seed(self, seed):
        """Seed the generator; returns ``self``. Negative seeds wrap to uint64 as in PyTorch."""
        self._set_seed(_seed_value(seed, "Generator.manual_seed"))
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the new seed."""
        self._set_seed(int.from_bytes(_os_random(8), "little"))
        return self._seed

    def initial_seed(self):
        """The seed the generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (for :meth:`set_state`)."""
        from deepgrad.autograd.tensor import Tensor
        s = self._rng.bit_generator.state
        raw = b"".join([s["state"]["state"].to_bytes(16, "little"),
                        s["state"]["inc"].to_bytes(16, "little"),
                        int(s["has_uint32"]).to_bytes(4, "little"),
                        int(s["uinteger"]).to_bytes(4, "little"),
                        self._seed.to_bytes(8, "little")])
        return Tensor(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state returned by :meth:`get_state`; returns ``self``."""
        arr = getattr(new_state, "array", new_state)
        if not isinstance(arr, np.ndarray) or arr.dtype != np.uint8:
            what = f" of dtype {arr.dtype}" if isinstance(arr, np.ndarray) else ""
            raise TypeError(f"Generator.set_state: RNG state must be a uint8 (Byte) tensor, "
                            f"received {type(new_state).__name__}{what}")
        if arr.shape != (_STATE_BYTES,):
            raise ValueError(f"Generator.set_state: expected a state of shape ({_STATE_BYTES},) "
                             f"as returned by get_state(), received shape {arr.shape}")
        raw = arr.tobytes()
        state = {"bit_generator": "PCG64",
                 "state": {"state": int.from_bytes(raw[0:16], "little"),
                           "inc": int.from_bytes(raw[16:32], "little")},
                 "has_uint32": int.from_bytes(raw[32:36], "little"),
                 "uinteger": int.from_bytes(raw[36:40], "little")}
        rng = np.random.default_rng()
        rng.bit_generator.state = state
        self._rng, self._seed = rng, int.from_bytes(raw[40:48], "little")
        return self

    def __reduce__(self):
        return (_generator_from_state, (self.get_state().array.tobytes(),))


def _generator_from_state(raw):
    from deepgrad.autograd.tensor import Tensor
    return Generator().set_state(Tensor(np.frombuffer(raw, dtype=np.uint8).copy()))


def _os_random(n):
    import os
    return os.urandom(n)


#: the generator random functions draw from when no ``generator=`` is given.
default_generator = Generator()


def rng(generator=None):
    """The ``numpy.random.Generator`` behind ``generator`` (deepgrad's default when None).

    Args:
        generator: a :class:`Generator`, a ``numpy.random.Generator`` or None.
    """
    if generator is None:
        return default_generator._rng
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a deepgrad.Generator (or a numpy.random.Generator), "
                    f"received {type(generator).__name__}")


def manual_seed(seed):
    """Seed deepgrad's default generator (and NumPy's legacy one, for user code).

    Args:
        seed (int): the seed, in [-2**63, 2**64); negative seeds wrap as in PyTorch.
    Returns:
        the default :class:`Generator`, as ``torch.manual_seed``.
    """
    seed = _seed_value(seed, "manual_seed")
    default_generator.manual_seed(seed)
    np.random.seed(seed % (2 ** 32))
    return default_generator


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
    import os
    import sys
    if os.environ.get("DEEPGRAD_KEEP_MALLOC_DEFAULTS") or not sys.platform.startswith("linux"):
        return False
    try:        # the process's own symbols, libc's among them (no ctypes.util, no ldconfig)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)      # glibc's maximum on 64-bit
    ok &= mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024)
    return bool(ok)


malloc_tuned = _keep_freed_memory()
