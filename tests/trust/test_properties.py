"""Property tests (hypothesis) of the engine against NumPy: broadcasting (forward and the
gradient's undoing of it), reductions, indexing and shape ops, on random shapes that
include empty and size-1 axes. Float64 data, so results compare exactly or to 1e-12.
"""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import deepgrad  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
NONEMPTY = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)


def _data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _t(a, requires_grad=False):
    return deepgrad.tensor(a, requires_grad=requires_grad)


def _close(got, want, tol=1e-12):
    got = got.detach().numpy() if isinstance(got, deepgrad.Tensor) else np.asarray(got)
    assert got.shape == np.shape(want), (got.shape, np.shape(want))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ====================================================================== broadcasting
BINARY = {"add": (lambda a, b: a + b, np.add), "mul": (lambda a, b: a * b, np.multiply),
          "sub": (lambda a, b: a - b, np.subtract),
          "maximum": (deepgrad.maximum, np.maximum)}


@pytest.mark.parametrize("op", sorted(BINARY))
@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                min_side=0, max_side=3))
def test_broadcasting_matches_numpy(op, shapes):
    (sa, sb), result = shapes.input_shapes, shapes.result_shape
    a, b = _data(sa, 1), _data(sb, 2)
    fn, ref = BINARY[op]
    out = fn(_t(a), _t(b))
    assert tuple(out.shape) == result
    _close(out, ref(a, b))


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                min_side=0, max_side=3))
def test_the_gradient_of_a_broadcast_product_sums_over_the_broadcast_axes(shapes):
    sa, sb = shapes.input_shapes
    a, b = _data(sa, 3), _data(sb, 4)
    ta, tb = _t(a, True), _t(b, True)
    (ta * tb).sum().backward()
    want = np.broadcast_to(b, shapes.result_shape).copy()   # d/da sum(a b) = b ...
    while want.ndim > a.ndim:                                  # ... summed back to a
        want = want.sum(0)
    for i, n in enumerate(a.shape):
        if n == 1 and want.shape[i] != 1:
            want = want.sum(i, keepdims=True)
    _close(ta.grad, want)
    assert tuple(tb.grad.shape) == sb


@SETTINGS
@given(a=SHAPES, b=SHAPES)
def test_incompatible_shapes_raise_and_compatible_ones_do_not(a, b):
    try:
        expected = np.broadcast_shapes(a, b)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises((ValueError, RuntimeError)):
            _t(_data(a)) + _t(_data(b))
    else:
        assert tuple((_t(_data(a)) + _t(_data(b))).shape) == expected


# ====================================================================== reductions
def _axes(shape):
    return st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)) if shape else \
        st.none()


@pytest.mark.parametrize("name", ["sum", "mean", "prod"])
@SETTINGS
@given(data=st.data(), shape=SHAPES, keepdim=st.booleans())
def test_sum_mean_prod_match_numpy(name, data, shape, keepdim):
    axis = data.draw(_axes(shape))
    if name == "mean" and (np.prod(shape) == 0 if axis is None else shape[axis] == 0):
        return                                    # NumPy's mean of nothing: NaN and a warning
    a = _data(shape, 5)
    t = _t(a)
    got = getattr(t, name)() if axis is None else getattr(t, name)(axis, keepdim=keepdim)
    want = getattr(np, name)(a, axis=axis, keepdims=keepdim and axis is not None)
    _close(got, want, 1e-10)


@SETTINGS
@given(data=st.data(), shape=SHAPES)
def test_amax_amin_match_numpy_and_refuse_an_empty_reduction(data, shape):
    axis = data.draw(_axes(shape))
    a = _data(shape, 6)
    empty = np.prod(shape) == 0 if axis is None else shape[axis] == 0
    for name in ("amax", "amin"):
        fn = getattr(_t(a), name)
        if empty:
            with pytest.raises((RuntimeError, ValueError), match=name):
                fn() if axis is None else fn(axis)
        else:
            got = fn() if axis is None else fn(axis)
            _close(got, getattr(np, name)(a, axis=axis))


@SETTINGS
@given(data=st.data(), shape=NONEMPTY)
def test_the_gradient_of_a_sum_over_axes_is_ones(data, shape):
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=3))
    t = _t(_data(shape, 7), True)
    (t.sum(dim=tuple(axes)).sum() if axes else t.sum()).backward()
    _close(t.grad, np.ones(shape))


@SETTINGS
@given(data=st.data(), shape=NONEMPTY)
def test_argmax_and_logsumexp_match_numpy(data, shape):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = _data(shape, 8)
    _close(_t(a).argmax(axis), np.argmax(a, axis=axis))
    m = a.max(axis=axis, keepdims=True)
    _close(_t(a).logsumexp(axis),
           np.squeeze(m, axis) + np.log(np.exp(a - m).sum(axis=axis)), 1e-10)


# ====================================================================== indexing
@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0,
                                               max_side=4))
def test_basic_indexing_matches_numpy(data, shape):
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    a = _data(shape, 9)
    _close(_t(a)[index], a[index])


@SETTINGS
@given(data=st.data(), shape=NONEMPTY)
def test_integer_array_indexing_and_its_gradient(data, shape):
    index = data.draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(
        min_dims=0, max_dims=2, min_side=0, max_side=3)))
    a = _data(shape, 10)
    t = _t(a, True)
    out = t[index]
    _close(out, a[index])
    out.sum().backward()
    want = np.zeros(shape)
    np.add.at(want, index, 1.0)                     # repeated indices accumulate
    _close(t.grad, want)


@SETTINGS
@given(shape=SHAPES, threshold=st.floats(-1.5, 1.5))
def test_boolean_mask_indexing_matches_numpy(shape, threshold):
    a = _data(shape, 11)
    _close(_t(a)[_t(a) > threshold], a[a > threshold])


# ====================================================================== shape ops
@SETTINGS
@given(shape=SHAPES, data=st.data())
def test_reshape_and_flatten_match_numpy(shape, data):
    a = _data(shape, 12)
    n = a.size
    factors = [d for d in range(1, n + 1) if n % d == 0] if n else [0]
    first = data.draw(st.sampled_from(factors))
    target = (first, -1) if first else (0, 3)
    _close(_t(a).reshape(*target), a.reshape(target))
    if a.ndim:
        start = data.draw(st.integers(0, a.ndim - 1))
        _close(_t(a).flatten(start),
               a.reshape(a.shape[:start] + (int(np.prod(a.shape[start:])),)))


@SETTINGS
@given(shape=SHAPES, data=st.data())
def test_permute_transpose_squeeze_unsqueeze_match_numpy(shape, data):
    a = _data(shape, 13)
    perm = data.draw(st.permutations(range(a.ndim)))
    _close(_t(a).permute(*perm), np.transpose(a, perm))
    if a.ndim >= 2:
        i, j = data.draw(st.tuples(st.integers(0, a.ndim - 1), st.integers(0, a.ndim - 1)))
        _close(_t(a).transpose(i, j), np.swapaxes(a, i, j))
    _close(_t(a).squeeze(), np.squeeze(a))
    k = data.draw(st.integers(-a.ndim - 1, a.ndim))
    _close(_t(a).unsqueeze(k), np.expand_dims(a, k))


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=3,
                                                min_side=0, max_side=3))
def test_expand_matches_broadcast_to(shapes):
    (src,), dst = shapes.input_shapes, shapes.result_shape
    a = _data(src, 14)
    _close(_t(a).expand(*dst), np.broadcast_to(a, dst))


@SETTINGS
@given(shape=NONEMPTY, data=st.data(), count=st.integers(1, 3))
def test_cat_and_stack_match_numpy_with_gradients(shape, data, count):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    arrays = [_data(shape, 15 + i) for i in range(count)]
    ts = [_t(a, True) for a in arrays]
    _close(deepgrad.cat(ts, axis), np.concatenate(arrays, axis))
    stacked = deepgrad.stack(ts, axis)
    _close(stacked, np.stack(arrays, axis))
    (stacked * 2).sum().backward()
    for t in ts:
        _close(t.grad, np.full(shape, 2.0))
