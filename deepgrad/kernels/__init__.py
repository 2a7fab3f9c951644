"""Optional compiled kernels: a few NumPy ops' formulas as single loops, compiled by numba.

deepgrad's ops are NumPy, and the NumPy code stays the reference and the default. Some of
them are bound by their passes over memory rather than by arithmetic: a NumPy expression
of k ufuncs reads and writes its arrays k times, where one loop would touch each element
once (max pooling's comparisons, Winograd's tile transforms, the LSTM step's gates). For
those ops, this package holds the same formula as one compiled loop.

Install with ``pip install "deepgrad[compiled]"`` (numba). Which path runs:

* ``DEEPGRAD_KERNELS=numpy`` in the environment, or :func:`set_enabled(False)
  <set_enabled>`: always NumPy.
* otherwise (``DEEPGRAD_KERNELS`` unset, ``auto`` or ``numba``): the compiled kernel where
  numba imports, NumPy where it does not. ``DEEPGRAD_KERNELS=numba`` without numba is an
  error at the first op that would use it, naming the missing package.

numba is imported on the first op that asks for a kernel, never by ``import deepgrad``.
A kernel is compiled on its first call for each dtype (about a second) and cached on disk
(numba's ``cache=True``: next to this package, or in ``NUMBA_CACHE_DIR``), so later runs
load it in milliseconds.

Rules every kernel here keeps (tests/kernels/ check them against the NumPy path):

* the same formula as its NumPy op, the same result: bit for bit where the NumPy op's
  arithmetic is elementwise (pooling, activations); to the last bits where the order of a
  sum differs, with the reason in the kernel's docstring; the one kernel with its own
  function approximation (the LSTM's whole-loop kernels' tanh, float32 only, at most 6
  ulp) is tested to be as accurate as the NumPy path against a float64 run;
* one thread per call, with the GIL released (``nogil=True``): deepgrad's own pool
  (:mod:`deepgrad.parallel`) splits the work and calls the kernel on each chunk, so the
  thread count and the bits behave as on the NumPy path; numba's own threads are never
  started;
* no allocation of size inside a kernel: the op passes its output and work arrays, so
  peak memory is the NumPy path's or lower;
* float32 and float64 only (the op checks and keeps NumPy for anything else); no
  ``fastmath``, so NaN and infinities behave as NumPy's.

Usage inside an op::

    k = kernels.get("pool", "max2x2_forward")     # None: use the NumPy path
    if k is not None and x.dtype in kernels.FLOATS:
        k(x, y, arg)
"""
import importlib
import os

import numpy as np

#: The dtypes the kernels are compiled for.
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

_MODES = ("auto", "numba", "numpy")
_state = {"enabled": None}      # None: decided from DEEPGRAD_KERNELS on first use
_modules = {}                   # kernel module name -> module (imported once)


def _mode():
    mode = os.environ.get("DEEPGRAD_KERNELS", "auto").strip().lower() or "auto"
    if mode not in _MODES:
        raise ValueError(f"DEEPGRAD_KERNELS must be one of {', '.join(_MODES)}; "
                         f"received {mode!r}")
    return mode


def available():
    """True when numba imports (the ``compiled`` extra is installed)."""
    if "numba" not in _modules:
        try:
            _modules["numba"] = importlib.import_module("numba")
        except ImportError:
            _modules["numba"] = None
    return _modules["numba"] is not None


def enabled():
    """True when ops use the compiled kernels: not switched off, and numba imports."""
    if _state["enabled"] is None:
        mode = _mode()
        if mode == "numba" and not available():
            raise ImportError("DEEPGRAD_KERNELS=numba asks for deepgrad's compiled kernels, "
                              "but numba is not installed: pip install "
                              "\"deepgrad[compiled]\" (or unset DEEPGRAD_KERNELS)")
        _state["enabled"] = mode != "numpy" and available()
    return _state["enabled"]


def set_enabled(flag):
    """Use the compiled kernels (True: where numba imports) or the NumPy path (False).

    Returns the previous setting. ``set_enabled(True)`` without numba raises ImportError
    before changing anything.
    """
    if not isinstance(flag, bool):
        raise TypeError(f"set_enabled expects True or False; received {flag!r}")
    if flag and not available():
        raise ImportError("deepgrad's compiled kernels need numba: pip install "
                          "\"deepgrad[compiled]\"")
    previous = enabled()
    _state["enabled"] = flag
    return previous


class use:
    """Context manager: ``with kernels.use(False): ...`` runs its block on the NumPy path
    (``True``: on the kernels), then restores the previous setting."""

    def __init__(self, flag):
        self.flag = flag

    def __enter__(self):
        self.previous = set_enabled(self.flag)
        return self

    def __exit__(self, *exc):
        _state["enabled"] = self.previous
        return False


def get(module, name):
    """The compiled function ``name`` of ``deepgrad.kernels.<module>``, or None when the
    kernels are off (or numba is missing). The module (and numba) is imported once."""
    if not enabled():
        return None
    mod = _modules.get(module)
    if mod is None:
        mod = _modules[module] = importlib.import_module(f"deepgrad.kernels.{module}")
    return getattr(mod, name)
