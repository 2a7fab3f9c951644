"""``keras.preprocessing.image``: the image file helpers of :mod:`deepgrad.keras.utils`
and ``smart_resize`` (crop to the target's aspect ratio, then resize, as Keras)."""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.layers.preprocessing_image import aspect_crop_box, resize_nchw
from deepgrad.keras.utils.misc_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last",
                 backend_module=None):
    """Resize an image (H, W, C) or a batch (N, H, W, C) to ``size`` = (height, width)
    without distorting it: the largest centred window of the target's aspect ratio is cut
    out, then resized. Returns an array of the input's float dtype (float32 for ints)."""
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    arr = np.asarray(x.array if isinstance(x, Tensor) else x)
    if arr.ndim not in (3, 4):
        raise ValueError(f"Expected an image array with shape `(height, width, channels)`, or "
                         f"`(batch_size, height, width, channels)`, but got input with "
                         f"incorrect rank, of shape {arr.shape}.")
    dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype("float32")
    batch = arr[None] if arr.ndim == 3 else arr
    if data_format == "channels_last":
        batch = batch.transpose(0, 3, 1, 2)
    top, left, h, w = aspect_crop_box(batch.shape[2], batch.shape[3], *size)
    crop = Tensor(np.ascontiguousarray(batch[:, :, top:top + h, left:left + w], dtype))
    out = resize_nchw(crop, tuple(size), interpolation).numpy()
    if data_format == "channels_last":
        out = out.transpose(0, 2, 3, 1)
    return out[0] if arr.ndim == 3 else out
