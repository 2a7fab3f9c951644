"""DistributedDataParallel's mechanics without MPI: buckets (PyTorch's rule and rebuild),
reduction started during backward, no_sync, unused parameters, bucket views, and the
engine's leaf hooks running as soon as a gradient is complete. A stand-in for MPI
(``fake_mpi.MirrorComm``) plays ranks that hold the same gradients, so the averaged
gradients must equal the local ones; the 2-rank numerics are in test_distributed_mpi.py.
"""
import numpy as np
import pytest

import deepgrad
import deepgrad.nn as nn
from deepgrad.autograd import Function
from deepgrad.distributed import reducer as reducer_lib
from deepgrad.nn.parallel import DistributedDataParallel as DDP

from fake_mpi import MirrorComm, grads, install


class Marker(Function):
    """Identity that logs when its backward runs."""

    log = []

    def forward(self, x):
        return x

    def backward(self, g):
        Marker.log.append(("marker backward", None))
        return g


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(6, 40), nn.Linear(40, 30), nn.Linear(30, 3)

    def forward(self, x):
        h = self.fc1(x).relu()
        h = Marker.apply(h)
        return self.fc3(self.fc2(h).relu())


@pytest.fixture(autouse=True)
def _fresh_marker_log():
    """Each test starts with its own log: xdist may run these tests in any order."""
    Marker.log = []
    yield
    Marker.log = []


def _data(seed=0, n=8):
    rng = np.random.default_rng(seed)
    return deepgrad.from_numpy(rng.standard_normal((n, 6), dtype=np.float32)), deepgrad.from_numpy(
        rng.integers(0, 3, n))


def _step(model, x, y):
    model.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()


def test_leaf_hooks_run_when_their_gradient_is_complete():
    log = []
    a = deepgrad.tensor([1.0, 2.0], requires_grad=True)
    b = deepgrad.tensor([3.0, 4.0], requires_grad=True)
    Marker.log = log
    a.register_post_accumulate_grad_hook(lambda t: log.append(("a", t.grad.tolist())))
    b.register_post_accumulate_grad_hook(lambda t: log.append(("b", t.grad.tolist())))
    (Marker.apply(a * a) * b + b).sum().backward()
    # b's gradient is complete before the marker's backward, a's only after it
    assert log == [("b", [2.0, 5.0]), ("marker backward", None), ("a", [6.0, 16.0])]


def test_assign_buckets_numpy_rules():
    arrays = [np.zeros(n, np.float32) for n in (100, 300_000, 10, 2_600)]   # 400, 1.2M, ...
    assert reducer_lib.assign_buckets(arrays, [1 << 20, 25 << 20]) == [[2, 3], [0, 1]]
    assert reducer_lib.assign_buckets(arrays, reducer_lib.UNBOUNDED) == [[0, 1, 2, 3]]
    assert reducer_lib.assign_buckets(arrays, [1000], [3, 2, 1, 0]) == [[3], [2, 1], [0]]
    mixed = [np.zeros(10, np.float32), np.zeros(10, np.float64), np.zeros(10, np.float32)]
    assert reducer_lib.assign_buckets(mixed, [1 << 20]) == [[1], [0, 2]]   # one dtype each


def test_assign_buckets_matches_pytorch():
    torch = pytest.importorskip("torch")
    tdist = pytest.importorskip("torch.distributed")
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 8))
        tensors = [torch.zeros(int(s)) for s in rng.integers(1, 400_000, n)]
        limits = sorted(rng.integers(1_000, 3_000_000, 2).tolist())
        theirs, _ = tdist._compute_bucket_assignment_by_size(tensors, limits, [False] * n)
        ours = reducer_lib.assign_buckets([t.numpy() for t in tensors], limits)
        assert ours == list(reversed(theirs))                  # DDP reverses the list
        order = rng.permutation(n).tolist()
        theirs, _ = tdist._compute_bucket_assignment_by_size([tensors[i] for i in order],
                                                             limits, [False] * n, order)
        assert reducer_lib.assign_buckets([t.numpy() for t in tensors], limits, order) == theirs


def test_ddp_starts_reducing_during_backward_and_rebuilds_buckets(monkeypatch):
    comm = MirrorComm(size=2)
    install(monkeypatch, comm)
    deepgrad.manual_seed(0)
    model = DDP(Net(), bucket_cap_mb=0.004)               # ~4 KB buckets: several
    x, y = _data()
    names = [n for n, _ in model.module.named_parameters()]
    assert model.reducer.bucket_indices() == [list(range(6))]   # 1st iteration: one bucket
    _step(model, x, y)
    rebuilt = model.reducer.bucket_indices()
    assert len(rebuilt) > 1 and rebuilt[0][0] in (4, 5)    # fc3's gradients come first
    log = comm.log
    Marker.log = log
    del log[:]
    _step(model, x, y)
    events = [e for e, _ in log]
    # fc3 and fc2's buckets were all-reduced before backward reached fc1 (the marker)
    first_marker = events.index("marker backward")
    launched = [i for i, e in enumerate(events) if e == "Iallreduce"]
    assert launched[0] < first_marker < launched[-1], (names, rebuilt, events)


def test_ddp_gradients_are_the_local_ones_when_ranks_agree(monkeypatch):
    install(monkeypatch, MirrorComm(size=4))
    deepgrad.manual_seed(0)
    plain = Net()
    model = DDP(Net(), bucket_cap_mb=0.002)
    model.module.load_state_dict(plain.state_dict())
    for seed in range(3):
        x, y = _data(seed)
        _step(model, x, y)
        _step(plain, x, y)
        for a, b in zip(grads(model.module.parameters()), grads(plain.parameters())):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)   # (4 g) / 4


def test_ddp_batched_copy_and_bucket_views_give_the_same_gradients(monkeypatch):
    install(monkeypatch, MirrorComm(size=2))
    deepgrad.manual_seed(0)
    plain = Net()
    x, y = _data()
    _step(plain, x, y)
    for kwargs in (dict(batched_grad_copy=True), dict(gradient_as_bucket_view=True)):
        model = DDP(Net(), bucket_cap_mb=0.002, **kwargs)
        model.module.load_state_dict(plain.state_dict())
        for _ in range(2):                                  # before and after the rebuild
            _step(model, x, y)
        for a, b in zip(grads(model.module.parameters()), grads(plain.parameters())):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    flat = [b.flat for b in model.reducer.buckets]
    assert all(any(np.shares_memory(p.grad.array, f) for f in flat)
               for p in model.module.parameters())


def test_no_sync_accumulates_locally(monkeypatch):
    comm = MirrorComm(size=2)
    install(monkeypatch, comm)
    model = DDP(Net())
    x, y = _data()
    del comm.log[:]
    with model.no_sync():
        nn.functional.cross_entropy(model(x), y).backward()
    assert not any(e == "Iallreduce" for e, _ in comm.log)
    once = grads(model.module.parameters())
    nn.functional.cross_entropy(model(x), y).backward()       # synced: reduces the sum
    assert any(e == "Iallreduce" for e, _ in comm.log)
    for a, b in zip(grads(model.module.parameters()), once):
        np.testing.assert_allclose(a, 2 * b, rtol=1e-6, atol=1e-7)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body, self.used, self.spare = nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x):
        return self.used(self.body(x))


def test_unused_parameters_need_find_unused_parameters(monkeypatch):
    install(monkeypatch, MirrorComm(size=2))
    x = deepgrad.randn(3, 4)
    model = DDP(TwoHeads())
    model(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"Expected to have finished reduction in the prior "
                                           r"iteration.*rank 0: spare.weight, spare.bias"):
        model(x)
    model = DDP(TwoHeads(), find_unused_parameters=True)
    for _ in range(2):
        model.zero_grad()
        model(x).sum().backward()
        assert model.module.spare.weight.grad is None           # unused on every rank
        assert model.module.used.weight.grad is not None


def test_ddp_refuses_modules_that_differ_across_ranks(monkeypatch):
    theirs = [("weight", (3, 5), "float32"), ("bias", (3,), "float32")]
    install(monkeypatch, MirrorComm(rank=0, size=2, peers={1: theirs}))
    with pytest.raises(RuntimeError, match=r"parameter 'weight' is float32 \(3, 4\) on rank 0 "
                                           r"but parameter 'weight' is float32 \(3, 5\) on rank"
                                           r" 1"):
        DDP(nn.Linear(4, 3))


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(device_ids=[0]), RuntimeError, "deepgrad has none"),
    (dict(mixed_precision=object()), ValueError, "mixed_precision=.* is not supported"),
    (dict(skip_all_reduce_unused_params=True), ValueError, "not supported"),
])
def test_ddp_bad_arguments(kwargs, exc, match, monkeypatch):
    install(monkeypatch, MirrorComm(size=2))
    with pytest.raises(exc, match=match):
        DDP(nn.Linear(2, 2), **kwargs)
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires"):
        DDP(nn.Linear(2, 2).requires_grad_(False))


def test_ddp_state_dict_keys_and_buffer_sync(monkeypatch):
    comm = MirrorComm(size=2)
    install(monkeypatch, comm)
    model = DDP(nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)))
    assert list(model.state_dict())[:2] == ["module.0.weight", "module.0.bias"]
    del comm.log[:]
    model(deepgrad.randn(4, 3))
    assert comm.log[0][0] == "Bcast"                # rank 0's buffers before the forward
    with pytest.warns(FutureWarning, match="broadcast_buffers` is deprecated"):
        quiet = DDP(nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)), broadcast_buffers=False)
    assert not quiet.will_sync_module_buffers()
