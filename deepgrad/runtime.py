"""Process-wide settings with PyTorch's names: threads, determinism, matmul precision,
denormals, warn-always and print options.

Threads: deepgrad has one intra-op pool, as PyTorch has. ``set_num_threads(n)`` sizes
:mod:`deepgrad.parallel`, which splits every heavy op over n threads: the GEMMs of the
dense layers (:func:`deepgrad.parallel.matmul`), the convolutions, pooling and large
elementwise passes. NumPy's BLAS (OpenBLAS, MKL or BLIS, found among the loaded shared
libraries and called through ctypes) is then kept at ONE thread: a BLAS with threads of
its own keeps them spinning after each call, and they take the cores the pool needs
(measured: a two-thread cnn_cifar step took as long as a one-thread step, for twice its
CPU time; with the BLAS at one thread and the pool at two it took 0.6 of the time).
Until ``set_num_threads`` is called, the pool takes the BLAS's thread count (its
default: the cores, or ``OMP_NUM_THREADS``) at the first op that asks, and sets the BLAS
to one thread then: NumPy code of your own in the same process sees one BLAS thread after
deepgrad has run an op. deepgrad runs one op after another in the calling thread, so
there is no inter-op pool: ``get_num_interop_threads()`` is 1.
"""
import math
import os
import sys
import warnings

# ------------------------------------------------------------------------------ threads
_blas = None            # (name, get, set) once found; False when none is known
_requested = None       # the intra-op pool size: the last set_num_threads value
_interop_threads = 1


def _loaded_libraries():
    """Candidate paths of the BLAS NumPy uses, NumPy's own first.

    A wheel of NumPy bundles its BLAS in ``numpy.libs`` (``numpy/.dylibs`` on macOS): those
    come first. Then the shared libraries this process loaded (Linux ``/proc/self/maps``),
    for a NumPy linked against the system's BLAS, leaving out the copies other wheels
    bundle (SciPy's, scikit-learn's, PyTorch's), which are not the BLAS deepgrad runs on.
    """
    import numpy
    site = os.path.dirname(os.path.dirname(numpy.__file__))
    paths = []
    for folder in (os.path.join(site, "numpy.libs"),
                   os.path.join(os.path.dirname(numpy.__file__), ".dylibs")):
        if os.path.isdir(folder):
            paths += [os.path.join(folder, f) for f in sorted(os.listdir(folder))]
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                part = line.split()[-1]
                if part.startswith("/") and part not in paths and not part.startswith(site):
                    paths.append(part)
    except OSError:
        pass
    return paths


def _symbol(lib, names):
    """The first of ``names`` that ``lib`` exports, or None."""
    for name in names:
        fn = getattr(lib, name, None)
        if fn is not None:
            return fn
    return None


def _find_blas():
    """(name, get(), set(n)) for the BLAS NumPy uses, or False when none is known."""
    import ctypes
    for path in _loaded_libraries():
        base = os.path.basename(path).lower()
        if not any(k in base for k in ("openblas", "mkl_rt", "libmkl", "blis")):
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if "openblas" in base:
            stems = [f"{p}openblas_{{}}_num_threads{s}" for p in ("", "scipy_")
                     for s in ("", "64_", "_64")]
            get = _symbol(lib, [s.format("get") for s in stems])
            set_ = _symbol(lib, [s.format("set") for s in stems])
            name = "OpenBLAS"
        elif "blis" in base:
            get = _symbol(lib, ["bli_thread_get_num_threads"])
            set_ = _symbol(lib, ["bli_thread_set_num_threads"])
            name = "BLIS"
        else:
            get = _symbol(lib, ["MKL_Get_Max_Threads", "mkl_get_max_threads"])
            set_ = _symbol(lib, ["MKL_Set_Num_Threads", "mkl_set_num_threads"])
            name = "MKL"
        if get is not None and set_ is not None:
            get.restype, set_.argtypes = ctypes.c_int, [ctypes.c_int]
            return name, get, set_
    return False


def blas_library():
    """The name of the BLAS whose threads :func:`set_num_threads` controls, or None."""
    global _blas
    if _blas is None:
        _blas = _find_blas()
    return _blas[0] if _blas else None


def _positive_int(n, where):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError(f"{where}: expects a positive integer, received {n!r}")
    return n


def set_num_threads(int):
    """Set the number of threads of deepgrad's intra-op pool (PyTorch's name and argument).

    The pool splits the heavy ops (GEMMs included) over ``int`` threads; NumPy's BLAS is
    set to one thread so that its own threads never compete with the pool (see the module
    docstring). Without a known BLAS a warning says that its threads cannot be set from
    inside the process (set ``OMP_NUM_THREADS=1`` before starting Python).

    Args:
        int (int): the number of threads, >= 1.
    """
    global _requested
    n = _positive_int(int, "set_num_threads")
    _requested = n
    blas_library()
    if _blas:
        _blas[2](1)
        return
    warn_once("set_num_threads: no known BLAS library (OpenBLAS, MKL, BLIS) was found among "
              "the loaded libraries, so NumPy's BLAS threads cannot be set to one from "
              "inside the process; set OMP_NUM_THREADS=1 before starting Python")


def init_num_threads():
    """Apply the thread setting again: the BLAS back to one thread if something else
    changed it (PyTorch calls this when a thread starts; BLAS thread counts are
    process-wide)."""
    if blas_library() is not None:
        _blas[2](1)


def get_num_threads():
    """The threads of deepgrad's intra-op pool (see :func:`set_num_threads`).

    Before any ``set_num_threads``, the first call takes the BLAS's thread count (its
    default: the cores, or ``OMP_NUM_THREADS``; without a known BLAS the number of CPUs)
    and sets the BLAS to one thread.
    """
    global _requested
    if _requested is None:
        blas_library()
        _requested = int(_blas[1]()) if _blas else (os.cpu_count() or 1)
        if _blas:
            _blas[2](1)
    return _requested


def set_num_interop_threads(int):
    """Record the size of the inter-op pool. deepgrad has none -- it runs one op after
    another in the calling thread -- so a value other than 1 changes nothing, and a
    warning says so."""
    global _interop_threads
    _interop_threads = _positive_int(int, "set_num_interop_threads")
    if _interop_threads != 1:
        warn_once("set_num_interop_threads: deepgrad runs its ops one after another in the "
                  "calling thread (no inter-op thread pool); use set_num_threads for the "
                  "BLAS threads inside each op")


def get_num_interop_threads():
    """1 unless set: deepgrad runs ops one at a time (see :func:`set_num_interop_threads`)."""
    return _interop_threads


# ------------------------------------------------------------------------------ determinism
_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms only (PyTorch raises, or warns when ``warn_only``,
    for an op without one). Every deepgrad op is deterministic -- the same inputs, seed and
    thread count give the same bits -- so none ever raises or warns; the flags are kept
    for :func:`are_deterministic_algorithms_enabled` and friends."""
    if not isinstance(mode, bool) or not isinstance(warn_only, bool):
        raise TypeError(f"use_deterministic_algorithms: mode and warn_only must be bools, "
                        f"received {mode!r}, {warn_only!r}")
    _deterministic.update(mode=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled():
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic["warn_only"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """0/"default": off; 1/"warn": deterministic, warn only; 2/"error": deterministic."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"set_deterministic_debug_mode: invalid mode {debug_mode!r}, "
                               f"expected one of {list(_DEBUG_MODES)} or 0, 1, 2")
        debug_mode = _DEBUG_MODES[debug_mode]
    if isinstance(debug_mode, bool) or debug_mode not in (0, 1, 2):
        raise RuntimeError(f"set_deterministic_debug_mode: invalid mode {debug_mode!r}, "
                           f"expected 0, 1, 2 or 'default', 'warn', 'error'")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not _deterministic["mode"]:
        return 0
    return 1 if _deterministic["warn_only"] else 2


# ------------------------------------------------------------------------------ precision
_matmul_precision = "highest"


def set_float32_matmul_precision(precision):
    """"highest", "high" or "medium": how much internal precision float32 matmuls may
    trade for speed. deepgrad always computes them in full float32 ("highest"), which
    every setting allows; the value is kept for :func:`get_float32_matmul_precision`."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: invalid precision {precision!r}, "
                           f"expected 'highest', 'high' or 'medium'")
    _matmul_precision = precision


def get_float32_matmul_precision():
    return _matmul_precision


def set_flush_denormal(mode):
    """Flush subnormal floats to zero (x86 FTZ + DAZ, ARM64 FZ) in the calling thread,
    where NumPy's elementwise ops run. Returns True when the CPU setting was changed, False
    where it is not supported here (not x86-64/ARM64 Linux with glibc), as PyTorch returns
    False on CPUs without it."""
    if not isinstance(mode, bool):
        raise TypeError(f"set_flush_denormal: mode must be a bool, received {mode!r}")
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import platform
    machine = platform.machine().lower()
    try:
        libm = ctypes.CDLL("libm.so.6")
        fegetenv, fesetenv = libm.fegetenv, libm.fesetenv
    except (OSError, AttributeError):
        return False
    if machine in ("x86_64", "amd64"):
        offset, bits = 28, 0x8040                  # MXCSR in fenv_t; FTZ (bit 15) + DAZ (6)
    elif machine in ("aarch64", "arm64"):
        offset, bits = 0, 1 << 24                  # FPCR in fenv_t; FZ (bit 24)
    else:
        return False
    env = (ctypes.c_uint8 * 64)()
    if fegetenv(env) != 0:
        return False
    word = ctypes.c_uint32.from_buffer(env, offset)
    word.value = (word.value | bits) if mode else (word.value & ~bits)
    return fesetenv(env) == 0


# ------------------------------------------------------------------------------ warnings
_warn_always = False
_warned = set()


def set_warn_always(b):
    """When True, deepgrad's warn-once warnings (:func:`warn_once`) are issued every time."""
    global _warn_always
    if not isinstance(b, bool):
        raise TypeError(f"set_warn_always: expected a bool, received {b!r}")
    _warn_always = b


def is_warn_always_enabled():
    return _warn_always


def warn_once(message, category=UserWarning, stacklevel=3):
    """Issue ``message`` the first time only, or every time under ``set_warn_always(True)``."""
    if _warn_always or message not in _warned:
        _warned.add(message)
        warnings.warn(message, category, stacklevel=stacklevel)


# ------------------------------------------------------------------------------ printing
_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}
print_options = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """How tensors print, as ``torch.set_printoptions``.

    Args:
        precision (int): digits after the point (default 4).
        threshold (int): more elements than this are summarised with ``...`` (1000).
        edgeitems (int): items shown at each end of a summarised dim (3).
        linewidth (int): characters per line (80).
        profile (str): "default", "short" or "full" (no summarising); the other arguments
            then override it.
        sci_mode (bool): True always scientific notation, False never, None automatic.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {list(_PROFILES)}, "
                             f"received {profile!r}")
        print_options.update(_PROFILES[profile], sci_mode=None)
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"set_printoptions: {name} must be a non-negative number, "
                                 f"received {value!r}")
            print_options[name] = value
    if sci_mode is not None and not isinstance(sci_mode, bool):
        raise TypeError(f"set_printoptions: sci_mode must be a bool or None, received {sci_mode!r}")
    if sci_mode is not None or profile is not None:
        print_options["sci_mode"] = sci_mode


def array_to_string(array, prefix):
    """``array`` formatted with the print options (used by ``Tensor.__repr__``)."""
    import numpy as np
    o = print_options
    kwargs = dict(separator=", ", prefix=prefix, precision=int(o["precision"]),
                  threshold=sys.maxsize if o["threshold"] == math.inf else int(o["threshold"]),
                  edgeitems=int(o["edgeitems"]), max_line_width=int(o["linewidth"]))
    if o["sci_mode"] is True and array.dtype.kind == "f":
        p = int(o["precision"])
        kwargs["formatter"] = {"float_kind": lambda x: f"{x:.{p}e}"}
    elif o["sci_mode"] is False:
        kwargs["suppress_small"] = True
    if array.dtype.kind == "f" and "formatter" not in kwargs:
        # PyTorch prints whole numbers as "1., 2." and anything else with exactly
        # `precision` decimals ("0.5000, 0.7311"), not NumPy's trimmed "0.5   "
        finite = array[np.isfinite(array)]
        if finite.size and not np.all(finite == np.round(finite)):
            kwargs["floatmode"] = "fixed"
    return np.array2string(array, **kwargs)
