"""``Variable``: PyTorch's deprecated pre-0.4 wrapper, kept so old code runs.

Since PyTorch 0.4 a Variable *is* a tensor: ``Variable(t)`` returns a new tensor that
shares ``t``'s data, detached from the graph, with ``requires_grad`` as given, and
``isinstance(x, Variable)`` holds for every tensor. deepgrad does the same, with the same
small metaclass PyTorch uses (``__instancecheck__``) plus a ``__call__`` that builds the
tensor.
"""
import warnings

import numpy as np

from deepgrad.autograd.tensor import Tensor

__all__ = ["VariableMeta", "Variable"]


class VariableMeta(type):
    """Makes ``Variable`` a stand-in for ``Tensor``: calls build one, isinstance checks one."""

    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)

    def __call__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", stacklevel=2)
        if data is None:
            data = Tensor(np.empty(0, dtype=np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}")
        return Tensor._wrap(data.array).requires_grad_(bool(requires_grad))


class Variable(metaclass=VariableMeta):
    """Deprecated: ``Variable(tensor, requires_grad=False)`` returns a detached tensor
    sharing ``tensor``'s data, with ``requires_grad`` set; use tensors directly instead.

    Args:
        data (Tensor, optional): the data (default: an empty float32 tensor).
        requires_grad (bool): whether the new tensor requires grad.
        volatile (bool): removed in PyTorch 0.4; has no effect there either (a warning says
            to use ``no_grad``).
    """
