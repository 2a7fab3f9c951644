"""deepgrad.keras.distributed without MPI: Horovod's API surface, the sharding of fit's
data, rank-0-only progress and files, the warmup formula, bad input. A stand-in for MPI
(``fake_mpi.MirrorComm``) plays ranks whose gradients equal this one's; the 2-rank
numerics are in test_distributed_mpi.py."""
import numpy as np
import pytest

import deepgrad.keras as keras
import deepgrad.keras.distributed as hvd
from deepgrad.keras.distributed import data as shard_lib
from deepgrad.keras.models.data import EpochIterator

from fake_mpi import MirrorComm, install


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3)])


def _compile(model, optimizer):
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _xy(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 5), dtype=np.float32), rng.integers(0, 3, n)


def test_before_init_horovods_error():
    with pytest.raises(ValueError, match=r"Horovod has not been initialized; use hvd.init\(\)"):
        hvd.rank()
    with pytest.raises(ValueError, match="Horovod has not been initialized"):
        hvd.DistributedOptimizer(keras.optimizers.Adam())


@pytest.mark.parametrize("n, size, batch", [(10, 2, 2), (7, 3, 2), (12, 2, 3), (2, 3, 4)])
def test_array_shards_cover_every_global_batch(n, size, batch, monkeypatch):
    x = np.arange(n)
    parts = []
    for rank in range(size):
        pg = install(monkeypatch, MirrorComm(rank=rank, size=size))
        it = EpochIterator(x, x, batch_size=batch, shuffle=False)
        shard_lib.shard(it, pg)
        parts.append([d[0].array.tolist() for _, d in it])
    steps = {len(p) for p in parts}
    assert len(steps) == 1                                  # the same number of steps
    padded = np.resize(np.arange(n), -(-n // size) * size)
    for k in range(steps.pop()):
        together = sum((p[k] for p in parts), [])
        assert together == padded[k * size * batch:(k + 1) * size * batch].tolist()
        assert len({len(p[k]) for p in parts}) == 1          # equal shares


def test_fit_in_a_world_of_agreeing_ranks_equals_plain_fit(monkeypatch):
    install(monkeypatch, MirrorComm(rank=0, size=2))
    x, y = _xy(24)
    plain = _compile(_model(), keras.optimizers.Adam(1e-2))
    dist = _compile(_model(), hvd.DistributedOptimizer(keras.optimizers.Adam(1e-2)))
    dist.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    # rank 0's shard of each global batch of 6 is its first 3 samples
    mine = np.concatenate([np.arange(k, k + 3) for k in range(0, 24, 6)])
    plain.fit(x[mine], y[mine], batch_size=3, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(dist.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert dist.optimizer._dist_reducer.stats["iterations"] == 8    # 4 steps x 2 epochs


def test_distributed_optimizer_is_the_wrapped_class(monkeypatch, tmp_path):
    install(monkeypatch, MirrorComm(size=2))
    opt = hvd.DistributedOptimizer(keras.optimizers.Adam(3e-3, beta_1=0.8), name="dist")
    assert isinstance(opt, keras.optimizers.Adam) and opt.name == "dist"
    config = keras.optimizers.serialize(opt)
    assert config["class_name"] == "Adam" and config["config"]["beta_1"] == 0.8
    model = _compile(_model(), opt)
    x, y = _xy(8)
    model.fit(x, y, batch_size=2, verbose=0)
    path = tmp_path / "m.dgkeras"
    model.save(path)
    loaded = hvd.load_model(path)
    assert type(loaded.optimizer).__name__ == "_DistributedAdam"
    assert loaded.optimizer.iterations == model.optimizer.iterations


def test_only_rank_0_reports_and_writes(monkeypatch, tmp_path, capsys):
    x, y = _xy(8)
    for rank in (1, 0):
        install(monkeypatch, MirrorComm(rank=rank, size=2))
        model = _compile(_model(), hvd.DistributedOptimizer(keras.optimizers.SGD(0.1)))
        ckpt = keras.callbacks.ModelCheckpoint(str(tmp_path / f"r{rank}.dgkeras"))
        log = keras.callbacks.CSVLogger(str(tmp_path / f"r{rank}.csv"))
        model.fit(x, y, batch_size=2, epochs=1, verbose=1, callbacks=[ckpt, log])
        out = capsys.readouterr().out
        assert ("2/2 - " in out) == (rank == 0)   # the epoch line: 2 batches of this shard
        assert (tmp_path / f"r{rank}.dgkeras").exists() == (rank == 0)
        assert (tmp_path / f"r{rank}.csv").exists() == (rank == 0)


def test_warmup_and_schedule_callbacks(monkeypatch):
    install(monkeypatch, MirrorComm(size=4))
    x, y = _xy(32)
    model = _compile(_model(), hvd.DistributedOptimizer(keras.optimizers.SGD(0.1,
                                                                             momentum=0.9)))
    seen = []
    probe = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda b, logs: seen.append(float(model.optimizer.learning_rate)))
    warm = hvd.callbacks.LearningRateWarmupCallback(0.4, warmup_epochs=2)
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[warm, probe])
    steps = 2                                           # 32 samples / (4 ranks x 4)
    expected = [0.4 / 4 * ((e + (b + 1) / steps) * 3 / 2 + 1)
                for e in range(2) for b in range(steps)] + [0.4] * steps
    expected[-steps:] = [expected[2 * steps - 1]] * steps   # after the warmup: unchanged
    np.testing.assert_allclose(seen, expected, rtol=1e-12)
    assert model.optimizer.momentum == 0.9                   # restored after each batch
    assert model.history.history["lr"][-1] == pytest.approx(0.4)


@pytest.mark.parametrize("kwargs, match", [
    (dict(op="adasum"), "op must be Average or Sum"),
    (dict(op=hvd.Sum, gradient_predivide_factor=2.0), "only supported with op=Average"),
    (dict(backward_passes_per_step=0), "backward_passes_per_step must be an int >= 1"),
    (dict(compression="zip"), "compression must be Compression.none or Compression.fp16"),
    (dict(groups=[1, 2]), "groups must be a list of lists"),
    (dict(device_dense="/gpu:0"), "names an accelerator"),
])
def test_distributed_optimizer_bad_input(kwargs, match, monkeypatch):
    install(monkeypatch, MirrorComm(size=2))
    with pytest.raises(ValueError, match=match):
        hvd.DistributedOptimizer(keras.optimizers.Adam(), **kwargs)
    with pytest.raises(TypeError, match="expected a deepgrad.keras optimizer"):
        hvd.DistributedOptimizer("adam")


def test_steps_must_agree_across_ranks(monkeypatch):
    install(monkeypatch, MirrorComm(rank=0, size=2, peers={1: 5}))
    model = _compile(_model(), hvd.DistributedOptimizer(keras.optimizers.SGD(0.1),
                                                        shard_data=False))
    x, y = _xy(8)
    with pytest.raises(ValueError, match="rank 0: 4, rank 1: 5"):
        model.fit(x, y, batch_size=2, verbose=0)
