"""deepgrad.utils.data: TensorDataset, DataLoader (fast and general paths), collate, split."""
import collections

import numpy as np
import pytest

import deepgrad
from deepgrad.utils.data import (
    DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split)


def labelled(n=10, feat=3):
    """x[i] = [i, i, ...] float32 and y[i] = i int64, so a batch names its own samples."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], feat, axis=1)
    return TensorDataset(deepgrad.Tensor(x), deepgrad.Tensor(np.arange(n, dtype=np.int64)))


class Pairs(Dataset):
    """A general (non-Tensor) dataset: (float32 vector, Python int) samples."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(2, i, np.float32), i


def labels_of(loader):
    return [y.array.tolist() for _, y in loader]


# ----------------------------------------------------------------------------- TensorDataset
def test_tensor_dataset_items_and_length():
    ds = labelled(5)
    x, y = ds[3]
    assert len(ds) == 5 and x.shape == (3,) and x.dtype == np.float32
    assert y.dtype == np.int64 and y.item() == 3


def test_tensor_dataset_length_mismatch():
    with pytest.raises(ValueError, match=r"received shapes \(4, 2\), \(5,\)"):
        TensorDataset(deepgrad.zeros(4, 2), deepgrad.zeros(5))


def test_tensor_dataset_rejects_bad_arguments():
    with pytest.raises(TypeError, match="argument 1 is a list"):
        TensorDataset(deepgrad.zeros(2), [1, 2])
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(deepgrad.tensor(1.0))


def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(TypeError, match="has no len"):      # as PyTorch: no __len__ at all
        len(Dataset())


# ----------------------------------------------------------------------------- batching
@pytest.mark.parametrize("n, bs, drop_last, sizes", [
    (10, 3, False, [3, 3, 3, 1]),
    (10, 3, True, [3, 3, 3]),
    (9, 3, False, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]),
    (2, 5, False, [2]),
    (2, 5, True, []),
    (4, 1, False, [1, 1, 1, 1]),
])
def test_batch_counts(n, bs, drop_last, sizes):
    for ds in (labelled(n), Pairs(n)):                         # fast and general paths
        loader = DataLoader(ds, batch_size=bs, drop_last=drop_last)
        assert len(loader) == len(sizes)
        assert [x.shape[0] for x, _ in loader] == sizes


def test_unshuffled_order_and_values():
    (x0, y0), (x1, y1) = DataLoader(labelled(4), batch_size=2)
    assert y0.array.tolist() == [0, 1] and y1.array.tolist() == [2, 3]
    np.testing.assert_array_equal(x1.array, [[2, 2, 2], [3, 3, 3]])
    assert isinstance(x0, deepgrad.Tensor) and not x0.requires_grad


def test_fast_path_copies_rows():
    ds = labelled(4)
    x, _ = next(iter(DataLoader(ds, batch_size=4)))
    x.array[:] = -1
    assert ds.tensors[0].array.min() == 0


def test_fast_path_has_no_per_sample_loop(monkeypatch):
    def forbidden(self, index):
        raise AssertionError("per-sample __getitem__ on the fast path")
    ds = labelled(7)
    monkeypatch.setattr(TensorDataset, "__getitem__", forbidden)
    assert sum(y.shape[0] for _, y in DataLoader(ds, batch_size=3, shuffle=True)) == 7


def test_shuffle_covers_each_sample_once_per_epoch():
    deepgrad.manual_seed(0)
    for ds in (labelled(23), Pairs(23)):
        loader = DataLoader(ds, batch_size=4, shuffle=True)
        epochs = [sum(labels_of(loader), []) for _ in range(3)]
        for order in epochs:
            assert sorted(order) == list(range(23))
        assert epochs[0] != list(range(23)) and epochs[0] != epochs[1]


def test_shuffle_reproducible_under_manual_seed():
    loader = DataLoader(labelled(50), batch_size=8, shuffle=True)
    deepgrad.manual_seed(1234)
    first = [labels_of(loader), labels_of(loader)]
    deepgrad.manual_seed(1234)
    second = [labels_of(loader), labels_of(loader)]
    assert first == second
    deepgrad.manual_seed(99)
    assert labels_of(loader) != first[0]


def test_shuffle_with_explicit_generator():
    def run(seed):
        return labels_of(DataLoader(labelled(20), batch_size=6, shuffle=True,
                                    generator=np.random.default_rng(seed)))
    assert run(5) == run(5) and run(5) != run(6)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.int32, np.float32, np.float64,
                                   np.bool_])
def test_dtypes_preserved(dtype):
    arr = (np.arange(12).reshape(6, 2) % 2).astype(dtype)
    ds = TensorDataset(deepgrad.Tensor(arr), arr[:, 0].copy())     # ndarray accepted too
    for loader in (DataLoader(ds, batch_size=4, shuffle=True),
                   DataLoader(ds, batch_size=4, collate_fn=default_collate),
                   DataLoader(ds, batch_size=4, collate_fn=lambda s: default_collate(s))):
        for a, b in loader:
            assert a.dtype == dtype and b.dtype == dtype


def test_int64_labels_stay_int64_and_mnist_style_uint8():
    images = deepgrad.Tensor(np.zeros((5, 28, 28), np.uint8))
    labels = deepgrad.tensor([0, 1, 2, 3, 4])                       # Python ints -> int64
    x, y = next(iter(DataLoader(TensorDataset(images, labels), batch_size=5)))
    assert (x.shape, x.dtype, y.dtype) == ((5, 28, 28), np.uint8, np.int64)


def test_fast_and_general_paths_agree():
    ds = labelled(11)
    deepgrad.manual_seed(3)
    fast = [(x.array, y.array) for x, y in DataLoader(ds, batch_size=4, shuffle=True)]
    deepgrad.manual_seed(3)
    slow = [(x.array, y.array) for x, y in
            DataLoader(ds, batch_size=4, shuffle=True, collate_fn=lambda s: default_collate(s))]
    for (a, b), (c, d) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_custom_collate_receives_samples():
    seen = []
    loader = DataLoader(labelled(5), batch_size=2, collate_fn=lambda s: seen.append(s) or len(s))
    assert list(loader) == [2, 2, 1]
    assert isinstance(seen[0], list) and isinstance(seen[0][0], tuple)


def test_requires_grad_tensors_keep_the_graph():
    w = deepgrad.ones(4, 2, requires_grad=True)
    (x,) = next(iter(DataLoader(TensorDataset(w), batch_size=4)))
    x.sum().backward()
    np.testing.assert_array_equal(w.grad.array, np.ones((4, 2)))


def test_bad_batch_size():
    with pytest.raises(ValueError, match="positive integer value, but got batch_size=0"):
        DataLoader(labelled(), batch_size=0)
    with pytest.raises(ValueError, match="batch_size=2.5"):
        DataLoader(labelled(), batch_size=2.5)


def test_pytorch_compat_arguments_accepted():
    loader = DataLoader(labelled(4), batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning, match="no accelerator"):
        assert len(list(loader)) == 2


# ----------------------------------------------------------------------------- collate
def test_general_dataset_collate():
    x, y = next(iter(DataLoader(Pairs(5), batch_size=3)))
    assert (x.shape, x.dtype) == ((3, 2), np.float32)
    assert y.dtype == np.int64 and y.array.tolist() == [0, 1, 2]


def test_collate_nested_structures():
    Point = collections.namedtuple("Point", "a b")
    samples = [{"img": np.zeros((2, 2), np.uint8), "label": i, "w": 0.5, "name": f"s{i}",
                "pt": Point(np.uint8(i), deepgrad.tensor([1.0, 2.0])), "flag": i > 0}
               for i in range(3)]
    b = default_collate(samples)
    assert b["img"].shape == (3, 2, 2) and b["img"].dtype == np.uint8
    assert b["label"].dtype == np.int64 and b["w"].dtype == np.float64   # PyTorch rule
    assert b["name"] == ["s0", "s1", "s2"] and b["flag"].dtype == np.bool_
    assert isinstance(b["pt"], Point) and b["pt"].a.dtype == np.uint8
    assert b["pt"].b.shape == (3, 2) and b["pt"].b.dtype == np.float32


def test_collate_lists_transpose():
    assert [t.array.tolist() for t in default_collate([[1, 2], [3, 4]])] == [[1, 3], [2, 4]]


def test_collate_errors():
    with pytest.raises(RuntimeError, match=r"equal size, but got \[2\] at entry 0 and \[3\] "
                                           r"at entry 1"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="sample 0 has 2 fields, sample 1 has 3"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(KeyError, match="lacks key 'b'"):
        default_collate([{"a": 1, "b": 2}, {"a": 1}])
    with pytest.raises(TypeError, match="found <class 'NoneType'>"):
        default_collate([None, None])
    with pytest.raises(ValueError, match="non-empty sequence"):
        default_collate([])


# ----------------------------------------------------------------------------- split
def test_random_split_lengths_and_fractions():
    deepgrad.manual_seed(0)
    ds = labelled(10)
    a, b = random_split(ds, [7, 3])
    assert (len(a), len(b)) == (7, 3)
    got = sorted(int(a[i][1].item()) for i in range(7)) + [int(b[i][1].item()) for i in range(3)]
    assert sorted(got) == list(range(10))
    parts = random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    assert [len(p) for p in random_split(labelled(11), [0.5, 0.5])] == [6, 5]


def test_random_split_reproducible_and_checked():
    deepgrad.manual_seed(8)
    first = list(random_split(labelled(10), [5, 5])[0].indices)
    deepgrad.manual_seed(8)
    assert list(random_split(labelled(10), [5, 5])[0].indices) == first
    with pytest.raises(ValueError, match=r"Sum of input lengths does not equal the length .* "
                                         r"\(lengths \[5, 4\] sum to 9"):
        random_split(labelled(10), [5, 4])


def test_subset_loader_fast_path_matches_samples():
    ds = labelled(12)
    inner = Subset(ds, [11, 3, 5, 7, 0, 2])
    outer = Subset(inner, [5, 1, 0])                          # -> rows 2, 3, 11
    for collate in (None, lambda s: default_collate(s)):
        (x, y), = DataLoader(outer, batch_size=3, collate_fn=collate)
        assert y.array.tolist() == [2, 3, 11] and x.array[:, 0].tolist() == [2, 3, 11]
