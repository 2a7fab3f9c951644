"""A C GEMM called by its address from inside a compiled kernel (numba-side of blas.py).

:func:`gemm64` and :func:`gemm32` call the ``cblas_?gemm`` at ``addr`` (an integer, from
:func:`deepgrad.kernels.blas.gemm_address`) with 64-bit or 32-bit integer arguments:

    gemm64(addr, order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

``a``, ``b``, ``c`` are addresses (``X.ctypes.data`` plus an offset); ``alpha`` and ``beta``
have the GEMM's float type (float32: sgemm, float64: dgemm). The call is C: no GIL, no
Python. An address rather than a ctypes function object keeps a kernel's arguments plain
integers and arrays, which the ahead-of-time build (:mod:`deepgrad.kernels.build`) can
compile and a process can call without importing numba.
"""
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

#: Per argument after ``addr``: "e" an enum (C int), "i" an integer of the BLAS's width,
#: "r" the float type, "p" an address.
#: (order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
_KINDS = "eeeiiirpipirpi"


def _caller(bits):
    @intrinsic
    def call(typingctx, addr, order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        sig = types.void(addr, order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

        def codegen(context, builder, signature, args):
            real_t = signature.args[7]
            real = context.get_value_type(real_t)
            ptr = ir.IntType(8).as_pointer()
            width = {"e": ir.IntType(32), "i": ir.IntType(bits), "r": real, "p": ptr}
            fnty = ir.FunctionType(ir.VoidType(), [width[c] for c in _KINDS])
            fn = builder.inttoptr(context.cast(builder, args[0], signature.args[0],
                                               types.intp), fnty.as_pointer())
            values = []
            for kind, val, ty in zip(_KINDS, args[1:], signature.args[1:]):
                if kind == "r":
                    values.append(context.cast(builder, val, ty, real_t))
                elif kind == "p":
                    values.append(builder.inttoptr(
                        context.cast(builder, val, ty, types.intp), ptr))
                else:
                    target = types.int32 if kind == "e" or bits == 32 else types.int64
                    values.append(context.cast(builder, val, ty, target))
            builder.call(fn, values)
            return context.get_dummy_value()
        return sig, codegen
    return call


gemm64 = _caller(64)
gemm32 = _caller(32)
