"""``keras.utils.pad_sequences``: ragged sequences to one 2-D array."""
import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (and cut) sequences to one length, as ``keras.utils.pad_sequences``.

    The length is ``maxlen``, or the longest sequence's when None. A longer sequence loses
    its start (``truncating="pre"``) or its end (``"post"``); a shorter one gets ``value``
    before it (``padding="pre"``) or after it (``"post"``). Items may themselves be arrays
    of one common shape, which is kept as trailing axes.

    Args:
        sequences (list): N sequences (lists or arrays).
        maxlen (int, optional): the output length.
        dtype (str or dtype): the output dtype (``object`` for variable-length strings).
        padding (str): ``"pre"`` or ``"post"``.
        truncating (str): ``"pre"`` or ``"post"``.
        value (float or str): the padding value.
    Returns:
        np.ndarray: shape ``(N, maxlen) + item_shape``.
    Raises:
        ValueError: a non-iterable item, items of different shapes, a string ``value``
            with a non-string dtype, or an unknown ``padding``/``truncating``.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2)
        array([[0, 1],
               [2, 3],
               [5, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be a list of sequences; received "
                         f"{type(sequences).__name__}")
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: padding must be "pre" or "post"; received '
                         f'{padding!r}')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: truncating must be "pre" or "post"; received '
                         f'{truncating!r}')
    lengths, item_shape = [], None
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError as err:
            raise ValueError(f"pad_sequences: `sequences` must be a list of iterables; "
                             f"found non-iterable {s!r}") from err
        if item_shape is None and len(s):
            item_shape = np.asarray(s).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    is_str = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_str:
        raise ValueError(f"pad_sequences: dtype {dtype} cannot hold the string value "
                         f"{value!r}; use dtype=object for variable-length strings")
    out = np.full((len(sequences), maxlen) + item_shape, value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(f"pad_sequences: item shape {kept.shape[1:]} of sequence {i} "
                             f"differs from the first non-empty sequence's {item_shape}")
        if padding == "pre":
            out[i, maxlen - len(kept):] = kept
        else:
            out[i, :len(kept)] = kept
    return out
