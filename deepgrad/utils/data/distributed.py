"""``DistributedSampler``: each of ``num_replicas`` processes reads its own share of a dataset.

Every replica builds the same index list (a permutation seeded by ``seed + epoch`` when
shuffling, else ``0..N-1``), makes its length a multiple of ``num_replicas`` by repeating
indices from the start (or by dropping the tail, with ``drop_last``), and takes every
``num_replicas``-th index starting at its ``rank``::

    num_samples = ceil(N / R)                 (drop_last=False)
    num_samples = ceil((N - R) / R)           (drop_last=True and R does not divide N)
    indices of rank r = full[r : R * num_samples : R]

``num_replicas`` and ``rank`` default to the world size and rank of the default process
group (:func:`deepgrad.distributed.init_process_group`), as in PyTorch; without one they
must be given.
"""
import math
import sys

import numpy as np

from deepgrad.utils.data.sampler import Sampler


def _from_process_group(num_replicas, rank):
    """The default process group's world size and rank where not given.

    Raises:
        RuntimeError: no process group has been initialised.
    """
    dist = sys.modules.get("deepgrad.distributed")    # loaded only if the script uses it
    if dist is None or not dist.is_initialized():
        missing = " and ".join(n for n, v in (("num_replicas", num_replicas),
                                              ("rank", rank)) if v is None)
        raise RuntimeError(f"DistributedSampler: {missing} must be given: deepgrad has no "
                           f"default process group to take them from (call "
                           f"deepgrad.distributed.init_process_group() first, or pass "
                           f"num_replicas=<world size> and rank=<this process's rank>).")
    return (dist.get_world_size() if num_replicas is None else num_replicas,
            dist.get_rank() if rank is None else rank)


class DistributedSampler(Sampler):
    """Restricts sampling to one replica's share of the dataset (``torch.utils.data``'s).

    Args:
        dataset (Dataset): the dataset (its length is used).
        num_replicas (int, optional): number of processes taking part. Default: the
            default process group's world size.
        rank (int, optional): this process's rank in ``[0, num_replicas)``. Default: its
            rank in the default process group.
        shuffle (bool): shuffle the indices (identically on every replica). Default True.
        seed (int): shuffling seed; must be the same on every replica. Default 0.
        drop_last (bool): drop the tail instead of repeating indices to even the shares.

    Call :meth:`set_epoch` at the start of every epoch (before creating the DataLoader
    iterator) for a different order each epoch.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            num_replicas, rank = _from_process_group(num_replicas, rank)
        for name, v in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"DistributedSampler: {name} must be an int, received "
                                f"{type(v).__name__}")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, received "
                             f"{num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.epoch = 0
        self.drop_last, self.shuffle, self.seed = bool(drop_last), bool(shuffle), int(seed)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch: with ``shuffle=True`` every epoch gets its own permutation."""
        self.epoch = epoch
