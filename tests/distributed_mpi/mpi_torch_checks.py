"""deepgrad.distributed under ``mpirun -n 2``: collectives, bad input, DDP equivalence.

Run by test_distributed_mpi.py (``python mpi_torch_checks.py [check ...]``).
"""
import datetime
import os

import numpy as np

import deepgrad
import deepgrad.distributed as dist
import deepgrad.nn as nn
from deepgrad.nn.parallel import DistributedDataParallel as DDP
from deepgrad.utils.data import DataLoader, DistributedSampler, TensorDataset

from mpi_report import check, main
from mpi_seed_models import batches, torch_loss, torch_model

dist.init_process_group(backend="mpi", init_method="env://")
R, N = dist.get_rank(), dist.get_world_size()
STEPS, B = 20, 4


def _expect_error(exc, fragment, fn):
    try:
        fn()
    except exc as err:
        assert fragment in str(err), str(err)
        return str(err)
    raise AssertionError(f"no {exc.__name__} raised")


@check
def collectives():
    t = deepgrad.ones(3) * (R + 1)
    dist.all_reduce(t)
    assert t.tolist() == [3.0] * 3
    for op, want in ((dist.ReduceOp.AVG, 1.5), (dist.ReduceOp.MAX, 2.0),
                     (dist.ReduceOp.MIN, 1.0), (dist.ReduceOp.PRODUCT, 2.0)):
        a = np.full(4, R + 1.0)
        dist.all_reduce(a, op=op)
        assert (a == want).all(), (op, a)
    bits = np.array([1 << R, 3], dtype=np.int64)
    dist.all_reduce(bits, op=dist.ReduceOp.BOR)
    assert bits.tolist() == [3, 3]
    flags = np.array([R == 0, True])
    dist.all_reduce(flags, op=dist.ReduceOp.MIN)
    assert flags.tolist() == [False, True]
    view = (np.arange(6.0).reshape(2, 3) * (R + 1)).T          # a non-contiguous view
    work = dist.all_reduce(view, async_op=True)
    work.wait()
    assert (view == 3 * np.arange(6.0).reshape(2, 3).T).all() and work.is_completed()
    b = np.full(2, float(R))
    dist.broadcast(b, src=1)
    assert (b == 1).all()
    outs = [deepgrad.zeros(2) for _ in range(N)]
    dist.all_gather(outs, deepgrad.full((2,), float(R)))
    assert [o.tolist() for o in outs] == [[0.0, 0.0], [1.0, 1.0]]
    cat = np.zeros(2 * N)
    dist.all_gather_into_tensor(cat, np.full(2, R + 0.5))
    assert cat.tolist() == [0.5, 0.5, 1.5, 1.5]
    got = [np.zeros(2) for _ in range(N)] if R == 0 else None
    dist.gather(np.full(2, 2.0 * R), got, dst=0)
    assert R != 0 or [g.tolist() for g in got] == [[0.0, 0.0], [2.0, 2.0]]
    mine = np.zeros(2)
    dist.scatter(mine, [np.full(2, 3.0 * k) for k in range(N)] if R == 0 else None, src=0)
    assert (mine == 3.0 * R).all()
    red = np.full(2, R + 1.0)
    dist.reduce(red, dst=1)
    assert (red == (3.0 if R == 1 else 1.0)).all()
    part = np.zeros(2)
    dist.reduce_scatter(part, [np.full(2, float(k + R)) for k in range(N)])
    assert (part == [1.0, 3.0][R]).all()
    part = np.zeros(2)
    dist.reduce_scatter_tensor(part, np.arange(2.0 * N), op=dist.ReduceOp.AVG)
    assert part.tolist() == [[0.0, 1.0], [2.0, 3.0]][R]
    swap = np.zeros((2, 3))
    dist.all_to_all_single(swap, np.arange(6.0).reshape(2, 3) + 10 * R)
    assert swap.tolist() == [[3.0 * R + k for k in range(3)],
                             [10 + 3.0 * R + k for k in range(3)]]
    sizes = ([1, 2], [1, 1]) if R == 0 else ([1, 3], [2, 3])    # rows sent / received
    got = np.zeros(sum(sizes[1]))
    dist.all_to_all_single(got, np.arange(float(sum(sizes[0]))) + 10 * R,
                           output_split_sizes=sizes[1], input_split_sizes=sizes[0])
    assert got.tolist() == ([0.0, 10.0] if R == 0 else [1.0, 2.0, 11.0, 12.0, 13.0])
    outs = [np.zeros(k + 1) for k in range(N)] if R == 0 else [np.zeros(2), np.zeros(2)]
    dist.all_to_all(outs, [np.full(R + 1, 1.0 * R), np.full(2, 5.0 + R)] if R == 0 else
                    [np.full(2, 1.0), np.full(2, 6.0)])
    assert [o.tolist() for o in outs] == ([[0.0], [1.0, 1.0]] if R == 0 else
                                          [[5.0, 5.0], [6.0, 6.0]])
    dist.barrier()


@check
def point_to_point_and_objects():
    x = np.zeros(3)
    if R == 0:
        dist.send(np.arange(3.0), dst=1, tag=5)
        work = dist.irecv(x, src=1)
        work.wait()
        assert x.tolist() == [7.0, 7.0, 7.0]
    else:
        assert dist.recv(x, tag=5) == 0 and x.tolist() == [0.0, 1.0, 2.0]
        dist.isend(np.full(3, 7.0), dst=0).wait()
    objs = [None] * N
    dist.all_gather_object(objs, {"rank": R})
    assert objs == [{"rank": 0}, {"rank": 1}]
    lst = [R, "x"]
    dist.broadcast_object_list(lst, src=1)
    assert lst == [1, "x"]
    out = [None]
    dist.scatter_object_list(out, ["a", "b"] if R == 0 else None, src=0)
    assert out == [["a", "b"][R]]
    sub = dist.new_group([1])
    assert (dist.get_rank(sub), dist.get_world_size(sub)) == ((-1, -1) if R == 0 else (0, 1))


@check
def bad_input_raises_on_every_rank():
    shape_msg = _expect_error(RuntimeError, "the ranks' calls do not match",
                              lambda: dist.all_reduce(np.zeros((3, 4 + R))))
    assert "rank 0: all_reduce(SUM, float64 (3, 4))" in shape_msg
    assert "rank 1: all_reduce(SUM, float64 (3, 5))" in shape_msg
    _expect_error(RuntimeError, "float32 (2,)", lambda: dist.all_reduce(
        np.zeros(2, [np.float32, np.float64][R])))
    _expect_error(RuntimeError, "broadcast", lambda: (dist.broadcast(np.zeros(2), src=0)
                                                     if R == 0 else dist.all_reduce(np.zeros(2))))
    _expect_error(RuntimeError, "rank 0 sends 2 rows to rank 0, which expects 1",
                  lambda: dist.all_to_all_single(np.zeros(2), np.zeros(2), [1, 1],
                                                 [2, 0] if R == 0 else [1, 1]))
    lists = [np.zeros(2)] * (N if R == 0 else N + 1)          # wrong length on rank 1 only
    err = (ValueError, "list of 2 tensors") if R == 1 else (RuntimeError, "rank 1 could not "
                                                                          "take part")
    _expect_error(*err, lambda: dist.all_gather(lists, np.zeros(2)))
    if R == 0:
        dist.send(np.arange(3.0), dst=1)
    else:
        _expect_error(ValueError, "rank 0 sent float64 (3,), but this rank (1) receives into "
                                  "float64 (4,)", lambda: dist.recv(np.zeros(4)))
    t = np.ones(2)
    dist.all_reduce(t)                                      # nothing left half-done
    assert t.tolist() == [2.0, 2.0]
    return shape_msg


def _ddp_vs_one_process(kind, dtype=np.float64, **ddp_kwargs):
    x, y = batches(kind, STEPS, N * B)
    x = x.astype(dtype)
    y = y.astype(dtype) if kind == "lstm" else y
    loss_fn = torch_loss(nn, kind)
    deepgrad.manual_seed(100 + R)                       # different weights on each rank...
    model = torch_model(nn, kind)
    if dtype == np.float32:
        model = model.float()
    if R == 0:
        deepgrad.manual_seed(0)
        model.load_state_dict(torch_model(nn, kind).state_dict())
    ddp = DDP(model, **ddp_kwargs)                      # ...until DDP copies rank 0's
    opt = deepgrad.optim.Adam(ddp.parameters(), lr=1e-3)
    for s in range(STEPS):
        rows = slice(s * N * B + R * B, s * N * B + (R + 1) * B)
        opt.zero_grad()
        loss_fn(ddp(deepgrad.from_numpy(x[rows])), deepgrad.from_numpy(y[rows])).backward()
        opt.step()
    weights = [p.array.copy() for p in model.parameters()]
    gathered = [None] * N
    dist.all_gather_object(gathered, weights)
    same = max(np.abs(a - b).max() for a, b in zip(*gathered))
    assert same == 0.0, f"replicas differ by {same}"
    if R != 0:
        return None
    deepgrad.manual_seed(0)
    ref = torch_model(nn, kind)
    if dtype == np.float32:
        ref = ref.float()
    ref_opt = deepgrad.optim.Adam(ref.parameters(), lr=1e-3)
    for s in range(STEPS):
        rows = slice(s * N * B, (s + 1) * N * B)
        ref_opt.zero_grad()
        loss_fn(ref(deepgrad.from_numpy(x[rows])), deepgrad.from_numpy(y[rows])).backward()
        ref_opt.step()
    diff = max(np.abs(a - p.array).max() for a, p in zip(weights, ref.parameters()))
    scale = max(np.abs(p.array).max() for p in ref.parameters())
    return diff, scale, ddp.reducer


def _report(result, tolerance):
    if result is None:
        return None
    diff, scale, reducer = result
    assert diff <= tolerance, f"max |w_2ranks - w_1process| = {diff:.3g} > {tolerance}"
    return (f"max |dw| = {diff:.3g} (weights up to {scale:.3g}); buckets "
            f"{[len(b) for b in reducer.bucket_indices()]}, {reducer.stats['buckets']} "
            f"reductions")


@check
def ddp_mlp():
    return _report(_ddp_vs_one_process("mlp"), 1e-12)


@check
def ddp_cnn():
    return _report(_ddp_vs_one_process("cnn", bucket_cap_mb=1), 1e-12)


@check
def ddp_lstm():
    return _report(_ddp_vs_one_process("lstm", find_unused_parameters=True), 1e-12)


@check
def ddp_mlp_float32():
    return _report(_ddp_vs_one_process("mlp", np.float32, gradient_as_bucket_view=True), 1e-6)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body, self.a, self.b, self.never = (nn.Linear(3, 4), nn.Linear(4, 1),
                                                 nn.Linear(4, 1), nn.Linear(4, 1))

    def forward(self, x, use_b):
        h = self.body(x)
        return self.a(h) + (self.b(h) if use_b else 0.0)


@check
def ddp_unused_parameters_and_no_sync():
    deepgrad.manual_seed(0)
    model = DDP(TwoHeads().double(), find_unused_parameters=True)
    plain = TwoHeads().double()
    plain.load_state_dict(model.module.state_dict())
    x = deepgrad.from_numpy(np.random.default_rng(R).random((5, 3)))
    plain(x, use_b=(R == 0)).sum().backward()               # this rank's own gradients
    local_b = plain.b.weight.grad.array.copy() if R == 0 else np.zeros((1, 4))
    dist.all_reduce(local_b)
    model(x, use_b=(R == 0)).sum().backward()               # head b: rank 0 only
    assert np.allclose(model.module.b.weight.grad.array, local_b / N, rtol=0, atol=1e-15)
    assert model.module.never.weight.grad is None           # unused everywhere: None
    model.zero_grad()
    with model.no_sync():
        model(x, use_b=True).sum().backward()               # accumulated locally
    first = model.module.a.weight.grad.array.copy()
    model(x, use_b=True).sum().backward()                    # reduces the sum of both
    summed = 2 * first
    dist.all_reduce(summed, op=dist.ReduceOp.AVG)
    assert np.allclose(model.module.a.weight.grad.array, summed, rtol=0, atol=1e-14)


@check
def ddp_refuses_different_modules():
    return _expect_error(RuntimeError, "on rank 1", lambda: DDP(nn.Linear(3, 4 + R)))


@check
def sampler_shards_the_dataset():
    dataset = TensorDataset(deepgrad.arange(10))
    sampler = DistributedSampler(dataset, shuffle=True, seed=3)
    assert (sampler.num_replicas, sampler.rank) == (N, R)
    sampler.set_epoch(1)
    mine = [int(v) for (b,) in DataLoader(dataset, batch_size=2, sampler=sampler)
            for v in b.tolist()]
    everyone = [None] * N
    dist.all_gather_object(everyone, mine)
    assert sorted(sum(everyone, [])) == list(range(10)) and len(set(mine)) == len(mine)


@check
def init_checks_the_launchers_ranks():            # last: it re-creates the group
    dist.destroy_process_group()
    assert not dist.is_initialized()
    os.environ["WORLD_SIZE"] = "3"
    try:
        _expect_error(ValueError, "WORLD_SIZE=3 in the environment, but the MPI launcher "
                                  "started this process as rank", dist.init_process_group)
    finally:
        del os.environ["WORLD_SIZE"]
    _expect_error(ValueError, f"rank={1 - R} was given", lambda: dist.init_process_group(
        rank=1 - R))
    assert not dist.is_initialized()
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29500", world_size=N,
                            rank=R, timeout=datetime.timedelta(seconds=30))
    assert dist.get_backend() == "mpi" and dist.get_rank() == R
    _expect_error(RuntimeError, "initialize the default process group twice",
                  dist.init_process_group)
    t = np.ones(1)
    dist.all_reduce(t)
    assert t[0] == N


if __name__ == "__main__":
    main(dist.get_rank)
    dist.destroy_process_group()
