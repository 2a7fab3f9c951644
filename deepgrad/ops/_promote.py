"""PyTorch's dtype promotion for the pointwise families, and the one way results are
written back in place (``x.sin_()``, ``deepgrad.exp_(x)``).

Promotion, as PyTorch's ``TensorIterator`` does it:

* a floating op (``sin``, ``erf``, ``true_divide``...) turns an integer or bool tensor into
  the default float dtype (float32 unless ``set_default_dtype`` changed it);
* two operands follow :func:`deepgrad.ops._util.operands` (a float tensor meeting an int
  tensor takes the float dtype; float32 with float64 is an error, never a silent upcast);
* comparisons, logical and ``is*`` ops return bool.
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.autograd.grad_mode import no_grad, state as grad_state
from deepgrad.autograd.version_counter import bump
from deepgrad.ops._util import operands


def as_float(x):
    """``x`` as a tensor; an integer or bool tensor becomes the default float dtype."""
    x = to_tensor(x)
    if x.array.dtype.kind in "biu":
        return _fn._Tensor._wrap(x.array.astype(backend.default_float))
    return x


def float_operands(name, a, b):
    """Two operands promoted together, then made floating (``atan2(int, int)`` is float32)."""
    a, b = operands(name, a, b)
    return as_float(a), as_float(b)


def check_kind(name, x, kinds, expected):
    """Refuse a dtype whose kind (NumPy's ``b i u f``) is not in ``kinds``."""
    if x.array.dtype.kind not in kinds:
        raise TypeError(f"{name}: expected {expected}, received a tensor of dtype {x.dtype}")


def check_float(name, x):
    check_kind(name, x, "f", "a floating point tensor")


def wrap(array):
    """A result that records no graph (bool masks, indices, integer results)."""
    return _fn._Tensor._wrap(np.asarray(array))


def write_inplace(name, target, fn, *args, **kwargs):
    """``target = fn(target, *args, **kwargs)``, written into ``target``'s own array.

    As PyTorch: the result must have ``target``'s shape (``target`` is never broadcast)
    and must cast to ``target``'s dtype under the same-kind rule (an int tensor cannot
    hold ``sin``); a tensor that requires grad is refused while a graph is recorded
    (:meth:`Tensor._check_inplace`). Every check runs before anything is written.

    When ``target`` is a constant but an argument requires grad (``buf.add_(w)``), the
    op is recorded as PyTorch records it: ``target`` takes the op's node as its
    ``grad_fn`` (its old values, copied, are the node's constant input), so gradients
    reach the arguments.
    """
    T = _fn._Tensor
    if not isinstance(target, T):
        raise TypeError(f"{name}: expected a Tensor to modify in place, received "
                        f"{type(target).__name__}")
    target._check_inplace(name)
    record = grad_state.enabled and any(
        isinstance(a, T) and a.requires_grad for a in args + tuple(kwargs.values()))
    if record:
        out = fn(T._wrap(target.array.copy()), *args, **kwargs)
    else:
        with no_grad():
            out = fn(target, *args, **kwargs)
    result = out.array if isinstance(out, T) else np.asarray(out)
    if result.shape != target.array.shape:
        raise RuntimeError(f"{name}: output with shape {tuple(target.shape)} doesn't match "
                           f"the broadcast shape {tuple(result.shape)}")
    if not np.can_cast(result.dtype, target.array.dtype, casting="same_kind"):
        raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the desired "
                           f"output type {target.dtype}")
    recorded = record and isinstance(out, T) and out.requires_grad
    if recorded and result.dtype != target.array.dtype:
        raise RuntimeError(f"{name}: the result (dtype {result.dtype}) needs a gradient but "
                           f"cannot be recorded into a {target.dtype} tensor; use the "
                           f"out-of-place op")
    target.array[...] = result
    bump(target.array)
    if recorded:
        target._ctx, target.requires_grad = out._ctx, True
    return target


def inplace(fn, name):
    """The in-place variant ``name`` of ``fn``: ``inplace(sin, "sin_")(x)`` is ``x.sin_()``.

    The returned function serves both as ``deepgrad.sin_`` and as the method
    ``Tensor.sin_`` (its first argument is the tensor modified)."""
    def op(input, *args, **kwargs):
        return write_inplace(name, input, fn, *args, **kwargs)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"In-place :func:`{fn.__name__}`: writes the result into ``input`` and returns it."
    return op
