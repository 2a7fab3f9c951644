"""``clip_grad_norm_`` / ``clip_grad_value_`` against ``torch.nn.utils``."""
import math

import numpy as np
import pytest

import deepgrad
from deepgrad.nn.parameter import Parameter
from deepgrad.nn.utils import clip_grad_norm_, clip_grad_value_, get_total_norm

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (5,), ()]


def _pair(dtype, seed=0, scale=1.0, with_none=True):
    """deepgrad and torch parameters with equal gradients (plus one without a gradient)."""
    rng = np.random.default_rng(seed)
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    ours, theirs = [], []
    for shape in SHAPES:
        g = np.asarray(scale * rng.standard_normal(shape), dtype=dtype)
        p = Parameter(np.zeros(shape, dtype))
        p.grad = deepgrad.Tensor(g.copy())
        t = torch.zeros(shape, dtype=tdtype, requires_grad=True)
        t.grad = torch.from_numpy(g.copy())
        ours.append(p)
        theirs.append(t)
    if with_none:
        ours.append(Parameter(np.ones(2, dtype)))
        theirs.append(torch.ones(2, dtype=tdtype, requires_grad=True))
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, -math.inf, 3.5, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ours, theirs = _pair(dtype)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert isinstance(total, deepgrad.Tensor) and total.shape == ()
    assert total.dtype == dtype
    np.testing.assert_allclose(total.array, ttotal.numpy(), rtol=rtol)
    for p, t in zip(ours, theirs):
        if t.grad is None:
            assert p.grad is None
            continue
        assert p.grad.array.dtype == dtype
        np.testing.assert_allclose(p.grad.array, t.grad.numpy(), rtol=rtol, atol=1e-7)


def test_clip_grad_norm_scales_to_max_norm_in_place():
    ours, _ = _pair(np.float64, scale=10.0, with_none=False)
    arrays = [p.grad.array for p in ours]
    total = clip_grad_norm_(ours, 1.0).item()
    assert total > 1.0
    assert all(p.grad.array is a for p, a in zip(ours, arrays))
    assert get_total_norm([p.grad for p in ours]).item() == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_single_tensor_and_no_grads():
    p = Parameter(np.zeros(3))
    p.grad = deepgrad.Tensor(np.array([3.0, 4.0, 0.0]))
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.array, [0.6, 0.8, 0.0], rtol=1e-5)
    empty = clip_grad_norm_([Parameter(np.zeros(2))], 1.0)
    assert empty.item() == 0.0 and empty.dtype == np.float32


def test_clip_grad_norm_nonfinite():
    p = Parameter(np.zeros(2))
    p.grad = deepgrad.Tensor(np.array([np.nan, 1.0]))
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    q = Parameter(np.zeros(2))
    q.grad = deepgrad.Tensor(np.array([np.inf, 1.0]))
    tq = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    tq.grad = torch.tensor([np.inf, 1.0], dtype=torch.float64)
    total = clip_grad_norm_([q], 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_([tq], 1.0)
    assert np.isinf(total.item()) and np.isinf(ttotal.item())
    np.testing.assert_array_equal(q.grad.array, tq.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_matches_torch(dtype):
    ours, theirs = _pair(dtype, scale=2.0)
    clip_grad_value_(ours, 0.75)
    torch.nn.utils.clip_grad_value_(theirs, 0.75)
    for p, t in zip(ours, theirs):
        if t.grad is not None:
            assert p.grad.array.dtype == dtype
            np.testing.assert_array_equal(p.grad.array, t.grad.numpy())
    single = Parameter(np.zeros(2, dtype))
    single.grad = deepgrad.Tensor(np.array([-3.0, 0.1], dtype))
    clip_grad_value_(single, 1)
    np.testing.assert_allclose(single.grad.array, [-1.0, 0.1])
