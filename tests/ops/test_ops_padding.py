"""pad and interpolate: forward vs NumPy, float64 gradcheck, PyTorch parity (float32/64)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.ops import padding as ops     # the family's module; = deepgrad.ops once exported
from op_harness import check_op

NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_ref(x, p, mode, value=0.0):
    """np.pad with PyTorch's pad order (last axis first); negative pads crop first."""
    widths = [(0, 0)] * x.ndim
    for k in range(len(p) // 2):
        widths[x.ndim - 1 - k] = (p[2 * k], p[2 * k + 1])
    x = x[tuple(slice(max(-b, 0), x.shape[i] - max(-a, 0)) for i, (b, a) in enumerate(widths))]
    grow = [(max(b, 0), max(a, 0)) for b, a in widths]
    if mode == "constant":
        return np.pad(x, grow, constant_values=value)
    return np.pad(x, grow, mode=NP_MODE[mode])


def torch_pad(p, mode, value=None):
    def fn(x):
        F = pytest.importorskip("torch").nn.functional
        return F.pad(x, p, mode=mode, value=value) if mode == "constant" else F.pad(x, p, mode=mode)
    return fn


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, p", [((2, 3, 5), (1, 2)), ((1, 2, 4, 5), (2, 1, 0, 3)),
                                      ((2, 3, 5), (0, 0)), ((1, 2, 3, 4), (-1, 2, 1, -1))],
                         ids=["1d", "2d", "zero", "crop"])
def test_pad_forward_gradcheck_and_torch(mode, shape, p):
    check_op(lambda x: ops.pad(x, p, mode), lambda x: pad_ref(x, p, mode), [shape],
             torch_fn=torch_pad(p, mode, 0.0))


def test_pad_constant_value_and_3d_padding():
    p = (1, 0, 2, 1, 1, 1)
    check_op(lambda x: ops.pad(x, p, value=-1.5), lambda x: pad_ref(x, p, "constant", -1.5),
             [(1, 2, 2, 3, 2)], torch_fn=torch_pad(p, "constant", -1.5))


def test_pad_reflect_gradient_accumulates_on_mirrored_elements():
    x = dg.tensor([[[1.0, 2.0, 3.0, 4.0]]], requires_grad=True)
    y = ops.pad(x, (2, 1), mode="reflect")
    np.testing.assert_array_equal(y.numpy().ravel(), [3, 2, 1, 2, 3, 4, 3])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [1, 2, 3, 1])


def test_pad_errors():
    x = dg.randn(1, 2, 3)
    with pytest.raises(ValueError, match=r"pad: .*reflect.*dimension 2 of input of shape \(1, 2, 3\).*pads < m"):
        ops.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="pad: the pad tuple must have an even length"):
        ops.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="pad: mode must be one of"):
        ops.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ValueError, match=r"pad: padding \(-2, -2\) crops more than the 3 elements"):
        ops.pad(x, (-2, -2))


# ----------------------------------------------------------------- interpolate
def bilinear_ref(x, out_hw, align_corners):
    """Four-neighbour bilinear interpolation, written out directly (not separably)."""
    (H, W), (Ho, Wo) = x.shape[2:], out_hw

    def src(n_in, n_out):
        j = np.arange(n_out, dtype=np.float64)
        if align_corners:
            u = j * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            u = np.maximum((j + 0.5) * n_in / n_out - 0.5, 0)
        i0 = np.minimum(np.floor(u).astype(int), n_in - 1)
        return i0, np.minimum(i0 + 1, n_in - 1), u - i0

    y0, y1, ly = src(H, Ho)
    x0, x1, lx = src(W, Wo)
    ly, lx = ly[:, None], lx[None, :]
    at = lambda yy, xx: x[:, :, yy[:, None], xx[None, :]]
    return ((1 - ly) * (1 - lx) * at(y0, x0) + (1 - ly) * lx * at(y0, x1)
            + ly * (1 - lx) * at(y1, x0) + ly * lx * at(y1, x1))


def nearest_ref(x, out_sizes):
    for axis, n_out in zip(range(2, x.ndim), out_sizes):
        n_in = x.shape[axis]
        x = np.take(x, np.minimum(np.arange(n_out) * n_in // n_out, n_in - 1), axis=axis)
    return x


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("shape, size", [((2, 1, 3, 4), (5, 7)), ((1, 2, 5, 4), (2, 3)),
                                         ((1, 1, 1, 2), (3, 1))])
def test_bilinear_forward_and_gradcheck(shape, size, align_corners):
    def torch_fn(x):
        F = pytest.importorskip("torch").nn.functional
        return F.interpolate(x, size=size, mode="bilinear", align_corners=align_corners)

    check_op(lambda x: ops.interpolate(x, size, mode="bilinear", align_corners=align_corners),
             lambda x: bilinear_ref(x, size, align_corners), [shape], torch_fn=torch_fn)


@pytest.mark.parametrize("shape, size", [((2, 3, 4), (9,)), ((1, 2, 3, 4), (6, 8)),
                                         ((1, 1, 6, 5), (4, 2))])
def test_nearest_forward_and_gradcheck(shape, size):
    def torch_fn(x):
        return pytest.importorskip("torch").nn.functional.interpolate(x, size=size)

    check_op(lambda x: ops.interpolate(x, size), lambda x: nearest_ref(x, size), [shape],
             torch_fn=torch_fn)


def test_linear_1d_gradcheck():
    x = dg.randn(2, 2, 4, dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda x: ops.interpolate(x, scale_factor=1.7, mode="linear"), (x,))


def _torch_1d_nearest_backward_differs(mode, in_shape, out_shape):
    """torch 2.x's 1-D 'nearest' forward uses floor(j s), but its backward copies when
    out == in and takes j // 2 when out == 2 in; with a scale factor (s != in/out) its
    gradient then is not the derivative of its forward (see the test below)."""
    n_in, n_out = in_shape[-1], out_shape[-1]
    return mode == "nearest" and len(in_shape) == 3 and n_out in (n_in, 2 * n_in)


def test_nearest_1d_with_scale_factor_uses_the_forward_formula_in_backward():
    x = dg.randn(1, 2, 5, dtype=dg.float64, requires_grad=True)
    y = ops.interpolate(x, scale_factor=1.01)             # out = 5 = in, s = 1/1.01: i = 0 0 1 2 3
    np.testing.assert_array_equal(y.numpy(), x.numpy()[..., [0, 0, 1, 2, 3]])
    assert dg.gradcheck(lambda x: ops.interpolate(x, scale_factor=1.01), (x,))
    assert dg.gradcheck(lambda x: ops.interpolate(x, scale_factor=2.04), (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_matches_torch_on_a_grid(dtype):
    """Odd sizes, down- and up-sampling, scale factors that are not in/out, out == in,
    out == 2 in: outputs and input gradients against torch, in float32 and float64."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    args = [dict(size=s) for s in (1, 3, 7, 10)] + [
        dict(scale_factor=f) for f in (0.55, 1.01, 1.3, 2.0, 2.04, 2.5)]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for mode, ac, shape in [("nearest", None, (1, 2, 5)), ("nearest", None, (1, 2, 5, 6)),
                            ("nearest-exact", None, (1, 2, 5, 3)), ("linear", False, (1, 2, 5)),
                            ("linear", True, (1, 2, 5)), ("bilinear", False, (1, 2, 5, 3)),
                            ("bilinear", True, (1, 2, 3, 5))]:
        for kw in args:
            x = rng.standard_normal(shape).astype(dtype)
            tx = torch.tensor(x, requires_grad=True)
            dx = dg.tensor(x, requires_grad=True)
            tout = F.interpolate(tx, mode=mode, align_corners=ac, **kw)
            out = ops.interpolate(dx, mode=mode, align_corners=ac, **kw)
            where = f"{mode}, align_corners={ac}, {shape}, {kw}"
            assert out.shape == tuple(tout.shape) and out.dtype == dtype, where
            np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), atol=tol, err_msg=where)
            if _torch_1d_nearest_backward_differs(mode, shape, out.shape):
                continue
            g = rng.standard_normal(out.shape).astype(dtype)
            out.backward(g)
            tout.backward(torch.tensor(g))
            np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), atol=10 * tol, err_msg=where)


def test_interpolate_errors():
    x = dg.randn(1, 2, 3, 4)
    with pytest.raises(ValueError, match=r"interpolate: mode .linear. expects 3-D \(N, C, L\) input, received shape \(1, 2, 3, 4\)"):
        ops.interpolate(x, 5, mode="linear")
    with pytest.raises(ValueError, match=r"mode .bilinear. expects 4-D \(N, C, H, W\) input, received shape \(1, 2, 3\)"):
        ops.interpolate(dg.randn(1, 2, 3), 5, mode="bilinear")
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        ops.interpolate(x)
    with pytest.raises(ValueError, match="align_corners can only be set with the linear modes"):
        ops.interpolate(x, 5, align_corners=True)
    with pytest.raises(ValueError, match=r"interpolate: size \(5, 6, 7\) must have 2 entries"):
        ops.interpolate(x, (5, 6, 7))
    with pytest.raises(ValueError, match="interpolate: mode must be one of"):
        ops.interpolate(x, 5, mode="cubic")
