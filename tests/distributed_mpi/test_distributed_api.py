"""deepgrad.distributed without MPI: errors before init, ReduceOp/Backend, the agreement
step, zero-copy buffers and DistributedSampler's defaults (a one-process stand-in for
MPI, ``fake_mpi``, plays the other ranks; the real 2-rank runs are in
test_distributed_mpi.py)."""
import datetime

import numpy as np
import pytest

import deepgrad
import deepgrad.distributed as dist
from deepgrad.distributed import _mpi, process_group
from deepgrad.utils.data import DistributedSampler

from fake_mpi import MirrorComm, install


@pytest.mark.parametrize("call", [
    lambda: dist.all_reduce(deepgrad.ones(2)),
    lambda: dist.broadcast(np.ones(2), src=0),
    lambda: dist.all_gather([np.ones(2)], np.ones(2)),
    lambda: dist.gather(np.ones(2), dst=0),
    lambda: dist.scatter(np.ones(2), src=0),
    lambda: dist.reduce_scatter(np.ones(2), [np.ones(2)]),
    lambda: dist.send(np.ones(2), dst=1),
    lambda: dist.recv(np.ones(2)),
    lambda: dist.barrier(),
    lambda: dist.get_rank(),
    lambda: dist.get_world_size(),
    lambda: dist.new_group([0]),
])
def test_collectives_before_init_raise_pytorchs_error(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized, "
                                         "please make sure to call init_process_group"):
        call()


def test_ddp_and_sampler_before_init_say_what_to_do():
    with pytest.raises(ValueError, match="before deepgrad.distributed.init_process_group"):
        deepgrad.nn.parallel.DistributedDataParallel(deepgrad.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="call deepgrad.distributed.init_process_group"):
        DistributedSampler(range(4))


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(backend="nccl"), ValueError, "'nccl' needs GPUs"),
    (dict(backend="cpu:gloo,cuda:nccl"), ValueError, "needs GPUs"),
    (dict(init_method="http://host"), ValueError, "init_method must be 'env://'"),
    (dict(rank="0"), TypeError, "rank must be an int"),
    (dict(timeout=30), TypeError, "timeout must be a datetime.timedelta"),
    (dict(store=object()), ValueError, "store= and pg_options= are not supported"),
    (dict(device_id="cuda:0"), ValueError, "deepgrad runs on the CPU"),
])
def test_init_process_group_bad_input_is_refused_before_mpi_starts(kwargs, exc, match,
                                                                     monkeypatch):
    monkeypatch.setattr(_mpi, "_loaded", [])
    monkeypatch.setattr(_mpi, "mpi", lambda: pytest.fail("MPI was started"))
    with pytest.raises(exc, match=match):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_reduce_op_numbering_and_names():
    assert [int(getattr(dist.ReduceOp, n)) for n in
            ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR")] == list(range(8))
    assert dist.Backend("MPI") == "mpi" == dist.Backend.MPI
    with pytest.raises(ValueError, match="PREMUL_SUM is not supported on MPI"):
        dist.reduce_op.op_name(dist.ReduceOp.PREMUL_SUM, "all_reduce")
    with pytest.raises(ValueError, match="op must be a ReduceOp"):
        dist.reduce_op.op_name(3.5, "all_reduce")
    torch_dist = pytest.importorskip("torch.distributed")
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"):
        assert int(getattr(dist.ReduceOp, name)) == int(getattr(torch_dist.ReduceOp, name))


def test_mpi_ops_follow_dtypes(monkeypatch):
    from fake_mpi import FAKE_MPI
    monkeypatch.setattr(_mpi, "_loaded", [FAKE_MPI])
    assert _mpi.mpi_op("SUM", np.bool_, "x") == "LOR"
    assert _mpi.mpi_op("MIN", np.bool_, "x") == "LAND"
    assert _mpi.mpi_op("PRODUCT", np.float32, "x") == "PROD"
    with pytest.raises(ValueError, match="AVG needs a floating-point tensor, received int64"):
        _mpi.mpi_op("AVG", np.int64, "all_reduce")
    with pytest.raises(ValueError, match="BXOR needs an integer or bool tensor"):
        _mpi.mpi_op("BXOR", np.float64, "all_reduce")


def test_all_reduce_hands_the_tensors_own_buffer_to_mpi(monkeypatch):
    comm = MirrorComm(size=2)
    install(monkeypatch, comm)
    t = deepgrad.tensor([1.0, 2.0, 3.0])
    before = t.array
    dist.all_reduce(t)
    assert t.array is before and comm.log[-1][1] is before           # no copy
    np.testing.assert_array_equal(t.array, [2.0, 4.0, 6.0])
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    np.testing.assert_array_equal(t.array, [2.0, 4.0, 6.0])          # (2x) / 2
    view = np.arange(6.0).reshape(2, 3).T                              # not contiguous
    dist.all_reduce(view)
    np.testing.assert_array_equal(view, 2 * np.arange(6.0).reshape(2, 3).T)
    work = dist.broadcast(t, src=0, async_op=True)
    assert work.wait() and work.is_completed() and work.result() == [t]


def test_mismatched_calls_raise_on_every_rank_naming_both_shapes(monkeypatch):
    mine = ("all_reduce", "SUM", ((3, 4), "float32"))
    comm = MirrorComm(rank=0, size=2, peers={1: (("all_reduce", "SUM", ((3, 5), "float32")),
                                                 None)})
    install(monkeypatch, comm)
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(RuntimeError, match=r"rank 0: all_reduce\(SUM, float32 \(3, 4\)\); "
                                           r"rank 1: all_reduce\(SUM, float32 \(3, 5\)\)"):
        dist.all_reduce(x)
    assert not any(name == "Iallreduce" for name, _ in comm.log)      # no data moved
    comm.peers = {1: (None, "ValueError: all_reduce: ReduceOp.AVG needs a floating-point")}
    with pytest.raises(RuntimeError, match="rank 1 could not take part"):
        dist.all_reduce(x)
    comm.peers = {1: (mine, None)}
    dist.all_reduce(x)                                                 # agreed: it runs


@pytest.mark.parametrize("call, exc, match", [
    (lambda: dist.all_reduce([1, 2]), TypeError, "must be a deepgrad Tensor or a NumPy"),
    (lambda: dist.broadcast(np.ones(2)), ValueError, "must specify src="),
    (lambda: dist.broadcast(np.ones(2), src=5), ValueError, "src=5 is not a rank"),
    (lambda: dist.all_gather([np.ones(2)], np.ones(2)), ValueError, "list of 2 tensors"),
    (lambda: dist.all_gather([np.ones(2), np.ones(3)], np.ones(2)), ValueError,
     r"tensor_list\[1\] is float64 \(3,\), expected float64 \(2,\)"),
    (lambda: dist.gather(np.ones(2), dst=0), ValueError, "gather_list must be a list of 2"),
    (lambda: dist.all_gather_into_tensor(np.ones(5), np.ones(2)), ValueError,
     r"expected \(2, 2\) or \(4,\)"),
    (lambda: dist.all_reduce(np.ones(2, np.int64), op=dist.ReduceOp.AVG), ValueError,
     "AVG needs a floating-point tensor"),
])
def test_bad_arguments_are_named(call, exc, match, monkeypatch):
    install(monkeypatch, MirrorComm(size=2))
    with pytest.raises(exc, match=match):
        call()


def test_process_group_queries(monkeypatch):
    install(monkeypatch, MirrorComm(rank=1, size=3))
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (1, 3, "mpi")
    assert dist.get_process_group_ranks(dist.group.WORLD) == [0, 1, 2]
    assert dist.get_global_rank(dist.group.WORLD, 2) == 2
    assert dist.get_local_rank() == 1 and dist.get_local_world_size() == 3
    assert dist.get_rank(dist.GroupMember.NON_GROUP_MEMBER) == -1
    assert dist.barrier(timeout=datetime.timedelta(seconds=1)) is None
    monkeypatch.setenv("LOCAL_RANK", "7")
    assert dist.get_node_local_rank() == 7


def test_distributed_sampler_reads_the_process_group(monkeypatch):
    install(monkeypatch, MirrorComm(rank=1, size=3))
    s = DistributedSampler(range(10), shuffle=False)
    assert (s.num_replicas, s.rank) == (3, 1)
    assert list(s) == list(DistributedSampler(range(10), 3, 1, shuffle=False))
    assert DistributedSampler(range(10), rank=0).num_replicas == 3
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval"):
        DistributedSampler(range(10), rank=3)


def test_destroy_process_group_restores_the_exception_hook(monkeypatch):
    import sys
    install(monkeypatch, MirrorComm(size=2))
    monkeypatch.setattr(sys, "excepthook", process_group._abort_on_uncaught)
    monkeypatch.setattr(process_group._state, "previous_hook", sys.__excepthook__)
    dist.destroy_process_group()
    assert not dist.is_initialized() and sys.excepthook is sys.__excepthook__
