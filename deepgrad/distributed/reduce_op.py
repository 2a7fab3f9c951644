"""``ReduceOp``: how a collective combines the ranks' values (``torch.distributed``'s).

For values ``x_0 ... x_{N-1}`` held by the N ranks, elementwise:

    SUM      sum_r x_r                 AVG      (1/N) sum_r x_r   (floating point only)
    PRODUCT  prod_r x_r                MIN/MAX  min_r x_r / max_r x_r
    BAND/BOR/BXOR  bitwise and / or / xor (integers and bool)

On bool tensors SUM and MAX are a logical or, PRODUCT and MIN a logical and.
"""
import enum


class RedOpType(enum.IntEnum):
    """The reduction operations, with PyTorch's numbering."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9


class ReduceOp:
    """``ReduceOp.SUM``, ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``, ``BAND``, ``BOR``, ``BXOR``
    (``RedOpType`` members, as ``torch.distributed.ReduceOp``'s)."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED


def op_name(op, where):
    """The name of ReduceOp ``op`` ("SUM", ...).

    Raises:
        ValueError: not a ReduceOp, or PREMUL_SUM/UNUSED (NCCL-only in PyTorch).
    """
    if isinstance(op, str) and op.upper() in RedOpType.__members__:
        op = RedOpType[op.upper()]
    if not isinstance(op, RedOpType):
        raise ValueError(f"{where}: op must be a ReduceOp (ReduceOp.SUM, AVG, PRODUCT, MIN, "
                         f"MAX, BAND, BOR, BXOR), received {op!r}")
    if op in (RedOpType.PREMUL_SUM, RedOpType.UNUSED):
        raise ValueError(f"{where}: ReduceOp.{op.name} is not supported on MPI (PyTorch has it "
                         f"for NCCL only); use SUM and scale the tensor")
    return op.name
