"""Samplers (Sequential, Random, SubsetRandom, WeightedRandom, Batch, Distributed): lengths,
coverage, reproducibility, bad input, and PyTorch's index arithmetic where no randomness is
involved (orders drawn from a generator are NumPy's, not PyTorch's stream)."""
import collections

import numpy as np
import pytest

import deepgrad
from deepgrad.utils.data import (
    BatchSampler, DistributedSampler, RandomSampler, Sampler, SequentialSampler,
    SubsetRandomSampler, WeightedRandomSampler)


def gen(seed):
    return deepgrad.Generator().manual_seed(seed)


def test_sequential_sampler():
    s = SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5
    assert list(SequentialSampler([])) == []


def test_sampler_base_needs_iter():
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(Sampler())


def test_random_sampler_is_a_permutation_reproducible_by_generator_or_manual_seed():
    s = RandomSampler(range(10), generator=gen(0))
    first, second = list(s), list(s)
    assert sorted(first) == list(range(10)) and first != second      # a new order per epoch
    assert list(RandomSampler(range(10), generator=gen(0))) == first
    deepgrad.manual_seed(3)
    a = list(RandomSampler(range(10)))
    deepgrad.manual_seed(3)
    assert list(RandomSampler(range(10))) == a


@pytest.mark.parametrize("n, num_samples", [(5, 12), (5, 3), (4, 4)])
def test_random_sampler_num_samples_without_replacement_chains_permutations(n, num_samples):
    out = list(RandomSampler(range(n), num_samples=num_samples, generator=gen(1)))
    assert len(out) == num_samples
    counts = collections.Counter(out)
    assert max(counts.values()) - min(counts.values()) <= 1            # as even as possible
    assert all(0 <= i < n for i in out)
    for k in range(num_samples // n):                                   # whole permutations
        assert sorted(out[k * n:(k + 1) * n]) == list(range(n))


def test_random_sampler_with_replacement():
    s = RandomSampler(range(3), replacement=True, num_samples=100, generator=gen(2))
    out = list(s)
    assert len(out) == len(s) == 100 and set(out) == {0, 1, 2}


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(replacement=1), TypeError, "replacement should be a boolean value"),
    (dict(num_samples=0), ValueError, "num_samples should be a positive integer"),
    (dict(num_samples=2.5), ValueError, "num_samples=2.5"),
    (dict(generator="seed"), TypeError, "generator must be a deepgrad.Generator"),
])
def test_random_sampler_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        RandomSampler(range(3), **kwargs)


def test_subset_random_sampler():
    idx = [10, 20, 30, 40]
    s = SubsetRandomSampler(idx, generator=gen(0))
    out = list(s)
    assert sorted(out) == idx and len(s) == 4
    assert list(SubsetRandomSampler(idx, generator=gen(0))) == out


def test_weighted_random_sampler_follows_the_weights():
    w = [0.0, 1.0, 3.0]
    out = list(WeightedRandomSampler(w, 4000, generator=gen(0)))
    counts = collections.Counter(out)
    assert 0 not in counts and abs(counts[2] / 4000 - 0.75) < 0.03
    no_repl = list(WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False, generator=gen(1)))
    assert sorted(no_repl) == [0, 1, 2]
    t = WeightedRandomSampler(deepgrad.tensor([1.0, 2.0]), 5)          # a tensor of weights
    assert len(t) == 5 and len(list(t)) == 5


@pytest.mark.parametrize("args, kwargs, exc, match", [
    (([1, 2], 0), {}, ValueError, "num_samples should be a positive integer"),
    (([[1, 2]], 2), {}, ValueError, r"1d sequence but given weights have shape \(1, 2\)"),
    (([1, 2], 2), dict(replacement=0), ValueError, "replacement should be a boolean"),
    (([1, -1], 2), {}, RuntimeError, "invalid multinomial distribution"),
    (([0, 0], 2), {}, RuntimeError, "sum of probabilities <= 0"),
    (([1, 0], 2), dict(replacement=False), RuntimeError, "without replacement"),
])
def test_weighted_random_sampler_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        WeightedRandomSampler(*args, **kwargs)


@pytest.mark.parametrize("n, bs, drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                              (2, 5, False), (2, 5, True), (0, 2, False)])
def test_batch_sampler_matches_torch_arithmetic(n, bs, drop_last):
    got = list(BatchSampler(SequentialSampler(range(n)), bs, drop_last))
    full, rest = divmod(n, bs)
    want = [list(range(i * bs, (i + 1) * bs)) for i in range(full)]
    if rest and not drop_last:
        want.append(list(range(full * bs, n)))
    assert got == want and len(BatchSampler(range(n), bs, drop_last)) == len(want)
    torch = pytest.importorskip("torch")
    from torch.utils.data import BatchSampler as TB
    assert got == list(TB(range(n), bs, drop_last))


@pytest.mark.parametrize("bs, dl, match", [(0, False, "batch_size should be a positive"),
                                           (True, False, "batch_size=True"),
                                           (2, 1, "drop_last should be a boolean")])
def test_batch_sampler_bad_input(bs, dl, match):
    with pytest.raises(ValueError, match=match):
        BatchSampler(range(4), bs, dl)


@pytest.mark.parametrize("n, replicas, drop_last", [(5, 2, False), (5, 2, True), (2, 5, False),
                                                    (10, 3, False), (10, 3, True), (6, 3, True)])
def test_distributed_sampler_unshuffled_matches_torch(n, replicas, drop_last):
    shares = [list(DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last))
              for r in range(replicas)]
    lengths = {len(DistributedSampler(range(n), replicas, r, drop_last=drop_last))
               for r in range(replicas)}
    assert lengths == {len(shares[0])} and all(len(s) == len(shares[0]) for s in shares)
    if not drop_last:
        assert set().union(*map(set, shares)) == set(range(n))       # everything is read
    else:
        flat = sum(shares, [])
        assert len(flat) == len(set(flat))                           # nothing twice
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as TD
    for r in range(replicas):
        assert shares[r] == list(TD(range(n), replicas, r, shuffle=False, drop_last=drop_last))


def test_distributed_sampler_shuffle_is_shared_across_ranks_and_changes_with_epoch():
    samplers = [DistributedSampler(range(12), 3, r, seed=7) for r in range(3)]
    epoch0 = [list(s) for s in samplers]
    assert sorted(sum(epoch0, [])) == list(range(12))
    for s in samplers:
        s.set_epoch(1)
    epoch1 = [list(s) for s in samplers]
    assert sorted(sum(epoch1, [])) == list(range(12)) and epoch1 != epoch0
    again = DistributedSampler(range(12), 3, 0, seed=7)
    assert list(again) == epoch0[0]


@pytest.mark.parametrize("kwargs, exc, match", [
    ({}, RuntimeError, "num_replicas and rank must be given: deepgrad has no default process"),
    (dict(num_replicas=2), RuntimeError, "rank must be given"),
    (dict(num_replicas=2, rank=2), ValueError, r"Invalid rank 2, rank should be in the "
                                               r"interval \[0, 1\]"),
    (dict(num_replicas=2, rank=-1), ValueError, "Invalid rank -1"),
    (dict(num_replicas=0, rank=0), ValueError, "num_replicas must be >= 1"),
])
def test_distributed_sampler_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        DistributedSampler(range(5), **kwargs)


@pytest.mark.parametrize("make", [
    lambda: SequentialSampler(range(10)),
    lambda: RandomSampler(range(10), generator=gen(3)),
    lambda: RandomSampler(range(4), num_samples=10, generator=gen(3)),
    lambda: RandomSampler(range(4), replacement=True, num_samples=9, generator=gen(3)),
])
@pytest.mark.parametrize("drop_last", [False, True])
def test_array_batches_are_the_same_batches_as_iteration(make, drop_last):
    lists = list(BatchSampler(make(), 3, drop_last))
    arrays = [list(np.asarray(b).tolist()) for b in BatchSampler(make(), 3,
                                                                 drop_last)._array_batches()]
    assert arrays == lists
