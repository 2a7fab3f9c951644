"""fold/unfold and pixel/channel shuffle: NumPy references, float64 gradcheck, PyTorch."""
import itertools

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from lazy_torch import F
from torch_last import check_op


def unfold_ref(x, k, d, p, s):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    Ho = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((N, C * k[0] * k[1], Ho * Wo))
    for c, a, b, i, j in itertools.product(range(C), range(k[0]), range(k[1]), range(Ho),
                                           range(Wo)):
        cols[:, (c * k[0] + a) * k[1] + b, i * Wo + j] = xp[:, c, s[0] * i + d[0] * a,
                                                          s[1] * j + d[1] * b]
    return cols


def fold_ref(cols, size, k, d, p, s):
    N = cols.shape[0]
    C = cols.shape[1] // (k[0] * k[1])
    H, W = size
    Ho = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    y = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]))
    for c, a, b, i, j in itertools.product(range(C), range(k[0]), range(k[1]), range(Ho),
                                           range(Wo)):
        y[:, c, s[0] * i + d[0] * a, s[1] * j + d[1] * b] += cols[:, (c * k[0] + a) * k[1] + b,
                                                                  i * Wo + j]
    return y[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


GEOMETRIES = [  # kernel, dilation, padding, stride
    ((2, 2), (1, 1), (0, 0), (1, 1)),
    ((2, 3), (1, 2), (1, 0), (2, 1)),
    ((3, 3), (1, 1), (1, 1), (2, 2)),
]


@pytest.mark.parametrize("k,d,p,s", GEOMETRIES)
def test_unfold_and_fold_match_definition(k, d, p, s):
    check_op(lambda x: ops.unfold(x, k, d, p, s), lambda x: unfold_ref(x, k, d, p, s),
             [(2, 3, 5, 6)])
    size = (5, 6)
    L = unfold_ref(np.zeros((1, 1) + size), k, d, p, s).shape[2]
    check_op(lambda c: ops.fold(c, size, k, d, p, s), lambda c: fold_ref(c, size, k, d, p, s),
             [(2, 2 * k[0] * k[1], L)])


@pytest.mark.parametrize("k,d,p,s", GEOMETRIES)
def test_fold_unfold_match_torch(k, d, p, s):
    check_op(lambda x: ops.unfold(x, k, d, p, s), None, [(2, 3, 5, 6), (3, 5, 6)],
             torch_fn=lambda x: F.unfold(x, k, d, p, s))
    L = ops.unfold(dg.zeros(1, 1, 5, 6), k, d, p, s).shape[2]
    check_op(lambda c: ops.fold(c, (5, 6), k, d, p, s), None,
             [(2, 2 * k[0] * k[1], L), (2 * k[0] * k[1], L)],
             torch_fn=lambda c: F.fold(c, (5, 6), k, d, p, s))


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 5))
    cols = ops.unfold(dg.tensor(x), (2, 3), 1, 1, 2).numpy()
    v = rng.standard_normal(cols.shape)
    back = ops.fold(dg.tensor(v), (6, 5), (2, 3), 1, 1, 2).numpy()
    assert np.isclose((cols * v).sum(), (x * back).sum(), rtol=1e-12)


def test_fold_unfold_bad_input():
    with pytest.raises(ValueError, match=r"unfold: expected a 3-D \(unbatched\) or 4-D"):
        ops.unfold(dg.randn(1, 1, 2, 3, 3), 2)
    with pytest.raises(ValueError, match=r"unfold: kernel_size=\(4, 4\).*give \(0, 0\) sliding "
                                         r"blocks for input of spatial size \(3, 3\)"):
        ops.unfold(dg.randn(1, 2, 3, 3), 4)
    with pytest.raises(ValueError, match=r"fold: expected size of input's dimension 1 to be "
                                         r"divisible by the product of kernel_size \(2, 2\)"):
        ops.fold(dg.randn(1, 5, 4), (3, 3), 2)
    with pytest.raises(ValueError, match=r"fold: .* give \(2, 2\) sliding blocks, expected input "
                                         r"dimension 2 to be 4, received shape \(1, 8, 5\)"):
        ops.fold(dg.randn(1, 8, 5), (3, 3), 2)
    with pytest.raises(ValueError, match="unfold: kernel_size, dilation and stride must be positive"):
        ops.unfold(dg.randn(1, 2, 3, 3), 2, stride=0)


def pixel_shuffle_ref(x, r):
    *lead, C, H, W = x.shape
    y = np.zeros((*lead, C // (r * r), H * r, W * r))
    for c, i, j in itertools.product(range(C // (r * r)), range(r), range(r)):
        y[..., c, i::r, j::r] = x[..., c * r * r + i * r + j, :, :]
    return y


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 2), 2), ((9, 2, 2), 3), ((2, 1, 4, 2, 3), 2),
                                     ((1, 3, 2, 2), 1)])
def test_pixel_shuffle_and_unshuffle(shape, r):
    check_op(lambda x: ops.pixel_shuffle(x, r), lambda x: pixel_shuffle_ref(x, r), [shape])
    out = pixel_shuffle_ref(np.zeros(shape), r).shape
    check_op(lambda x: ops.pixel_unshuffle(x, r), None, [out])
    x = dg.tensor(np.random.default_rng(1).standard_normal(shape))
    np.testing.assert_array_equal(ops.pixel_unshuffle(ops.pixel_shuffle(x, r), r).numpy(),
                                  x.numpy())
    check_op(lambda x: ops.pixel_shuffle(x, r), None, [shape],
             torch_fn=lambda x: F.pixel_shuffle(x, r))
    check_op(lambda x: ops.pixel_unshuffle(x, r), None, [out],
             torch_fn=lambda x: F.pixel_unshuffle(x, r))


@pytest.mark.parametrize("shape,g", [((2, 6, 3), 2), ((1, 6, 2, 2), 3), ((2, 4, 1, 2, 1), 4),
                                     ((1, 3, 2), 1)])
def test_channel_shuffle(shape, g):
    def ref(x):
        C = x.shape[1]
        order = [a * (C // g) + b for b in range(C // g) for a in range(g)]
        return x[:, order]
    check_op(lambda x: ops.channel_shuffle(x, g), ref, [shape])
    check_op(lambda x: ops.channel_shuffle(x, g), None, [shape],
             torch_fn=lambda x: F.channel_shuffle(x, g))


def test_shuffle_bad_input():
    with pytest.raises(ValueError, match=r"pixel_shuffle: the channel dimension 5 of input shape "
                                         r"\(1, 5, 2, 2\) must be divisible by upscale_factor\^2 = 4"):
        ops.pixel_shuffle(dg.randn(1, 5, 2, 2), 2)
    with pytest.raises(ValueError, match="pixel_shuffle: expected an input with at least 3"):
        ops.pixel_shuffle(dg.randn(4, 2), 2)
    with pytest.raises(ValueError, match="pixel_shuffle: expected a positive integer upscale_factor"):
        ops.pixel_shuffle(dg.randn(1, 4, 2, 2), 0)
    with pytest.raises(ValueError, match=r"pixel_unshuffle: height 3 and width 4 .* divisible by "
                                         r"downscale_factor = 2"):
        ops.pixel_unshuffle(dg.randn(1, 1, 3, 4), 2)
    with pytest.raises(ValueError, match=r"channel_shuffle: the number of channels 5 .* divisible "
                                         r"by groups = 2"):
        ops.channel_shuffle(dg.randn(1, 5, 2), 2)
    with pytest.raises(ValueError, match="channel_shuffle: expected an input with more than 2"):
        ops.channel_shuffle(dg.randn(4, 6), 2)
