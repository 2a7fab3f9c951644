"""Normalisation ops: forward vs the NumPy formula, float64 gradcheck, PyTorch parity."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.ops import normalization as ops     # the family's module; = deepgrad.ops once exported
from op_harness import check_op

EPS = 1e-5


# ----------------------------------------------------------------- NumPy references
def bn_ref(x, w, b):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    xhat = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + EPS)
    return xhat * w.reshape(shape) + b.reshape(shape)


def ln_ref(x, w, b):
    axes = tuple(range(x.ndim - w.ndim, x.ndim))
    return (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + EPS) * w + b


def gn_ref(x, w, b, G=2):
    g = x.reshape(x.shape[0], G, -1)
    xhat = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + EPS)).reshape(x.shape)
    shape = (-1,) + (1,) * (x.ndim - 2)
    return xhat * w.reshape(shape) + b.reshape(shape)


def torch_f():
    return pytest.importorskip("torch").nn.functional


# batch size 1, odd sizes, a single channel, size-1 spatial axes
BN_CASES = [((4, 3), (3,), (3,)), ((1, 3, 5), (3,), (3,)), ((3, 2, 3, 1), (2,), (2,)),
            ((2, 1, 3, 3), (1,), (1,)), ((5, 2), (2,), (2,))]


# ----------------------------------------------------------------- batch_norm
def test_batch_norm_training_forward_and_gradcheck():
    check_op(lambda x, w, b: ops.batch_norm(x, None, None, w, b, training=True), bn_ref, BN_CASES,
             atol32=2e-5, rtol32=1e-4,
             torch_fn=lambda x, w, b: torch_f().batch_norm(x, None, None, w, b, training=True))


def test_batch_norm_eval_uses_running_stats():
    rm, rv = np.array([0.3, -0.2, 0.1]), np.array([0.5, 2.0, 1.3])

    def ref(x, w, b):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return (x - rm.reshape(shape)) / np.sqrt(rv.reshape(shape) + EPS) * w.reshape(shape) + b.reshape(shape)

    def torch_fn(x, w, b):
        torch = pytest.importorskip("torch")
        return torch.nn.functional.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b)

    check_op(lambda x, w, b: ops.batch_norm(x, dg.tensor(rm), dg.tensor(rv), w, b), ref,
             [((4, 3), (3,), (3,)), ((1, 3, 2, 2), (3,), (3,))], torch_fn=torch_fn)


def test_batch_norm_without_affine_and_input_only_gradcheck():
    x = dg.randn(3, 2, 4, dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda x: ops.batch_norm(x, None, None, training=True), (x,))
    np.testing.assert_allclose(ops.batch_norm(x, None, None, training=True).numpy(),
                               bn_ref(x.numpy(), np.ones(2), np.zeros(2)), rtol=1e-10, atol=1e-12)


def test_batch_norm_updates_running_stats_in_place_like_torch():
    rng = np.random.default_rng(0)
    rm, rv = dg.zeros(3, dtype=dg.float64), dg.ones(3, dtype=dg.float64)
    mean_arr = rm.array
    ref_m, ref_v = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 5)) * 2 + 1
        ops.batch_norm(dg.tensor(x), rm, rv, training=True, momentum=0.2)
        ref_m = 0.8 * ref_m + 0.2 * x.mean((0, 2))
        ref_v = 0.8 * ref_v + 0.2 * x.var((0, 2), ddof=1)     # unbiased, as PyTorch
    assert rm.array is mean_arr
    np.testing.assert_allclose(rm.numpy(), ref_m, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), ref_v, rtol=1e-12)


def test_batch_norm_running_stats_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    rm, rv = dg.zeros(2, dtype=dg.float64), dg.ones(2, dtype=dg.float64)
    trm, trv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    for _ in range(3):
        x = rng.standard_normal((3, 2, 2, 3))
        ops.batch_norm(dg.tensor(x), rm, rv, training=True)
        torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=True)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)


def test_batch_norm_float32_stays_float32_with_running_stats():
    rm, rv = dg.zeros(3), dg.ones(3)
    y = ops.batch_norm(dg.randn(4, 3, requires_grad=True), rm, rv, dg.ones(3), dg.zeros(3), True)
    assert y.dtype == np.float32 and rm.dtype == np.float32 and rv.dtype == np.float32


def test_batch_norm_errors_name_op_and_shapes():
    x = dg.randn(4, 3)
    with pytest.raises(ValueError, match=r"batch_norm: weight must have shape \(3,\).*received \(4,\)"):
        ops.batch_norm(x, None, None, dg.ones(4), training=True)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean must be a tensor of shape \(3,\)"):
        ops.batch_norm(x, dg.zeros(2), dg.ones(3))
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        ops.batch_norm(dg.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var must be given"):
        ops.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match=r"at least 2 dimensions, received shape \(3,\)"):
        ops.batch_norm(dg.randn(3), None, None, training=True)
    with pytest.raises(TypeError, match="batch_norm: weight has dtype float64"):
        ops.batch_norm(x, None, None, dg.ones(3, dtype=dg.float64), training=True)


# ----------------------------------------------------------------- layer_norm
@pytest.mark.parametrize("case", [((2, 5), (5,), (5,)), ((3, 2, 4), (2, 4), (2, 4)),
                                  ((1, 3), (3,), (3,)), ((4,), (4,), (4,))])
def test_layer_norm_forward_and_gradcheck(case):
    def torch_fn(x, w, b):
        return torch_f().layer_norm(x, tuple(w.shape), w, b)

    check_op(lambda x, w, b: ops.layer_norm(x, w.shape, w, b), ln_ref, [case],
             atol32=2e-5, rtol32=1e-4, torch_fn=torch_fn)


def test_layer_norm_without_affine_int_shape():
    x = dg.randn(2, 3, 4, dtype=dg.float64, requires_grad=True)
    np.testing.assert_allclose(ops.layer_norm(x, 4).numpy(), ln_ref(x.numpy(), np.ones(4), 0.0),
                               rtol=1e-10, atol=1e-12)
    assert dg.gradcheck(lambda x: ops.layer_norm(x, (3, 4)), (x,))


def test_layer_norm_errors():
    with pytest.raises(ValueError, match=r"layer_norm: expected input of shape \(\*, 4\).*received \(2, 5\)"):
        ops.layer_norm(dg.randn(2, 5), 4)
    with pytest.raises(ValueError, match=r"layer_norm: weight must have shape \(5,\)"):
        ops.layer_norm(dg.randn(2, 5), 5, dg.ones(4))


# ----------------------------------------------------------------- group_norm
@pytest.mark.parametrize("case", [((2, 6, 3), (6,), (6,)), ((1, 4, 2, 2), (4,), (4,)),
                                  ((3, 2), (2,), (2,))])
def test_group_norm_forward_and_gradcheck(case):
    check_op(lambda x, w, b: ops.group_norm(x, 2, w, b), gn_ref, [case], atol32=2e-5, rtol32=1e-4,
             torch_fn=lambda x, w, b: torch_f().group_norm(x, 2, w, b))


def test_group_norm_without_affine_and_errors():
    x = dg.randn(2, 4, 3, dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda x: ops.group_norm(x, 4), (x,))
    with pytest.raises(ValueError, match=r"group_norm: .*C=4 of input shape \(2, 4, 3\).*num_groups=3"):
        ops.group_norm(x, 3)
    with pytest.raises(ValueError, match=r"group_norm: weight must have shape \(4,\)"):
        ops.group_norm(x, 2, dg.ones(2, dtype=dg.float64))
