"""deepgrad.distributed and deepgrad.keras.distributed on 2 MPI ranks (``mpirun -n 2``).

Each worker script runs its checks on both ranks and reports one line per rank and
check (``mpi_report``); every check must pass on every rank. The checks: the
collectives and their bad input; N ranks x batch B == 1 process x batch N*B after 20
Adam steps for the MLP, CNN and LSTM seed models in float64 (within 1e-12) and the MLP
in float32, through DistributedDataParallel and through Keras ``fit`` with Horovod's
DistributedOptimizer; no_sync, unused parameters, Horovod's callbacks and ops. A rank
that raises must stop both. Skipped, with the reason, without mpi4py or mpirun.
"""
import os
import time

import pytest

import mpi_launch
from mpi_launch import parse

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_CHECKS = ["collectives", "point_to_point_and_objects", "bad_input_raises_on_every_rank",
                "ddp_mlp", "ddp_cnn", "ddp_lstm", "ddp_mlp_float32",
                "ddp_unused_parameters_and_no_sync", "ddp_refuses_different_modules",
                "sampler_shards_the_dataset", "init_checks_the_launchers_ranks"]
KERAS_CHECKS = ["keras_mlp", "keras_cnn", "keras_lstm", "keras_mlp_shuffled_two_epochs",
                "keras_mlp_backward_passes_per_step", "keras_mlp_fp16_compression",
                "stop_training_is_agreed", "metric_average_and_rank0_progress",
                "horovod_ops", "custom_loop_with_apply"]
_RUNS = {}


def _reports(script):
    mpi_launch.require_mpi()
    if script not in _RUNS:
        done = mpi_launch.run(os.path.join(HERE, script), 2, timeout=240)
        _RUNS[script] = (parse(done.stdout), done)
    return _RUNS[script]


def _assert_check(script, name):
    reports, done = _reports(script)
    got = reports.get(name, [])
    assert len(got) == 2, (f"{name}: expected a report from each of 2 ranks, got {got}\n"
                           f"rc={done.returncode}\nstderr: {done.stderr[-3000:]}")
    for item in got:
        assert item["ok"], f"{name} failed on rank {item['rank']}:\n{item['detail']}"


@pytest.mark.parametrize("name", TORCH_CHECKS)
def test_torch_front_on_two_ranks(name):
    _assert_check("mpi_torch_checks.py", name)


@pytest.mark.parametrize("name", KERAS_CHECKS)
def test_keras_front_on_two_ranks(name):
    _assert_check("mpi_keras_checks.py", name)


def test_a_failing_rank_stops_every_rank():
    t0 = time.perf_counter()
    done = mpi_launch.run(os.path.join(HERE, "mpi_failing_rank.py"), 2, timeout=60)
    elapsed = time.perf_counter() - t0
    assert done.returncode != 0
    assert "ZeroDivisionError: rank 1 fails at step 3" in done.stderr
    assert "rank 1 of 2 raised ZeroDivisionError; aborting all ranks" in done.stderr
    assert "finished" not in done.stdout and elapsed < 60
