"""deepgrad.keras.distributed under ``mpirun -n 2``: fit equivalence for the seed models,
Horovod's callbacks, stop agreement, aggregation and compression, the ops.

Run by test_distributed_mpi.py (``python mpi_keras_checks.py [check ...]``).
"""
import contextlib
import io
import os
import tempfile

import numpy as np

import deepgrad
import deepgrad.distributed as dist
import deepgrad.keras as keras
import deepgrad.keras.distributed as hvd

from mpi_report import check, main
from mpi_seed_models import batches, keras_layout, keras_loss, keras_model

hvd.init()
R, N = hvd.rank(), hvd.size()
STEPS, B = 20, 4


def _gather(obj):
    out = [None] * N
    dist.all_gather_object(out, obj)
    return out


def _build(kind, seed=0, perturb=False, dtype="float64"):
    keras.utils.set_random_seed(seed)
    model = keras_model(keras, kind, dtype)
    if perturb:                                  # rank 1 starts elsewhere: the broadcast
        model.set_weights([w + 1.0 for w in model.get_weights()])   # callback fixes it
    return model


def _fit_vs_one_process(kind, shuffle=False, epochs=1, passes=1, compression=None):
    x, y = batches(kind, STEPS, N * B)
    x = keras_layout(kind, x)
    model = _build(kind, perturb=R == 1)
    kwargs = dict(backward_passes_per_step=passes, average_aggregated_gradients=passes > 1)
    if compression is not None:
        kwargs["compression"] = compression
    model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.Adam(1e-3), **kwargs),
                  loss=keras_loss(keras, kind))
    model.fit(x, y, batch_size=B, epochs=epochs, shuffle=shuffle, verbose=0,
              callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0)])
    weights = model.get_weights()
    everyone = _gather(weights)
    same = max(np.abs(a - b).max() for a, b in zip(*everyone))
    assert same == 0.0, f"replicas differ by {same}"
    if R != 0:
        return None
    ref = _build(kind)
    ref.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras_loss(keras, kind))
    ref.fit(x, y, batch_size=N * B * passes, epochs=epochs, shuffle=shuffle, verbose=0)
    diff = max(np.abs(a - b).max() for a, b in zip(weights, ref.get_weights()))
    return diff, model.optimizer


def _report(result, tolerance=1e-12):
    if result is None:
        return None
    diff, opt = result
    assert diff <= tolerance, f"max |w_2ranks - w_1process| = {diff:.3g} > {tolerance}"
    r = opt._dist_reducer
    extra = "" if r is None else (f"; buckets {[len(b) for b in r.bucket_indices()]}, "
                                  f"{r.stats['buckets']} reductions")
    return f"max |dw| = {diff:.3g}" + extra


@check
def keras_mlp():
    return _report(_fit_vs_one_process("mlp"))


@check
def keras_cnn():
    return _report(_fit_vs_one_process("cnn"))


@check
def keras_lstm():
    return _report(_fit_vs_one_process("lstm"))


@check
def keras_mlp_shuffled_two_epochs():
    return _report(_fit_vs_one_process("mlp", shuffle=True, epochs=2))


@check
def keras_mlp_backward_passes_per_step():
    return _report(_fit_vs_one_process("mlp", passes=2))


@check
def keras_mlp_fp16_compression():
    result = _fit_vs_one_process("mlp", compression=hvd.Compression.fp16)
    return _report(result, tolerance=1e-3)


class _StopOnRank1(keras.callbacks.Callback):
    def __init__(self, at_batch=None):
        super().__init__()
        self.at_batch = at_batch

    def on_train_batch_end(self, batch, logs=None):
        if R == 1 and batch == self.at_batch:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if R == 1 and self.at_batch is None:
            self.model.stop_training = True


@check
def stop_training_is_agreed():
    x, y = batches("mlp", 6, N * 2)
    seen = []
    for stopper in (_StopOnRank1(), _StopOnRank1(at_batch=2)):
        model = _build("mlp")
        model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.SGD(0.01)),
                      loss=keras_loss(keras, "mlp"))
        counter = keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda b, logs: seen.append(b))
        history = model.fit(x, y, batch_size=2, epochs=3, verbose=0,
                            callbacks=[stopper, counter])
        assert len(history.history["loss"]) == 1, history.history
    assert seen == [0, 1, 2, 3, 4, 5, 0, 1, 2], seen          # both ranks, same steps


@check
def metric_average_and_rank0_progress():
    x, y = batches("mlp", 4, N * 2)
    raw = []
    model = _build("mlp")
    model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.SGD(0.01)),
                  loss=keras_loss(keras, "mlp"), metrics=["accuracy"])
    probe = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: raw.append(dict(logs)))
    folder = tempfile.mkdtemp()
    writers = [keras.callbacks.ModelCheckpoint(os.path.join(folder, f"r{R}.dgkeras")),
               keras.callbacks.CSVLogger(os.path.join(folder, f"r{R}.csv"))]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history = model.fit(x, y, batch_size=2, epochs=2, verbose=1,
                            callbacks=[probe, hvd.callbacks.MetricAverageCallback()] + writers)
    assert ("Epoch 1/2" in out.getvalue()) == (R == 0), out.getvalue()
    assert sorted(os.listdir(folder)) == ([f"r{R}.csv", f"r{R}.dgkeras"] if R == 0 else [])
    everyone = _gather(raw)
    for epoch in range(2):
        for key in ("loss", "accuracy"):
            mean = np.mean([everyone[r][epoch][key] for r in range(N)])
            assert abs(history.history[key][epoch] - mean) < 1e-12, (key, epoch)
    assert everyone[0][0]["loss"] != everyone[1][0]["loss"]   # the shards differ


@check
def horovod_ops():
    avg = hvd.allreduce(np.full(3, float(R)))
    assert avg.tolist() == [0.5] * 3
    total = hvd.allreduce(np.full(2, R + 1), op=hvd.Sum)
    assert total.tolist() == [3, 3]
    gathered = hvd.allgather(np.full((R + 1, 2), float(R)))
    assert gathered.shape == (3, 2) and gathered.array[:, 0].tolist() == [0.0, 1.0, 1.0]
    assert hvd.broadcast(np.full(2, float(R)), root_rank=1).tolist() == [1.0, 1.0]
    v = keras.Variable(np.full(3, float(R)))
    hvd.broadcast_variables([v], root_rank=0)
    assert v.numpy().tolist() == [0.0] * 3
    assert (hvd.local_size(), hvd.cross_size(), hvd.is_homogeneous()) == (N, 1, True)


@check
def custom_loop_with_apply():
    x, y = batches("mlp", 5, N * B)
    model = _build("mlp")
    opt = hvd.DistributedOptimizer(keras.optimizers.Adam(1e-3))
    loss_fn = keras_loss(keras, "mlp")
    tape_model = _build("mlp")
    for s in range(5):
        rows = slice(s * N * B + R * B, s * N * B + (R + 1) * B)
        with deepgrad.GradientTape() as tape:
            loss = loss_fn(y[rows], model(x[rows]))
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply(grads, model.trainable_weights)
    weights = model.get_weights()
    if R == 0:
        ref_opt = keras.optimizers.Adam(1e-3)
        for s in range(5):
            rows = slice(s * N * B, (s + 1) * N * B)
            with deepgrad.GradientTape() as tape:
                loss = loss_fn(y[rows], tape_model(x[rows]))
            ref_opt.apply(tape.gradient(loss, tape_model.trainable_weights),
                          tape_model.trainable_weights)
        diff = max(np.abs(a - b).max() for a, b in zip(weights, tape_model.get_weights()))
        assert diff <= 1e-12, diff
        return f"max |dw| = {diff:.3g}"


if __name__ == "__main__":
    main(hvd.rank)
    hvd.shutdown()
