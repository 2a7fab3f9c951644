"""affine_transform (Keras's projective warp): a NumPy reference with its fill modes,
gradcheck in the images, Keras 3 (torch backend) when installed, bad input."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops

RNG = np.random.default_rng(11)
X = RNG.uniform(0, 1, (2, 3, 7, 9))
TH = np.deg2rad(30)
T = np.array([[np.cos(TH), -np.sin(TH), 1.5, np.sin(TH), np.cos(TH), -0.7, 0.0, 0.0],
              [1.1, 0.13, -2.3, 0.07, 0.8, 1.1, 0.0, 0.0]])


def _fold(i, n, mode):
    if mode == "reflect":
        i = np.mod(i, 2 * n)
        return np.where(i >= n, 2 * n - 1 - i, i)
    if mode == "wrap":
        return np.mod(i, n)
    return np.clip(i, 0, n - 1)


def reference(x, t, interpolation, mode, fill):
    """Per output pixel: source point, then Keras's map_coordinates (corner indices folded
    by the mode; constant: corners outside read ``fill``)."""
    n, c, h, w = x.shape
    out = np.zeros_like(x)
    for b in range(n):
        a0, a1, a2, b0, b1, b2, c0, c1 = t[b]
        for i in range(h):
            for j in range(w):
                k = c0 * j + c1 * i + 1
                sx, sy = (a0 * j + a1 * i + a2) / k, (b0 * j + b1 * i + b2) / k
                if interpolation == "nearest":
                    taps = [(np.round(sy), np.round(sx), 1.0)]
                else:
                    y0, x0 = np.floor(sy), np.floor(sx)
                    ty, tx = sy - y0, sx - x0
                    taps = [(y0 + dy, x0 + dx, (ty if dy else 1 - ty) * (tx if dx else 1 - tx))
                            for dy in (0, 1) for dx in (0, 1)]
                for yy, xx, wt in taps:
                    yy, xx = int(yy), int(xx)
                    if mode == "constant" and not (0 <= yy < h and 0 <= xx < w):
                        out[b, :, i, j] += wt * fill
                    else:
                        out[b, :, i, j] += wt * x[b, :, _fold(yy, h, mode), _fold(xx, w, mode)]
    return out


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "wrap"])
def test_affine_transform_reference_and_grad(interpolation, mode):
    y = ops.affine_transform(dg.tensor(X), T, interpolation, mode, 0.3)
    np.testing.assert_allclose(y.numpy(), reference(X, T, interpolation, mode, 0.3),
                               atol=1e-12)
    x = dg.tensor(X[:1, :1, :4, :5], requires_grad=True)
    assert dg.gradcheck(lambda v: ops.affine_transform(v, T[1], interpolation, mode, 0.3),
                        (x,))


def test_affine_transform_projective_and_identity():
    proj = np.array([[1.0, 0.0, 0.3, 0.0, 1.0, -0.2, 0.02, -0.03]])
    y = ops.affine_transform(dg.tensor(X[:1]), proj, "bilinear", "reflect")
    np.testing.assert_allclose(y.numpy(), reference(X[:1], proj, "bilinear", "reflect", 0),
                               atol=1e-12)
    same = ops.affine_transform(dg.tensor(X), [1, 0, 0, 0, 1, 0, 0, 0])
    np.testing.assert_allclose(same.numpy(), X, atol=1e-12)
    assert ops.affine_transform(dg.tensor(X.astype(np.float32)), T).dtype == dg.float32


def test_affine_transform_against_keras():
    keras = pytest.importorskip("keras")
    x = X.astype(np.float32).transpose(0, 2, 3, 1)
    for interpolation in ("bilinear", "nearest"):
        for mode in ("constant", "nearest", "reflect", "wrap"):
            ours = ops.affine_transform(dg.tensor(X.astype(np.float32)), T.astype(np.float32),
                                        interpolation, mode, 0.3).numpy().transpose(0, 2, 3, 1)
            theirs = keras.ops.image.affine_transform(
                x, T.astype(np.float32), interpolation=interpolation, fill_mode=mode,
                fill_value=0.3)
            np.testing.assert_allclose(ours, np.asarray(theirs.cpu()), atol=2e-6)


def test_affine_transform_bad_input():
    with pytest.raises(ValueError, match="fill_mode.*'mirror'"):
        ops.affine_transform(dg.tensor(X), T, fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation.*'bicubic'"):
        ops.affine_transform(dg.tensor(X), T, interpolation="bicubic")
    with pytest.raises(ValueError, match=r"transform \(N, 8\).*\(2, 6\)"):
        ops.affine_transform(dg.tensor(X), T[:, :6])
    with pytest.raises(ValueError, match=r"images \(N, C, H, W\).*\(3, 7, 9\)"):
        ops.affine_transform(dg.tensor(X[0]), T[0])
