"""Keras 3's dataset builders: ``timeseries_dataset_from_array``, ``split_dataset``,
``image_dataset_from_directory`` and ``text_dataset_from_directory``.

They return :class:`deepgrad.tf.data.Dataset` pipelines that load lazily (a batch of
windows is gathered, an image decoded, a text file read, only when iterated), which
``fit``/``evaluate``/``predict`` accept as Keras accepts tf.data datasets.

Windows of ``timeseries_dataset_from_array``: sequence i starts at
``p_i = start_index + i * sequence_stride`` and holds rows
``p_i, p_i + r, ..., p_i + (sequence_length - 1) r`` (``r = sampling_rate``); its target is
``targets[p_i]``.
"""
import os
import wave

import numpy as np

from deepgrad.keras.utils.image_utils import _pil, load_image_array  # noqa: F401
from deepgrad.tf.data import Dataset

_IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _raw(x):
    """A dataset element's value: the array of a Tensor (a Python object when 0-d)."""
    a = x.array if hasattr(x, "array") else x
    if isinstance(a, np.ndarray):
        return a.item() if a.ndim == 0 else a
    return a


def _check_positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer; received {name}={value!r}")


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """Batches of sliding windows over ``data`` (and their targets), as Keras.

    Args:
        data: array-like (timesteps, ...) .
        targets: array-like with one target per timestep (``targets[p_i]`` goes with the
            window starting at ``p_i``), or None for windows only.
        sequence_length (int): steps per window.
        sequence_stride (int): steps between window starts.
        sampling_rate (int): steps between rows inside a window.
        batch_size (int | None): windows per batch (None: one window at a time).
        shuffle (bool), seed (int): shuffle the window starts (reproducibly with a seed).
        start_index, end_index (int): use ``data[start_index:end_index]`` only.
        format: ``"tf"`` (a tf.data-style Dataset; Keras's ``"grain"`` is refused).
    Returns:
        a Dataset of ``x`` batches (batch, sequence_length, ...), or of ``(x, y)``.
    Raises:
        ValueError: bad sizes or indices, before anything is built.
    """
    for name, value in (("sequence_length", sequence_length),
                        ("sequence_stride", sequence_stride),
                        ("sampling_rate", sampling_rate)):
        _check_positive_int(name, value)
    _check_positive_int("batch_size", batch_size, allow_none=True)
    if format != "tf":
        raise ValueError(f'`format` should be "tf" in deepgrad (Grain is not supported). '
                         f'Received: format={format}')
    data = np.asarray(data)
    targets = None if targets is None else np.asarray(targets)   # may be shorter (Keras)
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride",
                                                            sequence_stride)):
        if value >= len(data):
            raise ValueError(f"`{name}` must be lower than the length of the data. Received: "
                             f"{name}={value}, for data of length {len(data)}")
    start = 0 if start_index is None else start_index
    end = len(data) if end_index is None else end_index
    if not 0 <= start < len(data):
        raise ValueError(f"`start_index` must be 0 or greater and strictly lower than the "
                         f"number of samples ({len(data)}); received start_index={start_index}")
    if not start < end <= len(data):
        raise ValueError(f"`end_index` must be higher than `start_index` and at most the "
                         f"number of samples ({len(data)}); received end_index={end_index}")
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        rng_seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(rng_seed).shuffle(positions)
    offsets = np.arange(sequence_length, dtype=np.int64) * sampling_rate

    def windows(p):
        p = np.asarray(_raw(p))
        x = data[start + p[..., None] + offsets]
        return x if targets is None else (x, targets[start + p])

    ds = Dataset.from_tensor_slices(positions)
    if shuffle:
        ds = ds.shuffle(buffer_size=(batch_size or 1) * 8, seed=seed)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    return ds.map(windows)


def _rescale_sizes(left_size, right_size, total):
    def check(name, size):
        if size is None:
            return None
        if isinstance(size, float):
            if not 0 < size < 1:
                raise ValueError(f"`{name}` should be between 0 and 1 when a float; "
                                 f"received {name}={size}")
            return round(size * total)
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            if not 0 < size <= total:
                raise ValueError(f"`{name}` should be between 1 and the number of samples "
                                 f"({total}) when an int; received {name}={size}")
            return int(size)
        raise TypeError(f"Invalid `{name}` type: expected float or int, received "
                        f"{type(size).__name__}")

    left, right = check("left_size", left_size), check("right_size", right_size)
    if left is None and right is None:
        raise ValueError("You must specify either `left_size` or `right_size`.")
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` ({left + right}) is larger "
                         f"than the number of samples ({total}).")
    if left == 0 or right == 0:
        raise ValueError(f"Both splits must hold samples; the sizes give left={left}, "
                         f"right={right} of {total}")
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Split arrays, a tuple/list/dict of arrays or an unbatched Dataset in two Datasets.

    Sizes are fractions (floats in (0, 1), rounded) or counts; a missing one is the rest.
    ``shuffle`` permutes the samples first (reproducibly with ``seed``).
    """
    if isinstance(dataset, Dataset):
        samples = list(dataset.as_numpy_iterator())
    elif isinstance(dataset, (tuple, list, dict)) and not isinstance(dataset, str):
        parts = list(dataset.values()) if isinstance(dataset, dict) else list(dataset)
        lengths = {len(np.asarray(p)) for p in parts}
        if len(lengths) != 1:
            raise ValueError(f"split_dataset: the arrays must have the same length; received "
                             f"lengths {[len(np.asarray(p)) for p in parts]}")
        arrays = [np.asarray(p) for p in parts]
        keys = list(dataset) if isinstance(dataset, dict) else None
        samples = [dict(zip(keys, row)) if keys else tuple(row) for row in zip(*arrays)]
    else:
        samples = list(np.asarray(dataset))
    total = len(samples)
    left, right = _rescale_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(order)
    return (_from_samples([samples[i] for i in order[:left]]),
            _from_samples([samples[i] for i in order[left:left + right]]))


def _from_samples(samples):
    first = samples[0]
    if isinstance(first, tuple):
        return Dataset.from_tensor_slices(tuple(np.stack([s[i] for s in samples])
                                                for i in range(len(first))))
    if isinstance(first, dict):
        return Dataset.from_tensor_slices({k: np.stack([s[k] for s in samples])
                                           for k in first})
    return Dataset.from_tensor_slices(np.stack(samples))


# ---------------------------------------------------------------------- directories
def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False):
    """(file paths, integer labels, class names) of ``directory``'s class subfolders
    (sorted) or of its files (``labels=None``/a list), shuffled with ``seed``."""
    if not os.path.isdir(directory):
        raise ValueError(f"Could not find directory {directory}")
    if labels == "inferred":
        found = sorted(d for d in os.listdir(directory)
                       if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None:
            if sorted(class_names) != sorted(found) and not set(class_names) <= set(found):
                raise ValueError(f"The `class_names` passed did not match the names of the "
                                 f"subdirectories of the target directory. Expected: "
                                 f"{found}, but received: {class_names}")
            found = list(class_names)
        class_names = found
        roots = [(os.path.join(directory, c), i) for i, c in enumerate(class_names)]
    else:
        roots = [(directory, None)]
    paths, label_ids = [], []
    for root, label in roots:
        for dirpath, _, files in sorted(os.walk(root, followlinks=follow_links)):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(dirpath, name))
                    label_ids.append(label)
    if labels not in ("inferred", None):
        if len(labels) != len(paths):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files "
                             f"in the target directory. len(labels) is {len(labels)} while "
                             f"we found {len(paths)} files in directory {directory}.")
        label_ids = list(labels)
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        np.random.RandomState(seed).shuffle(label_ids)
    return paths, label_ids, class_names


def _check_split(validation_split, subset, seed, shuffle):
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", '
                         f'received: {subset}')
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split is None) != (subset is None):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must "
                         "provide a `seed` argument, to make sure that there is no overlap "
                         "between the training and validation subset.")


def _split(items, validation_split, subset):
    if not validation_split:
        return items
    n_val = int(validation_split * len(items))
    return items[:-n_val] if subset == "training" else items[-n_val:]


def _labels_out(ids, label_mode, num_classes):
    ids = np.asarray(ids, np.int64)
    if label_mode == "int":
        return ids.astype(np.int32)
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[ids]
    return ids.astype(np.float32)[:, None]                       # binary


def _check_label_mode(label_mode, num_classes):
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f'`label_mode` argument must be one of "int", "categorical", '
                         f'"binary", or None. Received: label_mode={label_mode}')
    if label_mode == "binary" and num_classes != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 '
                         f'class_names. Received: class_names of {num_classes} classes')


def _build(paths, ids, class_names, label_mode, load, batch_size, shuffle, seed,
           validation_split, subset, kind, verbose):
    def make(subset_name):
        p = _split(paths, validation_split, subset_name)
        y = _split(ids, validation_split, subset_name)
        if verbose:
            suffix = f" for {subset_name}" if validation_split else ""
            print(f"Using {len(p)} files{suffix}." if validation_split else
                  f"Found {len(p)} files belonging to {len(class_names or [])} classes.")
        if label_mode is None or class_names is None:
            ds = Dataset.from_tensor_slices(np.array(p, dtype=object)).map(load)
        else:
            labels = _labels_out(y, label_mode, len(class_names))
            ds = Dataset.from_tensor_slices((np.array(p, dtype=object), labels)).map(
                lambda path, label: (load(path), label))
        if shuffle:
            ds = ds.shuffle(buffer_size=(batch_size or 1) * 8, seed=seed)
        if batch_size is not None:
            ds = ds.batch(batch_size)
        ds.class_names = class_names
        ds.file_paths = list(p)
        return ds

    if verbose and validation_split:
        print(f"Found {len(paths)} files belonging to {len(class_names or [])} classes.")
    if subset == "both":
        return make("training"), make("validation")
    return make(subset)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """A Dataset of ``(images, labels)`` batches from class subfolders of image files
    (Keras 3's arguments). Images are decoded with Pillow when iterated, resized to
    ``image_size`` (float32, 0-255); ``labels`` are ``"int"``, ``"categorical"`` or
    ``"binary"`` (``label_mode=None``: images only). The dataset has ``class_names``.
    ``subset="both"`` returns the training and validation datasets.
    """
    if color_mode not in ("rgb", "rgba", "grayscale"):
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. '
                         f'Received: color_mode={color_mode}')
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(f'`labels` argument should be a list/tuple of integer labels, of '
                         f'the same size as the number of image files in the target '
                         f'directory. If you wish to infer the labels from the '
                         f'subdirectory names in the target directory, pass '
                         f'`labels="inferred"`. If you wish to get a dataset that only '
                         f'contains images (no labels), pass `labels=None`. Received: '
                         f'labels={labels}')
    if data_format not in (None, "channels_last"):
        raise ValueError("image_dataset_from_directory: only channels_last images")
    _check_split(validation_split, subset, seed, shuffle)
    _check_positive_int("batch_size", batch_size, allow_none=True)
    _pil()                                         # fail now if Pillow is missing
    paths, ids, names = index_directory(directory, labels, _IMAGE_EXTENSIONS, class_names,
                                        shuffle, seed, follow_links)
    if not paths:
        raise ValueError(f"No images found in directory {directory}. Allowed formats: "
                         f"{_IMAGE_EXTENSIONS}")
    if labels is None:
        label_mode = None
    if labels not in ("inferred", None):
        names = [str(i) for i in range(int(max(ids)) + 1)]
    _check_label_mode(label_mode, len(names or []))

    def load(path):
        return load_image_array(str(_raw(path)), color_mode, tuple(image_size), interpolation,
                                crop_to_aspect_ratio, pad_to_aspect_ratio)

    return _build(paths, ids, names, label_mode, load, batch_size, shuffle, seed,
                  validation_split, subset, "image", verbose)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """A Dataset of ``(texts, labels)`` batches from class subfolders of ``.txt`` files
    (Keras 3's arguments); texts are read when iterated, cut to ``max_length``
    characters."""
    _check_split(validation_split, subset, seed, shuffle)
    _check_positive_int("batch_size", batch_size, allow_none=True)
    paths, ids, names = index_directory(directory, labels, (".txt",), class_names, shuffle,
                                        seed, follow_links)
    if labels is None:
        label_mode = None
    if labels not in ("inferred", None):
        names = [str(i) for i in range(int(max(ids)) + 1)]
    _check_label_mode(label_mode, len(names or []))

    def load(path):
        with open(str(_raw(path)), encoding="utf-8") as f:
            text = f.read()
        return text[:max_length] if max_length is not None else text

    return _build(paths, ids, names, label_mode, load, batch_size, shuffle, seed,
                  validation_split, subset, "text", verbose)


def _read_wav(path, output_sequence_length=None):
    """A float32 (samples, channels) array in [-1, 1] of a PCM WAV file (stdlib ``wave``)."""
    with wave.open(str(path), "rb") as f:
        width, channels, frames = f.getsampwidth(), f.getnchannels(), f.getnframes()
        raw = f.readframes(frames)
    if width == 1:
        audio = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width in (2, 4):
        dtype = np.int16 if width == 2 else np.int32
        audio = np.frombuffer(raw, dtype).astype(np.float32) / float(np.iinfo(dtype).max + 1)
    else:
        raise ValueError(f"{path}: {8 * width}-bit PCM WAV is not supported (8, 16, 32)")
    audio = audio.reshape(-1, channels)
    if output_sequence_length is not None:
        audio = audio[:output_sequence_length]
        if len(audio) < output_sequence_length:
            audio = np.pad(audio, ((0, output_sequence_length - len(audio)), (0, 0)))
    return audio


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True):
    """A Dataset of ``(audio, labels)`` batches from class subfolders of ``.wav`` files
    (Keras 3's arguments). Each clip is float32 (samples, channels) in [-1, 1], cut or
    zero-padded to ``output_sequence_length``; without it the clips of a batch must have
    equal lengths. ``sampling_rate`` (resampling) and ``ragged`` are refused."""
    if sampling_rate is not None:
        raise NotImplementedError("audio_dataset_from_directory: resampling (sampling_rate=) "
                                  "is not supported; resample the files first")
    if ragged:
        raise ValueError("audio_dataset_from_directory: ragged=True is not supported (dense "
                         "tensors only); set output_sequence_length")
    _check_split(validation_split, subset, seed, shuffle)
    _check_positive_int("batch_size", batch_size, allow_none=True)
    paths, ids, names = index_directory(directory, labels, (".wav",), class_names, shuffle,
                                        seed, follow_links)
    if labels is None:
        label_mode = None
    if labels not in ("inferred", None):
        names = [str(i) for i in range(int(max(ids)) + 1)]
    _check_label_mode(label_mode, len(names or []))

    def load(path):
        return _read_wav(str(_raw(path)), output_sequence_length)

    return _build(paths, ids, names, label_mode, load, batch_size, shuffle, seed,
                  validation_split, subset, "audio", verbose)
