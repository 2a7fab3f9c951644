"""1-, 2- and 3-D pooling on the shared N-d kernels: max/avg pooling in 3-D, indices,
adaptive pooling in 1-D and 3-D; forward against NumPy loops, float64 gradcheck, PyTorch."""
import itertools

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from lazy_torch import F
from torch_last import check_op


def distinct(rng, shape):
    """Distinct values, so each window's max is unique (no ties for the central difference)."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0


def pool_ref(x, k, s, reduce):
    """Windows of size k, stride s over the trailing len(k) axes, no padding."""
    n = len(k)
    out = tuple((m - kk) // ss + 1 for m, kk, ss in zip(x.shape[-n:], k, s))
    y = np.zeros(x.shape[:-n] + out)
    for i in itertools.product(*(range(o) for o in out)):
        sl = tuple(slice(ii * ss, ii * ss + kk) for ii, ss, kk in zip(i, s, k))
        y[(Ellipsis,) + i] = reduce(x[(Ellipsis,) + sl], axis=tuple(range(-n, 0)))
    return y


def adaptive_ref(x, out, reduce):
    n = len(out)
    y = np.zeros(x.shape[:-n] + tuple(out))
    for i in itertools.product(*(range(o) for o in out)):
        sl = tuple(slice(ii * m // o, -(-(ii + 1) * m // o))
                   for ii, m, o in zip(i, x.shape[-n:], out))
        y[(Ellipsis,) + i] = reduce(x[(Ellipsis,) + sl], axis=tuple(range(-n, 0)))
    return y


@pytest.mark.parametrize("k,s", [((2, 2, 2), (2, 2, 2)), ((2, 3, 2), (1, 2, 1))])
def test_pool3d_match_definition(k, s):
    check_op(lambda x: ops.max_pool3d(x, k, s), lambda x: pool_ref(x, k, s, np.max),
             [(2, 2, 4, 5, 4), (1, 1, 3, 3, 3)], make=distinct)
    check_op(lambda x: ops.avg_pool3d(x, k, s), lambda x: pool_ref(x, k, s, np.mean),
             [(2, 2, 4, 5, 4), (1, 1, 3, 3, 3)])


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3, 2), stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=1, dilation=(1, 2, 1)),
])
def test_max_pool3d_options_and_indices_match_torch(kwargs):
    check_op(lambda x: ops.max_pool3d(x, **kwargs), None, [(2, 2, 5, 6, 5)], make=distinct,
             torch_fn=lambda x: F.max_pool3d(x, **kwargs))
    x = distinct(np.random.default_rng(0), (2, 2, 5, 6, 5))
    _, idx = ops.max_pool3d(dg.tensor(x), return_indices=True, **kwargs)
    torch = pytest.importorskip("torch")
    _, tidx = F.max_pool3d(torch.tensor(x), return_indices=True, **kwargs)
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3, 2), stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3),
])
def test_avg_pool3d_options_match_torch(kwargs):
    check_op(lambda x: ops.avg_pool3d(x, **kwargs), None, [(2, 2, 5, 6, 5)],
             torch_fn=lambda x: F.avg_pool3d(x, **kwargs))


@pytest.mark.parametrize("n,kwargs", [
    (1, dict(kernel_size=3, stride=2, padding=1)), (1, dict(kernel_size=2, ceil_mode=True)),
    (2, dict(kernel_size=3, stride=2, padding=1)), (2, dict(kernel_size=(2, 3), dilation=2)),
    (2, dict(kernel_size=3, stride=2, ceil_mode=True)),
])
def test_max_pool_indices_match_torch(n, kwargs):
    """Indices are flat positions in each (n, c) spatial plane, ties to the first max."""
    shape = (2, 3, 9) if n == 1 else (2, 3, 7, 8)
    x = distinct(np.random.default_rng(2), shape)
    for fn in (getattr(ops, f"max_pool{n}d_with_indices"),
               lambda t, **kw: getattr(ops, f"max_pool{n}d")(t, return_indices=True, **kw)):
        y, idx = fn(dg.tensor(x), **kwargs)
        flat = x.reshape(2, 3, -1)
        np.testing.assert_array_equal(
            np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), -1).reshape(y.shape),
            y.numpy())
    torch = pytest.importorskip("torch")
    ty, tidx = getattr(torch.nn.functional, f"max_pool{n}d")(torch.tensor(x), return_indices=True,
                                                             **kwargs)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


def test_max_pool_with_indices_keeps_the_gradient():
    x = dg.tensor(distinct(np.random.default_rng(3), (1, 2, 4, 4)), requires_grad=True)
    y, idx = ops.max_pool2d_with_indices(x, 2)
    assert y.requires_grad and not idx.requires_grad
    y.sum().backward()
    want = np.zeros(32)
    want[(idx.numpy().reshape(2, -1) + np.array([[0], [16]])).ravel()] = 1
    np.testing.assert_array_equal(x.grad.numpy().ravel(), want)


@pytest.mark.parametrize("out", [(1, 1, 1), (2, 3, 2), (3, 5, 4), (None, 2, 3)])
def test_adaptive_pool3d(out):
    shape = (2, 2, 3, 5, 4)
    full = tuple(m if o is None else o for m, o in zip(shape[2:], out))
    check_op(lambda x: ops.adaptive_avg_pool3d(x, out), lambda x: adaptive_ref(x, full, np.mean),
             [shape])
    check_op(lambda x: ops.adaptive_max_pool3d(x, out), lambda x: adaptive_ref(x, full, np.max),
             [shape], make=distinct)


@pytest.mark.parametrize("n,shape,out", [(1, (2, 3, 7), 3), (1, (2, 3, 5), 5), (2, (2, 2, 7, 5), (3, 4)),
                                         (3, (1, 2, 4, 5, 3), (2, 3, 2))])
def test_adaptive_max_pool_indices_match_torch(n, shape, out):
    check_op(lambda x: getattr(ops, f"adaptive_max_pool{n}d")(x, out), None, [shape],
             make=distinct, torch_fn=lambda x: getattr(F, f"adaptive_max_pool{n}d")(x, out))
    check_op(lambda x: getattr(ops, f"adaptive_avg_pool{n}d")(x, out), None, [shape],
             torch_fn=lambda x: getattr(F, f"adaptive_avg_pool{n}d")(x, out))
    torch = pytest.importorskip("torch")
    x = distinct(np.random.default_rng(4), shape)
    _, idx = getattr(ops, f"adaptive_max_pool{n}d_with_indices")(dg.tensor(x), out)
    _, tidx = getattr(F, f"adaptive_max_pool{n}d")(torch.tensor(x), out, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@pytest.mark.parametrize("op,shape,args", [
    ("max_pool1d", (3, 8), (2,)), ("avg_pool1d", (3, 8), (3, 2, 1)),
    ("max_pool2d", (2, 5, 6), (2,)), ("avg_pool2d", (2, 5, 6), (2,)),
    ("max_pool3d", (2, 4, 4, 4), (2,)), ("avg_pool3d", (2, 4, 4, 4), (2,)),
    ("adaptive_avg_pool1d", (3, 8), (3,)), ("adaptive_max_pool1d", (3, 8), (3,)),
    ("adaptive_avg_pool2d", (2, 5, 6), ((2, 3),)), ("adaptive_max_pool2d", (2, 5, 6), (2,)),
    ("adaptive_avg_pool3d", (2, 4, 4, 4), (2,)), ("adaptive_max_pool3d", (2, 4, 4, 4), (3,)),
])
def test_unbatched_pooling_is_one_sample(op, shape, args):
    x = distinct(np.random.default_rng(5), shape)
    got = getattr(ops, op)(dg.tensor(x), *args)
    want = getattr(ops, op)(dg.tensor(x[None]), *args)
    np.testing.assert_array_equal(got.numpy(), want.numpy()[0])
    torch = pytest.importorskip("torch")
    ref = getattr(torch.nn.functional, op)(torch.tensor(x), *args)
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)


def test_pool_empty_batch_and_float32():
    assert ops.max_pool3d(dg.zeros(0, 2, 4, 4, 4), 2).shape == (0, 2, 2, 2, 2)
    x = dg.randn(1, 2, 4, 4, 4, requires_grad=True)
    y = ops.avg_pool3d(x, 2)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_pool_nd_bad_input():
    with pytest.raises(ValueError, match=r"max_pool3d: expected a 4-D \(unbatched\) or 5-D "
                                         r"\(batched\) input \(N, C, D, H, W\), received shape "
                                         r"\(4, 4, 4\)"):
        ops.max_pool3d(dg.randn(4, 4, 4), 2)
    with pytest.raises(ValueError, match=r"avg_pool3d: padding \(2, 2, 2\) should be at most "
                                         r"half of kernel size \(3, 3, 3\)"):
        ops.avg_pool3d(dg.randn(1, 1, 6, 6, 6), 3, padding=2)
    with pytest.raises(ValueError, match="max_pool3d: kernel .* is larger than the padded input"):
        ops.max_pool3d(dg.randn(1, 1, 2, 4, 4), 3)
    with pytest.raises(ValueError, match=r"max_pool3d kernel_size: expected an int or 3 ints"):
        ops.max_pool3d(dg.randn(1, 1, 4, 4, 4), (2, 2))
    with pytest.raises(ValueError, match="avg_pool3d: divisor_override must be a positive"):
        ops.avg_pool3d(dg.randn(1, 1, 4, 4, 4), 2, divisor_override=0)
    with pytest.raises(ValueError, match="adaptive_max_pool1d: output_size must be positive"):
        ops.adaptive_max_pool1d(dg.randn(1, 2, 4), 0)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool3d: output_size must be an int or 3"):
        ops.adaptive_avg_pool3d(dg.randn(1, 2, 4, 4, 4), (2, 2))


@pytest.mark.parametrize("with_indices,plain,shape,args", [
    (ops.max_pool1d_with_indices, ops.max_pool1d, (2, 3, 9), (3, 2, 1)),
    (ops.max_pool2d_with_indices, ops.max_pool2d, (2, 3, 5, 6), (2,)),
    (ops.max_pool3d_with_indices, ops.max_pool3d, (1, 2, 4, 5, 4), (2, 1)),
    (ops.adaptive_max_pool1d_with_indices, ops.adaptive_max_pool1d, (2, 3, 9), (4,)),
    (ops.adaptive_max_pool2d_with_indices, ops.adaptive_max_pool2d, (2, 3, 5, 6), ((2, 4),)),
    (ops.adaptive_max_pool3d_with_indices, ops.adaptive_max_pool3d, (1, 2, 4, 5, 4), (3,)),
])
def test_with_indices_forms_return_values_and_indices(with_indices, plain, shape, args):
    """The *_with_indices forms always return (values, int64 indices), whatever
    return_indices says, and their values and gradients are the plain op's."""
    x = distinct(np.random.default_rng(6), shape)
    y, idx = with_indices(dg.tensor(x), *args)
    y2, idx2 = plain(dg.tensor(x), *args, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), plain(dg.tensor(x), *args).numpy())
    np.testing.assert_array_equal(idx.numpy(), idx2.numpy())
    assert idx.dtype == np.int64 and len(with_indices(dg.tensor(x), *args, return_indices=False)) == 2
    check_op(lambda t: with_indices(t, *args)[0], None, [shape], make=distinct)
