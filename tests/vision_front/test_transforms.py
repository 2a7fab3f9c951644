"""deepgrad.vision.transforms against NumPy references of torchvision's rules, against
PyTorch's own resampling (the tensor path of torchvision: ``interpolate`` with antialias)
and Pillow's (``Image.rotate``, ``Image.resize``) when installed, on tensors, NumPy arrays
and PIL images alike."""
import colorsys

import numpy as np
import pytest

import deepgrad as torch
from deepgrad.vision import transforms as T
from deepgrad.vision.transforms import functional as F

RNG = np.random.default_rng(0)
GREY = RNG.integers(0, 256, (9, 12), dtype=np.uint8)
RGB = RNG.integers(0, 256, (8, 10, 3), dtype=np.uint8)
FLOAT = RNG.random((3, 8, 10)).astype(np.float32)


# ------------------------------------------------------------------ conversions
def test_to_tensor():
    t = T.ToTensor()(GREY)
    assert t.shape == (1, 9, 12) and t.dtype == np.float32
    np.testing.assert_allclose(t.numpy()[0], GREY / 255.0, rtol=1e-6)
    t = T.ToTensor()(RGB)
    np.testing.assert_allclose(t.numpy(), RGB.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    f64 = RNG.random((4, 5))
    assert T.ToTensor()(f64).dtype == np.float64                       # values kept
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        T.ToTensor()([1, 2])


def test_pil_conversions():
    Image = pytest.importorskip("PIL.Image")
    img = Image.fromarray(RGB)
    np.testing.assert_allclose(T.ToTensor()(img).numpy(), RGB.transpose(2, 0, 1) / 255.0,
                               rtol=1e-6)
    np.testing.assert_array_equal(T.PILToTensor()(img).numpy(), RGB.transpose(2, 0, 1))
    back = T.ToPILImage()(torch.tensor(RGB.transpose(2, 0, 1).copy()))
    np.testing.assert_array_equal(np.asarray(back), RGB)


def test_normalize():
    out = T.Normalize((0.5, 0.2, 0.1), (0.5, 0.25, 2.0))(torch.tensor(FLOAT))
    ref = (FLOAT - np.array([0.5, 0.2, 0.1])[:, None, None]) / np.array([0.5, 0.25, 2.0])[
        :, None, None]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize((0.5,), (0.0,))(torch.tensor(FLOAT))
    with pytest.raises(TypeError, match="Tensor Image"):
        T.Normalize((0.5,), (0.5,))(FLOAT)
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize((0.5,), (0.5,))(torch.tensor(RGB.transpose(2, 0, 1).copy()))


# ------------------------------------------------------------------ crops, pads, flips
def test_crop_pad_flip_center_crop():
    np.testing.assert_array_equal(F.crop(GREY, 2, 3, 4, 5), GREY[2:6, 3:8])
    np.testing.assert_array_equal(F.crop(GREY, -1, 10, 3, 4)[1:, :2], GREY[:2, 10:12])
    np.testing.assert_array_equal(F.pad(GREY, (1, 2), fill=7)[0], np.full(14, 7))
    np.testing.assert_array_equal(F.pad(GREY, [1, 2, 3, 4], padding_mode="reflect"),
                                  np.pad(GREY, ((2, 4), (1, 3)), mode="reflect"))
    np.testing.assert_array_equal(F.hflip(RGB), RGB[:, ::-1])
    np.testing.assert_array_equal(F.vflip(torch.tensor(FLOAT)).numpy(), FLOAT[:, ::-1])
    np.testing.assert_array_equal(T.CenterCrop(4)(GREY), GREY[2:6, 4:8])   # round((9-4)/2)=2
    big = T.CenterCrop((11, 13))(GREY)             # padded: 1 left, 1 top, 0 right, 1 bottom
    assert big.shape == (11, 13)
    np.testing.assert_array_equal(big[1:10, 0:12], GREY)


def test_random_crop_and_flip_are_seeded():
    torch.manual_seed(3)
    a = T.RandomCrop(5, padding=2)(GREY)
    torch.manual_seed(3)
    b = T.RandomCrop(5, padding=2)(GREY)
    np.testing.assert_array_equal(a, b)
    padded = np.pad(GREY, 2)
    windows = [padded[i:i + 5, j:j + 5] for i in range(9) for j in range(12)]
    assert any((a == w).all() for w in windows)
    assert T.RandomCrop((12, 14), pad_if_needed=True)(GREY).shape == (12, 14)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(GREY), GREY[:, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(GREY), GREY)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(20)(GREY)


# ------------------------------------------------------------------ resize
def test_resize_sizes():
    assert F.resize(GREY, 6).shape == (6, 8)                  # smaller edge 9 -> 6
    assert F.resize(GREY, 6, max_size=7).shape == (5, 7)
    assert F.resize(torch.tensor(FLOAT), (4, 5)).shape == (3, 4, 5)
    with pytest.raises(ValueError, match="max_size"):
        F.resize(GREY, 6, max_size=6)
    with pytest.raises(ValueError, match="interpolation"):
        T.Resize(4, interpolation="lanczos-ish")


@pytest.mark.parametrize("size", [(5, 7), (17, 23)])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_resize_matches_torch(size, mode):
    torch_ref = pytest.importorskip("torch")
    x = RNG.random((2, 3, 11, 13)).astype(np.float32)
    ours = F.resize(torch.tensor(x), size, interpolation=mode).numpy()
    ref = torch_ref.nn.functional.interpolate(torch_ref.tensor(x), size=size, mode=mode,
                                              align_corners=False, antialias=True).numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    u8 = (x * 255).astype(np.uint8)
    ours = F.resize(torch.tensor(u8), size, interpolation=mode).numpy()
    ref = torch_ref.nn.functional.interpolate(torch_ref.tensor(u8).float(), size=size, mode=mode,
                                              align_corners=False, antialias=True)
    ref = ref.clamp(0, 255).round().to(torch_ref.uint8).numpy()
    assert ours.dtype == np.uint8
    assert np.abs(ours.astype(int) - ref.astype(int)).max() <= 1


def test_resize_close_to_pillow():
    Image = pytest.importorskip("PIL.Image")
    img = Image.fromarray(RNG.integers(0, 256, (40, 30), dtype=np.uint8))
    ours = np.asarray(T.Resize((17, 13))(img)).astype(int)
    ref = np.asarray(img.resize((13, 17), Image.BILINEAR)).astype(int)
    assert np.abs(ours - ref).max() <= 1


# ------------------------------------------------------------------ rotation and affine
def test_rotate_quarter_turns_are_exact():
    for a in (GREY[:9, :9], RGB[:8, :8]):
        np.testing.assert_array_equal(F.rotate(a, 90), np.rot90(a, 1, axes=(0, 1)))
        np.testing.assert_array_equal(F.rotate(a, -90), np.rot90(a, -1, axes=(0, 1)))
        np.testing.assert_array_equal(F.rotate(a, 0), a)
    odd = GREY[:, :11]                            # 9 x 11: both odd, so the centre is a pixel
    np.testing.assert_array_equal(F.rotate(odd, 90, expand=True), np.rot90(odd, 1))
    # 9 x 12: the corners land on half pixels and the canvas rounds out, as in PIL
    assert F.rotate(GREY, 90, expand=True).shape == (13, 10)


def test_rotate_matches_pillow():
    Image = pytest.importorskip("PIL.Image")
    a = RNG.integers(0, 256, (21, 25), dtype=np.uint8)
    for angle in (17.0, -33.0, 120.0):
        ours = F.rotate(Image.fromarray(a), angle)
        ref = Image.fromarray(a).rotate(angle, resample=Image.NEAREST)
        assert isinstance(ours, Image.Image)
        agree = (np.asarray(ours) == np.asarray(ref)).mean()
        assert agree > 0.97, (angle, agree)
        ours_x = F.rotate(Image.fromarray(a), angle, expand=True)
        ref_x = Image.fromarray(a).rotate(angle, resample=Image.NEAREST, expand=True)
        assert ours_x.size == ref_x.size


def test_affine_translation_scale_and_fill():
    shifted = F.affine(GREY, angle=0, translate=[2, 3], scale=1.0, shear=0, fill=9)
    np.testing.assert_array_equal(shifted[3:, 2:], GREY[:-3, :-2])
    assert (shifted[:3] == 9).all() and (shifted[:, :2] == 9).all()
    np.testing.assert_array_equal(F.affine(GREY, 0, [0, 0], 1.0, [0.0, 0.0]), GREY)
    rot = F.affine(GREY[:9, :9], 90, [0, 0], 1.0, 0)
    np.testing.assert_array_equal(rot, F.rotate(GREY[:9, :9], 90))
    # scale 2 about the centre of an odd image: the centre pixel stays, neighbours spread
    big = F.affine(GREY[:9, :9], 0, [0, 0], 2.0, 0)
    assert big[4, 4] == GREY[4, 4]
    # shear along x by 45 degrees about the centre row 4: row 4 + k moves k pixels sideways
    img = RNG.random((1, 9, 9)).astype(np.float32)
    sheared = F.affine(torch.tensor(img), 0, [0, 0], 1.0, [45.0, 0.0]).numpy()[0]
    np.testing.assert_array_equal(sheared[4], img[0, 4])
    step = 1 if np.array_equal(sheared[5, 1:], img[0, 5, :-1]) else -1
    for k in (1, 2, -1, -3):
        shift = step * k
        np.testing.assert_array_equal(
            sheared[4 + k, max(shift, 0):9 + min(shift, 0)],
            img[0, 4 + k, max(-shift, 0):9 + min(-shift, 0)])
    with pytest.raises(ValueError, match="scale"):
        F.affine(GREY, 0, [0, 0], 0.0, 0)


def test_random_rotation_and_affine_draws():
    torch.manual_seed(0)
    angles = [T.RandomRotation.get_params([-10.0, 10.0]) for _ in range(200)]
    assert -10 <= min(angles) and max(angles) <= 10 and np.std(angles) > 4
    angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params(
        [-5.0, 5.0], (0.1, 0.2), (0.9, 1.1), [-3.0, 3.0, -2.0, 2.0], [20, 30])
    assert abs(angle) <= 5 and abs(tx) <= 2 and abs(ty) <= 6 and 0.9 <= scale <= 1.1
    assert abs(sx) <= 3 and abs(sy) <= 2
    torch.manual_seed(1)
    a = T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10)(RGB)
    torch.manual_seed(1)
    b = T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10)(RGB)
    np.testing.assert_array_equal(a, b)
    assert a.shape == RGB.shape and a.dtype == np.uint8
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="translate"):
        T.RandomAffine(0, translate=(1.5, 0))


# ------------------------------------------------------------------ colour
def _grey(x):
    return 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]


def test_colour_adjustments_float():
    x = torch.tensor(FLOAT)
    np.testing.assert_allclose(F.adjust_brightness(x, 1.5).numpy(), np.clip(FLOAT * 1.5, 0, 1),
                               rtol=1e-6)
    mean = _grey(FLOAT).mean()
    np.testing.assert_allclose(F.adjust_contrast(x, 0.3).numpy(),
                               np.clip(0.3 * FLOAT + 0.7 * mean, 0, 1), rtol=1e-5)
    np.testing.assert_allclose(F.adjust_saturation(x, 0.0).numpy(),
                               np.broadcast_to(_grey(FLOAT), FLOAT.shape), rtol=1e-5)
    np.testing.assert_allclose(F.adjust_hue(x, 0.0).numpy(), FLOAT, atol=1e-6)


def test_hue_matches_colorsys():
    x = RNG.random((3, 4, 5)).astype(np.float32)
    out = F.adjust_hue(torch.tensor(x), 0.2).numpy()
    for i in range(4):
        for j in range(5):
            h, s, v = colorsys.rgb_to_hsv(*x[:, i, j])
            np.testing.assert_allclose(out[:, i, j], colorsys.hsv_to_rgb((h + 0.2) % 1, s, v),
                                       atol=1e-5)


def test_color_jitter():
    torch.manual_seed(0)
    jit = T.ColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.1)
    out = jit(RGB)
    assert out.shape == RGB.shape and out.dtype == np.uint8 and not (out == RGB).all()
    assert T.ColorJitter()(RGB) is RGB
    order, b, c, s, h = T.ColorJitter.get_params((0.5, 1.5), None, (0.0, 2.0), (-0.1, 0.1))
    assert sorted(order) == [0, 1, 2, 3] and 0.5 <= b <= 1.5 and c is None and abs(h) <= 0.1
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(TypeError, match="channel"):
        F.adjust_brightness(np.zeros((4, 4, 2), np.uint8), 1.2)


def test_compose_keeps_pil_images_and_pipeline():
    Image = pytest.importorskip("PIL.Image")
    torch.manual_seed(0)
    pipeline = T.Compose([T.RandomCrop(28, padding=4), T.RandomHorizontalFlip(),
                          T.RandomRotation(10), T.ColorJitter(0.2, 0.2, 0.2, 0.05),
                          T.Resize(32), T.CenterCrop(30)])
    img = Image.fromarray(RNG.integers(0, 256, (28, 28, 3), dtype=np.uint8))
    out = pipeline(img)
    assert isinstance(out, Image.Image) and out.size == (30, 30) and out.mode == "RGB"
    t = T.Compose([pipeline, T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])(img)
    assert t.shape == (3, 30, 30) and -1 <= t.numpy().min() and t.numpy().max() <= 1
    assert "RandomCrop" in repr(pipeline)


def test_tensor_batches():
    x = torch.tensor(RNG.random((4, 3, 8, 8)).astype(np.float32))
    assert F.rotate(x, 30).shape == (4, 3, 8, 8)
    assert F.resize(x, 4).shape == (4, 3, 4, 4)
    np.testing.assert_array_equal(F.hflip(x).numpy(), x.numpy()[..., ::-1])
