"""Keras 3's image preprocessing layers Resizing and CenterCrop, and the shared image
helpers of the augmentation layers.

Images are (H, W, C) or batches (N, H, W, C) (``data_format="channels_first"``: C before
H, W). Resizing is :func:`deepgrad.ops.interpolate` (bilinear with half-pixel centres as
Keras 3, nearest, bicubic), so it is differentiable in the pixels.

    crop_to_aspect_ratio: keep the centred window of aspect ratio W'/H' before resizing
    pad_to_aspect_ratio:  pad to that ratio with ``fill_value`` instead
    CenterCrop:           the centred (height, width) window, or a smart resize (crop to
                          the aspect ratio, then resize) when the image is smaller
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.layers.conv import normalize_data_format
from deepgrad.keras.layers.layer import Layer

_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


class ImageLayer(Layer):
    """Base of the image layers: a batch axis added for one image, removed after, and
    channels moved first for the engine's (N, C, H, W) ops."""

    float_inputs = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)

    def _hw_axes(self, ndim):
        return (ndim - 3, ndim - 2) if self.data_format == "channels_last" else (ndim - 2,
                                                                                  ndim - 1)

    def _to_nchw(self, x):
        """(N, C, H, W) view of a batch or one image, and whether a batch axis was added."""
        if x.ndim not in (3, 4):
            raise ValueError(f'Layer "{self.name}" expects images of rank 3 (H, W, C) or '
                             f'4 (N, H, W, C); received shape {tuple(x.shape)}')
        single = x.ndim == 3
        if single:
            x = ops.unsqueeze(x, 0)
        if self.data_format == "channels_last":
            x = ops.permute(x, (0, 3, 1, 2))
        return x, single

    def _from_nchw(self, y, single):
        if self.data_format == "channels_last":
            y = ops.permute(y, (0, 2, 3, 1))
        return ops.squeeze(y, 0) if single else y

    def _with_hw(self, shape, height, width):
        shape = list(shape)
        h, w = self._hw_axes(len(shape))
        shape[h], shape[w] = height, width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


def aspect_crop_box(height, width, target_h, target_w):
    """(top, left, crop_h, crop_w): the centred window with the target's aspect ratio."""
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def resize_nchw(x, size, interpolation="bilinear", antialias=False):
    """(N, C, H, W) resized to ``size`` = (H', W') with Keras's interpolation names."""
    if tuple(x.shape[2:]) == tuple(size):
        return x
    mode = _MODES[interpolation]
    if mode in ("bilinear", "bicubic"):
        return ops.interpolate(x, size=tuple(size), mode=mode, align_corners=False,
                               antialias=antialias)
    return ops.interpolate(x, size=tuple(size), mode=mode)


class Resizing(ImageLayer):
    """Resizes images to (height, width).

    Args:
        height, width (int): the output size.
        interpolation: ``"bilinear"`` (default), ``"nearest"`` or ``"bicubic"`` (Keras's
            torch backend's set; ``"area"``/``"lanczos*"`` are refused).
        crop_to_aspect_ratio / pad_to_aspect_ratio (bool): keep the aspect ratio by a
            centred crop or by padding with ``fill_value`` (``fill_mode="constant"``).
        antialias (bool): low-pass filter when downsampling (bilinear/bicubic).
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        if interpolation not in _MODES:
            raise ValueError(f"Invalid value for argument `interpolation`: {interpolation!r}; "
                             f"deepgrad supports {sorted(_MODES)}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can "
                             "be `True`.")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: only fill_mode='constant' is supported (as Keras); "
                             f"received {fill_mode!r}")
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width, self.interpolation = int(height), int(width), interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode, self.fill_value, self.antialias = fill_mode, fill_value, antialias

    def call(self, inputs):
        x, single = self._to_nchw(inputs)
        h, w = x.shape[2], x.shape[3]
        if self.crop_to_aspect_ratio:
            top, left, ch, cw = aspect_crop_box(h, w, self.height, self.width)
            x = x[:, :, top:top + ch, left:left + cw]
        elif self.pad_to_aspect_ratio:
            ph = max(h, int(float(w * self.height) / self.width))
            pw = max(w, int(float(h * self.width) / self.height))
            top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
            x = ops.pad(x, (left, pw - w - left, top, ph - h - top), value=self.fill_value)
        y = resize_nchw(x, (self.height, self.width), self.interpolation, self.antialias)
        return self._from_nchw(y, single)

    def compute_output_shape(self, input_shape):
        return self._with_hw(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(ImageLayer):
    """The centred (height, width) window of each image; an image smaller than that is
    smart-resized (cropped to the aspect ratio, then resized bilinearly), as Keras."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def call(self, inputs):
        x, single = self._to_nchw(inputs)
        h, w = x.shape[2], x.shape[3]
        dh, dw = h - self.height, w - self.width
        if dh >= 0 and dw >= 0:
            y = x[:, :, dh // 2:dh // 2 + self.height, dw // 2:dw // 2 + self.width]
        else:
            top, left, ch, cw = aspect_crop_box(h, w, self.height, self.width)
            y = resize_nchw(x[:, :, top:top + ch, left:left + cw], (self.height, self.width))
        return self._from_nchw(y, single)

    def compute_output_shape(self, input_shape):
        return self._with_hw(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


def as_tensor(x, dtype):
    """An image batch as a float Tensor of ``dtype`` (arrays and Tensors)."""
    if isinstance(x, Tensor):
        return x
    return Tensor(np.asarray(x, dtype))
