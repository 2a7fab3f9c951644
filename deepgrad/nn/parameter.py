"""``Parameter``: a tensor that a Module registers as one of its weights."""
from deepgrad.autograd.tensor import Tensor, infer_array


class Parameter(Tensor):
    """A Tensor that is a module weight: ``requires_grad=True`` by default, and listed by
    ``Module.parameters()`` when assigned as a module attribute.

    Optimizers update ``p.array`` in place from ``p.grad.array``.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = []
        super().__init__(infer_array(data).copy() if not hasattr(data, "array") else data.array,
                         requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
