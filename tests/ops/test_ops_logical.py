"""Comparisons, logical and bitwise ops, closeness and the is* tests: values vs NumPy,
PyTorch's dtype rules and edge cases (shift amounts, NaN, infinities)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops

A = np.array([[1.0, -2.0, 3.0], [0.0, 5.0, -6.0]], np.float32)
B = np.array([1.0, 2.0, -3.0], np.float32)


@pytest.mark.parametrize("fn, ref", [
    (ops.greater, np.greater), (ops.greater_equal, np.greater_equal), (ops.less, np.less),
    (ops.less_equal, np.less_equal), (ops.not_equal, np.not_equal),
], ids=lambda v: getattr(v, "__name__", ""))
def test_comparison_aliases(fn, ref):
    out = fn(dg.tensor(A), dg.tensor(B))
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out.numpy(), ref(A, B))
    np.testing.assert_array_equal(fn(dg.tensor(A), 1.0).numpy(), ref(A, 1.0))


@pytest.mark.parametrize("fn, ref", [
    (ops.logical_and, np.logical_and), (ops.logical_or, np.logical_or),
    (ops.logical_xor, np.logical_xor),
], ids=lambda v: getattr(v, "__name__", ""))
def test_logical_binary(fn, ref):
    a, b = np.array([1.0, 0.0, 2.0, 0.0]), np.array([3, 0, 0, 5])
    out = fn(dg.tensor(a), dg.tensor(b))
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out.numpy(), ref(a, b))
    np.testing.assert_array_equal(fn(dg.tensor(A), dg.tensor(B)).numpy(), ref(A, B))


def test_logical_not():
    np.testing.assert_array_equal(ops.logical_not(dg.tensor([0, 2, -1])).numpy(),
                                  [True, False, False])


@pytest.mark.parametrize("fn, ref", [
    (ops.bitwise_and, np.bitwise_and), (ops.bitwise_or, np.bitwise_or),
    (ops.bitwise_xor, np.bitwise_xor),
], ids=lambda v: getattr(v, "__name__", ""))
def test_bitwise_binary(fn, ref):
    a, b = np.array([[12, -7, 0], [5, 255, 3]]), np.array([10, 3, -1])
    out = fn(dg.tensor(a), dg.tensor(b))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), ref(a, b))
    t, f = dg.tensor([True, True, False]), dg.tensor([True, False, False])
    assert fn(t, f).dtype == np.bool_
    np.testing.assert_array_equal(fn(t, f).numpy(), ref(t.numpy(), f.numpy()))
    np.testing.assert_array_equal(fn(dg.tensor([3]), 1).numpy(), ref(3, 1))
    with pytest.raises(TypeError, match="integer or bool"):
        fn(dg.tensor([1.0]), dg.tensor([1.0]))


def test_bitwise_not():
    np.testing.assert_array_equal(ops.bitwise_not(dg.tensor([5, -1, 0])).numpy(), [-6, 0, -1])
    np.testing.assert_array_equal(ops.bitwise_not(dg.tensor([True, False])).numpy(), [False, True])
    with pytest.raises(TypeError, match="bitwise_not"):
        ops.bitwise_not(dg.tensor([1.0]))


def test_shifts_follow_torch_for_every_amount():
    x = dg.tensor([5, -5, 3])
    np.testing.assert_array_equal(ops.bitwise_left_shift(x, 2).numpy(), [20, -20, 12])
    np.testing.assert_array_equal(ops.bitwise_right_shift(x, 1).numpy(), [2, -3, 1])
    # amounts out of range: left gives 0, right gives the sign fill
    np.testing.assert_array_equal(ops.bitwise_left_shift(x, 70).numpy(), [0, 0, 0])
    np.testing.assert_array_equal(ops.bitwise_left_shift(x, -1).numpy(), [0, 0, 0])
    np.testing.assert_array_equal(ops.bitwise_right_shift(x, 70).numpy(), [0, -1, 0])
    np.testing.assert_array_equal(ops.bitwise_right_shift(x, -1).numpy(), [0, -1, 0])
    u = dg.tensor(np.array([200], np.uint8))
    np.testing.assert_array_equal(ops.bitwise_left_shift(u, 1).numpy(), [144])
    np.testing.assert_array_equal(ops.bitwise_right_shift(u, 9).numpy(), [0])
    i32 = dg.tensor(np.array([3], np.int32))
    out = ops.bitwise_left_shift(i32, 31)
    assert out.dtype == np.int32 and out.numpy()[0] == -2 ** 31
    np.testing.assert_array_equal(ops.bitwise_left_shift(dg.tensor([True]), 1).numpy(), [2])
    mixed = ops.bitwise_left_shift(i32, dg.tensor([2]))          # int32 << int64 is int64
    assert mixed.dtype == np.int64 and mixed.numpy()[0] == 12
    assert ops.bitwise_right_shift(u, dg.tensor(np.array([1], np.uint8))).dtype == np.uint8
    with pytest.raises(TypeError, match="bool"):
        ops.bitwise_left_shift(dg.tensor([True]), dg.tensor([True]))
    with pytest.raises(TypeError, match="integer"):
        ops.bitwise_left_shift(dg.tensor([1.0]), 1)


def test_shifts_against_torch():
    torch = pytest.importorskip("torch")
    a = np.array([-9, -1, 0, 1, 7, 2 ** 40])
    s = np.array([-3, 0, 1, 5, 62, 63, 64, 100])[:, None]
    for name in ("bitwise_left_shift", "bitwise_right_shift"):
        out = getattr(ops, name)(dg.tensor(a), dg.tensor(s)).numpy()
        want = getattr(torch, name)(torch.tensor(a), torch.tensor(s)).numpy()
        np.testing.assert_array_equal(out, want, err_msg=name)


def test_isclose_allclose_equal():
    a = dg.tensor([1.0, np.nan, np.inf, -np.inf, 1.0])
    b = dg.tensor([1.0 + 1e-6, np.nan, np.inf, np.inf, 1.1])
    np.testing.assert_array_equal(ops.isclose(a, b).numpy(), [True, False, True, False, False])
    np.testing.assert_array_equal(ops.isclose(a, b, equal_nan=True).numpy(),
                                  [True, True, True, False, False])
    np.testing.assert_array_equal(ops.isclose(a, b, rtol=0.2).numpy()[[0, 4]], [True, True])
    np.testing.assert_array_equal(ops.isclose(dg.tensor([1, 2]), dg.tensor([1, 3])).numpy(),
                                  [True, False])
    assert ops.allclose(dg.tensor([1.0, np.inf]), dg.tensor([1.0, np.inf])) is True
    assert ops.allclose(a, b) is False
    assert ops.equal(dg.tensor([1.0, 2.0]), dg.tensor([1, 2])) is True
    assert ops.equal(dg.tensor([1.0, 2.0]), dg.tensor([[1.0, 2.0]])) is False
    assert ops.equal(dg.tensor([np.nan]), dg.tensor([np.nan])) is False
    with pytest.raises(TypeError, match="dtype"):
        ops.isclose(dg.tensor([1.0]), dg.tensor([1.0], dtype=dg.float64))
    with pytest.raises(ValueError, match="rtol"):
        ops.isclose(dg.tensor([1.0]), dg.tensor([1.0]), rtol=-1)


def test_isclose_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.normal(size=200)
    b = a + rng.normal(size=200) * np.logspace(-10, 0, 200)
    b[::17], a[::23] = np.nan, np.inf
    for kw in ({}, {"rtol": 1e-3, "atol": 1e-6}, {"equal_nan": True}):
        np.testing.assert_array_equal(ops.isclose(dg.tensor(a), dg.tensor(b), **kw).numpy(),
                                      torch.isclose(torch.tensor(a), torch.tensor(b), **kw).numpy())


@pytest.mark.parametrize("fn, ref", [
    (ops.isnan, np.isnan), (ops.isinf, np.isinf), (ops.isfinite, np.isfinite),
    (ops.isposinf, np.isposinf), (ops.isneginf, np.isneginf),
], ids=lambda v: getattr(v, "__name__", ""))
def test_is_tests(fn, ref):
    x = np.array([1.0, np.nan, np.inf, -np.inf, -0.0])
    np.testing.assert_array_equal(fn(dg.tensor(x)).numpy(), ref(x))
    assert fn(dg.tensor([1, 2])).dtype == np.bool_
    assert fn(dg.zeros(0)).shape == (0,)


def test_isreal_is_true_everywhere():
    np.testing.assert_array_equal(ops.isreal(dg.tensor([[1.0, np.nan]])).numpy(), [[True, True]])


def test_isin():
    e, t = dg.tensor([[1, 2], [3, 4]]), dg.tensor([2, 4, 9])
    np.testing.assert_array_equal(ops.isin(e, t).numpy(), [[False, True], [False, True]])
    np.testing.assert_array_equal(ops.isin(e, t, invert=True).numpy(),
                                  [[True, False], [True, False]])
    np.testing.assert_array_equal(ops.isin(dg.tensor([1, 2, 3]), 2).numpy(), [False, True, False])
    out = ops.isin(2, dg.tensor([1, 2, 3]))
    assert out.shape == () and bool(out)
    np.testing.assert_array_equal(ops.isin(dg.tensor([1.0, 2.0]), dg.tensor([1, 2]),
                                           assume_unique=True).numpy(), [True, True])
