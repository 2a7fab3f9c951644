"""Spatial transformers: ``affine_grid`` and ``grid_sample`` (PyTorch's semantics).

affine_grid maps the output's normalised coordinates through theta:

    grid[n, (d,) h, w] = theta[n] @ (x_w, y_h, (z_d,) 1),   x_w in [-1, 1] across W
    (x_w = -1 + 2 w / (W - 1) with align_corners, else (-1 + (2 w + 1) / W))

a composition of a constant base grid and a batched matrix product.

grid_sample reads input (N, C, *S) at the points of grid (N, *O, k), k = len(S), whose
last axis holds (x, y(, z)) for the axes (W, H(, D)), normalised to [-1, 1]:

    unnormalise  u = (c + 1) (n - 1) / 2 (align_corners), u = ((c + 1) n - 1) / 2 (not)
    padding      zeros: points outside read 0;  border: u clipped to [0, n - 1];
                 reflection: u mirrored at the edges (at the pixel centres with
                 align_corners, at the pixel borders without), then clipped
    bilinear     out = sum over the 2^k corners prod_a w_a x[corner],
                 w_a = 1 - t_a or t_a with t_a = u_a - floor(u_a)
    nearest      out = x[round_half_even(u)]
    bicubic      out = sum over 4 x 4 taps of Keys' weights (a = -0.75) of t, each tap's
                 position padded by itself (2-D only)

Backward: dL/dinput is the scatter-add of g times each tap's weight; dL/dgrid_a is
sum_taps (dW/du_a) <g, x[tap]> times du_a/dc_a (the unnormalising scale, times 0 where
border/reflection clipped and +-1 where reflection mirrored); nearest gives 0.
"""
import warnings

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops.linalg import matmul

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def _align_corners(align_corners):
    """None means False, with PyTorch's warning about the 1.3.0 change of default."""
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=3)
        return False
    return bool(align_corners)


# ----------------------------------------------------------------- coordinates
def _reflect(u, twice_low, twice_high):
    """PyTorch's reflect_coordinates, with d(out)/d(in) (+1 or -1)."""
    if twice_low == twice_high:
        return np.zeros_like(u), np.zeros_like(u)
    low = u.dtype.type(twice_low / 2)
    span = u.dtype.type((twice_high - twice_low) / 2)
    d = u - low
    sign = np.where(d < 0, -1, 1).astype(u.dtype)
    d = np.abs(d)
    extra = np.fmod(d, span)
    flips = np.floor(d / span).astype(np.int64)
    even = flips % 2 == 0
    return np.where(even, extra + low, span - extra + low), np.where(even, sign, -sign)


def _clip(u, n):
    """Clip to [0, n - 1]; the derivative is 0 on and beyond the borders (PyTorch's)."""
    inside = (u > 0) & (u < n - 1)
    return np.clip(u, 0, n - 1), inside.astype(u.dtype)


def _pad_coordinate(u, n, padding_mode, align_corners):
    """The padded source coordinate and its derivative with respect to u."""
    if padding_mode == "zeros":
        return u, np.ones_like(u)
    grad = np.ones_like(u)
    if padding_mode == "reflection":
        u, grad = _reflect(u, 0, 2 * (n - 1)) if align_corners else _reflect(u, -1, 2 * n - 1)
    u, inside = _clip(u, n)
    return u, grad * inside


def _cubic(t):
    """Keys' weights of the four taps at offsets -1, 0, 1, 2 and their d/dt, a = -0.75."""
    a = t.dtype.type(-0.75)
    one = t.dtype.type(1)

    def near(x):                       # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1, ((3 * (a + 2)) * x - 2 * (a + 3)) * x

    def far(x):                        # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, (3 * a * x - 10 * a) * x + 8 * a

    (w0, d0), (w1, d1) = far(t + one), near(t)
    (w2, d2), (w3, d3) = near(one - t), far(2 * one - t)
    return (w0, w1, w2, w3), (d0, d1, -d2, -d3)


def _axis_taps(c, n, mode, padding_mode, align_corners):
    """Taps along one axis: [(index, valid, weight, d weight / du)], and du/dc."""
    scale = c.dtype.type((n - 1) / 2 if align_corners else n / 2)
    u = (c + 1) * scale - (0 if align_corners else c.dtype.type(0.5))
    if mode == "bicubic":
        i0 = np.floor(u)
        weights, derivs = _cubic(u - i0)
        taps = []
        for k in range(4):
            pos, _ = _pad_coordinate(i0 + (k - 1), n, padding_mode, align_corners)
            idx = pos.astype(np.int64)
            taps.append((idx, (idx >= 0) & (idx < n), weights[k], derivs[k]))
        return taps, np.full_like(u, scale)
    u, grad = _pad_coordinate(u, n, padding_mode, align_corners)
    if mode == "nearest":
        idx = np.rint(u).astype(np.int64)
        return [(idx, (idx >= 0) & (idx < n), np.ones_like(u), np.zeros_like(u))], grad * scale
    i0 = np.floor(u)
    t = u - i0
    i0 = i0.astype(np.int64)
    one = np.ones_like(u)
    return [(i0, (i0 >= 0) & (i0 < n), 1 - t, -one),
            (i0 + 1, (i0 + 1 >= 0) & (i0 + 1 < n), t, one)], grad * scale


class GridSample(Function):
    """out[n, c, o] = sum_taps W[n, o] x[n, c, tap[n, o]]; see the module docstring."""

    def forward(self, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
        N, C, spatial = x.shape[0], x.shape[1], x.shape[2:]
        k = len(spatial)
        out_shape = grid.shape[1:-1]
        axes = []                        # per spatial axis (D, H, W order): taps, du/dc
        for a in range(k):
            axes.append(_axis_taps(grid[..., k - 1 - a].reshape(N, -1), spatial[a], mode,
                                   padding_mode, align_corners))
        xf = x.reshape(N, C, -1)
        strides = np.cumprod((1,) + spatial[::-1])[::-1][1:]
        corners = []
        y = np.zeros((N, C, axes[0][1].shape[1]), x.dtype)
        for combo in np.ndindex(*[len(t) for t, _ in axes]):
            taps = [axes[a][0][j] for a, j in enumerate(combo)]
            valid = np.logical_and.reduce([t[1] for t in taps])
            flat = sum(np.where(valid, t[0], 0) * s for t, s in zip(taps, strides))
            weight = np.prod([t[2] for t in taps], axis=0) * valid
            vals = np.take_along_axis(xf, flat[:, None, :], axis=2)           # (N, C, O)
            y += vals * weight[:, None, :].astype(x.dtype)
            corners.append((flat, weight, valid, taps))
        self.corners, self.mults, self.xf = corners, [m for _, m in axes], xf
        self.shape, self.grid_shape, self.k = x.shape, grid.shape, k
        return y.reshape((N, C) + out_shape)

    def backward(self, g):
        N, C = self.shape[:2]
        gf = g.reshape(N, C, -1)
        gx = ggrid = None
        if self.needs_grad[0]:
            S = self.xf.shape[2]
            acc = np.zeros((N * S, C), g.dtype)
            rows = np.arange(N)[:, None] * S
            for flat, weight, valid, _ in self.corners:
                contrib = (gf * weight[:, None, :].astype(g.dtype)).transpose(0, 2, 1)
                np.add.at(acc, (rows + flat).ravel(), contrib.reshape(-1, C))
            gx = acc.reshape(N, S, C).transpose(0, 2, 1).reshape(self.shape)
        if self.needs_grad[1]:
            k = self.k
            du = [np.zeros(gf.shape[::2], g.dtype) for _ in range(k)]   # (N, O) each
            for flat, weight, valid, taps in self.corners:
                gv = (gf * np.take_along_axis(self.xf, flat[:, None, :], axis=2)).sum(axis=1)
                gv = gv * valid
                for a in range(k):
                    others = np.prod([t[2] for b, t in enumerate(taps) if b != a] or [1], axis=0)
                    du[a] += gv * taps[a][3] * others
            ggrid = np.stack([du[k - 1 - i] * self.mults[k - 1 - i] for i in range(k)], axis=-1)
            ggrid = ggrid.reshape(self.grid_shape).astype(g.dtype, copy=False)
        return gx, ggrid


# ----------------------------------------------------------------- functions
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the (normalised) points of ``grid`` (see the module docstring).

    Args:
        input: (N, C, H, W) or (N, C, D, H, W) float tensor.
        grid: (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3), the last axis (x, y(, z))
            in [-1, 1] (-1 and 1 are the corner pixels' centres with align_corners, their
            outer edges without).
        mode: 'bilinear' (trilinear on 5-D input), 'nearest' or 'bicubic' (4-D only).
        padding_mode: 'zeros', 'border' or 'reflection'.
        align_corners (bool or None): None means False (with PyTorch's warning).
    Returns:
        (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out), the input's dtype.
    Backward: to input and grid (see the module docstring).
    Example:
        >>> grid_sample(x, affine_grid(theta, x.shape)).shape     # x (2, 3, 8, 8)
        (2, 3, 8, 8)
    """
    x, gr = to_tensor(input), to_tensor(grid)
    if mode not in _MODES:
        raise ValueError(f"grid_sample: mode must be one of {_MODES}, received {mode!r}")
    if padding_mode not in _PADDING:
        raise ValueError(f"grid_sample: padding_mode must be one of {_PADDING}, received "
                         f"{padding_mode!r}")
    if x.ndim not in (4, 5) or gr.ndim != x.ndim or gr.shape[0] != x.shape[0] \
            or gr.shape[-1] != x.ndim - 2:
        raise ValueError(f"grid_sample: expected input (N, C, H, W) with grid (N, H_out, W_out, "
                         f"2), or input (N, C, D, H, W) with grid (N, D_out, H_out, W_out, 3); "
                         f"received input {tuple(x.shape)} and grid {tuple(gr.shape)}")
    if mode == "bicubic" and x.ndim != 4:
        raise ValueError(f"grid_sample: mode 'bicubic' needs 4-D input, received shape "
                         f"{tuple(x.shape)}")
    if x.dtype.kind != "f" or gr.dtype != x.dtype:
        raise TypeError(f"grid_sample: input and grid must share one float dtype, received "
                        f"{x.dtype} and {gr.dtype}")
    if min(x.shape[2:], default=1) < 1:
        raise ValueError(f"grid_sample: expected non-empty spatial axes, received input "
                         f"{tuple(x.shape)}")
    return GridSample.apply(x, gr, mode=mode, padding_mode=padding_mode,
                            align_corners=_align_corners(align_corners))


def _base(n, align_corners, dtype):
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    v = np.linspace(-1, 1, n, dtype=np.float64)
    return (v if align_corners else v * (n - 1) / n).astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps (see the module docstring).

    Args:
        theta: (N, 2, 3) for 2-D or (N, 3, 4) for 3-D, float.
        size: the output size (N, C, H, W) or (N, C, D, H, W).
        align_corners (bool or None): None means False (with PyTorch's warning).
    Returns:
        (N, H, W, 2) or (N, D, H, W, 3) grid for :func:`grid_sample`.
    Backward: the batched matrix product's (a composition).
    """
    th = to_tensor(theta)
    size = tuple(int(s) for s in size)
    k = len(size) - 2
    if k not in (2, 3) or th.ndim != 3 or th.shape != (size[0], k, k + 1):
        raise ValueError(f"affine_grid: expected theta of shape (N, 2, 3) for a size (N, C, H, "
                         f"W) or (N, 3, 4) for (N, C, D, H, W) with the same N; received theta "
                         f"{tuple(th.shape)} and size {size}")
    if th.dtype.kind != "f":
        raise TypeError(f"affine_grid: expected a floating point theta, received {th.dtype}")
    if min(size) <= 0:
        raise ValueError(f"affine_grid: expected a non-empty size, received {size}")
    ac = _align_corners(align_corners)
    if ac and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    lines = [_base(n, ac, th.dtype) for n in size[2:][::-1]]          # x (W), y (H), z (D)
    mesh = np.meshgrid(*lines[::-1], indexing="ij")                    # (D,) H, W axes
    base = np.stack([m for m in mesh[::-1]] + [np.ones_like(mesh[0])], axis=-1)
    base = _fn._Tensor._wrap(base.reshape(1, -1, k + 1))
    grid = matmul(base, th.transpose(1, 2))                            # (N, prod, k)
    return grid.reshape((size[0],) + size[2:] + (k,))
