"""Reading an image file into an array, as Keras's image utils do (Pillow, an optional
extra, is imported when an image is read)."""
import numpy as np

from deepgrad.keras.layers.preprocessing_image import Resizing


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("image_dataset_from_directory and the image utils need Pillow: "
                          "pip install pillow") from e
    return Image


def load_image_array(path, color_mode="rgb", target_size=None, interpolation="bilinear",
                     crop_to_aspect_ratio=False, pad_to_aspect_ratio=False):
    """A float32 (H, W, C) array of an image file (Pillow), resized like Keras."""
    image = _pil().open(path)
    mode = {"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}[color_mode]
    array = np.asarray(image.convert(mode), dtype=np.float32)
    if array.ndim == 2:
        array = array[..., None]
    if target_size is not None and tuple(array.shape[:2]) != tuple(target_size):
        array = Resizing(*target_size, interpolation=interpolation,
                         crop_to_aspect_ratio=crop_to_aspect_ratio,
                         pad_to_aspect_ratio=pad_to_aspect_ratio)(array).numpy()
    return array
