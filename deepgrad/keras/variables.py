"""``Variable``: a layer's weight as Keras 3 code sees it (``keras.Variable``).

A Variable is a :class:`deepgrad.nn.Parameter` (so every op, optimizer and ``backward``
treats it as one) that also carries what Keras attaches to a weight: its ``name``
(``"kernel"``), ``path`` (``"dense/kernel"``), the ``regularizer`` whose penalty joins
``layer.losses``, and the ``constraint`` the optimizer applies after each update.

Keras 3's torch-backend idioms work unchanged::

    v.value.grad                 # the gradient after loss.backward() (v.value is v)
    v.assign(v - 0.1 * g)        # in-place updates: assign / assign_add / assign_sub
    v.trainable, v.numpy(), v.shape, v.dtype

``trainable`` is ``requires_grad``: freezing a layer (``layer.trainable = False``) turns
off its trainable variables, as Keras's torch backend does.
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.parameter import Parameter


class Variable(Parameter):
    """A named, trainable-or-not weight with an optional regularizer and constraint.

    Args:
        data (array-like or Tensor): the initial value (a Tensor is shared, not copied).
        requires_grad (bool): whether it is trainable. Default True.
        name (str): short name (``"kernel"``).
        path (str): ``"<layer name>/<name>"``; defaults to ``name``.
        regularizer: callable ``w -> scalar Tensor`` or None.
        constraint: callable ``w -> w'`` applied after each optimizer update, or None.
    """

    __slots__ = ("name", "path", "regularizer", "constraint")

    def __init__(self, data=None, requires_grad=True, name=None, path=None, regularizer=None,
                 constraint=None):
        super().__init__(data, requires_grad=requires_grad)
        self.name = name or "variable"
        self.path = path or self.name
        self.regularizer, self.constraint = regularizer, constraint

    @property
    def value(self):
        """The tensor holding the value: the Variable itself (``v.value.grad`` is its
        gradient, as on Keras's torch backend)."""
        return self

    @property
    def trainable(self):
        return self.requires_grad

    @trainable.setter
    def trainable(self, value):
        self.requires_grad = bool(value)

    def assign(self, value):
        """Write ``value`` (broadcast to this shape, cast to this dtype) in place."""
        self.array[...] = _array(value)
        return self

    def assign_add(self, value):
        self.array += _array(value)
        return self

    def assign_sub(self, value):
        self.array -= _array(value)
        return self

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={tuple(self.array.shape)}, "
                f"dtype={self.array.dtype.name}, value={np.array2string(self.array, threshold=6)}>")

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Variable(Tensor._wrap(self.array.copy(order="K")), self.requires_grad,
                       self.name, self.path, self.regularizer, self.constraint)
        if self.grad is not None:                       # (order "K": a Dense kernel's)
            out.grad = Tensor._wrap(self.grad.array.copy(order="K"))
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (_rebuild_variable, (self.array, self.requires_grad, self.name, self.path,
                                    self.regularizer, self.constraint))


def _rebuild_variable(array, requires_grad, name, path, regularizer, constraint):
    return Variable(Tensor._wrap(array), requires_grad, name, path, regularizer, constraint)


def _array(value):
    return value.array if isinstance(value, Tensor) else np.asarray(value)
