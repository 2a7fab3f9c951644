"""In-place forms of the activations and dropouts (``relu_``, ``F.elu(x, inplace=True)``).

deepgrad's graph links tensors, not versions of a tensor, so a tensor overwritten in place
cannot be rebased under the nodes already recorded from it (PyTorch keeps a version counter
for that). deepgrad's rule, the same for every in-place activation and dropout:

* **input not recorded** (it does not require grad, or graph recording is off): the result
  is written into the input's array and the input itself is returned, exactly as PyTorch.
* **input recorded** (it requires grad while the graph is being recorded):

  - the explicit in-place functions (``relu_``, ``F.elu_``, ``torch.selu_``,
    ``Tensor.relu_`` ...) raise the engine's in-place error before anything changes:
    their return value is often dropped, so returning a new tensor would be silently wrong;
  - ``inplace=True`` on a functional or a module refuses a leaf (as PyTorch does: "a leaf
    Variable that requires grad is being used in an in-place operation") and, on an
    intermediate tensor, returns the out-of-place result, recorded, leaving the input
    unchanged. Code that uses the return value (``x = F.relu(x, inplace=True)``, modules in
    a ``Sequential``) gets PyTorch's values and gradients.
"""
import numpy as np

from deepgrad.autograd.function import to_tensor
from deepgrad.autograd.grad_mode import state as _grad_state, no_grad
from deepgrad.autograd.version_counter import bump


def run(name, x, op, explicit):
    """Apply ``op`` (an out-of-place function of one tensor) in place on ``x``.

    Args:
        name: the in-place function's name, for errors.
        x: the input tensor.
        op: ``op(x) -> Tensor``, the out-of-place computation.
        explicit: True for the trailing-underscore functions, False for ``inplace=True``.
    Returns:
        ``x`` itself (overwritten) when ``x`` is not recorded, else the recorded result.
    """
    x = to_tensor(x)
    if x.requires_grad and _grad_state.enabled:
        if explicit or x.is_leaf:
            x._check_inplace(name)          # raises, before anything changes
        return op(x)
    with no_grad():
        y = op(x)
    if y is x:
        return x
    if y.shape != x.shape:
        raise RuntimeError(f"{name}: the result has shape {tuple(y.shape)}, which cannot be "
                           f"written in place into the input of shape {tuple(x.shape)}")
    if not np.can_cast(y.dtype, x.dtype, casting="same_kind"):
        raise TypeError(f"{name}: the result has dtype {y.dtype}, which cannot be written in "
                        f"place into the input of dtype {x.dtype}")
    np.copyto(x.array, y.array, casting="same_kind")
    bump(x.array)
    return x
