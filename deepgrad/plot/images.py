"""Pictures of images: samples with their labels and predictions (:func:`image_grid`)."""
import numpy as np

from deepgrad.plot._figures import (
    as_numpy, check_save_to, class_indices, finish, grid_shape, new_figure, panel_axes,
    require_matplotlib)

_FORMATS = (None, "channels_first", "channels_last")


def to_nhwc(images, data_format=None, name="images"):
    """A batch of images as ``(N, H, W, C)`` with C in 1, 3, 4.

    ``(H, W)`` is one grey image, ``(N, H, W)`` a batch of grey images; a 4-D batch is
    ``(N, C, H, W)`` for ``data_format="channels_first"``, ``(N, H, W, C)`` for
    ``"channels_last"``, and for None whichever puts 1, 3 or 4 channels on the channel
    axis (the last axis first, as Keras).
    """
    if data_format not in _FORMATS:
        raise ValueError(f"data_format: expected one of {_FORMATS}, received {data_format!r}")
    a = as_numpy(images, name)
    if a.ndim == 2:
        return a[None, :, :, None]
    if a.ndim == 3:
        return a[..., None]
    if a.ndim != 4:
        raise ValueError(f"{name}: expected images of shape (H, W), (N, H, W), "
                         f"(N, C, H, W) or (N, H, W, C), received shape {a.shape}")
    if data_format is None:
        if a.shape[-1] in (1, 3, 4):
            data_format = "channels_last"
        elif a.shape[1] in (1, 3, 4):
            data_format = "channels_first"
        else:
            raise ValueError(f"{name}: a 4-D batch of shape {a.shape} has no axis of 1, 3 "
                             f"or 4 channels at position 1 (N, C, H, W) or -1 (N, H, W, C)")
    if data_format == "channels_first":
        a = a.transpose(0, 2, 3, 1)
    if a.shape[-1] not in (1, 3, 4):
        raise ValueError(f"{name}: images with {a.shape[-1]} channels cannot be drawn "
                         f"({data_format}, shape {a.shape}); expected 1 (grey), 3 (RGB) or "
                         f"4 (RGBA)")
    return a


def to_unit_range(a):
    """Pixel values for ``imshow``, in [0, 1]: integers are read as 0..255; floats already
    in [0, 1] pass; other floats are rescaled together, ``(a - min) / (max - min)``."""
    if a.dtype.kind in "ui":
        return np.clip(a, 0, 255).astype(np.float32) / 255.0
    a = a.astype(np.float32)
    low, high = float(a.min()), float(a.max())
    if low >= 0.0 and high <= 1.0:
        return a
    return (a - low) / (high - low) if high > low else np.zeros_like(a)


def _name(c, class_names):
    return str(class_names[c]) if class_names is not None else str(c)


def image_grid(images, labels=None, predictions=None, class_names=None, *,
               misclassified_only=False, max_images=64, ncols=None, data_format=None,
               cmap="gray", title=None, figsize=None, save_to=None):
    """A grid of images, each titled with its label and, given ``predictions``, the
    prediction; a misclassified image (prediction != label) gets a red title and frame.

    Args:
        images: ``(N, C, H, W)`` (PyTorch), ``(N, H, W, C)`` (Keras), ``(N, H, W)`` or one
            ``(H, W)``, as an array or tensor; C in 1, 3, 4. Integer pixels are read as
            0..255, floats in [0, 1] as they are, other floats rescaled by the batch's
            min and max. Flat rows (an MLP's ``(N, 784)``) need a reshape first.
        labels, predictions (optional): class labels ``(N,)`` or scores / one-hot rows
            ``(N, K)`` (reduced by argmax: ``model.predict(x)`` passes as it is).
        class_names (list of str, optional): names of classes 0..K-1 in the titles.
        misclassified_only (bool): keep only the images whose prediction differs from
            the label (needs both).
        max_images (int): draw the first ``max_images`` images (after that selection).
        ncols (int, optional): panels per row (default up to 8).
        data_format ({None, "channels_first", "channels_last"}): the layout of a 4-D
            batch (None: the axis holding 1, 3 or 4 channels).
        cmap (str): the colour map of grey images.
        title (str, optional), figsize (tuple, optional), save_to (str or path, optional):
            as :func:`deepgrad.plot.history`.
    Returns:
        matplotlib.figure.Figure: one axis per image drawn, each holding one image (the
        pixels in [0, 1], grey images as (H, W)).
    """
    check_save_to(save_to)
    x = to_nhwc(images, data_format)
    n = len(x)
    y = None if labels is None else class_indices(labels, "labels")
    p = None if predictions is None else class_indices(predictions, "predictions")
    for arr, what in ((y, "labels"), (p, "predictions")):
        if arr is not None and len(arr) != n:
            raise ValueError(f"image_grid: {n} images but {len(arr)} {what}; expected one "
                             f"per image")
    if not isinstance(max_images, int) or isinstance(max_images, bool) or max_images < 1:
        raise ValueError(f"max_images: expected a positive integer, received {max_images!r}")
    index = np.arange(n)
    if misclassified_only:
        if y is None or p is None:
            raise ValueError("image_grid: misclassified_only=True needs both labels and "
                             "predictions")
        index = np.flatnonzero(y != p)
    index = index[:max_images]
    grid_shape(max(len(index), 1), ncols)                        # checks ncols
    require_matplotlib("deepgrad.plot.image_grid")
    pixels = to_unit_range(x[index])
    rows, cols = grid_shape(max(len(index), 1), ncols)
    fig = new_figure(figsize or (1.3 * cols + 0.2, 1.45 * rows + (0.4 if title else 0.1)))
    if len(index) == 0:
        fig.text(0.5, 0.5, "no misclassified images" if misclassified_only else "no images",
                 ha="center", va="center")
    for ax, img, i in zip(panel_axes(fig, len(index), ncols), pixels, index):
        if img.shape[-1] == 1:
            ax.imshow(img[..., 0], cmap=cmap, vmin=0.0, vmax=1.0)
        else:
            ax.imshow(img)
        wrong = y is not None and p is not None and y[i] != p[i]
        if y is not None and p is not None:
            text = (f"{_name(p[i], class_names)} (true {_name(y[i], class_names)})" if wrong
                    else _name(p[i], class_names))
        elif p is not None:
            text = f"pred {_name(p[i], class_names)}"
        else:
            text = _name(y[i], class_names) if y is not None else None
        if text is not None:
            ax.set_title(text, fontsize=8, color="red" if wrong else "black")
        if wrong:
            for spine in ax.spines.values():
                spine.set_color("red")
                spine.set_linewidth(2.0)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish(fig, save_to)
