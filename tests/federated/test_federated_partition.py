"""Client partitions: IID, Dirichlet label skew, McMahan et al.'s label-sorted shards."""
import numpy as np
import pytest

from deepgrad.federated import DirichletPartitioner, IidPartitioner, ShardPartitioner


def _labels(n=6000, classes=10, seed=0):
    return np.random.default_rng(seed).integers(0, classes, size=n)


def _assert_disjoint_cover(parts, n, complete=True):
    allix = np.concatenate(parts)
    assert len(np.unique(allix)) == len(allix), "a sample is in two partitions"
    assert allix.min() >= 0 and allix.max() < n
    if complete:
        assert len(allix) == n


def test_iid_sizes_cover_and_class_mix():
    y = _labels(1003)
    x = np.arange(1003)
    part = IidPartitioner(10, seed=1)
    part.dataset = (x, y)
    parts = part.partition_indices
    assert sorted(len(p) for p in parts) == [100] * 7 + [101] * 3
    _assert_disjoint_cover(parts, 1003)
    xs, ys = part.load_partition(3)
    np.testing.assert_array_equal(xs, x[parts[3]])
    np.testing.assert_array_equal(ys, y[parts[3]])
    # a random split: every partition of ~100 draws from 10 classes sees most classes
    assert min(len(np.unique(y[p])) for p in parts) >= 7


def test_same_seed_same_split_other_seed_other_split():
    y = _labels(500)
    a, b, c = IidPartitioner(5, seed=3), IidPartitioner(5, seed=3), IidPartitioner(5, seed=4)
    for p in (a, b, c):
        p.dataset = y
    for pa, pb in zip(a.partition_indices, b.partition_indices):
        np.testing.assert_array_equal(pa, pb)
    assert any(not np.array_equal(pa, pc) for pa, pc in zip(a.partition_indices,
                                                             c.partition_indices))
    # a lone array as dataset: load_partition returns the array's rows
    np.testing.assert_array_equal(a.load_partition(0), y[a.partition_indices[0]])


def test_shard_partitioner_is_mcmahans_pathological_split():
    # MNIST-like: 60,000 labels, 100 clients x 2 shards of 300 sorted samples
    y = np.repeat(np.arange(10), 6000)
    np.random.default_rng(0).shuffle(y)
    part = ShardPartitioner(100, num_shards_per_partition=2, shard_size=300, seed=0)
    part.dataset = (np.zeros((60000, 1)), y)
    parts = part.partition_indices
    assert [len(p) for p in parts] == [600] * 100
    _assert_disjoint_cover(parts, 60000)
    # each shard is 300 samples of one label (6000 per label is a multiple of 300), so
    # every client holds at most two digits, 300 of each
    for p in parts:
        labels, counts = np.unique(y[p], return_counts=True)
        assert len(labels) <= 2
        assert set(counts) <= {300, 600}
    assert np.mean([len(np.unique(y[p])) for p in parts]) > 1.5    # mostly two digits


def test_shard_partitioner_derived_sizes():
    y = _labels(1000)
    part = ShardPartitioner(7, num_shards_per_partition=3, seed=0)   # size = 1000 // 21
    part.dataset = y
    assert [len(p) for p in part.partition_indices] == [3 * 47] * 7
    _assert_disjoint_cover(part.partition_indices, 1000, complete=False)
    part = ShardPartitioner(3, shard_size=100, seed=0)   # 10 shards: 4, 3, 3
    part.dataset = y
    assert [len(p) for p in part.partition_indices] == [400, 300, 300]
    part = ShardPartitioner(3, shard_size=300, keep_incomplete_shard=True, seed=0)
    part.dataset = y                                       # shards 300, 300, 300, 100
    sizes = sorted(len(p) for p in part.partition_indices)
    assert sum(sizes) == 1000 and len(sizes) == 3
    _assert_disjoint_cover(part.partition_indices, 1000)


def test_dirichlet_skew_follows_alpha():
    y = _labels(20000)
    skewed, flat = DirichletPartitioner(20, alpha=0.1, seed=0), DirichletPartitioner(
        20, alpha=1000.0, self_balancing=False, seed=0)
    for p in (skewed, flat):
        p.dataset = y
        _assert_disjoint_cover(p.partition_indices, 20000)
        assert min(len(ix) for ix in p.partition_indices) >= 10

    def mean_max_class_share(part):
        return np.mean([np.bincount(y[ix], minlength=10).max() / len(ix)
                        for ix in part.partition_indices])
    # alpha = 0.1: a client is dominated by one or two classes; alpha = 1000: ~IID (0.1)
    assert mean_max_class_share(skewed) > 0.5
    assert mean_max_class_share(flat) < 0.15


def test_dirichlet_self_balancing_caps_sizes():
    y = _labels(10000)
    part = DirichletPartitioner(10, alpha=0.3, self_balancing=True, seed=2)
    part.dataset = y
    sizes = np.array([len(ix) for ix in part.partition_indices])
    # a partition stops receiving classes once above N/K = 1000, so it can exceed the
    # mean by at most one class's share (~1000 samples)
    assert sizes.max() <= 1000 + np.bincount(y).max()


def test_dirichlet_per_partition_alpha_and_one_hot_labels():
    y = _labels(3000, classes=3)
    one_hot = np.eye(3)[y]
    part = DirichletPartitioner(4, alpha=[0.5, 1.0, 2.0, 4.0], seed=0)
    part.dataset = (np.arange(3000), one_hot)
    _assert_disjoint_cover(part.partition_indices, 3000)


@pytest.mark.parametrize("make, message", [
    (lambda: IidPartitioner(0), "num_partitions"),
    (lambda: IidPartitioner(2.5), "num_partitions"),
    (lambda: DirichletPartitioner(3, alpha=0.0), "alpha"),
    (lambda: DirichletPartitioner(3, alpha=[1.0, 2.0]), "alpha"),
    (lambda: DirichletPartitioner(3, alpha=1.0, min_partition_size=0), "min_partition_size"),
    (lambda: ShardPartitioner(3), "num_shards_per_partition"),
    (lambda: ShardPartitioner(3, num_shards_per_partition=2, keep_incomplete_shard=True),
     "keep_incomplete_shard"),
])
def test_bad_constructor_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_empty_partitions_are_refused():
    part = IidPartitioner(11)
    part.dataset = np.arange(10)
    with pytest.raises(ValueError, match="non-empty"):
        part.load_partition(0)
    part = ShardPartitioner(4, num_shards_per_partition=2, shard_size=2)
    part.dataset = np.arange(10)            # 4 x 2 x 2 = 16 > 10
    with pytest.raises(ValueError, match="exceeds"):
        part.load_partition(0)
    part = DirichletPartitioner(50, alpha=0.01, min_partition_size=5, seed=0)
    part.dataset = _labels(300)
    with pytest.raises(ValueError, match="min_partition_size"):
        part.load_partition(0)


def test_dataset_checks():
    part = IidPartitioner(2)
    with pytest.raises(AttributeError, match="not been assigned"):
        part.load_partition(0)
    with pytest.raises(ValueError, match="one length"):
        part.dataset = (np.zeros(5), np.zeros(6))
    part.dataset = (np.zeros(6), np.zeros(6))
    with pytest.raises(ValueError, match="only once"):
        part.dataset = (np.zeros(6), np.zeros(6))
    with pytest.raises(ValueError, match="partition_id"):
        part.load_partition(2)
    with pytest.raises(ValueError, match="partition_by"):
        DirichletPartitioner(2, alpha=1.0, partition_by=3).dataset = (np.zeros(4), np.zeros(4))
