"""The one numba decorator every kernel module uses (imported only by kernel modules).

``cache=True``: compiled once per dtype and machine, then loaded from disk.
``nogil=True``: deepgrad's pool threads run kernels side by side.
``error_model="numpy"``: division by zero gives inf/NaN as NumPy does, no exception.
No ``fastmath``: NaN and infinities and the order of operations stay IEEE's.
"""
import numba

jit = numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)
