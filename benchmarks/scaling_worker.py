"""One rank of the scaling benchmark (run by ``benchmarks/scaling.py`` under ``mpirun``).

For each workload (``--front torch``): build the seed model (``benchmarks.workloads``'
definitions, float32), wrap it in ``DistributedDataParallel`` when there is more than
one rank (a plain model on one rank: the baseline a user would run), train on one fixed
batch of B samples per rank, and time ``steps`` full steps (forward, loss, zero_grad,
backward with the gradient reduction, optimizer step) between two barriers. Then, on
the same buckets, time the blocking allreduce alone (what one step's reduction costs
when nothing overlaps it). ``--front keras`` times ``model.fit`` of the same models in
Keras layers, compiled with Horovod's ``DistributedOptimizer`` on more than one rank.
With ``--calibrate``, also time ``MPI_Allreduce`` over message sizes (the cost model's
calibration). Rank 0 prints one JSON line per result:

    RESULT {"workload": ..., "front": ..., "ranks": N, "batch": B, "step_s": ...,
            "samples_s": ..., "wait_s": ..., "allreduce_s": ..., "launch_s": ...,
            "progress_s": ..., "copy_s": ..., "bytes": ..., "buckets": [...]}
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import deepgrad  # noqa: E402
import deepgrad.distributed as dist  # noqa: E402
import deepgrad.nn as nn  # noqa: E402
from benchmarks.workloads import WORKLOADS, conv, dense, recurrent  # noqa: E402
from deepgrad.distributed import _mpi  # noqa: E402
from deepgrad.nn.parallel import DistributedDataParallel  # noqa: E402

#: workload -> (make_model(nn), optimizer, lr, loss): the registered seed workloads' specs
MODELS = {
    "mlp128": (lambda m: dense.sequential(m, dense.DenseSpec((784, 128, 10))),
               "Adam", 1e-3, "cross_entropy"),
    "mlp32_64": (lambda m: dense.sequential(m, dense.DenseSpec((784, 32, 64, 10))),
                 "Adam", 1e-3, "cross_entropy"),
    "autoencoder": (lambda m: dense.sequential(m, dense.DenseSpec(
        (784, 32, 784), out_act="sigmoid", loss="mse_loss")), "Adam", 1e-3, "mse_loss"),
    "cnn_mnist": (lambda m: conv.sequential(m, conv.ConvSpec((1, 28, 28), (32,), "Adam",
                                                             1e-3)), "Adam", 1e-3,
                  "cross_entropy"),
    "cnn_cifar": (lambda m: conv.sequential(m, conv.ConvSpec((3, 32, 32), (32, 64), "SGD",
                                                             0.01)), "SGD", 0.01,
                  "cross_entropy"),
    "lstm3": (lambda m: recurrent.stacked_lstm(m, recurrent.LSTMSpec()), "Adam", 1e-3,
              "mse_loss"),
}


def emit(**result):
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)


def train(name, seconds, min_steps):
    make_model, optimizer, lr, loss_name = MODELS[name]
    workload = WORKLOADS[name]
    x, y = workload.make_batch(np.random.default_rng(dist.get_rank()))
    xt, yt = deepgrad.from_numpy(x), deepgrad.from_numpy(y)
    deepgrad.manual_seed(0)
    model = make_model(nn)
    ranks = dist.get_world_size()
    ddp = DistributedDataParallel(model) if ranks > 1 else None
    net = ddp if ddp is not None else model
    opt = getattr(deepgrad.optim, optimizer)(net.parameters(), lr=lr)
    loss_fn = getattr(nn.functional, loss_name)

    def step():
        loss = loss_fn(net(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):                               # warm up (and rebuild the buckets)
        step()
    dist.barrier()
    t0 = time.perf_counter()                          # how many steps fill `seconds`
    step()
    probe = np.array([time.perf_counter() - t0])
    dist.all_reduce(probe, op=dist.ReduceOp.MAX)
    steps = max(min_steps, int(seconds / probe[0]))
    before = dict(ddp.reducer.stats) if ddp is not None else None
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dist.barrier()
    elapsed = time.perf_counter() - t0
    per = {}
    if ddp is not None:
        stats = ddp.reducer.stats
        per = {k: (stats[k] - before[k]) / steps for k in ("wait_s", "launch_s",
                                                            "progress_s", "copy_s")}
        per["bytes"] = (stats["bytes"] - before["bytes"]) / steps
        per["buckets"] = [len(b) for b in ddp.reducer.bucket_indices()]
        per["allreduce_s"] = blocking_allreduce(ddp.reducer)
    emit(workload=name, front="torch", ranks=ranks, batch=workload.batch, steps=steps,
         step_s=elapsed / steps, samples_s=ranks * workload.batch * steps / elapsed, **per)


#: workload -> make_model(keras): the same models in Keras layers (channels-last images)
KERAS_MODELS = {
    "mlp128": lambda k: dense.keras_sequential(k, dense.DenseSpec((784, 128, 10))),
    "mlp32_64": lambda k: dense.keras_sequential(k, dense.DenseSpec((784, 32, 64, 10))),
    "autoencoder": lambda k: dense.keras_sequential(k, dense.DenseSpec(
        (784, 32, 784), out_act="sigmoid", loss="mse_loss")),
    "cnn_mnist": lambda k: conv.keras_sequential(k, conv.ConvSpec((1, 28, 28), (32,), "Adam",
                                                                  1e-3)),
    "cnn_cifar": lambda k: conv.keras_sequential(k, conv.ConvSpec((3, 32, 32), (32, 64),
                                                                  "SGD", 0.01)),
    "lstm3": lambda k: recurrent.keras_sequential(k, recurrent.LSTMSpec()),
}


def train_keras(name, seconds, min_steps):
    """The same measurement through ``model.fit`` with Horovod's DistributedOptimizer."""
    import deepgrad.keras as keras
    import deepgrad.keras.distributed as hvd
    from benchmarks.workloads.keras_models import LOSSES
    _, optimizer, lr, loss_name = MODELS[name]
    workload = WORKLOADS[name]
    x, y = workload.make_batch(np.random.default_rng(0))
    x = x.transpose(0, 2, 3, 1).copy() if x.ndim == 4 else x
    ranks = dist.get_world_size()
    keras.utils.set_random_seed(0)
    model = KERAS_MODELS[name](keras)
    opt = getattr(keras.optimizers, optimizer)(learning_rate=lr)
    loss_class, loss_args = LOSSES[loss_name]
    model.compile(optimizer=hvd.DistributedOptimizer(opt) if ranks > 1 else opt,
                  loss=getattr(keras.losses, loss_class)(**loss_args))

    def fit(steps):                       # each rank reads B of every global batch
        reps = ranks * steps
        xs, ys = np.concatenate([x] * reps), np.concatenate([y] * reps)
        dist.barrier()
        t0 = time.perf_counter()
        model.fit(xs, ys, batch_size=workload.batch, epochs=1, shuffle=False, verbose=0)
        dist.barrier()
        return time.perf_counter() - t0

    fit(3)
    probe = np.array([fit(2) / 2])
    dist.all_reduce(probe, op=dist.ReduceOp.MAX)
    steps = max(min_steps, int(seconds / probe[0]))
    reducer = getattr(model.optimizer, "_dist_reducer", None)
    before = dict(reducer.stats) if reducer is not None else None
    elapsed = fit(steps)
    per = {}
    if reducer is not None:
        n = reducer.stats["iterations"] - before["iterations"]
        per = {k: (reducer.stats[k] - before[k]) / n for k in ("wait_s", "launch_s",
                                                               "progress_s", "copy_s")}
        per["bytes"] = (reducer.stats["bytes"] - before["bytes"]) / n
        per["buckets"] = [len(b) for b in reducer.bucket_indices()]
        per["allreduce_s"] = blocking_allreduce(reducer)
    emit(workload=name, front="keras", ranks=ranks, batch=workload.batch, steps=steps,
         step_s=elapsed / steps, samples_s=ranks * workload.batch * steps / elapsed, **per)


def blocking_allreduce(reducer, repeats=30):
    """Median seconds of one step's buckets all-reduced back to back, blocking."""
    MPI = _mpi.mpi()
    comm = reducer.pg.comm
    buffers = [b.flat.copy() for b in reducer.buckets]
    times = []
    for _ in range(repeats):
        comm.Barrier()
        t0 = time.perf_counter()
        for buf in buffers:
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        times.append(time.perf_counter() - t0)
    worst = np.array([np.median(times)])
    comm.Allreduce(MPI.IN_PLACE, worst, op=MPI.MAX)
    return float(worst[0])


def calibrate(repeats=40):
    """Median seconds of MPI_Allreduce (float32, sum) for message sizes 8 B .. 32 MiB."""
    MPI = _mpi.mpi()
    comm = dist.group.WORLD.comm
    for nbytes in [8 * 4 ** k for k in range(12)]:
        buf = np.ones(nbytes // 4, dtype=np.float32)
        times = []
        for _ in range(repeats if nbytes < 1 << 22 else repeats // 4):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            times.append(time.perf_counter() - t0)
        worst = np.array([np.median(times)])
        comm.Allreduce(MPI.IN_PLACE, worst, op=MPI.MAX)
        emit(calibration=True, ranks=comm.Get_size(), bytes=nbytes, seconds=float(worst[0]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", default=",".join(MODELS))
    parser.add_argument("--seconds", type=float, default=2.0, help="timed per workload")
    parser.add_argument("--min-steps", type=int, default=5)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--front", choices=("torch", "keras"), default="torch")
    args = parser.parse_args()
    deepgrad.set_num_threads(1)
    dist.init_process_group(backend="mpi")
    for name in args.workloads.split(","):
        (train if args.front == "torch" else train_keras)(name, args.seconds, args.min_steps)
    if args.calibrate and dist.get_world_size() > 1:
        calibrate()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
