"""Helpers shared by the op families: operand lifting, dtype checks, axis normalisation."""
import numpy as np

from deepgrad.autograd import function


def operands(name, a, b):
    """Lift Python numbers/arrays to tensors and refuse a silent float upcast.

    float32 (op) float64 is an error unless one side is a 0-d tensor or a Python number,
    which then takes the other side's dtype (as PyTorch treats dimensionless operands).
    An integer or bool tensor meeting a float tensor takes the float dtype (PyTorch's
    category rule: int64 (op) float32 is float32, where NumPy would give float64).
    """
    T = function._Tensor
    if not isinstance(a, T) and not isinstance(b, T):
        a = function.to_tensor(a)
    if not isinstance(a, T):
        a = function.lift(a, b)
    elif not isinstance(b, T):
        b = function.lift(b, a)
    da, db = a.array.dtype, b.array.dtype
    if da.kind == "f" and db.kind in "biu":
        b = T._wrap(b.array.astype(da))
    elif db.kind == "f" and da.kind in "biu":
        a = T._wrap(a.array.astype(db))
    elif da != db and da.kind == "f" and db.kind == "f":
        if b.array.ndim == 0 and not b.requires_grad:
            b = T._wrap(b.array.astype(da))
        elif a.array.ndim == 0 and not a.requires_grad:
            a = T._wrap(a.array.astype(db))
        else:
            raise TypeError(
                f"{name}: operands have dtypes {da} and {db} (shapes {a.shape} and {b.shape}); "
                f"deepgrad never upcasts silently. Cast one explicitly with .float() or .double().")
    return a, b


def normalize_axis(axis, ndim, name="dim"):
    """Map negative axes to positive ones and check the range; tuples stay tuples."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(normalize_axis(a, ndim, name) for a in axis)
    axis = int(axis)
    n = max(ndim, 1)
    if not -n <= axis < n:
        raise IndexError(f"{name} out of range: expected a value in [{-n}, {n - 1}], received {axis}")
    return axis % n


def reduction_axis(dim, ndim):
    """``normalize_axis`` for reductions: a 0-d tensor's dim 0 or -1 is the whole tensor
    (None), as PyTorch lets ``scalar.sum(0)`` and ``scalar.max(0)`` through."""
    axis = normalize_axis(dim, ndim)
    return None if ndim == 0 else axis


def reduced_count(shape, axis):
    """How many elements each output of a reduction over ``axis`` summarises."""
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def expand_reduced(g, shape, axis, keepdims):
    """Reshape the gradient of a reduction so it broadcasts back against ``shape``."""
    if keepdims or axis is None:
        return g if axis is not None else np.reshape(g, (1,) * len(shape))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return np.expand_dims(g, axes)
