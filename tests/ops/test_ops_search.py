"""unique, unique_consecutive, searchsorted, bucketize, histc, histogram, bincount:
values vs NumPy and PyTorch's conventions (inverse shapes, sides, edges, dtypes)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops


def test_unique():
    x = dg.tensor([3, 1, 2, 1, 3])
    np.testing.assert_array_equal(ops.unique(x).numpy(), [1, 2, 3])
    v, inv, cnt = ops.unique(x, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(inv.numpy(), [2, 0, 1, 0, 2])
    np.testing.assert_array_equal(cnt.numpy(), [2, 1, 2])
    v, inv = ops.unique(dg.tensor([[3, 1], [1, 2]]), return_inverse=True)
    np.testing.assert_array_equal(inv.numpy(), [[2, 0], [0, 1]])       # the input's shape
    v, cnt = ops.unique(x, sorted=False, return_counts=True)     # any order is allowed
    order = np.argsort(v.numpy())
    np.testing.assert_array_equal(v.numpy()[order], [1, 2, 3])
    np.testing.assert_array_equal(cnt.numpy()[order], [2, 1, 2])
    out = ops.unique(dg.tensor([np.nan, 1.0, np.nan]))
    assert out.shape == (3,) and np.isnan(out.numpy()[1:]).all()        # NaNs stay distinct
    assert ops.unique(dg.tensor(3)).shape == (1,)
    assert ops.unique(dg.zeros(0)).shape == (0,)


def test_unique_dim():
    x = dg.tensor([[1, 2], [1, 2], [0, 1]])
    v, inv, cnt = ops.unique(x, dim=0, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(v.numpy(), [[0, 1], [1, 2]])
    np.testing.assert_array_equal(inv.numpy(), [1, 1, 0])
    np.testing.assert_array_equal(cnt.numpy(), [1, 2])
    v = ops.unique(dg.tensor([[2, 1, 2], [4, 3, 4]]), dim=-1)
    np.testing.assert_array_equal(v.numpy(), [[1, 2], [3, 4]])


def test_unique_consecutive():
    x = dg.tensor([1, 1, 2, 2, 3, 1, 1])
    v, inv, cnt = ops.unique_consecutive(x, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(v.numpy(), [1, 2, 3, 1])
    np.testing.assert_array_equal(inv.numpy(), [0, 0, 1, 1, 2, 3, 3])
    np.testing.assert_array_equal(cnt.numpy(), [2, 2, 1, 2])
    m = dg.tensor([[1, 2], [1, 2], [0, 1]])
    v, inv, cnt = ops.unique_consecutive(m, return_inverse=True, return_counts=True, dim=0)
    np.testing.assert_array_equal(v.numpy(), [[1, 2], [0, 1]])
    np.testing.assert_array_equal(inv.numpy(), [0, 0, 1])
    np.testing.assert_array_equal(cnt.numpy(), [2, 1])
    v, inv = ops.unique_consecutive(dg.tensor([[5, 5], [5, 6]]), return_inverse=True)
    np.testing.assert_array_equal(inv.numpy(), [[0, 0], [0, 1]])


def test_unique_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).integers(0, 4, size=(6, 3))
    for kw in ({}, {"dim": 0}, {"dim": 1}):
        ours = ops.unique(dg.tensor(x), return_inverse=True, return_counts=True, **kw)
        theirs = torch.unique(torch.tensor(x), return_inverse=True, return_counts=True, **kw)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.numpy(), t.numpy())
        ours = ops.unique_consecutive(dg.tensor(x), return_inverse=True, return_counts=True, **kw)
        theirs = torch.unique_consecutive(torch.tensor(x), return_inverse=True,
                                          return_counts=True, **kw)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_searchsorted():
    seq = dg.tensor([1, 3, 5, 7])
    np.testing.assert_array_equal(ops.searchsorted(seq, dg.tensor([3, 6, 9])).numpy(), [1, 3, 4])
    np.testing.assert_array_equal(ops.searchsorted(seq, dg.tensor([3, 6, 9]), right=True).numpy(),
                                  [2, 3, 4])
    np.testing.assert_array_equal(ops.searchsorted(seq, dg.tensor([3]), side="right").numpy(), [2])
    out = ops.searchsorted(seq, 4)
    assert out.shape == () and out.item() == 2
    assert ops.searchsorted(seq, dg.tensor([3]), out_int32=True).dtype == np.int32
    nd = ops.searchsorted(dg.tensor([[1, 3, 5], [2, 4, 6]]), dg.tensor([[3, 6], [1, 5]]))
    np.testing.assert_array_equal(nd.numpy(), [[1, 3], [0, 2]])
    srt = ops.searchsorted(dg.tensor([5, 1, 3]), dg.tensor([2, 4]), sorter=dg.tensor([1, 2, 0]))
    np.testing.assert_array_equal(srt.numpy(), [1, 2])
    mixed = ops.searchsorted(dg.tensor([1.0, 3.0]), dg.tensor([2]))
    np.testing.assert_array_equal(mixed.numpy(), [1])
    with pytest.raises(ValueError, match="opposites"):
        ops.searchsorted(seq, dg.tensor([3]), right=True, side="left")
    with pytest.raises(ValueError, match="leading dims"):
        ops.searchsorted(dg.tensor([[1, 3], [2, 4]]), dg.tensor([[1, 2], [3, 4], [5, 6]]))


def test_searchsorted_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    seq = np.sort(rng.integers(0, 10, size=(3, 8)), axis=1)
    vals = rng.integers(-1, 11, size=(3, 5))
    for right in (False, True):
        np.testing.assert_array_equal(
            ops.searchsorted(dg.tensor(seq), dg.tensor(vals), right=right).numpy(),
            torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right).numpy())
        np.testing.assert_array_equal(
            ops.bucketize(dg.tensor(vals), dg.tensor(seq[0]), right=right).numpy(),
            torch.bucketize(torch.tensor(vals), torch.tensor(seq[0]), right=right).numpy())


def test_bucketize():
    b = dg.tensor([1, 3, 5, 7])
    x = dg.tensor([[1, 6], [3, 9]])
    np.testing.assert_array_equal(ops.bucketize(x, b).numpy(), [[0, 3], [1, 4]])
    np.testing.assert_array_equal(ops.bucketize(x, b, right=True).numpy(), [[1, 3], [2, 4]])
    assert ops.bucketize(x, b, out_int32=True).dtype == np.int32
    assert ops.bucketize(4, b).item() == 2
    with pytest.raises(ValueError, match="1-D"):
        ops.bucketize(x, dg.tensor([[1, 2]]))


def test_histc():
    out = ops.histc(dg.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [0, 2, 1, 0])
    out = ops.histc(dg.tensor([1.0, 2.0, 1.0, 4.0]))
    assert out.shape == (100,) and out.numpy()[0] == 2 and out.numpy()[-1] == 1
    np.testing.assert_array_equal(ops.histc(dg.tensor([1.0, 1.0]), bins=4).numpy(), [0, 0, 2, 0])
    np.testing.assert_array_equal(ops.histc(dg.tensor([-1.0, 0.5, 2.0]), 2, 0, 1).numpy(), [0, 1])
    with pytest.raises(ValueError, match="max must be larger"):
        ops.histc(dg.tensor([1.0]), bins=4, min=3, max=1)
    with pytest.raises(TypeError, match="floating"):
        ops.histc(dg.tensor([1, 2]))


def test_histc_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).normal(size=500).astype(np.float32)
    x[:6] = [0.0, 0.1, 0.2, 0.3, 0.7, 1.0]
    for kw in ({"bins": 10, "min": 0, "max": 1}, {"bins": 7}, {"bins": 13, "min": -2, "max": 2}):
        np.testing.assert_array_equal(ops.histc(dg.tensor(x), **kw).numpy(),
                                      torch.histc(torch.tensor(x), **kw).numpy())


def test_histogram():
    h, e = ops.histogram(dg.tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0),
                         weight=dg.tensor([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(h.numpy(), [0, 5, 2, 0])
    np.testing.assert_allclose(e.numpy(), [0, 0.75, 1.5, 2.25, 3.0])
    h, e = ops.histogram(dg.tensor([1.0, 2.0, 1.0]), bins=dg.tensor([0.0, 1.0, 2.0, 4.0]),
                         density=True)
    np.testing.assert_allclose(h.numpy(), [0.0, 2 / 3, 1 / 6], rtol=1e-6)
    h, e = ops.histogram(dg.tensor([1.0, 1.0]), 2)
    np.testing.assert_array_equal(e.numpy(), [0.5, 1.0, 1.5])
    np.testing.assert_array_equal(h.numpy(), [0, 2])
    res = ops.histogram(dg.tensor([1.0, 2.0, 1.0], dtype=dg.float64), 3)
    assert res.hist.dtype == np.float64 and res.bin_edges.dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        ops.histogram(dg.tensor([1, 2]), 3)
    with pytest.raises(ValueError, match="weight"):
        ops.histogram(dg.tensor([1.0, 2.0]), 3, weight=dg.tensor([1.0]))


def test_histogram_against_numpy_and_torch():
    x = np.random.default_rng(3).normal(size=300)
    w = np.random.default_rng(4).uniform(size=300)
    for kw in ({"bins": 9}, {"bins": 5, "range": (-1.0, 1.5)}):
        h, e = ops.histogram(dg.tensor(x), kw["bins"], range=kw.get("range"), weight=dg.tensor(w))
        nh, ne = np.histogram(x, kw["bins"], range=kw.get("range"), weights=w)
        np.testing.assert_allclose(h.numpy(), nh, rtol=1e-12)
        np.testing.assert_allclose(e.numpy(), ne, rtol=1e-15)
    torch = pytest.importorskip("torch")
    x32 = x.astype(np.float32)
    for bins in (6, torch.tensor([-3.0, -1.0, 0.0, 0.5, 3.0])):
        ours = ops.histogram(dg.tensor(x32), dg.tensor(bins.numpy()) if hasattr(bins, "numpy")
                             else bins, density=True)
        theirs = torch.histogram(torch.tensor(x32), bins, density=True)
        np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.bin_edges.numpy(), theirs.bin_edges.numpy(), rtol=1e-6)


def test_bincount():
    x = dg.tensor([1, 1, 3])
    np.testing.assert_array_equal(ops.bincount(x, minlength=5).numpy(), [0, 2, 0, 1, 0])
    out = ops.bincount(x, weights=dg.tensor([0.5, 1.0, 2.0]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [0, 1.5, 0, 2.0])
    assert ops.bincount(x, weights=dg.tensor([1, 2, 3])).dtype == np.float64
    assert ops.bincount(dg.tensor(np.zeros(0, np.int64))).shape == (0,)
    with pytest.raises(ValueError, match="non-negative"):
        ops.bincount(dg.tensor([-1, 1]))
    with pytest.raises(ValueError, match="1-d"):
        ops.bincount(dg.tensor([[1, 2]]))
    with pytest.raises(TypeError, match="integers"):
        ops.bincount(dg.tensor([1.0]))


def test_histogramdd():
    pts = dg.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]])
    h, edges = ops.histogramdd(pts, bins=[3, 3], weight=dg.tensor([1.0, 2.0, 4.0, 8.0]))
    np.testing.assert_array_equal(h.numpy(), [[0, 1, 0], [2, 0, 0], [4, 0, 8]])
    assert isinstance(edges, tuple) and len(edges) == 2
    np.testing.assert_allclose(edges[0].numpy(), [0, 2 / 3, 4 / 3, 2], rtol=1e-6)
    h, _ = ops.histogramdd(pts, bins=2, range=[0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(h.numpy(), [[0, 1], [1, 0]])
    h, e = ops.histogramdd(dg.tensor([[1.0, 1.0], [1.0, 1.0]]), bins=2)
    np.testing.assert_array_equal(e[0].numpy(), [0.5, 1.0, 1.5])
    x = np.random.default_rng(7).normal(size=(200, 3))
    h, e = ops.histogramdd(dg.tensor(x), bins=[3, 4, 5], density=True)
    nh, ne = np.histogramdd(x, bins=[3, 4, 5], density=True)
    np.testing.assert_allclose(h.numpy(), nh, rtol=1e-12)
    for a, b in zip(e, ne):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-15)
    with pytest.raises(ValueError, match="bin specifications"):
        ops.histogramdd(pts, bins=[2, 2, 2])
    with pytest.raises(TypeError, match="floating"):
        ops.histogramdd(dg.tensor([[1, 2]]), bins=2)


def test_histogramdd_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(8).normal(size=(2, 50, 2)).astype(np.float32)
    w = np.random.default_rng(9).uniform(size=(2, 50)).astype(np.float32)
    edges = [np.array([-3.0, -0.5, 0.0, 2.0], np.float32), np.array([-1.0, 1.0], np.float32)]
    for bins, tbins in ((4, 4), ([dg.tensor(e) for e in edges], [torch.tensor(e) for e in edges])):
        ours = ops.histogramdd(dg.tensor(x), bins, weight=dg.tensor(w), density=True)
        theirs = torch.histogramdd(torch.tensor(x), tbins, weight=torch.tensor(w), density=True)
        np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-5)
        for a, b in zip(ours.bin_edges, theirs.bin_edges):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
