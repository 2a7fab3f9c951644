"""Flatten parameters into one vector and back (PyTorch's
``torch.nn.utils.parameters_to_vector`` / ``vector_to_parameters``)."""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.autograd.version_counter import rebound

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def parameters_to_vector(parameters):
    """concat(p_1.view(-1), ..., p_n.view(-1)): one 1-D tensor (differentiable).

    Args:
        parameters (iterable of Tensors): e.g. ``model.parameters()``.
    """
    params = _as_list(parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: received no parameters")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters_to_vector: expected Tensors, element {i} is a "
                            f"{type(p).__name__}")
    return ops.cat([ops.reshape(p, (-1,)) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters' values, in order: after the
    call each parameter's data is a view of ``vec`` (as in PyTorch).

    Args:
        vec (Tensor): 1-D, with as many elements as the parameters together.
        parameters (iterable of Tensors).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = _as_list(parameters)
    total = sum(int(np.prod(p.shape)) for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector of {total} elements "
                           f"(the parameters' total), received shape {tuple(vec.shape)}")
    pointer = 0
    for p in params:
        n = int(np.prod(p.shape))
        p.array = vec.array[pointer:pointer + n].reshape(p.shape)
        rebound()
        pointer += n
