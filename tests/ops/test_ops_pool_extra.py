"""LP pooling, max unpooling, fractional max pooling: NumPy references, float64 gradcheck,
PyTorch parity (skipped without torch)."""
import itertools

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from lazy_torch import F
from op_harness import compare_with_torch, uniform
from torch_last import check_op


def distinct(rng, shape):
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0


def lp_ref(x, p, k, s):
    n = len(k)
    out = tuple((m - kk) // ss + 1 for m, kk, ss in zip(x.shape[-n:], k, s))
    y = np.zeros(x.shape[:-n] + out)
    for i in itertools.product(*(range(o) for o in out)):
        sl = tuple(slice(ii * ss, ii * ss + kk) for ii, ss, kk in zip(i, s, k))
        y[(Ellipsis,) + i] = (x[(Ellipsis,) + sl] ** p).sum(axis=tuple(range(-n, 0))) ** (1 / p)
    return y


@pytest.mark.parametrize("p", [1.0, 2.0, 3.5])
def test_lp_pool_matches_definition(p):
    positive = uniform(0.2, 2.0)
    check_op(lambda x: ops.lp_pool1d(x, p, 3, 2), lambda x: lp_ref(x, p, (3,), (2,)),
             [(2, 3, 9)], make=positive)
    check_op(lambda x: ops.lp_pool2d(x, p, (2, 3)), lambda x: lp_ref(x, p, (2, 3), (2, 3)),
             [(2, 2, 5, 7)], make=positive)
    check_op(lambda x: ops.lp_pool3d(x, p, 2, 1), lambda x: lp_ref(x, p, (2, 2, 2), (1, 1, 1)),
             [(1, 2, 3, 4, 3)], make=positive)


@pytest.mark.parametrize("n,p,kwargs", [
    (1, 2.0, dict(kernel_size=3, stride=2)), (1, 1.0, dict(kernel_size=2, ceil_mode=True)),
    (2, 2.0, dict(kernel_size=2)), (2, 3.0, dict(kernel_size=(2, 3), stride=1)),
    (2, 2.0, dict(kernel_size=3, stride=2, ceil_mode=True)),
    (3, 2.0, dict(kernel_size=2, stride=1)), (2, float("inf"), dict(kernel_size=2)),
])
def test_lp_pool_matches_torch(n, p, kwargs):
    shape = {1: (2, 3, 9), 2: (2, 2, 5, 7), 3: (1, 2, 4, 5, 4)}[n]
    make = distinct if p == float("inf") else uniform(-2.0, 2.0)
    if p in (2.0,) or p == float("inf"):
        fn = getattr(ops, f"lp_pool{n}d")
        check_op(lambda x: fn(x, p, **kwargs), None, [shape], make=make,
                 torch_fn=lambda x: getattr(F, f"lp_pool{n}d")(x, p, **kwargs))
    else:        # odd powers of negative inputs: NaN in both; compare on positive inputs
        fn = getattr(ops, f"lp_pool{n}d")
        check_op(lambda x: fn(x, p, **kwargs), None, [shape], make=uniform(0.2, 2.0),
                 torch_fn=lambda x: getattr(F, f"lp_pool{n}d")(x, p, **kwargs))


def test_lp_pool_zero_window_has_zero_gradient_like_torch():
    x = dg.zeros(1, 1, 4, dtype=dg.float64, requires_grad=True)
    y = ops.lp_pool1d(x, 2, 2)
    y.sum().backward()
    assert np.all(y.numpy() == 0) and np.all(x.grad.numpy() == 0)


def test_max_unpool_inverts_max_pool():
    rng = np.random.default_rng(0)
    for n, shape in ((1, (2, 3, 8)), (2, (2, 3, 6, 4)), (3, (1, 2, 4, 4, 6))):
        x = distinct(rng, shape)
        y, idx = getattr(ops, f"max_pool{n}d")(dg.tensor(x), 2, return_indices=True)
        back = getattr(ops, f"max_unpool{n}d")(y, idx, 2)
        assert back.shape == x.shape
        b = back.numpy()
        kept = b != 0
        np.testing.assert_array_equal(b[kept], x[kept])
        assert kept.sum() == y.numpy().size
        check_op(lambda v: getattr(ops, f"max_unpool{n}d")(v, idx, 2), None, [y.shape])


@pytest.mark.parametrize("n,shape,kwargs,out_size", [
    (1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1), None),
    (2, (2, 2, 7, 6), dict(kernel_size=2), (7, 7)),
    (2, (2, 5, 6), dict(kernel_size=3, stride=2, padding=1), (5, 6)),
    (3, (1, 2, 4, 5, 4), dict(kernel_size=2), (1, 2, 5, 5, 4)),
])
def test_max_unpool_matches_torch(n, shape, kwargs, out_size):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = distinct(np.random.default_rng(1), shape)
    y, idx = getattr(ops, f"max_pool{n}d")(dg.tensor(x), return_indices=True, **kwargs)
    ty, tidx = getattr(F, f"max_pool{n}d")(torch.tensor(x), return_indices=True, **kwargs)
    got = getattr(ops, f"max_unpool{n}d")(y, idx, output_size=out_size, **kwargs)
    want = getattr(F, f"max_unpool{n}d")(ty, tidx, output_size=out_size, **kwargs)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    # overlapping windows can repeat an index: forward writes one value there and backward
    # hands every input the gradient at its index, as PyTorch (so no finite differences)
    compare_with_torch(
        lambda v: getattr(ops, f"max_unpool{n}d")(v, idx, output_size=out_size, **kwargs),
        lambda v: getattr(F, f"max_unpool{n}d")(v, tidx, output_size=out_size, **kwargs),
        [np.random.default_rng(5).standard_normal(y.shape)])


def test_max_unpool_bad_input():
    y, idx = ops.max_pool2d(dg.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(IndexError, match=r"max_unpool2d: found an invalid max index 2[0-9] "
                                         r"\(output volumes are of size 4x4\)"):
        ops.max_unpool2d(y, idx + 20, 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: indices must have the input's shape "
                                         r"\(1, 1, 2, 2\), received \(1, 1, 2, 1\)"):
        ops.max_unpool2d(y, idx[..., :1], 2)
    with pytest.raises(TypeError, match="max_unpool2d: indices must have an integer dtype"):
        ops.max_unpool2d(y, idx.float(), 2)
    with pytest.raises(ValueError, match=r'max_unpool2d: invalid output_size "\(7, 4\)" '
                                         r'\(dim 0 must be between 2 and 6\)'):
        ops.max_unpool2d(y, idx, 2, output_size=(7, 4))


def frac_ref(x, k, out, samples):
    """PyTorch's interval formula, float64, then a loop over the windows."""
    n = len(k)
    N, C = x.shape[:2]
    y = np.zeros((N, C) + tuple(out))
    order = (1, 0) if n == 2 else tuple(range(n))
    for a, c in itertools.product(range(N), range(C)):
        starts = []
        for i in range(n):
            u, m, o = samples[a, c, order[i]], x.shape[2 + i], out[i]
            alpha = (m - k[i]) / (o - 1) if o > 1 else 0
            st = [int((j + u) * alpha) - int(u * alpha) for j in range(o - 1)] + [m - k[i]]
            starts.append(st)
        for j in itertools.product(*(range(o) for o in out)):
            sl = tuple(slice(starts[i][j[i]], starts[i][j[i]] + k[i]) for i in range(n))
            y[(a, c) + j] = x[(a, c) + sl].max()
    return y


@pytest.mark.parametrize("n,shape,k,out", [
    (2, (2, 3, 7, 9), (2, 3), (4, 5)), (2, (1, 2, 5, 5), 2, (4, 3)), (2, (1, 1, 6, 6), 3, 1),
    (3, (1, 2, 5, 6, 7), (2, 2, 3), (3, 4, 2)),
])
def test_fractional_max_pool_matches_definition(n, shape, k, out):
    rng = np.random.default_rng(2)
    samples = rng.random(shape[:2] + (n,))
    kk = (k,) * n if isinstance(k, int) else k
    oo = (out,) * n if isinstance(out, int) else out
    fn = getattr(ops, f"fractional_max_pool{n}d")
    check_op(lambda x: fn(x, k, output_size=out, _random_samples=dg.tensor(samples)),
             lambda x: frac_ref(x, kk, oo, samples), [shape], make=distinct)


@pytest.mark.parametrize("n,shape,kwargs", [
    (2, (2, 3, 7, 9), dict(kernel_size=(2, 3), output_size=(4, 5))),
    (2, (2, 3, 8, 9), dict(kernel_size=2, output_ratio=(0.5, 0.7))),
    (2, (3, 7, 7), dict(kernel_size=3, output_size=3)),
    (3, (1, 2, 5, 6, 7), dict(kernel_size=(2, 2, 3), output_size=(3, 4, 2))),
    (3, (2, 5, 6, 7), dict(kernel_size=2, output_ratio=(0.5, 0.5, 0.5))),
])
def test_fractional_max_pool_matches_torch(n, shape, kwargs):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    batch = shape[:2] if len(shape) == n + 2 else (1, shape[0])
    for dtype in (np.float32, np.float64):
        samples = np.random.default_rng(3).random(batch + (n,)).astype(dtype)
        x = distinct(np.random.default_rng(4), shape).astype(dtype)
        y, idx = getattr(ops, f"fractional_max_pool{n}d")(
            dg.tensor(x), return_indices=True, _random_samples=dg.tensor(samples), **kwargs)
        ty, tidx = getattr(F, f"fractional_max_pool{n}d")(
            torch.tensor(x), return_indices=True, _random_samples=torch.tensor(samples), **kwargs)
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
        assert y.dtype == dtype
    s = dg.tensor(samples.astype(np.float64))
    check_op(lambda v: getattr(ops, f"fractional_max_pool{n}d")(v, _random_samples=s, **kwargs),
             None, [shape], make=distinct,
             torch_fn=lambda v: getattr(F, f"fractional_max_pool{n}d")(
                 v, _random_samples=torch.tensor(samples.astype(np.float64)), **kwargs))


def test_fractional_max_pool_draws_from_deepgrads_generator():
    x = dg.randn(2, 3, 9, 9)
    dg.manual_seed(0)
    a = ops.fractional_max_pool2d(x, 2, output_size=4)
    dg.manual_seed(0)
    b = ops.fractional_max_pool2d(x, 2, output_size=4)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.shape == (2, 3, 4, 4)


def test_fractional_max_pool_bad_input():
    x = dg.randn(1, 1, 5, 5)
    with pytest.raises(ValueError, match="kernel size 3 and output size 4 do not fit input "
                                         "size 5 of spatial axis 0"):
        ops.fractional_max_pool2d(x, 3, output_size=4)
    with pytest.raises(ValueError, match="exactly one of output_size and output_ratio"):
        ops.fractional_max_pool2d(x, 2)
    with pytest.raises(ValueError, match=r"output_ratio must be a number or 2 numbers in \(0, 1\)"):
        ops.fractional_max_pool2d(x, 2, output_ratio=1.5)
    with pytest.raises(ValueError, match=r"_random_samples must have shape \(1, 1, 2\) for input "
                                         r"of shape \(1, 1, 5, 5\)"):
        ops.fractional_max_pool2d(x, 2, output_size=3, _random_samples=dg.rand(1, 1, 3))


def test_unpool_and_fractional_3d_and_with_indices_forms():
    """The 1-D/3-D unpooling and the fractional *_with_indices forms, named explicitly."""
    x = distinct(np.random.default_rng(7), (1, 2, 4, 6, 4))
    y, idx = ops.max_pool3d(dg.tensor(x), 2, return_indices=True)
    check_op(lambda v: ops.max_unpool3d(v, idx, 2), None, [y.shape])
    assert ops.max_unpool3d(y, idx, 2).shape == x.shape
    x1 = distinct(np.random.default_rng(8), (2, 3, 8))
    y1, idx1 = ops.max_pool1d(dg.tensor(x1), 2, return_indices=True)
    check_op(lambda v: ops.max_unpool1d(v, idx1, 2), None, [y1.shape])
    s3 = dg.tensor(np.random.default_rng(9).random((1, 2, 3)))
    a, ia = ops.fractional_max_pool3d_with_indices(dg.tensor(x), 2, output_size=(2, 3, 2),
                                                   _random_samples=s3)
    b = ops.fractional_max_pool3d(dg.tensor(x), 2, output_size=(2, 3, 2), _random_samples=s3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    flat = x.reshape(1, 2, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, ia.numpy().reshape(1, 2, -1), -1),
                                  a.numpy().reshape(1, 2, -1))
    s2 = dg.tensor(np.random.default_rng(10).random((1, 2, 2)))
    x2 = x[:, :, 0]
    c, ic = ops.fractional_max_pool2d_with_indices(dg.tensor(x2), 2, output_size=3,
                                                   _random_samples=s2)
    np.testing.assert_array_equal(np.take_along_axis(x2.reshape(1, 2, -1),
                                                     ic.numpy().reshape(1, 2, -1), -1),
                                  c.numpy().reshape(1, 2, -1))

