"""Tensor methods for pointwise math, special functions, comparisons, logical and bitwise
ops, scans, sorting/search and their in-place ``*_`` variants.

Each method is a one-line call into :mod:`deepgrad.ops`, where the op's forward and
backward live side by side.
"""

from deepgrad.ops import activation as _act, activation_piecewise as _apw


class TensorPointwise:
    __slots__ = ()

    # activations with a Tensor method (deepgrad/ops/activation*.py)
    relu_, hardshrink, prelu = _act.relu_, _apw.hardshrink, _apw.prelu
