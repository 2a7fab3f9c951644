"""``default_collate`` (a list of samples -> one batch) and ``default_convert``, PyTorch's rules.

=====================================  =============================================
each sample is                         ``default_collate`` makes
=====================================  =============================================
Tensor / np.ndarray of shape S         Tensor (B, *S), dtype kept
NumPy scalar (np.uint8(3), ...)        Tensor (B,), dtype kept
bool / int / float                     Tensor (B,) bool / int64 / float64
str or bytes                           the samples, unchanged (a list, or a tuple
                                       when they sat inside tuple samples)
dict (any Mapping)                     the same mapping type, each key collated
namedtuple                             the same namedtuple, each field collated
tuple / list (any Sequence)            a list (a list subclass is kept), each position
                                       collated
=====================================  =============================================

Python floats become float64, as in ``torch.utils.data.default_collate``; cast the batch
(``x.float()``) or return float32 arrays from the dataset to get float32.

``default_convert`` is what a DataLoader with ``batch_size=None`` applies to each sample:
NumPy arrays and NumPy scalars become tensors (sharing memory), recursively inside
mappings, namedtuples and sequences (tuples become lists); everything else is unchanged.
"""
import collections.abc
import copy

import numpy as np

from deepgrad import ops
from deepgrad.autograd import Tensor

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_text_array(a):
    return a.dtype.kind in "SUO"


def default_collate(batch):
    """Stack a list of samples into a batch (see the module table for the rules).

    Args:
        batch (sequence): samples, all of the same structure.
    Returns:
        the batch: Tensors stacked along a new dimension 0, nested like one sample.
    Raises:
        RuntimeError: samples differ in shape or in number of fields (the message says how).
        KeyError: a dict sample lacks a key of the first.
        TypeError: a sample holds a type that cannot be batched.

    Example:
        >>> x, y = default_collate([(np.zeros(3, np.float32), 1), (np.ones(3, np.float32), 0)])
        >>> x.shape, y.dtype
        ((2, 3), dtype('int64'))
    """
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)) \
            or len(batch) == 0:
        raise ValueError(f"default_collate: expected a non-empty sequence of samples, "
                         f"received {batch!r:.80}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        if _is_text_array(elem):
            raise TypeError(_ERR.format(elem.dtype))
        return _stack_arrays([np.asarray(b) for b in batch])
    if isinstance(elem, np.generic):
        if _is_text_array(np.asarray(elem)):
            raise TypeError(_ERR.format(np.asarray(elem).dtype))
        return Tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _same_mapping(elem, {key: default_collate([_item(d, key) for d in batch])
                                    for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):      # namedtuple
        return type(elem)(*(default_collate(c) for c in _transpose(batch)))
    if isinstance(elem, collections.abc.Sequence):
        columns = [default_collate(c) for c in _transpose(batch)]
        if isinstance(elem, tuple):
            return columns
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """NumPy arrays and scalars -> tensors, recursively; anything else is left as it is.

    Args:
        data: one sample (or any nesting of mappings, namedtuples and sequences).
    Returns:
        the same structure with arrays as tensors (sharing memory); tuples become lists.

    Example:
        >>> default_convert({"x": np.zeros(2), "name": "a"})
        {'x': tensor([0., 0.], dtype=float64), 'name': 'a'}
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
        return data if _is_text_array(arr) else Tensor(arr)
    if isinstance(data, collections.abc.Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data


def _same_mapping(template, values):
    """``values`` in the mapping type of ``template`` (a plain dict if it cannot be built)."""
    if isinstance(template, collections.abc.MutableMapping):
        clone = copy.copy(template)
        clone.update(values)
        return clone
    try:
        return type(template)(values)
    except TypeError:
        return values


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
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shapes[0])} at entry 0 and {list(shape)} at entry {i}. "
                               f"Pass a collate_fn to batch variable-sized samples.")


def _item(mapping, key):
    try:
        return mapping[key]
    except (KeyError, TypeError):
        raise KeyError(f"default_collate: every sample must have the keys of the first; a "
                       f"sample lacks key {key!r}") from None


def _transpose(batch):
    """Per position, the tuple of that position's values across samples."""
    size = len(batch[0])
    for i, sample in enumerate(batch):
        if not isinstance(sample, collections.abc.Sequence) or len(sample) != size:
            got = len(sample) if hasattr(sample, "__len__") else type(sample).__name__
            raise RuntimeError(f"each element in list of batch should be of equal size; "
                               f"sample 0 has {size} fields, sample {i} has {got}")
    return list(zip(*batch))
