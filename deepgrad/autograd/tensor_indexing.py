"""Tensor methods for indexing (gather/scatter/index_*/masked_*), shape manipulation
beyond the basics, and linear algebra.

Each method is a one-line call into :mod:`deepgrad.ops`, where the op's forward and
backward live side by side.
"""


class TensorIndexing:
    __slots__ = ()
