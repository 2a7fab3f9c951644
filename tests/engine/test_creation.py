"""Creation functions: values, dtypes, devices, out=, sharing, errors (PyTorch's semantics)."""
import warnings

import numpy as np
import pytest

import deepgrad as dg


@pytest.fixture(autouse=True)
def _default_dtype():
    yield
    dg.set_default_dtype(dg.float32)


# ---------------------------------------------------------------------------- from data
def test_tensor_dtypes_and_copy():
    assert dg.tensor(1.5).dtype == np.float32 and dg.tensor(3).dtype == np.int64
    assert dg.tensor([True]).dtype == np.bool_ and dg.tensor([]).dtype == np.float32
    assert dg.tensor([[]]).shape == (1, 0)
    a = np.arange(3.0)
    t = dg.tensor(a)
    assert t.dtype == np.float64 and not np.shares_memory(t.array, a)
    src = dg.tensor([1.0, 2.0], requires_grad=True)
    c = dg.tensor(src)
    assert not c.requires_grad and not np.shares_memory(c.array, src.array)
    assert dg.tensor([1, 2], dtype=dg.float64, requires_grad=True).requires_grad
    assert dg.tensor(3.7, dtype=dg.int64).item() == 3
    with pytest.raises(ValueError, match="equal lengths"):
        dg.tensor([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="only floating point"):
        dg.tensor([1, 2], requires_grad=True)


def test_default_dtype_governs_python_floats_only():
    dg.set_default_dtype(dg.float64)
    assert dg.get_default_dtype() is dg.float64
    assert dg.tensor([1.5]).dtype == np.float64 and dg.zeros(2).dtype == np.float64
    assert dg.tensor([1]).dtype == np.int64
    assert dg.tensor(np.ones(2, np.float32)).dtype == np.float32       # arrays keep theirs
    dg.set_default_dtype(dg.float32)
    with pytest.raises(TypeError, match="floating-point"):
        dg.set_default_dtype(dg.int64)
    assert dg.get_default_dtype() is dg.float32


def test_as_tensor_asarray_from_numpy_share_memory():
    a = np.arange(4.0)
    for t in (dg.as_tensor(a), dg.asarray(a), dg.from_numpy(a)):
        assert t.dtype == np.float64 and np.shares_memory(t.array, a)
    dg.from_numpy(a)[0] = 9.0
    assert a[0] == 9.0
    assert not np.shares_memory(dg.as_tensor(a, dtype=dg.float32).array, a)
    t = dg.ones(2)
    assert dg.as_tensor(t) is t and dg.asarray(t) is t
    assert dg.as_tensor(t, dtype=dg.float64).dtype == np.float64
    assert not np.shares_memory(dg.asarray(a, copy=True).array, a)
    with pytest.raises(ValueError, match="can't alias"):
        dg.asarray([1, 2], copy=False)
    with pytest.raises(ValueError, match="can't alias dtype float64 into dtype float32"):
        dg.asarray(a, dtype=dg.float32, copy=False)
    assert dg.asarray([1.0, 2.0], requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="np.ndarray"):
        dg.from_numpy([1, 2])
    with pytest.raises(TypeError, match="dtype object"):
        dg.from_numpy(np.array([None]))


def test_scalar_tensor():
    s = dg.scalar_tensor(3)
    assert s.shape == () and s.dtype == np.float32 and s.item() == 3.0
    assert dg.scalar_tensor(True, dtype=dg.bool).dtype == np.bool_


# ---------------------------------------------------------------------------- filled
@pytest.mark.parametrize("fn,value", [(dg.zeros, 0), (dg.ones, 1), (dg.empty, 0)])
def test_filled_sizes_dtypes_and_grad(fn, value):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32 and np.all(t.array == value)
    assert fn(()).shape == () and fn(0).shape == (0,)
    assert fn(2, dtype=dg.int64).dtype == np.int64
    assert fn(2, requires_grad=True).requires_grad
    assert fn(2, device="cpu").device == dg.device("cpu")
    with pytest.raises(RuntimeError, match="non-negative"):
        fn(-1)
    with pytest.raises(TypeError, match="tuple of ints"):
        fn(2.5)
    with pytest.raises(RuntimeError, match="layout"):
        fn(2, layout="sparse")
    with pytest.raises(RuntimeError, match="pin_memory"):
        fn(2, pin_memory=True)


def test_full_follows_the_fill_value():
    assert dg.full((2,), 3).dtype == np.int64
    assert dg.full((2,), True).dtype == np.bool_
    assert dg.full((2,), 1.5).dtype == np.float32
    assert dg.full([2], 3, dtype=dg.float64).dtype == np.float64
    np.testing.assert_array_equal(dg.full((2, 2), 7.0).array, np.full((2, 2), 7.0))


def test_like_functions_keep_shape_dtype_and_layout():
    x = dg.tensor(np.arange(6).reshape(2, 3))
    for fn, v in ((dg.zeros_like, 0), (dg.ones_like, 1), (dg.empty_like, 0)):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == np.int64 and np.all(y.array == v)
        assert fn(x, dtype=dg.float64).dtype == np.float64
    assert dg.full_like(x, 2.7).tolist() == [[2, 2, 2], [2, 2, 2]]
    t = dg.zeros(3, 4).t()                        # transposed: preserve_format keeps it
    assert dg.zeros_like(t).stride() == t.stride() == (1, 4)
    assert dg.zeros_like(t, memory_format=dg.contiguous_format).stride() == (3, 1)
    with pytest.raises(TypeError, match="Tensor"):
        dg.zeros_like([1, 2])


def test_out_argument_writes_into_and_resizes():
    out = dg.zeros(5)
    r = dg.arange(3.0, out=out)
    assert r is out and out.tolist() == [0.0, 1.0, 2.0]
    same = dg.zeros(2, 2)
    arr = same.array
    assert dg.ones(2, 2, out=same) is same and same.array is arr and arr.sum() == 4
    with pytest.raises(RuntimeError, match="does not match"):
        dg.zeros(2, out=dg.zeros(2), dtype=dg.float64)
    with pytest.raises(RuntimeError, match="requires grad"):
        dg.zeros(2, out=dg.zeros(2, requires_grad=True))


# ---------------------------------------------------------------------------- ranges
def test_arange_range_linspace_logspace_eye_against_numpy():
    assert dg.arange(5).dtype == np.int64 and dg.arange(5).tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(dg.arange(0, 1, 0.25).array, [0, 0.25, 0.5, 0.75])
    assert dg.arange(0.0, 3).dtype == np.float32
    assert dg.arange(5, dtype=dg.float64).dtype == np.float64
    assert dg.arange(5, 0, -2).tolist() == [5, 3, 1]
    with pytest.raises(RuntimeError, match="nonzero"):
        dg.arange(0, 3, 0)
    with pytest.raises(RuntimeError, match="inconsistent"):
        dg.arange(3, 0, 1)
    with pytest.warns(UserWarning, match="deprecated"):
        r = dg.range(0, 3)
    assert r.dtype == np.float32 and r.tolist() == [0, 1, 2, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert dg.range(0, 3, dtype=dg.int64).tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(dg.linspace(-1, 1, 5).array, np.linspace(-1, 1, 5))
    assert dg.linspace(0, 1, 1).tolist() == [0.0] and dg.linspace(0, 1, 0).shape == (0,)
    assert dg.linspace(0, 10, 5, dtype=dg.int64).tolist() == [0, 2, 5, 7, 10]
    with pytest.raises(RuntimeError, match="non-negative"):
        dg.linspace(0, 1, -1)
    np.testing.assert_allclose(dg.logspace(0, 2, 3).array, [1, 10, 100])
    np.testing.assert_allclose(dg.logspace(0, 3, 4, base=2).array, [1, 2, 4, 8])
    np.testing.assert_array_equal(dg.eye(2, 3).array, np.eye(2, 3))
    assert dg.eye(0).shape == (0, 0) and dg.eye(3, dtype=dg.int64).dtype == np.int64
    with pytest.raises(RuntimeError, match="greater or equal to 0"):
        dg.eye(-1)


def test_ranges_against_torch():
    torch = pytest.importorskip("torch")
    cases = [("arange", (0, 1, 0.1), {}), ("arange", (-3, 7, 2), {}),
             ("linspace", (-2, 3, 7), {}), ("logspace", (-1, 1, 5), {"base": 3.0}),
             ("eye", (3, 2), {})]
    for name, args, kw in cases:
        a, b = getattr(dg, name)(*args, **kw), getattr(torch, name)(*args, **kw)
        assert a.dtype == np.dtype(str(b.dtype).replace("torch.", ""))
        np.testing.assert_allclose(a.array, b.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "bartlett_window",
                                  "blackman_window", "kaiser_window"])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows(name, n, periodic):
    w = getattr(dg, name)(n, periodic, dtype=dg.float64)
    assert w.shape == (n,) and w.dtype == np.float64
    symmetric = {"hann_window": np.hanning, "hamming_window": np.hamming,
                 "bartlett_window": np.bartlett, "blackman_window": np.blackman,
                 "kaiser_window": lambda m: np.kaiser(m, 12.0)}[name]
    expect = symmetric(n + 1)[:n] if periodic and n > 1 else symmetric(n)
    np.testing.assert_allclose(w.array, expect, atol=1e-12)
    assert getattr(dg, name)(n).dtype == np.float32
    torch = pytest.importorskip("torch")
    t = getattr(torch, name)(n, periodic, dtype=torch.float64)
    np.testing.assert_allclose(w.array, t.numpy(), atol=1e-12)


def test_window_refuses_integer_dtype():
    with pytest.raises(RuntimeError, match="floating point"):
        dg.hann_window(4, dtype=dg.int64)


def test_dlpack_round_trip_shares_memory():
    x = dg.arange(4.0)
    y = dg.from_dlpack(dg.to_dlpack(x))
    assert np.shares_memory(x.array, y.array)
    a = np.arange(3)
    assert np.shares_memory(dg.from_dlpack(a).array, a)
    with pytest.raises(TypeError, match="__dlpack__"):
        dg.from_dlpack([1, 2])
    assert np.shares_memory(np.from_dlpack(x), x.array)          # Tensor.__dlpack__
    with pytest.raises(RuntimeError, match="requires grad"):
        dg.to_dlpack(dg.ones(2, requires_grad=True))
    torch = pytest.importorskip("torch")
    t = torch.arange(3.0)
    d = dg.from_dlpack(t)
    t[0] = 7.0
    assert d.array[0] == 7.0
    back = torch.from_dlpack(dg.to_dlpack(x))
    direct = torch.from_dlpack(x)
    x.array[1] = 5.0
    assert back[1].item() == 5.0 and direct[1].item() == 5.0
