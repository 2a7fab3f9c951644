"""``keras.ops.numpy``: the NumPy-style names of ``keras.ops`` in one namespace.

The functions live in three files by kind: :mod:`.numpy_math` (elementwise, comparisons,
bitwise), :mod:`.numpy_reduce` (reductions, scans, sorting, statistics),
:mod:`.numpy_shape` (shapes, joins, indexing) and :mod:`.numpy_array` (creation,
windows, products). The core names Keras also lists here (``get_item``, ``size``,
``ndim``, ...) come from :mod:`.core`.
"""
from deepgrad.keras.ops.core import get_item, ndim, size  # noqa: F401
from deepgrad.keras.ops.linalg import slogdet  # noqa: F401
from deepgrad.keras.ops.numpy_array import *  # noqa: F401,F403
from deepgrad.keras.ops.numpy_math import *  # noqa: F401,F403
from deepgrad.keras.ops.numpy_reduce import *  # noqa: F401,F403
from deepgrad.keras.ops.numpy_shape import *  # noqa: F401,F403
from deepgrad.keras.ops import numpy_array, numpy_math, numpy_reduce, numpy_shape  # noqa: E402

__all__ = sorted(set(numpy_array.__all__) | set(numpy_math.__all__) | set(numpy_reduce.__all__)
                 | set(numpy_shape.__all__) | {"get_item", "ndim", "size", "slogdet"})
