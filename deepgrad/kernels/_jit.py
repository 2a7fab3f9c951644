"""The numba decorators every kernel module uses (imported only by kernel modules).

``jit``: numba's ``njit`` with deepgrad's options, for a kernel's helpers.

* ``cache=True``: compiled once per dtype and machine, then loaded from disk.
* ``nogil=True``: deepgrad's pool threads run kernels side by side.
* ``error_model="numpy"``: division by zero gives inf/NaN as NumPy does, no exception.
* No ``fastmath``: NaN and infinities and the order of operations stay IEEE's.

``kernel(*signatures)``: the same ``jit``, for a function an op calls, plus the argument
types the ahead-of-time build (:mod:`deepgrad.kernels.build`) compiles it for. Each
signature is numba's type notation with ``F`` for the float dtype, written once and built
for float32 and float64 (``floats=`` narrows that): ``"F[:, ::1], F[:, ::1], int64"`` is
two C-contiguous 2-D arrays and an integer; ``F[:, :, :]`` (no ``::1``) takes any strides.
The JIT path ignores the signatures and compiles what it is called with, as before.
"""
import numba

from deepgrad import kernels

jit = numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)

#: The same options, for the ahead-of-time build's compiler flags.
OPTIONS = dict(release_gil=True, error_model="numpy", boundscheck=False)

#: "module.name" -> (signature strings with F, float dtype names): what the build exports.
EXPORTS = {}

FLOATS = tuple(d.name for d in kernels.FLOATS)      # ("float32", "float64")


def kernel(*signatures, floats=FLOATS):
    """Decorator: ``jit`` the function and record its ahead-of-time ``signatures``."""
    def wrap(fn):
        module = fn.__module__.rsplit(".", 1)[-1]
        EXPORTS[f"{module}.{fn.__name__}"] = (signatures, tuple(floats))
        return jit(fn)
    return wrap
