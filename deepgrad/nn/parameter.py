"""``Parameter`` and ``Buffer``: tensors a Module registers as weights or as state, and their
uninitialized forms used by the Lazy modules (PyTorch's ``torch.nn.parameter``)."""
import numpy as np

from deepgrad import backend
from deepgrad.autograd.tensor import Tensor, infer_array
from deepgrad.autograd.version_counter import rebound

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "UninitializedTensorMixin", "is_lazy"]


class Parameter(Tensor):
    """A Tensor that is a module weight: ``requires_grad=True`` by default, and listed by
    ``Module.parameters()`` when assigned as a module attribute.

    A Tensor given as ``data`` is shared (no copy); other data is copied. Optimizers
    update ``p.array`` in place from ``p.grad.array``.

    ``grad_sample`` (unset until used) holds per-sample gradients, (N, *shape), when
    :class:`deepgrad.privacy.GradSampleModule` computes them (Opacus's attribute).
    """

    __slots__ = ("grad_sample",)

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, backend.default_float)
        super().__init__(infer_array(data).copy() if not hasattr(data, "array") else data.array,
                         requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = type(self)(self.array.copy(), self.requires_grad)
        if self.grad is not None:
            out.grad = Tensor._wrap(self.grad.array.copy())
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (type(self), self.array, self.requires_grad))


def _rebuild_parameter(cls, array, requires_grad):
    return cls(Tensor._wrap(array), requires_grad)


class Buffer(Tensor):
    """A tensor that, assigned as a module attribute, registers as a buffer
    (``self.steps = nn.Buffer(torch.zeros(1))``), persistent or not.

    Args:
        data (Tensor or array): the values (a Tensor is shared, not copied). Default: empty.
        persistent (bool): whether the buffer is saved in ``state_dict``.
    """

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            data = np.empty(0, backend.default_float)
        requires_grad = bool(getattr(data, "requires_grad", False))
        super().__init__(data.array if isinstance(data, Tensor) else infer_array(data),
                         requires_grad=requires_grad)
        self.persistent = bool(persistent)

    def __reduce_ex__(self, protocol):
        return (_rebuild_buffer, (type(self), self.array, self.requires_grad, self.persistent))


def _rebuild_buffer(cls, array, requires_grad, persistent):
    b = Buffer(Tensor._wrap(array).requires_grad_(requires_grad), persistent=persistent)
    if cls is not Buffer:
        b.__class__ = cls
    return b


def _check_cpu(device, where):
    if device is None or str(device) in ("cpu", "cpu:0") or getattr(device, "type", None) == "cpu":
        return
    raise RuntimeError(f"{where}: deepgrad has no device {str(device)!r}; it runs on the CPU "
                       f"only and the devices that exist are: 'cpu'")


_UNINITIALIZED = ("Can't access the {} of an uninitialized parameter or buffer. This error "
                  "usually happens in `load_state_dict` when trying to load an uninitialized "
                  "parameter into an initialized one. Call `forward` to initialize the "
                  "parameters before accessing their attributes.")


def _uninitialized(what):
    def fail(self, *args, **kwargs):
        raise RuntimeError(_UNINITIALIZED.format(what))
    return fail


class UninitializedTensorMixin:
    """A tensor whose shape is not known yet: its dtype is kept (in an empty array) and
    ``materialize(shape)`` gives it storage, turning it into ``cls_to_become``.

    Until then, reading its shape, size or values raises a clear error.
    """

    __slots__ = ()
    cls_to_become = None

    shape = property(_uninitialized("shape"))
    ndim = property(_uninitialized("ndim"))
    size = _uninitialized("size")
    dim = _uninitialized("dim")
    numel = _uninitialized("numel")
    numpy = _uninitialized("values")
    item = _uninitialized("values")
    tolist = _uninitialized("values")
    __len__ = _uninitialized("length")

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor an uninitialized array of ``shape`` and make it a
        ``cls_to_become`` (Parameter or Buffer), in place.

        Args:
            shape (int or tuple of ints): the shape.
            device: ``None`` or the CPU.
            dtype: the dtype; by default the one given at construction.
        """
        _check_cpu(device, "materialize")
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if any(not isinstance(n, (int, np.integer)) or n < 0 for n in shape):
            raise ValueError(f"materialize: shape must be non-negative ints, received {shape}")
        dtype = self.array.dtype if dtype is None else np.dtype(dtype)
        self.array = np.empty(shape, dtype)
        rebound()                           # optimizers re-read their parameters' arrays
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return (_rebuild_uninitialized, (type(self), self.requires_grad, self.array.dtype.str))


def _rebuild_uninitialized(cls, requires_grad, dtype):
    return cls(requires_grad=requires_grad, dtype=np.dtype(dtype))


def is_lazy(param):
    """True for an uninitialized parameter or buffer (shape not known yet)."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is inferred later (Lazy modules); see
    :class:`UninitializedTensorMixin`. Becomes a :class:`Parameter` on ``materialize``."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        _check_cpu(device, "UninitializedParameter")
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        Tensor.__init__(self, np.empty(0, dtype), requires_grad=requires_grad)

    def __deepcopy__(self, memo):
        out = type(self)(self.requires_grad, dtype=self.array.dtype)
        memo[id(self)] = out
        return out


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer whose shape is inferred later (Lazy batch norm's running statistics).
    Becomes a :class:`Buffer` on ``materialize``."""

    __slots__ = ()
    cls_to_become = Buffer

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        _check_cpu(device, "UninitializedBuffer")
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        Tensor.__init__(self, np.empty(0, dtype), requires_grad=requires_grad)
        self.persistent = bool(persistent)

    def __deepcopy__(self, memo):
        out = type(self)(self.requires_grad, dtype=self.array.dtype, persistent=self.persistent)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (_rebuild_uninitialized_buffer,
                (self.requires_grad, self.array.dtype.str, self.persistent))


def _rebuild_uninitialized_buffer(requires_grad, dtype, persistent):
    return UninitializedBuffer(requires_grad, dtype=np.dtype(dtype), persistent=persistent)
