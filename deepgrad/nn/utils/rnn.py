"""Variable-length sequences (PyTorch's ``torch.nn.utils.rnn``).

A batch of sequences of lengths L_0 >= L_1 >= ... (sorted, longest first) is *packed*
time step by time step: step t holds the batch_sizes[t] = #{b : L_b > t} sequences still
running, so ``data`` (sum_b L_b, *) is

    data = [x_0[t=0], x_1[t=0], ..., x_0[t=1], x_1[t=1], ..., x_0[t=T-1], ...]

``sorted_indices[i]`` is the original batch position of the i-th longest sequence and
``unsorted_indices`` its inverse. Packing and padding are gathers (differentiable: the
gradient is scattered back; padding positions get none). RNN, LSTM and GRU take a
PackedSequence and return one, their final states taken at each sequence's own last step.
"""
from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from deepgrad import ops
from deepgrad.autograd.function import to_tensor
from deepgrad.autograd.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


def invert_permutation(permutation):
    """The inverse permutation (``out[permutation[i]] = i``), or None for None."""
    if permutation is None:
        return None
    p = to_tensor(permutation).array
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return Tensor(out)


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Packed sequences: ``data`` (sum of lengths, *), ``batch_sizes`` (T,) int64, and the
    sort permutation and its inverse (None when the batch was given sorted). Made by
    :func:`pack_padded_sequence` and :func:`pack_sequence`, not by hand."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:         # PackedSequence((data, batch_sizes)), PyTorch's legacy form
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise ValueError("PackedSequence: expected data and batch_sizes, or one "
                                 "(data, batch_sizes) tuple")
            data, batch_sizes = data
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data.to(...)`` (dtype or the CPU); the index tensors are kept."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, *self[1:])

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        return self.to("cuda")          # refused by Tensor.to with the devices that exist

    def double(self):
        return self.to(dtype=np.float64)

    def float(self):
        return self.to(dtype=np.float32)

    def half(self):
        return self.to(dtype=np.float16)

    def long(self):
        return self.to(dtype=np.int64)

    def int(self):
        return self.to(dtype=np.int32)

    def short(self):
        return self.to(dtype=np.int16)

    def char(self):
        return self.to(dtype=np.int8)

    def byte(self):
        return self.to(dtype=np.uint8)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _lengths(lengths, batch):
    arr = np.asarray(to_tensor(lengths).array if isinstance(lengths, Tensor) else lengths)
    if arr.ndim != 1 or arr.shape[0] != batch:
        raise ValueError(f"pack_padded_sequence: expected {batch} lengths (one per sequence), "
                         f"received shape {arr.shape}")
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == arr // 1)):
        raise TypeError(f"pack_padded_sequence: lengths must be integers, received dtype "
                        f"{arr.dtype}")
    return arr.astype(np.int64)


def _batch_sizes(lengths):
    """batch_sizes[t] = #{b : L_b > t}, for lengths sorted in decreasing order."""
    return (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(axis=1).astype(np.int64)


def _time_major_index(lengths, batch):
    """Row indices into the (T * B) rows of a time-major padded batch, in packed order."""
    t, b = np.nonzero(np.arange(lengths[0])[:, None] < lengths[None, :])
    return t * batch + b


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of variable-length sequences.

    Args:
        input: (T, B, *) padded sequences ((B, T, *) with ``batch_first``).
        lengths (Tensor or list of ints): each sequence's length, all in [1, T].
        batch_first (bool): the layout of ``input``.
        enforce_sorted (bool): require lengths sorted in decreasing order; with False the
            batch is sorted here (stably; PyTorch's sort may order equal lengths
            differently, which changes ``sorted_indices`` but no unpacked value) and
            ``sorted_indices`` records the permutation.
    Returns:
        PackedSequence.
    """
    x = to_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"pack_padded_sequence: expected input of at least 2 dimensions "
                         f"(T, B, *), received shape {tuple(x.shape)}")
    if batch_first:
        x = ops.transpose(x, 0, 1)
    T, B = x.shape[0], x.shape[1]
    lengths = _lengths(lengths, B)
    sorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(f"`lengths` array must be sorted in decreasing order when "
                               f"`enforce_sorted` is True (received {lengths.tolist()}). You "
                               f"can pass `enforce_sorted=False` to pack_padded_sequence "
                               f"and/or pack_sequence to sidestep this requirement if you do "
                               f"not need ONNX exportability.")
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths, sorted_indices = lengths[order], Tensor(order.astype(np.int64))
        x = ops.getitem(x, (slice(None), order))
    if B and lengths[-1] <= 0:
        raise RuntimeError(f"Length of all samples has to be greater than 0, but found an "
                           f"element in 'lengths' that is <= 0 (lengths {lengths.tolist()})")
    if B and lengths[0] > T:
        raise RuntimeError(f"pack_padded_sequence: a length ({lengths[0]}) exceeds the padded "
                           f"sequence length T = {T}")
    rows = ops.reshape(x, (T * B,) + tuple(x.shape[2:]))
    data = ops.getitem(rows, _time_major_index(lengths, B))
    return PackedSequence(data, Tensor(_batch_sizes(lengths)), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack a PackedSequence into a padded batch, in the original batch order.

    Args:
        sequence (PackedSequence): the packed batch.
        batch_first (bool): return (B, T, *) instead of (T, B, *).
        padding_value (float): the value of padded positions.
        total_length (int): pad to this length (at least the longest sequence's).
    Returns:
        (padded Tensor, lengths int64 Tensor (B,)).
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, received "
                        f"{type(sequence).__name__}")
    data, batch_sizes = to_tensor(sequence.data), to_tensor(sequence.batch_sizes).array
    T = len(batch_sizes)
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = int(total_length)
    B = int(batch_sizes[0]) if len(batch_sizes) else 0
    lengths = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(axis=1).astype(np.int64)
    # gather every padded position from [data; padding row]: index n points at the padding
    index = np.full((T, B), data.shape[0], np.int64)
    index.reshape(-1)[_time_major_index(lengths, B)] = np.arange(data.shape[0])
    pad_row = Tensor(np.full((1,) + tuple(data.shape[1:]), padding_value, data.dtype))
    padded = ops.getitem(ops.cat([data, pad_row]), index)
    if sequence.unsorted_indices is not None:
        order = to_tensor(sequence.unsorted_indices).array
        padded, lengths = ops.getitem(padded, (slice(None), order)), lengths[order]
    if batch_first:
        padded = ops.transpose(padded, 0, 1)
    return padded, Tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shapes (L_i, *) into one padded (T, B, *) batch, T = max L_i.

    Args:
        sequences (list of Tensors): same trailing shape and dtype.
        batch_first (bool): return (B, T, *).
        padding_value (float): the fill.
        padding_side (str): 'right' (pad after each sequence) or 'left'.
    """
    if isinstance(sequences, Tensor):
        sequences = [ops.getitem(sequences, i) for i in range(sequences.shape[0])]
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    seqs = [to_tensor(s) for s in sequences]
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', received "
                         f"{padding_side!r}")
    if not seqs:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    trailing = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if s.ndim < 1 or tuple(s.shape[1:]) != trailing or s.dtype != seqs[0].dtype:
            raise RuntimeError(f"pad_sequence: every sequence must have shape (L, "
                               f"{', '.join(map(str, trailing))}) and dtype {seqs[0].dtype}; "
                               f"sequence {i} has shape {tuple(s.shape)}, dtype {s.dtype}")
    T = max(s.shape[0] for s in seqs)
    cols = []
    for s in seqs:
        n = T - s.shape[0]
        if n:
            fill = Tensor(np.full((n,) + trailing, padding_value, s.dtype))
            s = ops.cat([s, fill] if padding_side == "right" else [fill, s])
        cols.append(s)
    return ops.stack(cols, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into its sequences: a list of (L_i, *) tensors.

    Unlike PyTorch, the input is not transposed in place when ``batch_first=False``.
    """
    x = to_tensor(padded_sequences)
    if not batch_first:
        x = ops.transpose(x, 0, 1)
    lengths = np.asarray(to_tensor(lengths).array if isinstance(lengths, Tensor) else lengths)
    if lengths.shape != (x.shape[0],):
        raise ValueError(f"unpad_sequence: expected {x.shape[0]} lengths, received shape "
                         f"{lengths.shape}")
    return [ops.getitem(x, (b, slice(0, int(n)))) for b, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_i, *) sequences: ``pack_padded_sequence(pad_sequence(seqs), ...)``."""
    lengths = [to_tensor(v).shape[0] for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
