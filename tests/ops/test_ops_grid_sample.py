"""grid_sample (bilinear/nearest/bicubic, zeros/border/reflection, align_corners, 2-D and
3-D) and affine_grid: NumPy references, float64 gradcheck of input and grid, PyTorch."""
import itertools

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from lazy_torch import F
from op_harness import uniform
from torch_last import check_op


def bilinear_ref(x, grid, align_corners):
    """Loop over output points: four corners, zero outside (padding_mode='zeros')."""
    N, C, H, W = x.shape
    out = np.zeros((N, C) + grid.shape[1:3])
    for n, i, j in itertools.product(range(N), range(grid.shape[1]), range(grid.shape[2])):
        gx, gy = grid[n, i, j]
        if align_corners:
            u, v = (gx + 1) / 2 * (W - 1), (gy + 1) / 2 * (H - 1)
        else:
            u, v = ((gx + 1) * W - 1) / 2, ((gy + 1) * H - 1) / 2
        u0, v0 = int(np.floor(u)), int(np.floor(v))
        for du, dv in itertools.product((0, 1), (0, 1)):
            uu, vv = u0 + du, v0 + dv
            w = (u - u0 if du else 1 - (u - u0)) * (v - v0 if dv else 1 - (v - v0))
            if 0 <= uu < W and 0 <= vv < H:
                out[n, :, i, j] += w * x[n, :, vv, uu]
    return out


def grid_maker(low=-1.3, high=1.3):
    """Grid points away from the pixel lattice (no kinks for the central difference)."""
    def make(rng, shape):
        return rng.uniform(low, high, shape)
    return make


@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_bilinear_matches_definition(align_corners):
    check_op(lambda x, g: ops.grid_sample(x, g, align_corners=align_corners),
             lambda x, g: bilinear_ref(x, g, align_corners), [((2, 2, 4, 5), (2, 3, 2, 2))],
             make=[uniform(), grid_maker()], gc_atol=1e-4)


CASES = [(mode, pm, ac) for mode in ("bilinear", "nearest", "bicubic")
         for pm in ("zeros", "border", "reflection") for ac in (False, True)]


@pytest.mark.parametrize("mode,padding_mode,align_corners", CASES)
def test_grid_sample_2d_matches_torch(mode, padding_mode, align_corners):
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    check_op(lambda x, g: ops.grid_sample(x, g, **kw), None, [((2, 2, 4, 5), (2, 3, 2, 2))],
             make=[uniform(), grid_maker(-1.6, 1.6)], grad=False,
             torch_fn=lambda x, g: F.grid_sample(x, g, **kw))


@pytest.mark.parametrize("mode,padding_mode,align_corners",
                         [c for c in CASES if c[0] != "bicubic"])
def test_grid_sample_3d_matches_torch(mode, padding_mode, align_corners):
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    check_op(lambda x, g: ops.grid_sample(x, g, **kw), None,
             [((2, 2, 3, 4, 3), (2, 2, 2, 3, 3))], make=[uniform(), grid_maker(-1.6, 1.6)],
             grad=False, torch_fn=lambda x, g: F.grid_sample(x, g, **kw))


@pytest.mark.parametrize("mode,padding_mode", [("bilinear", "zeros"), ("bilinear", "border"),
                                               ("bilinear", "reflection"), ("bicubic", "zeros"),
                                               ("bicubic", "reflection")])
def test_grid_sample_gradcheck_input_and_grid(mode, padding_mode):
    """Points inside (-0.9, 0.9): no clipping, so both gradients are smooth there."""
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=False)
    check_op(lambda x, g: ops.grid_sample(x, g, **kw), None, [((1, 2, 4, 5), (1, 3, 2, 2))],
             make=[uniform(), grid_maker(-0.9, 0.9)], gc_atol=1e-4)
    check_op(lambda x, g: ops.grid_sample(x, g, mode="bilinear", padding_mode=padding_mode,
                                          align_corners=True),
             None, [((1, 2, 3, 4, 3), (1, 2, 2, 1, 3))], make=[uniform(), grid_maker(-0.9, 0.9)],
             gc_atol=1e-4)


def test_nearest_grid_sample_has_no_grid_gradient():
    x = dg.randn(1, 1, 4, 4, dtype=dg.float64, requires_grad=True)
    g = dg.tensor(np.random.default_rng(0).uniform(-1, 1, (1, 2, 2, 2)), requires_grad=True)
    ops.grid_sample(x, g, mode="nearest", align_corners=False).sum().backward()
    assert not g.grad.numpy().any() and x.grad.numpy().sum() == 4


@pytest.mark.filterwarnings("ignore:Since version 1.3.0")
def test_affine_grid_identity_and_torch():
    theta = dg.tensor(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]))
    x = dg.randn(1, 2, 4, 5, dtype=dg.float64)
    for ac in (False, True):
        grid = ops.affine_grid(theta, x.shape, align_corners=ac)
        np.testing.assert_allclose(ops.grid_sample(x, grid, align_corners=ac).numpy(),
                                   x.numpy(), rtol=1e-12, atol=1e-12)
    check_op(lambda t: ops.affine_grid(t, (2, 3, 4, 5), False), None, [(2, 2, 3)])
    check_op(lambda t: ops.affine_grid(t, (2, 3, 2, 4, 3), align_corners=True), None, [(2, 3, 4)])
    for size, shape in (((2, 3, 4, 5), (2, 2, 3)), ((2, 1, 2, 4, 3), (2, 3, 4)),
                        ((1, 1, 1, 3), (1, 2, 3))):
        for ac in (False, True):
            check_op(lambda t: ops.affine_grid(t, size, align_corners=ac), None, [shape],
                     torch_fn=lambda t: F.affine_grid(t, size, align_corners=ac))


def test_align_corners_none_is_false_with_torchs_warning():
    x, theta = dg.randn(1, 2, 3, 3), dg.randn(1, 2, 3)
    with pytest.warns(UserWarning, match="behavior has changed to align_corners=False"):
        grid = ops.affine_grid(theta, x.shape)
    np.testing.assert_array_equal(grid.numpy(), ops.affine_grid(theta, x.shape, False).numpy())
    with pytest.warns(UserWarning, match="behavior has changed to align_corners=False"):
        y = ops.grid_sample(x, grid)
    np.testing.assert_array_equal(y.numpy(), ops.grid_sample(x, grid, align_corners=False).numpy())
    with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
        ops.affine_grid(dg.randn(1, 2, 3), (1, 1, 1, 3), align_corners=True)


def test_grid_sample_bad_input():
    x = dg.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match=r"grid_sample: expected input \(N, C, H, W\) with grid "
                                         r"\(N, H_out, W_out, 2\).*received input \(1, 2, 4, 4\) "
                                         r"and grid \(1, 3, 3, 3\)"):
        ops.grid_sample(x, dg.randn(1, 3, 3, 3))
    with pytest.raises(ValueError, match="grid_sample: mode must be one of"):
        ops.grid_sample(x, dg.randn(1, 3, 3, 2), mode="area")
    with pytest.raises(ValueError, match="grid_sample: padding_mode must be one of"):
        ops.grid_sample(x, dg.randn(1, 3, 3, 2), padding_mode="circular")
    with pytest.raises(ValueError, match="mode 'bicubic' needs 4-D input"):
        ops.grid_sample(dg.randn(1, 2, 3, 3, 3), dg.randn(1, 2, 2, 2, 3), mode="bicubic")
    with pytest.raises(TypeError, match="input and grid must share one float dtype"):
        ops.grid_sample(x, dg.randn(1, 3, 3, 2, dtype=dg.float64))
    with pytest.raises(ValueError, match=r"affine_grid: expected theta of shape \(N, 2, 3\).*"
                                         r"received theta \(2, 2, 3\) and size \(1, 3, 4, 4\)"):
        ops.affine_grid(dg.randn(2, 2, 3), (1, 3, 4, 4))
