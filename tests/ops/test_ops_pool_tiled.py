"""Max pooling's tiled 2 x 2 path (deepgrad/ops/pool_tiled.py: two-stage forward, write-once
backward) against the generic running max and accumulating backward, PyTorch, and itself
at two threads; PyTorch's NaN winners."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import parallel
from deepgrad.autograd import gradcheck
from deepgrad.ops import pool_tiled
from threads import threads as use_threads


def _pool(x, channels_last, return_indices=False, generic=False, monkeypatch=None, **kw):
    """(y, dL/dx, indices or None) of max_pool2d(x, 2), the upstream gradient fixed."""
    if generic:
        monkeypatch.setattr(pool_tiled, "applies", lambda *a: False)
    t = dg.tensor(x, requires_grad=True)
    out = F.max_pool2d(t, 2, return_indices=return_indices, channels_last=channels_last, **kw)
    y, idx = out if return_indices else (out, None)
    g = np.random.default_rng(7).standard_normal(y.shape).astype(x.dtype)
    y.backward(dg.tensor(g))
    if generic:
        monkeypatch.undo()
    return y.array, t.grad.array, None if idx is None else idx.array


def _inputs(kind, shape, dtype=np.float32):
    rng = np.random.default_rng(hash((kind, shape)) % 2 ** 32)
    if kind == "ties":                         # after a ReLU: many all-zero windows
        return np.maximum(rng.integers(-3, 2, shape), 0).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    if kind == "nan":
        x[rng.random(shape) < 0.15] = np.nan
    if kind == "signed_zero":
        x[rng.random(shape) < 0.5] = -0.0
        x[rng.random(shape) < 0.3] = 0.0
    return x


SHAPES = [(2, 3, 6, 6), (2, 3, 7, 9), (3, 2, 5, 4), (1, 1, 2, 2), (2, 4, 4, 10)]


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("kind", ["random", "ties", "nan", "signed_zero"])
@pytest.mark.parametrize("shape", SHAPES)
def test_tiled_backward_is_the_generic_backward_bit_for_bit(monkeypatch, shape, kind,
                                                            channels_last):
    x = _inputs(kind, shape)
    if channels_last:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    calls = []
    for name in ("forward", "backward"):
        real = getattr(pool_tiled, name)
        monkeypatch.setattr(pool_tiled, name,
                            lambda *a, name=name, real=real: calls.append(name) or real(*a))
    y, gx, _ = _pool(x, channels_last)
    assert calls == ["forward", "backward"]
    y0, gx0, _ = _pool(x, channels_last, generic=True, monkeypatch=monkeypatch)
    assert y.dtype == gx.dtype == np.float32
    assert np.array_equal(y.view(np.uint32), y0.view(np.uint32))
    assert np.array_equal(gx.view(np.uint32), gx0.view(np.uint32))


def test_tiled_path_is_only_for_2x2_tiling_windows():
    assert pool_tiled.applies((2, 2), (2, 2), (1, 1), (0, 0, 0, 0))
    assert not pool_tiled.applies((2, 2), (1, 1), (1, 1), (0, 0, 0, 0))
    assert not pool_tiled.applies((3, 3), (3, 3), (1, 1), (0, 0, 0, 0))
    assert not pool_tiled.applies((2, 2), (2, 2), (2, 2), (0, 0, 0, 0))
    assert not pool_tiled.applies((2, 2), (2, 2), (1, 1), (0, 1, 0, 0))    # ceil_mode


def test_gradcheck_float64_both_layouts():
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 6))        # no exact ties
    assert gradcheck(lambda t: F.max_pool2d(t, 2), (dg.tensor(x, requires_grad=True),))
    xl = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    assert gradcheck(lambda t: F.max_pool2d(t, 2, channels_last=True),
                     (dg.tensor(xl, requires_grad=True),))


@pytest.mark.parametrize("kind", ["random", "ties", "nan"])
@pytest.mark.parametrize("shape", [(2, 3, 6, 6), (2, 3, 7, 9)])
def test_values_gradients_and_indices_match_pytorch(shape, kind):
    torch = pytest.importorskip("torch")
    x = _inputs(kind, shape)
    y, gx, idx = _pool(x, False, return_indices=True)
    t = torch.tensor(x, requires_grad=True)
    ty, tidx = torch.nn.functional.max_pool2d(t, 2, return_indices=True)
    g = np.random.default_rng(7).standard_normal(y.shape).astype(np.float32)
    ty.backward(torch.tensor(g))
    assert np.array_equal(y, ty.detach().numpy(), equal_nan=True)
    assert np.array_equal(idx, tidx.numpy())
    assert np.array_equal(gx, t.grad.numpy())


@pytest.mark.parametrize("kwargs", [{"kernel_size": 3, "stride": 2, "padding": 1},
                                    {"kernel_size": 2, "stride": 1}])
def test_nan_winner_is_the_last_nan_as_pytorch_in_the_generic_path_too(kwargs):
    torch = pytest.importorskip("torch")
    x = _inputs("nan", (2, 2, 7, 8))
    t = dg.tensor(x, requires_grad=True)
    y, idx = F.max_pool2d(t, return_indices=True, **kwargs)
    y.sum().backward()
    tt = torch.tensor(x, requires_grad=True)
    ty, tidx = torch.nn.functional.max_pool2d(tt, return_indices=True, **kwargs)
    ty.sum().backward()
    assert np.array_equal(idx.array, tidx.numpy())
    assert np.array_equal(t.grad.array, tt.grad.numpy())


@pytest.mark.parametrize("channels_last", [False, True])
def test_same_bits_at_one_and_two_threads(monkeypatch, channels_last):
    x = np.maximum(_inputs("random", (5, 3, 8, 10)), 0)
    if channels_last:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    monkeypatch.setattr(parallel, "MIN_WORK", 0)
    monkeypatch.setattr(pool_tiled, "BLOCK_BYTES", 1)       # one sample per block
    with use_threads(1):
        one = _pool(x, channels_last)
    with use_threads(2):
        two = _pool(x, channels_last)
    for a, b in zip(one[:2], two[:2]):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
