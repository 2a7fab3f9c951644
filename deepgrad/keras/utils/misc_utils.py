"""Small ``keras.utils`` helpers: interactive logging switches, KerasTensor helpers,
object (de)serialization aliases, dtype names and the Pillow image helpers."""
import numpy as np

from deepgrad.keras import registry
from deepgrad.keras.layers.keras_tensor import KerasTensor
from deepgrad.keras.utils.image_utils import _pil, load_image_array

_INTERACTIVE = {"enabled": True}


def enable_interactive_logging():
    """Progress and summaries print to stdout (the default)."""
    _INTERACTIVE["enabled"] = True


def disable_interactive_logging():
    """Route nothing interactive: a flag read by ``is_interactive_logging_enabled``."""
    _INTERACTIVE["enabled"] = False


def is_interactive_logging_enabled():
    return _INTERACTIVE["enabled"]


def is_keras_tensor(x):
    """True for the symbolic tensors of the functional API (``keras.Input`` and layers
    called on them)."""
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor):
    """The ``Input`` tensors a symbolic tensor was computed from (in order of first use)."""
    if not isinstance(tensor, KerasTensor):
        raise ValueError(f"get_source_inputs expects a KerasTensor; received "
                         f"{type(tensor).__name__}")
    found, stack, seen = [], [tensor], set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        node = getattr(t, "node", None) or getattr(t, "_keras_history", None)
        parents = getattr(node, "input_tensors", None) if node is not None else None
        if not parents:
            found.append(t)
        else:
            stack.extend(reversed(list(parents)))
    return found


def serialize_keras_object(obj):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}`` for any
    registered object (layers, losses, metrics, optimizers, initializers, ...)."""
    for kind in ("layers", "losses", "metrics", "optimizers", "initializers", "regularizers",
                 "constraints", "activations"):
        try:
            return registry.serialize(obj, kind)
        except (ValueError, TypeError, KeyError):
            continue
    raise ValueError(f"Cannot serialize {obj!r}: it is not a registered Keras object")


def deserialize_keras_object(config, custom_objects=None, **kwargs):
    """Inverse of :func:`serialize_keras_object` (a config dict or a registered name)."""
    last = None
    for kind in ("layers", "losses", "metrics", "optimizers", "initializers", "regularizers",
                 "constraints", "activations"):
        try:
            return registry.deserialize(config, kind, custom_objects)
        except (ValueError, TypeError, KeyError) as e:
            last = e
    raise ValueError(f"Cannot deserialize {config!r}: {last}")


def standardize_dtype(dtype):
    """Keras's dtype name of ``dtype`` (``"float32"``, ``"int64"``, ...; None ->
    ``"float32"``)."""
    if dtype is None:
        return "float32"
    if hasattr(dtype, "name") and not isinstance(dtype, np.dtype):
        dtype = dtype.name
    name = np.dtype(str(dtype).replace("deepgrad.", "").replace("torch.", "")).name
    return name


def img_to_array(img, data_format=None, dtype=None):
    """A float32 (H, W, C) array of a PIL image (channels_first: (C, H, W))."""
    array = np.asarray(img, dtype=dtype or "float32")
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        raise ValueError(f"Unsupported image shape: {array.shape}")
    return array.transpose(2, 0, 1) if data_format == "channels_first" else array


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image of an (H, W, C) array; ``scale`` maps its range to 0-255."""
    image_module = _pil()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array "
                         f"with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        top = x.max()
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels not in (1, 3, 4):
        raise ValueError(f"Unsupported channel number: {channels}")
    x = x.astype(np.uint8)
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[channels]
    return image_module.fromarray(x[..., 0] if channels == 1 else x, mode)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """A PIL image from a file, converted to ``color_mode`` and resized to
    ``target_size`` = (height, width)."""
    image_module = _pil()
    if target_size is None:
        img = image_module.open(path)
        return img.convert({"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}[color_mode])
    array = load_image_array(path, color_mode, tuple(target_size), interpolation,
                             crop_to_aspect_ratio=keep_aspect_ratio)
    return array_to_img(array, scale=False)


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write an image array to ``path`` (Pillow picks the format from the extension)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    img.save(path, format=file_format, **kwargs)
