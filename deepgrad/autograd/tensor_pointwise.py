"""Tensor methods for pointwise math, special functions, comparisons, logical and bitwise
ops, scans, sorting/search and their in-place ``*_`` variants.

Each method is a one-line call into :mod:`deepgrad.ops`, where the op's forward and
backward live side by side.
"""


class TensorPointwise:
    __slots__ = ()
