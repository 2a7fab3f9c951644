"""Datasets (IterableDataset, StackDataset, ConcatDataset, ChainDataset, Subset), random_split,
default_collate / default_convert and the single-process DataLoader paths (batch_size=None,
sampler, batch_sampler, iterable style, len), against PyTorch's results where torch is
installed."""
import collections

import numpy as np
import pytest

import deepgrad
from deepgrad.utils.data import (
    BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
    SequentialSampler, StackDataset, Subset, TensorDataset, default_collate, default_convert,
    random_split)

Point = collections.namedtuple("Point", "x y")


class Count(IterableDataset):
    def __init__(self, n, start=0):
        self.n, self.start = n, start

    def __iter__(self):
        return iter(range(self.start, self.start + self.n))


class CountSized(Count):
    def __len__(self):
        return self.n


def as_plain(x):
    """Batches (deepgrad or torch) as nested Python values and dtype names, to compare."""
    if hasattr(x, "numpy"):
        a = np.asarray(x.numpy())
        return ("T", str(a.dtype), a.tolist())
    if isinstance(x, dict):
        return {k: as_plain(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return ("NT", type(x).__name__, [as_plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [as_plain(v) for v in x])
    return x


# ----------------------------------------------------------------------------- datasets
def test_stack_dataset_tuple_and_dict():
    s = StackDataset(range(3), ["a", "b", "c"])
    assert len(s) == 3 and s[1] == (1, "b")
    d = StackDataset(x=range(3), y=range(10, 13))
    assert d[2] == {"x": 2, "y": 12}
    assert d.__getitems__([0, 2]) == [{"x": 0, "y": 10}, {"x": 2, "y": 12}]
    assert s.__getitems__([2]) == [(2, "c")]


@pytest.mark.parametrize("args, kwargs, match", [
    ((range(3), range(4)), {}, "Size mismatch between datasets"),
    ((range(3),), dict(b=range(3)), "but both types are given"),
    ((), {}, "At least one dataset should be passed"),
])
def test_stack_dataset_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        StackDataset(*args, **kwargs)


def test_concat_dataset_indexing():
    c = ConcatDataset([range(3), range(10, 14)])
    assert len(c) == 7 and c.cumulative_sizes == [3, 7]
    assert [c[i] for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert c[-1] == 13 and c[-7] == 0
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        c[-8]
    with pytest.raises(IndexError, match="index 7 is out of range"):
        c[7]
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([Count(2)])


def test_dataset_addition_concats_and_chains():
    class R(Dataset):
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return i

    both = R(2) + R(3)
    assert isinstance(both, ConcatDataset) and len(both) == 5
    chained = Count(2) + Count(2, start=5)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 5, 6]


def test_chain_dataset():
    ch = ChainDataset([CountSized(2), CountSized(3, start=10)])
    assert list(ch) == [0, 1, 10, 11, 12] and len(ch) == 5
    with pytest.raises(TypeError, match="only supports IterableDataset"):
        list(ChainDataset([range(2)]))


def test_iterable_dataset_base_needs_iter():
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(IterableDataset())


def test_subset_list_indexing_and_getitems():
    s = Subset(TensorDataset(deepgrad.arange(10)), [9, 7, 5])
    assert len(s) == 3 and s[0][0].item() == 9
    assert [t[0].item() for t in s.__getitems__([2, 0])] == [5, 9]


# ----------------------------------------------------------------------------- random_split
@pytest.mark.parametrize("n, lengths, sizes", [
    (10, [7, 3], [7, 3]), (10, [0.5, 0.3, 0.2], [5, 3, 2]), (11, [0.5, 0.5], [6, 5]),
    (10, [0.33, 0.33, 0.34], [4, 3, 3]), (3, [0.1, 0.9], [1, 2])])
def test_random_split_sizes_match_torch(n, lengths, sizes):
    parts = random_split(range(n), lengths, generator=deepgrad.Generator().manual_seed(0))
    assert [len(p) for p in parts] == sizes
    assert sorted(sum((list(p.indices) for p in parts), [])) == list(range(n))
    assert all(isinstance(p.indices, list) for p in parts)
    torch = pytest.importorskip("torch")
    from torch.utils.data import random_split as trs
    assert [len(p) for p in trs(range(n), lengths)] == sizes


def test_random_split_generator_and_bad_input():
    a = random_split(range(10), [5, 5], generator=deepgrad.Generator().manual_seed(4))
    b = random_split(range(10), [5, 5], generator=deepgrad.Generator().manual_seed(4))
    assert a[0].indices == b[0].indices
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


# ----------------------------------------------------------------------------- collate
COLLATE_CASES = {
    "ints": [1, 2, 3],
    "floats": [1.0, 2.5],
    "bools": [True, False],
    "strings": ["a", "b"],
    "bytes": [b"a", b"b"],
    "np_arrays": [np.arange(3, dtype=np.int32), np.ones(3, dtype=np.int32)],
    "np_float32_scalars": [np.float32(1), np.float32(2)],
    "lists": [[1, 2], [3, 4]],
    "tuples_with_strings": [(np.zeros(2, np.float32), "a"), (np.ones(2, np.float32), "b")],
    "dicts": [{"a": 1, "b": "x", "c": np.float64(0.5)}, {"a": 2, "b": "y", "c": np.float64(1)}],
    "ordered_dicts": [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"p": Point(np.zeros(2), [1, "s"])}, {"p": Point(np.ones(2), [2, "t"])}],
}


@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(case):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as tcollate
    batch = COLLATE_CASES[case]
    assert as_plain(default_collate(batch)) == as_plain(tcollate(batch))


def test_default_collate_values_without_torch():
    x, y = default_collate([(np.zeros(3, np.float32), 1), (np.ones(3, np.float32), 0)])
    assert (x.shape, x.dtype, y.dtype, y.tolist()) == ((2, 3), np.float32, np.int64, [1, 0])
    assert default_collate([1.0, 2.0]).dtype == np.float64
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert isinstance(default_collate([Point(1, 2), Point(3, 4)]), Point)
    od = default_collate([collections.OrderedDict(a=1)])
    assert isinstance(od, collections.OrderedDict)
    assert default_collate([(np.zeros(1), "a"), (np.ones(1), "b")])[1] == ("a", "b")


def test_default_collate_bad_input():
    with pytest.raises(TypeError, match="batch must contain tensors"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


CONVERT_CASES = {
    "array": np.arange(3),
    "mixed_list": [np.arange(2), 1, "a", (np.float64(1.5), 2)],
    "dict": {"a": np.arange(2), "b": [np.zeros(1)]},
    "namedtuple": Point(np.arange(2), 3),
    "tuple": (1, 2),
    "np_scalar": np.int64(3),
    "float": 3.5,
    "string_array": np.array(["x"]),
}


@pytest.mark.parametrize("case", sorted(CONVERT_CASES))
def test_default_convert_matches_torch(case):
    data = CONVERT_CASES[case]
    out = default_convert(data)
    if case == "string_array":
        assert out is data
        return
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_convert as tconvert
    assert as_plain(out) == as_plain(tconvert(data))


def test_default_convert_shares_memory_and_keeps_other_values():
    a = np.arange(4.0)
    t = default_convert(a)
    a[0] = 9
    assert isinstance(t, deepgrad.Tensor) and t.array[0] == 9
    assert default_convert(3.5) == 3.5 and default_convert((1, 2)) == [1, 2]


# ----------------------------------------------------------------------------- DataLoader
def test_no_auto_batching_with_batch_size_none():
    ds = TensorDataset(deepgrad.arange(4.0))
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == 4 and isinstance(items[0], list) and items[0][0].shape == ()
    assert list(DataLoader(Count(3), batch_size=None)) == [0, 1, 2]
    arrays = list(DataLoader([np.arange(2), np.arange(2)], batch_size=None))
    assert all(isinstance(a, deepgrad.Tensor) for a in arrays)


def test_sampler_and_batch_sampler_options():
    ds = TensorDataset(deepgrad.arange(6))
    got = [b[0].tolist() for b in DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1, 0])]
    assert got == [[5, 4], [3, 2], [1, 0]]
    got = [b[0].tolist() for b in DataLoader(ds, batch_sampler=[[0, 5], [2]])]
    assert got == [[0, 5], [2]]
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, True))
    assert len(loader) == 1 and loader.batch_size is None


def test_iterable_dataset_batches_and_length():
    assert [b.tolist() for b in DataLoader(Count(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5],
                                                                         [6]]
    assert [b.tolist() for b in DataLoader(Count(7), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(CountSized(7), batch_size=3)) == 3
    assert len(DataLoader(CountSized(7), batch_size=3, drop_last=True)) == 2
    assert len(DataLoader(CountSized(7), batch_size=None)) == 7
    with pytest.raises(TypeError, match="has no len"):
        len(DataLoader(Count(7), batch_size=3))


@pytest.mark.parametrize("n, kwargs, want", [
    (10, dict(batch_size=None), 10), (10, dict(batch_size=3), 4),
    (10, dict(batch_size=3, drop_last=True), 3), (10, dict(batch_size=4, shuffle=True), 3)])
def test_len_matches_torch(n, kwargs, want):
    assert len(DataLoader(TensorDataset(deepgrad.arange(n)), **kwargs)) == want


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(shuffle=True, sampler=[1, 2]), ValueError, "sampler option is mutually exclusive"),
    (dict(batch_sampler=[[1]], batch_size=2), ValueError, "batch_sampler option is mutually"),
    (dict(batch_sampler=[[1]], drop_last=True), ValueError, "batch_sampler option is mutually"),
    (dict(batch_size=None, drop_last=True), ValueError, "disables auto-batching"),
    (dict(num_workers=-1), ValueError, "num_workers option should be non-negative"),
    (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
    (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified"),
    (dict(num_workers=1, prefetch_factor=0), ValueError, "prefetch_factor option should be a "
                                                         "positive int"),
    (dict(persistent_workers=True), ValueError, "persistent_workers option needs"),
    (dict(multiprocessing_context="fork"), ValueError, "only be used with multi-process"),
    (dict(num_workers=1, multiprocessing_context="bogus"), ValueError, "valid start method"),
    (dict(num_workers=1, multiprocessing_context=3), TypeError, "valid context object"),
    (dict(collate_fn=3), TypeError, "collate_fn should be callable"),
    (dict(pin_memory_device="cuda"), ValueError, "no accelerator"),
    (dict(generator="seed"), TypeError, "generator must be"),
])
def test_dataloader_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        DataLoader(TensorDataset(deepgrad.arange(4)), **kwargs)


@pytest.mark.parametrize("name", ["shuffle", "sampler", "batch_sampler"])
def test_iterable_dataset_refuses_sampling_options(name):
    value = {"shuffle": True, "sampler": [0], "batch_sampler": [[0]]}[name]
    with pytest.raises(ValueError, match=f"IterableDataset: expected unspecified {name}"):
        DataLoader(Count(3), **{name: value})


def test_frozen_attributes_after_init():
    loader = DataLoader(TensorDataset(deepgrad.arange(4)))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after"):
        loader.batch_size = 3
    loader.num_workers = 0                                # others may be changed
