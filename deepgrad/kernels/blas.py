"""NumPy's own BLAS GEMM as a C function that compiled kernels can call without the GIL.

A kernel that runs a whole recurrence (:mod:`deepgrad.kernels.lstm_loop`) makes one small
GEMM per time step. Called through ``np.matmul`` each would need the GIL, so two threads
running two halves of a batch would take turns; called from inside the kernel, they run
side by side. This module finds ``cblas_sgemm``/``cblas_dgemm`` in the BLAS library that
NumPy itself loaded (its bundled OpenBLAS in the PyPI wheels, ``scipy_cblas_sgemm64_``
with 64-bit integers; a system CBLAS otherwise), so a kernel's products are the ones
``np.matmul`` computes for the same operands. A kernel calls the
function by its address (:mod:`deepgrad.kernels._gemm`), as C.

``gemm(dtype)`` returns the ctypes function, or None when no known symbol is found (the
op then keeps its NumPy loop); ``gemm_address(dtype)`` returns what a kernel takes, the
function's address and whether its integers are 64-bit. Argument order, row-major:
``gemm(101, 111, 111, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc)``
(``CblasRowMajor``, ``CblasNoTrans`` twice; ``a``, ``b``, ``c`` addresses).
"""
import ctypes

import numpy as np

from deepgrad import runtime

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112

#: (symbol prefix, suffix, integer type): 64-bit first (NumPy's wheels), then LP64.
_SYMBOLS = (("scipy_cblas_", "64_", ctypes.c_int64), ("cblas_", "64_", ctypes.c_int64),
            ("cblas_", "_64", ctypes.c_int64), ("cblas_", "", ctypes.c_int))
_found = {}


def _library():
    """NumPy's BLAS as a ctypes library, or None."""
    for path in runtime._loaded_libraries():
        base = path.rsplit("/", 1)[-1].lower()
        if any(k in base for k in ("openblas", "mkl_rt", "blis", "cblas")):
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


def gemm(dtype):
    """``cblas_sgemm`` (float32) or ``cblas_dgemm`` (float64) of NumPy's BLAS, typed for
    ctypes, or None."""
    dtype = np.dtype(dtype)
    if dtype not in _found:
        _found[dtype] = _lookup(dtype)
    return _found[dtype]


def gemm_address(dtype):
    """(address, ilp64) of :func:`gemm`'s function for a compiled kernel, or None."""
    fn = gemm(dtype)
    if fn is None:
        return None
    return ctypes.cast(fn, ctypes.c_void_p).value, fn.argtypes[3] is ctypes.c_int64


def _lookup(dtype):
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        return None
    lib = _library()
    if lib is None:
        return None
    letter, real = ("s", ctypes.c_float) if dtype == np.float32 else ("d", ctypes.c_double)
    for prefix, suffix, integer in _SYMBOLS:
        fn = getattr(lib, f"{prefix}{letter}gemm{suffix}", None)
        if fn is None:
            continue
        ptr = ctypes.c_void_p
        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer, integer,
                       real, ptr, integer, ptr, integer, real, ptr, integer]
        fn.restype = None
        return fn
    return None
