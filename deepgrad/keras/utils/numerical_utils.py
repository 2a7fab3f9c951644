"""``keras.utils.to_categorical`` and ``keras.utils.normalize``."""
import numpy as np

from deepgrad import ops
from deepgrad.autograd import is_tensor


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels, as ``keras.utils.to_categorical``.

    ``out[..., c] = 1`` where ``c = x[...]``, else 0. A trailing axis of size 1 is dropped
    first, so labels of shape (N, 1) (CIFAR's) give (N, num_classes), like labels (N,).

    Args:
        x (array-like or Tensor): integer labels in ``[0, num_classes)``; floats are
            accepted when they hold whole numbers.
        num_classes (int, optional): number of classes; ``max(x) + 1`` when None (or 0,
            as in Keras).
    Returns:
        np.ndarray: float32 one-hot array of shape ``x.shape (without a trailing 1) +
        (num_classes,)``.
    Raises:
        ValueError: a label is negative, not a whole number, or ``>= num_classes``.

    Example:
        >>> to_categorical([0, 2, 1], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    labels = np.asarray(x.numpy() if is_tensor(x) else x)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if flat.size and not np.issubdtype(flat.dtype, np.integer):
        if not (np.issubdtype(flat.dtype, np.number) and np.all(flat == np.round(flat))):
            raise ValueError(f"to_categorical: labels must be whole numbers; received dtype "
                             f"{labels.dtype} with values such as "
                             f"{flat[flat != np.round(flat)][:3].tolist()}")
    flat = flat.astype(np.int64)
    if not num_classes:
        if flat.size == 0:
            raise ValueError("to_categorical: cannot infer num_classes from empty labels; "
                             "pass num_classes")
        num_classes = int(flat.max()) + 1
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        bad = flat[(flat < 0) | (flat >= num_classes)][:5].tolist()
        raise ValueError(f"to_categorical: labels must be in [0, {num_classes - 1}] for "
                         f"num_classes={num_classes}; received {bad}")
    out = np.zeros((flat.size, num_classes), dtype=np.float32)
    out[np.arange(flat.size), flat] = 1.0
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit ``order``-norm along ``axis``, as ``keras.utils.normalize``.

    ``y = x / ||x||_p`` with ``||x||_p = (sum |x_i|^p)^(1/p)`` along ``axis``; slices whose
    norm is 0 are left as they are (divided by 1).

    Args:
        x (np.ndarray or Tensor): the data. A Tensor gives a Tensor (differentiable).
        axis (int): the axis to normalize along.
        order (int or float): the norm's order ``p`` (2 for L2).
    Returns:
        np.ndarray or Tensor: a normalized copy of the same shape (floating dtype).

    Example:
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    if axis is None:
        raise ValueError("normalize: axis must be an int, received None")
    if is_tensor(x):
        total = ops.sum(ops.abs(x) ** order, dim=axis, keepdim=True)
        # a zero slice divides by 1; replacing before the root keeps its gradient finite
        return x / ops.where(total == 0, 1.0, total) ** (1.0 / order)
    x = np.asarray(x)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return x / norm
