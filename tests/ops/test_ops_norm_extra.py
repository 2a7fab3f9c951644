"""instance_norm, rms_norm, local_response_norm and the legacy cross_map_lrn2d: NumPy
references, float64 gradcheck, PyTorch parity (skipped without torch), running statistics
and bad input."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.ops.normalization import cross_map_lrn2d
from lazy_torch import F
from op_harness import uniform
from torch_last import check_op


def instance_ref(x, w=None, b=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    return y + b.reshape(shape) if b is not None else y


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 2, 3, 4), (1, 2, 2, 3, 2)])
def test_instance_norm_matches_definition(shape):
    check_op(lambda x: ops.instance_norm(x), instance_ref, [shape], rtol32=1e-4, atol32=1e-5)
    check_op(lambda x, w, b: ops.instance_norm(x, weight=w, bias=b, eps=1e-3),
             lambda x, w, b: instance_ref(x, w, b, 1e-3), [(shape, shape[1:2], shape[1:2])],
             rtol32=1e-4, atol32=1e-5)


def test_instance_norm_updates_running_stats_like_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    rm, rv = dg.zeros(3, dtype=dg.float64), dg.ones(3, dtype=dg.float64)
    ops.instance_norm(dg.tensor(x), rm, rv, momentum=0.2)
    np.testing.assert_allclose(rm.numpy(), 0.2 * x.mean(axis=2).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.8 + 0.2 * x.var(axis=2, ddof=1).mean(axis=0),
                               rtol=1e-12)
    # eval: the running statistics normalise, per channel
    y = ops.instance_norm(dg.tensor(x), rm, rv, use_input_stats=False)
    want = (x - rm.numpy()[:, None]) / np.sqrt(rv.numpy()[:, None] + 1e-5)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    torch = pytest.importorskip("torch")
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    torch.nn.functional.instance_norm(torch.tensor(x), trm, trv, momentum=0.2)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 2, 3, 4)])
def test_instance_norm_matches_torch(shape):
    check_op(lambda x, w, b: ops.instance_norm(x, weight=w, bias=b), None,
             [(shape, shape[1:2], shape[1:2])],
             torch_fn=lambda x, w, b: F.instance_norm(x, weight=w, bias=b))


def rms_ref(x, k, w=None, eps=None):
    eps = np.finfo(np.float64).eps if eps is None else eps
    axes = tuple(range(x.ndim - k, x.ndim))
    y = x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    return y * w if w is not None else y


@pytest.mark.parametrize("shape,ns", [((3, 4), 4), ((2, 3, 4), (3, 4)), ((5,), (5,)),
                                      ((2, 1, 3), 3)])
def test_rms_norm_matches_definition(shape, ns):
    k = 1 if isinstance(ns, int) else len(ns)
    wshape = shape[len(shape) - k:]
    check_op(lambda x: ops.rms_norm(x, ns, eps=1e-6), lambda x: rms_ref(x, k, eps=1e-6), [shape])
    check_op(lambda x, w: ops.rms_norm(x, ns, w, eps=1e-3), lambda x, w: rms_ref(x, k, w, 1e-3),
             [(shape, wshape)])


def test_rms_norm_default_eps_is_the_dtypes_machine_epsilon():
    x = np.full((2, 3), 1e-5)
    for dtype in (np.float32, np.float64):
        y = ops.rms_norm(dg.tensor(x.astype(dtype)), 3)
        eps = np.finfo(dtype).eps
        np.testing.assert_allclose(y.numpy(), x / np.sqrt(x * x + eps), rtol=1e-5)
        assert y.dtype == dtype


def test_rms_norm_matches_torch():
    check_op(lambda x, w: ops.rms_norm(x, (3, 4), w), None, [((2, 3, 4), (3, 4))],
             torch_fn=lambda x, w: F.rms_norm(x, (3, 4), w))
    check_op(lambda x: ops.rms_norm(x, 4, eps=0.1), None, [(3, 4)],
             torch_fn=lambda x: F.rms_norm(x, (4,), eps=0.1))


def lrn_ref(x, size, alpha, beta, k):
    C = x.shape[1]
    sq = x * x
    div = np.zeros_like(x)
    for c in range(C):
        lo, hi = max(0, c - size // 2), min(C - 1, c + (size - 1) // 2)
        div[:, c] = sq[:, lo:hi + 1].sum(axis=1)
    return x / (k + alpha / size * div) ** beta


@pytest.mark.parametrize("size,shape", [(2, (2, 5, 3)), (3, (1, 4, 2, 3)), (5, (2, 6, 2, 2, 2)),
                                        (1, (1, 3, 4)), (8, (1, 3, 2))])
def test_local_response_norm(size, shape):
    kw = dict(alpha=0.5, beta=0.75, k=1.5)
    check_op(lambda x: ops.local_response_norm(x, size, **kw),
             lambda x: lrn_ref(x, size, **kw), [shape])
    check_op(lambda x: ops.local_response_norm(x, size, **kw), None, [shape],
             torch_fn=lambda x: F.local_response_norm(x, size, **kw))


def test_cross_map_lrn2d_forward_like_torch_gradient_exact():
    """The forward gives PyTorch's values (with its window); the gradient is gradchecked."""
    check_op(lambda x: cross_map_lrn2d(x, 3, 0.5, 0.75, 1.0), None, [(2, 7, 2, 3)])
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((2, 9, 2, 3))
    for size in (1, 2, 3, 4, 5, 8):
        want = torch.nn.CrossMapLRN2d(size, 0.5, 0.75, 1.0)(torch.tensor(x)).numpy()
        got = cross_map_lrn2d(dg.tensor(x), size, 0.5, 0.75, 1.0).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"size {size}")


def test_norm_extra_bad_input():
    with pytest.raises(ValueError, match=r"instance_norm: expected more than 1 spatial element "
                                         r"when using input statistics, received input of "
                                         r"shape \(2, 3, 1\)"):
        ops.instance_norm(dg.randn(2, 3, 1))
    with pytest.raises(ValueError, match=r"instance_norm: running_mean must be a tensor of shape "
                                         r"\(3,\)"):
        ops.instance_norm(dg.randn(2, 3, 4), dg.zeros(4), dg.ones(3))
    with pytest.raises(ValueError, match=r"instance_norm: weight must have shape \(3,\)"):
        ops.instance_norm(dg.randn(2, 3, 4), weight=dg.ones(2))
    with pytest.raises(ValueError, match=r"rms_norm: expected input of shape \(\*, 4\) for "
                                         r"normalized_shape \(4,\), received \(2, 3\)"):
        ops.rms_norm(dg.randn(2, 3), (4,))
    with pytest.raises(TypeError, match="rms_norm: weight has dtype float64 but the input has "
                                        "dtype float32"):
        ops.rms_norm(dg.randn(2, 3), 3, dg.ones(3, dtype=dg.float64))
    with pytest.raises(ValueError, match=r"local_response_norm: expected a 3-D or higher input"):
        ops.local_response_norm(dg.randn(2, 3), 2)
    with pytest.raises(ValueError, match="local_response_norm: size must be a positive integer"):
        ops.local_response_norm(dg.randn(2, 3, 4), 0)
    with pytest.raises(TypeError, match="instance_norm: expected a floating point input"):
        ops.instance_norm(dg.tensor(np.ones((2, 3, 4), np.int64)))
    rm = dg.zeros(3)
    with pytest.raises(ValueError):
        ops.instance_norm(dg.randn(2, 3, 1), rm, dg.ones(3))
    np.testing.assert_array_equal(rm.numpy(), 0)          # nothing changed before the error
