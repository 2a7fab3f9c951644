"""``default_collate``: a list of samples -> one batch, with PyTorch's rules.

=====================================  =============================================
each sample is                         the batch is
=====================================  =============================================
Tensor / np.ndarray of shape S         Tensor (B, *S), dtype kept
NumPy scalar (np.uint8(3), ...)        Tensor (B,), dtype kept
bool / int / float                     Tensor (B,) bool / int64 / float64
str or bytes                           the list of them, unchanged
dict                                   dict, each key collated
tuple / list                           list, each position collated (namedtuple kept)
=====================================  =============================================

Python floats become float64, as in ``torch.utils.data.default_collate``; cast the batch
(``x.float()``) or return float32 arrays from the dataset to get float32.
"""
import collections.abc

import numpy as np

from deepgrad import ops
from deepgrad.autograd import Tensor


def default_collate(batch):
    """Stack a list of samples into a batch (see the module table for the rules).

    Args:
        batch (list): samples, all of the same structure.
    Returns:
        the batch: Tensors stacked along a new dimension 0, nested like one sample.
    Raises:
        ValueError: samples differ in shape or structure (the message shows how).
        TypeError: a sample holds a type that cannot be batched.

    Example:
        >>> x, y = default_collate([(np.zeros(3, np.float32), 1), (np.ones(3, np.float32), 0)])
        >>> x.shape, y.dtype
        ((2, 3), dtype('int64'))
    """
    if not isinstance(batch, (list, tuple)) or not batch:
        raise ValueError(f"default_collate: expected a non-empty list of samples, received "
                         f"{batch!r:.80}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        return _stack_arrays([np.asarray(b) for b in batch])
    if isinstance(elem, np.generic):
        return Tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([_item(d, key) for d in batch]) for key in elem}
    if isinstance(elem, collections.abc.Sequence):
        columns = _transpose(batch)
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):     # namedtuple
            return type(elem)(*(default_collate(c) for c in columns))
        return [default_collate(c) for c in columns]
    raise TypeError(f"default_collate: samples must contain Tensors, NumPy arrays, numbers, "
                    f"strings, dicts or lists/tuples; received {type(elem).__name__}")


def _stack_tensors(batch):
    if any(not isinstance(t, Tensor) for t in batch):
        kinds = sorted({type(t).__name__ for t in batch})
        raise TypeError(f"default_collate: expected every sample to be a Tensor like the "
                        f"first, received types {kinds}")
    _check_shapes([t.shape for t in batch])
    if any(t.requires_grad for t in batch):
        return ops.stack(batch)            # keeps the graph, as torch.stack would
    return Tensor(np.stack([t.array for t in batch]))


def _stack_arrays(arrays):
    _check_shapes([a.shape for a in arrays])
    return Tensor(np.stack(arrays))


def _check_shapes(shapes):
    for i, shape in enumerate(shapes):
        if tuple(shape) != tuple(shapes[0]):
            raise ValueError(f"default_collate: every sample must have the same shape to be "
                             f"stacked; sample 0 has shape {tuple(shapes[0])}, sample {i} "
                             f"has shape {tuple(shape)}. Pass a collate_fn to batch "
                             f"variable-sized samples.")


def _item(mapping, key):
    try:
        return mapping[key]
    except (KeyError, TypeError):
        raise ValueError(f"default_collate: every sample must have the keys of the first; "
                         f"a sample lacks key {key!r}") from None


def _transpose(batch):
    size = len(batch[0])
    for i, sample in enumerate(batch):
        if not isinstance(sample, collections.abc.Sequence) or len(sample) != size:
            got = len(sample) if hasattr(sample, "__len__") else type(sample).__name__
            raise ValueError(f"default_collate: every sample must have the same number of "
                             f"fields; sample 0 has {size}, sample {i} has {got}")
    return [list(column) for column in zip(*batch)]
