"""keras.ops.image against Keras 3 (values), NumPy formulas, and gradcheck."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import gradcheck
from deepgrad.keras import ops

RNG = np.random.default_rng(4)
IMG = RNG.random((2, 6, 5, 3)).astype("float32")
HSV = np.concatenate([RNG.random((2, 6, 5, 1)), RNG.random((2, 6, 5, 2)) * 0.9 + 0.05],
                     -1).astype("float32")

CASES = {
    "resize": ((IMG, (9, 4)), {}),
    "resize_nearest": ((IMG, (3, 7)), {"interpolation": "nearest"}),
    "resize_bicubic": ((IMG[0], (8, 8)), {"interpolation": "bicubic"}),
    "resize_channels_first": ((np.moveaxis(IMG, -1, 1), (4, 4)),
                              {"data_format": "channels_first"}),
    "rgb_to_grayscale": ((IMG,), {}), "rgb_to_hsv": ((IMG,), {}),
    "hsv_to_rgb": ((HSV,), {}),
    "pad_images": ((IMG, 1, 2), {"target_height": 9, "target_width": 8}),
    "crop_images": ((IMG,), {"top_cropping": 1, "bottom_cropping": 2, "left_cropping": 1,
                             "target_width": 3}),
    "extract_patches": ((IMG, 2), {}),
    "extract_patches_same": ((IMG, (3, 2)), {"strides": (2, 1), "padding": "same"}),
    "gaussian_blur": ((IMG, (3, 3), (1.0, 2.0)), {}),
    "ssim": ((IMG[:, :, :, :], np.clip(IMG + 0.05 * np.sin(IMG * 7), 0, 1)),
             {"filter_size": 3}),
    "affine_transform": ((IMG, np.array([[1.0, 0.2, -1.0, 0.1, 0.9, 0.5, 0.0, 0.0],
                                         [0.8, 0.0, 0.5, 0.0, 1.1, -0.3, 0.0, 0.0]],
                                        "float32")), {"fill_mode": "reflect"}),
}


# Keras 3.15's backends pad sobel_edges differently (torch: zeros, numpy: symmetric, TF:
# reflect); deepgrad follows TensorFlow, so Keras is compared on the interior only.
EDGES = {"sobel_edges": ((IMG,), {})}


def _name(name):
    for base in ("resize", "extract_patches"):
        if name.startswith(base):
            return base
    return name


def test_matches_keras_3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    bad = []
    for name, (args, kwargs) in sorted(CASES.items()):
        if name == "gaussian_blur":     # Keras 3.15's torch backend does not blur an
            continue                    # impulse into a Gaussian; test_against_numpy
        ref = keras.ops.convert_to_numpy(getattr(keras.ops.image, _name(name))(*args, **kwargs))
        got = getattr(ops.image, _name(name))(*args, **kwargs).numpy()
        if got.shape != ref.shape or not np.allclose(got, ref, rtol=1e-4, atol=1e-5):
            bad.append(f"{name}: {got.shape} vs {ref.shape}")
    ref = keras.ops.convert_to_numpy(keras.ops.image.sobel_edges(IMG))
    np.testing.assert_allclose(ops.image.sobel_edges(IMG).numpy()[:, 1:-1, 1:-1],
                               ref[:, 1:-1, 1:-1], rtol=1e-5, atol=1e-5)
    assert not bad, "\n".join(bad)


def test_against_numpy():
    gray = ops.image.rgb_to_grayscale(IMG).numpy()
    np.testing.assert_allclose(gray[..., 0], IMG @ np.array([0.2989, 0.587, 0.114]), rtol=1e-5)
    np.testing.assert_allclose(ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(IMG)).numpy(), IMG,
                               rtol=1e-4, atol=1e-5)
    import colorsys
    px = IMG[0, 0, 0]
    np.testing.assert_allclose(ops.image.rgb_to_hsv(IMG).numpy()[0, 0, 0],
                               colorsys.rgb_to_hsv(*px), rtol=1e-5)
    patches = ops.image.extract_patches(IMG, 2).numpy()
    assert patches.shape == (2, 3, 2, 12)
    np.testing.assert_allclose(patches[1, 2, 1], IMG[1, 4:6, 2:4].reshape(-1))
    same_size = ops.image.resize(IMG, (6, 5)).numpy()
    np.testing.assert_allclose(same_size, IMG, rtol=1e-6)
    padded = ops.image.pad_images(IMG, 1, 2, 0, 0).numpy()
    np.testing.assert_allclose(padded, np.pad(IMG, ((0, 0), (1, 0), (2, 0), (0, 0))))
    shift = ops.image.affine_transform(IMG, [1, 0, -2, 0, 1, 0, 0, 0],
                                       interpolation="nearest").numpy()
    np.testing.assert_allclose(shift[:, :, 2:], IMG[:, :, :3])         # moved 2 right
    np.testing.assert_allclose(shift[:, :, :2], 0.0)
    edges = ops.image.sobel_edges(IMG).numpy()
    padded = np.pad(IMG, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    ref = np.zeros(IMG.shape + (2,))
    for i in range(3):
        for j in range(3):
            win = padded[:, i:i + 6, j:j + 5]
            ref[..., 0] += ky[i, j] * win
            ref[..., 1] += ky.T[i, j] * win
    np.testing.assert_allclose(edges, ref, rtol=1e-5, atol=1e-5)
    same = ops.image.ssim(IMG, IMG, filter_size=3).numpy()
    np.testing.assert_allclose(same, np.ones(2), rtol=1e-5)
    flat = np.full((1, 5, 5, 1), 2.0, "float32")
    blurred = ops.image.gaussian_blur(flat, (3, 5), (1.0, 2.0)).numpy()
    gx, gy = np.exp(-np.arange(-1, 2) ** 2 / 2.0), np.exp(-np.arange(-2, 3) ** 2 / 8.0)
    kernel = np.outer(gy / gy.sum(), gx / gx.sum())                   # (5 rows, 3 cols)
    assert blurred[0, 2, 1, 0] == pytest.approx(2.0 * kernel.sum(), rel=1e-6)   # interior
    assert blurred[0, 0, 0, 0] == pytest.approx(2.0 * kernel[2:, 1:].sum(), rel=1e-5)
    impulse = np.zeros((1, 7, 7, 1), "float32")
    impulse[0, 3, 3, 0] = 1.0                         # TensorFlow's formula: the kernel
    np.testing.assert_allclose(ops.image.gaussian_blur(impulse, (3, 5), (1.0, 2.0)).numpy()
                               [0, 1:6, 2:5, 0], kernel[::-1, ::-1], rtol=1e-5)


@pytest.mark.parametrize("name", ["resize", "rgb_to_hsv", "hsv_to_rgb", "extract_patches",
                                  "gaussian_blur", "crop_images", "sobel_edges"])
def test_gradients(name):
    args, kwargs = {**CASES, **EDGES}[name]
    x = dg.tensor(args[0][:1, :4, :4].astype(np.float64), requires_grad=True)
    if name == "crop_images":
        kwargs = {"top_cropping": 1, "bottom_cropping": 1, "left_cropping": 1,
                  "right_cropping": 0}
    assert gradcheck(lambda v: getattr(ops.image, _name(name))(v, *args[1:], **kwargs), (x,),
                     atol=1e-5, rtol=1e-3)


def test_bad_input():
    with pytest.raises(ValueError, match="rank"):
        ops.image.resize(IMG[0, 0], (2, 2))
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.resize(IMG, (2, 2), interpolation="lanczos3")
    with pytest.raises(ValueError, match="crop_to_aspect_ratio"):
        ops.image.resize(IMG, (2, 2), crop_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="exactly two"):
        ops.image.pad_images(IMG, 1, 1, 1, 1, target_height=9)
    with pytest.raises(ValueError, match="same shape"):
        ops.image.ssim(IMG, IMG[:, :4])
    with pytest.raises(AttributeError, match="deepgrad does not implement "
                                             "keras.ops.image.map_coordinates"):
        ops.image.map_coordinates
