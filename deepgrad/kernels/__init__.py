"""Optional compiled kernels: a few NumPy ops' formulas as single loops, compiled by numba.

deepgrad's ops are NumPy, and the NumPy code stays the reference and the default. Some of
them are bound by their passes over memory rather than by arithmetic: a NumPy expression
of k ufuncs reads and writes its arrays k times, where one loop would touch each element
once (max pooling's comparisons, Winograd's tile transforms, the LSTM step's gates). For
those ops, this package holds the same formula as one compiled loop.

Install with ``pip install "deepgrad[compiled]"`` (numba). The kernels then come from
one of two places:

* **the ahead-of-time build** (:mod:`deepgrad.kernels.aot`): ``python -m
  deepgrad.kernels.build`` compiles every kernel once for this machine (about a minute);
  a process then loads that module with NumPy alone, without numba or LLVM (about 1 MiB
  of memory, against numba's 120);
* **numba's JIT**: a kernel is compiled on its first call for each dtype (about a
  second) and cached on disk (numba's ``cache=True``: next to this package, or in
  ``NUMBA_CACHE_DIR``), so later runs load it in milliseconds; numba and LLVM stay in
  the process.

Which path runs, from ``DEEPGRAD_KERNELS``:

* ``auto`` (or unset): this machine's build if there is one, else numba's JIT where
  numba imports, else NumPy;
* ``aot``: the build; an error at the first op that would use it if there is none;
* ``numba``: numba's JIT; an error at the first such op without numba;
* ``numpy``, or :func:`set_enabled(False) <set_enabled>`: always NumPy.

Neither numba nor the build is imported by ``import deepgrad``: the first op that asks for
a kernel decides.

Rules every kernel here keeps (tests/kernels/ check them against the NumPy path):

* the same formula as its NumPy op, the same result: bit for bit where the NumPy op's
  arithmetic is elementwise (pooling, activations); to the last bits where the order of a
  sum differs, with the reason in the kernel's docstring; the two kernels with their own
  function approximations, float32 only (the LSTM's whole-loop kernels' tanh, at most 6
  ulp; the sigmoid's exp, at most 2.5 ulp) are tested to be as accurate as the NumPy
  path against a float64 run;
* one thread per call, with the GIL released (``nogil=True``): deepgrad's own pool
  (:mod:`deepgrad.parallel`) splits the work and calls the kernel on each chunk, so the
  thread count and the bits behave as on the NumPy path; numba's own threads are never
  started;
* no allocation of size inside a kernel: the op passes its output and work arrays, so
  peak memory is the NumPy path's or lower;
* float32 and float64 only (the op checks and keeps NumPy for anything else); no
  ``fastmath``, so NaN and infinities behave as NumPy's;
* declared with ``@kernel(signatures)`` (:mod:`deepgrad.kernels._jit`): the argument
  types the op passes, which the ahead-of-time build compiles.

Usage inside an op::

    k = kernels.get("pool", "max2x2_forward_nchw")    # None: use the NumPy path
    if k is not None and x.dtype in kernels.FLOATS:
        k(x, y, arg)
"""
import importlib
import os
import threading

import numpy as np

#: The dtypes the kernels are compiled for.
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

#: The kernel modules (the build compiles each one's ``@kernel`` functions).
MODULES = ("activation", "depthwise", "gru", "im2col", "lstm", "lstm_loop", "optim", "pool",
           "winograd")

_MODES = ("auto", "aot", "numba", "numpy")
_state = {"enabled": None,      # None: decided from DEEPGRAD_KERNELS on first use
          "build": False}       # this machine's ahead-of-time build; False: not looked for
_modules = {}                   # kernel module name -> module (imported once)
_kernels = {}                   # (module, name) -> the callable get() returns
_loading = threading.Lock()     # one thread loads the build


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


def build():
    """This machine's ahead-of-time build (:mod:`deepgrad.kernels.aot`), or None; looked
    for once per process."""
    if _state["build"] is False:
        with _loading:
            if _state["build"] is False:
                from deepgrad.kernels import aot
                _state["build"] = aot.load()
    return _state["build"]


def _missing_build():
    from deepgrad.kernels import aot
    return ImportError("DEEPGRAD_KERNELS=aot asks for deepgrad's ahead-of-time kernels, but "
                       f"none is built for this machine in {aot.directory()}: run python -m "
                       "deepgrad.kernels.build (or unset DEEPGRAD_KERNELS)")


def _compiled(mode):
    """Whether compiled kernels can run under ``mode``: the build (``aot``), numba
    (``numba``), either (otherwise)."""
    if mode == "aot":
        return build() is not None
    return (mode != "numba" and build() is not None) or available()


def enabled():
    """True when ops use the compiled kernels: not switched off, and this machine's build
    exists or numba imports."""
    if _state["enabled"] is None:
        mode = _mode()
        if mode == "numba" and not available():
            raise ImportError("DEEPGRAD_KERNELS=numba asks for deepgrad's compiled kernels, "
                              "but numba is not installed: pip install "
                              "\"deepgrad[compiled]\" (or unset DEEPGRAD_KERNELS)")
        if mode == "aot" and build() is None:
            raise _missing_build()
        _state["enabled"] = mode != "numpy" and _compiled(mode)
    return _state["enabled"]


def set_enabled(flag):
    """Use the compiled kernels (True: where this machine's build exists or numba
    imports) or the NumPy path (False).

    Returns the previous setting. ``set_enabled(True)`` with neither raises ImportError
    before changing anything.
    """
    if not isinstance(flag, bool):
        raise TypeError(f"set_enabled expects True or False; received {flag!r}")
    if flag and not _compiled(_mode()):
        if _mode() == "aot":
            raise _missing_build()
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


def path():
    """Which kernels ops run, in words: ``"ahead-of-time build (numba 0.68.1)"``,
    ``"numba 0.68.1 JIT"`` or ``"NumPy only"``."""
    if not enabled():
        return "NumPy only"
    found = build() if _mode() != "numba" else None
    if found is not None:
        return f"ahead-of-time build (numba {found.manifest.get('numba', '?')})"
    return f"numba {_modules['numba'].__version__} JIT"


def get(module, name):
    """The compiled function ``name`` of ``deepgrad.kernels.<module>``, or None when the
    kernels are off. The ahead-of-time build's (:func:`deepgrad.kernels.aot.kernel`)
    unless ``DEEPGRAD_KERNELS=numba`` or no build exists; numba's JIT otherwise. Each is
    looked up once."""
    if not enabled():
        return None
    fn = _kernels.get((module, name))
    if fn is None:
        fn = _kernels[module, name] = _resolve(module, name)
    return fn


def _numba_kernel(module, name):
    """numba's JIT function ``module.name`` (imports numba), or None without numba."""
    if not available():
        return None
    mod = _modules.get(module)
    if mod is None:
        mod = _modules[module] = importlib.import_module(f"deepgrad.kernels.{module}")
    return getattr(mod, name)


def _resolve(module, name):
    mode = _mode()
    found = build() if mode != "numba" else None
    if found is not None:
        fallback = (lambda: None) if mode == "aot" else (lambda: _numba_kernel(module, name))
        fn = found.kernel(module, name, fallback)
        if fn is not None:
            return fn
        if mode == "aot":
            raise ImportError(f"deepgrad.kernels: this machine's build ({found.path}) has no "
                              f"{module}.{name}; rebuild with python -m deepgrad.kernels.build")
    return _numba_kernel(module, name)
