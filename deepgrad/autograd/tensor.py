"""``Tensor``: an ndarray plus what reverse-mode autodiff needs (grad, requires_grad, node).

The array itself is ``t.array`` (a NumPy array; Chainer's name); ``t.data`` is, as in
PyTorch, a tensor sharing that array but detached from the graph. Arithmetic, reductions
and shape methods are thin calls into :mod:`deepgrad.ops`, where each op's forward and
backward live side by side.
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd import engine, function
from deepgrad.autograd.grad_mode import state as _grad_state
from deepgrad.autograd.tensor_math import TensorMath
from deepgrad.autograd.tensor_pointwise import TensorPointwise
from deepgrad.autograd.tensor_indexing import TensorIndexing
from deepgrad.autograd.tensor_autograd import TensorAutograd
from deepgrad.autograd.tensor_attributes import TensorAttributes
from deepgrad.autograd.tensor_random import TensorRandom
from deepgrad.autograd.version_counter import bump, rebound, version_of

_FLOAT_KINDS = "fc"


def infer_array(data, dtype=None):
    """Convert ``data`` to an ndarray with PyTorch's dtype rules.

    Python floats and lists of them become float32 (the default float), Python ints
    become int64, bools stay bool; a NumPy array keeps its dtype; ``dtype`` overrides.
    """
    if isinstance(data, Tensor):
        data = data.array
    if dtype is not None:
        return np.asarray(data, dtype=np.dtype(dtype))
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    try:
        arr = np.asarray(data)
    except ValueError as e:
        ragged = describe_ragged(data)
        if ragged is None:
            raise
        raise ValueError(f"Tensor: {ragged}; nested lists must be rectangular (lists of "
                         f"equal lengths at each depth)") from e
    if arr.dtype.kind == "f":
        return arr.astype(backend.default_float, copy=False)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "b":
        return arr
    raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} "
                    f"(NumPy made dtype {arr.dtype}); expected numbers, lists of numbers or arrays")


def describe_ragged(data):
    """Where nested lists stop being rectangular, in PyTorch's words ("expected sequence
    of length 2 at dim 1 (got 1)"), or None if they are rectangular."""
    items, dim = [data], 0
    while True:
        is_seq = [isinstance(x, (list, tuple)) for x in items]
        if not any(is_seq):
            return None
        if not all(is_seq):
            odd = items[is_seq.index(False)]
            return (f"expected a sequence at dim {dim} (got {type(odd).__name__} {odd!r} "
                    f"beside sequences)")
        n = len(items[0])
        for x in items:
            if len(x) != n:
                return f"expected sequence of length {n} at dim {dim} (got {len(x)})"
        items, dim = [y for x in items for y in x], dim + 1


def _legacy_sizes(data, dtype, requires_grad, more):
    """(zeros of the sizes, None, requires_grad) for ``Tensor(2, 3, ...)``/``Tensor()``."""
    sizes = () if data is None else (data, dtype)
    if type(requires_grad) is int:
        sizes, requires_grad = sizes + (requires_grad,) + more, False
    elif more:
        raise TypeError(f"Tensor: sizes must all be ints, received "
                        f"{(data, dtype, requires_grad) + more}")
    if not all(type(s) is int and s >= 0 for s in sizes):
        raise TypeError(f"Tensor: expected data, or sizes as non-negative ints, received "
                        f"{sizes}")
    return np.zeros(sizes if sizes else (0,), backend.default_float), None, requires_grad


class Tensor(TensorAttributes, TensorRandom, TensorMath, TensorPointwise, TensorIndexing,
             TensorAutograd):
    """An n-dimensional array that records the ops applied to it, for ``backward``.

    Args:
        data: array-like (list, scalar, ndarray or Tensor).
        dtype: NumPy/deepgrad dtype; default float32 for floats, int64 for ints.
        requires_grad (bool): track operations for gradient computation.

    PyTorch's legacy size form also works: ``Tensor(2, 3)`` (two or more ints) is a
    2x3 tensor of the default float dtype -- zeros, where PyTorch leaves it uninitialised
    -- and ``Tensor()`` an empty one; a single int is data (a 0-d tensor), as always.

    Example:
        >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad            # d(sum x^2)/dx = 2x
        tensor([2., 4., 6.])
    """

    __slots__ = ("array", "grad", "requires_grad", "_ctx", "__weakref__",
                 "_meta", "_inference",     # the last two are set only when used
                 "_keras_logits")           # set by keras softmax/sigmoid: their logits
    __array_priority__ = 1000   # ndarray (op) Tensor defers to Tensor's reflected op

    def __init__(self, data=None, dtype=None, requires_grad=False, *more_sizes):
        if type(dtype) is int or data is None:      # PyTorch's legacy Tensor(2, 3), Tensor()
            data, dtype, requires_grad = _legacy_sizes(data, dtype, requires_grad, more_sizes)
        self.array = infer_array(data, dtype)
        self.grad = None
        self._ctx = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)
        if _grad_state.inference:
            self._inference = True

    @classmethod
    def _wrap(cls, array):
        """Fast constructor for an op's output that records no graph."""
        t = cls.__new__(cls)
        t.array, t.grad, t.requires_grad, t._ctx = array, None, False, None
        return t

    @classmethod
    def _from_op(cls, array, fn):
        """Fast constructor for an op's output that is a node of the graph."""
        t = cls.__new__(cls)
        t.array, t.grad, t.requires_grad, t._ctx = array, None, True, fn
        return t

    # ------------------------------------------------------------------ attributes
    shape = property(lambda self: self.array.shape)
    dtype = property(lambda self: self.array.dtype)
    ndim = property(lambda self: self.array.ndim)
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)
    _version = property(lambda self: version_of(self.array),
                        doc="In-place writes into this tensor's memory (shared with its views).")
    T = property(lambda self: self.permute(*range(self.ndim - 1, -1, -1)))
    mT = property(lambda self: self.transpose(-2, -1))

    def size(self, dim=None):
        return self.array.shape if dim is None else self.array.shape[dim]

    def dim(self):
        return self.array.ndim

    def numel(self):
        return self.array.size

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    @property
    def data(self):
        """A tensor sharing this tensor's array, detached from the graph (PyTorch's ``.data``)."""
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value):
        self.array = value.array if isinstance(value, Tensor) else np.asarray(value)
        rebound()

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.array.dtype.kind not in _FLOAT_KINDS:
            raise RuntimeError(f"requires_grad: only floating point tensors can require "
                               f"gradients, this one has dtype {self.array.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        self.requires_grad = bool(requires_grad)
        return self

    # ------------------------------------------------------------------ autodiff
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad, into ``leaf.grad``.

        Args:
            gradient: dL/d(self); may be omitted only when ``self`` has a single element.
            retain_graph (bool): keep the graph so that backward can be called again.
            create_graph (bool): not supported (see :func:`deepgrad.autograd.backward`).
            inputs (Tensor or sequence): accumulate only into these tensors' ``.grad``.
        """
        if inputs is not None or create_graph:
            from deepgrad.autograd.gradients import backward
            return backward(self, gradient, retain_graph, create_graph, inputs=inputs)
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no "
                               "grad_fn (was it computed under no_grad, or from tensors "
                               "without requires_grad=True?)")
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for "
                                   f"scalar outputs; this tensor has shape {self.shape}. "
                                   f"Pass gradient= of that shape.")
            g = np.ones(self.array.shape, dtype=self.array.dtype)
        else:
            g = np.array(gradient.array if isinstance(gradient, Tensor) else gradient,
                         dtype=self.array.dtype)
            if g.shape != self.array.shape:
                raise RuntimeError(f"backward: gradient has shape {g.shape}, expected "
                                   f"the tensor's shape {self.shape}")
        engine.backward(self, g, retain_graph=bool(retain_graph))

    def detach(self):
        return Tensor._wrap(self.array)

    def zero_(self):
        self._check_inplace("zero_")
        self.array[...] = 0
        bump(self.array)
        return self

    def fill_(self, value):
        self._check_inplace("fill_")
        self.array[...] = value
        bump(self.array)
        return self

    def copy_(self, src):
        self._check_inplace("copy_")
        self.array[...] = src.array if isinstance(src, Tensor) else src
        bump(self.array)
        return self

    # ------------------------------------------------------------------ conversion
    def numpy(self):
        return self.array

    def item(self):
        if self.array.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python "
                             f"scalar, this one has shape {self.shape}")
        return self.array.item()

    def tolist(self):
        return self.array.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)

    def __format__(self, spec):
        """``f"{loss:.4f}"`` formats a one-element tensor like its number."""
        if spec and self.array.size == 1:
            return format(self.array.item(), spec)
        return format(repr(self), spec)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"Boolean value of a tensor with {self.array.size} elements is ambiguous")
        return bool(self.array)

    def __index__(self):
        return self.array.__index__()

    __hash__ = object.__hash__          # identity, as PyTorch (``==`` is elementwise)

    def __repr__(self):
        from deepgrad.runtime import array_to_string     # deepgrad.set_printoptions
        body = array_to_string(self.array, "tensor(")
        extra = ""
        if self.array.dtype not in (backend.default_float, np.int64, np.bool_):
            extra += f", dtype={self.array.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name()}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ------------------------------------------------------------------ in-place
    def _check_inplace(self, name):
        if self.requires_grad and _grad_state.enabled:
            raise RuntimeError(f"{name}: a tensor that requires grad is used in an in-place "
                               f"operation while the graph is being recorded; wrap the update "
                               f"in `with deepgrad.no_grad():` or use .data")

    def _inplace(self, name, other, ufunc):
        self._check_inplace(name)
        try:
            ufunc(self.array, other.array if isinstance(other, Tensor) else other,
                  out=self.array, casting="same_kind")
        except ValueError as e:
            value = np.asarray(other.array if isinstance(other, Tensor) else other)
            err = function.broadcast_error((self.array, value), e, name)
            if err is None and "broadcast" in str(e):
                err = function.BroadcastError(
                    f"{name}: output with shape {list(self.shape)} doesn't match the "
                    f"broadcast shape {list(np.broadcast_shapes(self.shape, value.shape))}")
            if err is None:
                raise
            raise err from None
        bump(self.array)
        return self

    def __iadd__(self, other):
        return self._inplace("+=", other, np.add)

    def __isub__(self, other):
        return self._inplace("-=", other, np.subtract)

    def __imul__(self, other):
        return self._inplace("*=", other, np.multiply)

    def __itruediv__(self, other):
        return self._inplace("/=", other, np.true_divide)

    def add_(self, other, alpha=1):
        return self._inplace("add_", other if alpha == 1 else other * alpha, np.add)

    def sub_(self, other, alpha=1):
        return self._inplace("sub_", other if alpha == 1 else other * alpha, np.subtract)

    def mul_(self, other):
        return self._inplace("mul_", other, np.multiply)

    def div_(self, other):
        return self._inplace("div_", other, np.true_divide)

    def clamp_(self, min=None, max=None):
        self._check_inplace("clamp_")
        np.clip(self.array, min, max, out=self.array)
        bump(self.array)
        return self

    # __setitem__ lives in TensorIndexing (tensor_indexing.py), with the indexing ops


function._Tensor = Tensor



def is_tensor(x):
    return isinstance(x, Tensor)
