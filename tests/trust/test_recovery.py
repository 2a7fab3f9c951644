"""No lost work after a crash: a training process SIGKILLed in the middle of an epoch and
run again ends with weights bit-identical to an uninterrupted run (shuffle=True, dropout),
on both fronts; and the atomic writer leaves no temp file behind on any error path.

Each front runs one small script three times in child processes: killed (the parent
waits for a marker file the script writes in the middle of epoch 2, then SIGKILLs it),
resumed (the same script, run again), and uninterrupted (a fresh folder).
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import deepgrad
from deepgrad import keras
from deepgrad.serialization import safe_io

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

KERAS_SCRIPT = """
import os, sys, time
import numpy as np
from deepgrad import keras
work, kill_at = sys.argv[1], int(sys.argv[2])
keras.utils.set_random_seed(7)
rs = np.random.RandomState(0)
x, y = rs.rand(60, 6).astype("float32"), rs.randint(0, 3, 60)
model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dropout(0.3), keras.layers.Dropout(0.25, seed=5),
                          keras.layers.Dense(3, activation="softmax")])
model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
              metrics=["accuracy"])

class Hang(keras.callbacks.Callback):       # the marker, then wait to be killed
    seen = 0
    def on_train_batch_end(self, batch, logs=None):
        Hang.seen += 1
        if Hang.seen == kill_at:
            open(os.path.join(work, "marker"), "w").close()
            time.sleep(60)

backup = keras.callbacks.BackupAndRestore(os.path.join(work, "backup"), save_freq=3)
history = model.fit(x, y, batch_size=8, epochs=4, shuffle=True, verbose=0,
                    callbacks=[backup, Hang()])
np.savez(os.path.join(work, "out.npz"), *model.get_weights(),
         loss=np.asarray(history.history["loss"][-1]))
"""

TORCH_SCRIPT = """
import os, sys, time
import numpy as np
import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.utils.data import DataLoader, TensorDataset
work, kill_at = sys.argv[1], int(sys.argv[2])
ckpt = os.path.join(work, "ckpt.pt")
dg.manual_seed(3)
rs = np.random.RandomState(0)
data = TensorDataset(dg.tensor(rs.rand(60, 6).astype("float32")),
                     dg.tensor(rs.randint(0, 3, 60)))
loader = DataLoader(data, batch_size=8, shuffle=True)
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
opt = optim.Adam(model.parameters(), lr=0.01)
sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
start_epoch, start_step, resume_rng = 0, 0, None
if os.path.exists(ckpt):
    state = dg.load(ckpt)
    model.load_state_dict(state["model"]); opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    start_epoch, start_step, resume_rng = state["epoch"], state["step"], state["rng"]
    dg.set_rng_state(state["epoch_rng"])           # the epoch's shuffle comes back
seen = 0
for epoch in range(start_epoch, 4):
    epoch_rng = dg.get_rng_state() if resume_rng is None else state["epoch_rng"]
    for step, (xb, yb) in enumerate(loader):
        if resume_rng is not None:
            if step < start_step:
                continue
            dg.set_rng_state(resume_rng)           # dropout's stream at the backup
            resume_rng = None
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad(); loss.backward(); opt.step()
        if (step + 1) % 3 == 0:
            dg.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                     "scheduler": sched.state_dict(), "rng": dg.get_rng_state(),
                     "epoch_rng": epoch_rng, "epoch": epoch, "step": step + 1}, ckpt)
        seen += 1
        if seen == kill_at:
            open(os.path.join(work, "marker"), "w").close()
            time.sleep(60)
    sched.step()
    resume_rng = None
np.savez(os.path.join(work, "out.npz"),
         *[p.detach().numpy() for p in model.parameters()])
"""


def _run(script, work, kill_at=None):
    """Run ``script`` in a child; with ``kill_at``, SIGKILL it once its marker appears."""
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", script, work, str(kill_at or 0)], env=env,
                            stderr=subprocess.PIPE)
    if kill_at is None:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
        return dict(np.load(os.path.join(work, "out.npz")))
    marker, deadline = os.path.join(work, "marker"), time.monotonic() + 120
    while not os.path.exists(marker):
        if proc.poll() is not None:
            raise AssertionError(f"the child ended before its marker: "
                                 f"{proc.stderr.read().decode()[-2000:]}")
        assert time.monotonic() < deadline, "the child never reached its marker"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    os.remove(marker)
    return None


@pytest.mark.parametrize("front", ["keras", "torch"])
def test_sigkill_mid_epoch_then_resume_is_bit_identical(tmp_path, front):
    script = KERAS_SCRIPT if front == "keras" else TORCH_SCRIPT
    reference = _run(script, str(tmp_path / "uninterrupted"))
    work = str(tmp_path / "killed")
    # 8 batches an epoch: batch 11 is the 3rd of epoch 2, after the last backup (keras:
    # every 3 batches, so after batch 9; torch: after the 3rd batch of each epoch)
    _run(script, work, kill_at=11)
    assert os.listdir(os.path.join(work, "backup") if front == "keras" else work)
    resumed = _run(script, work)
    assert sorted(resumed) == sorted(reference)
    for key in reference:
        assert np.array_equal(resumed[key], reference[key]), key
    if front == "keras":     # a completed fit deletes its backup (delete_checkpoint=True)
        assert not os.path.exists(os.path.join(work, "backup"))


def test_resume_differs_without_the_rng_state(tmp_path):
    """The comparison above can fail: resuming without the RNG state diverges."""
    script = TORCH_SCRIPT.replace("dg.set_rng_state(resume_rng)", "pass")
    reference = _run(TORCH_SCRIPT, str(tmp_path / "ref"))
    work = str(tmp_path / "killed")
    _run(script, work, kill_at=11)
    resumed = _run(script, work)
    assert not all(np.array_equal(resumed[k], reference[k]) for k in reference)


# ====================================================================== atomic writer
def test_temp_file_is_named_after_the_target_and_removed_on_error(tmp_path):
    target = tmp_path / "m.pt"
    seen = []

    def failing(fh):
        seen.extend(os.listdir(tmp_path))
        fh.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        safe_io.atomic_write(target, failing)
    assert len(seen) == 1 and seen[0].startswith("m.pt.tmp-") and len(seen[0]) == 21
    assert os.listdir(tmp_path) == []


def test_failed_save_keeps_the_old_file(tmp_path):
    target = str(tmp_path / "ckpt.pt")
    deepgrad.save({"w": deepgrad.ones(3)}, target)
    before = open(target, "rb").read()
    with pytest.raises(Exception):
        deepgrad.save({"w": lambda: 0}, target)          # cannot be pickled
    with pytest.raises(KeyboardInterrupt):
        safe_io.atomic_write(target, lambda fh: (_ for _ in ()).throw(KeyboardInterrupt))
    assert open(target, "rb").read() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_stale_temp_files_of_a_killed_writer_are_cleaned_by_the_next_save(tmp_path):
    target = str(tmp_path / "m.pt")
    stale = [target + ".tmp-0123456789ab", target + ".tmp-ba9876543210"]
    other = str(tmp_path / "other.pt.tmp-0123456789ab")    # another target's: kept
    for path in stale + [other]:
        with open(path, "wb") as f:
            f.write(b"x" * 1000)
    deepgrad.save({"a": 1}, target)
    assert sorted(os.listdir(tmp_path)) == ["m.pt", "other.pt.tmp-0123456789ab"]
    assert deepgrad.load(target) == {"a": 1}


@pytest.mark.skipif(safe_io.fcntl is None, reason="flock is POSIX")
def test_a_live_writers_temp_file_is_not_removed(tmp_path):
    target = str(tmp_path / "m.pt")
    live = target + ".tmp-0123456789ab"
    fd = os.open(live, os.O_WRONLY | os.O_CREAT)
    safe_io.fcntl.flock(fd, safe_io.fcntl.LOCK_EX)
    try:
        deepgrad.save({"a": 1}, target)
        assert os.path.exists(live)
    finally:
        os.close(fd)


def test_save_into_a_missing_folder_names_the_users_path(tmp_path):
    path = str(tmp_path / "no_such_dir" / "m.pt")
    with pytest.raises(FileNotFoundError, match="no_such_dir.*does not exist") as info:
        deepgrad.save({"a": 1}, path)
    assert path in str(info.value) and ".tmp" not in str(info.value)


# ====================================================================== BackupAndRestore
class _Interrupt(keras.callbacks.Callback):
    """Raises after ``at`` training batches (an in-process crash)."""

    def __init__(self, at):
        super().__init__()
        self.at, self.seen = at, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.at:
            raise RuntimeError("crash")


def _keras_run(backup=None, crash_at=None, epochs=3):
    keras.utils.set_random_seed(1)
    rs = np.random.RandomState(2)
    x, y = rs.rand(40, 5).astype("float32"), rs.randint(0, 4, 40)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dropout(0.4),
                              keras.layers.Dense(4, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = ([backup] if backup else []) + ([_Interrupt(crash_at)] if crash_at else [])
    history = model.fit(x, y, batch_size=8, epochs=epochs, shuffle=True, verbose=0,
                        validation_data=(x[:10], y[:10]), callbacks=callbacks)
    return model, history.history


@pytest.mark.parametrize("save_freq, crash_at, epochs_left", [("epoch", 7, 2), (2, 8, 2),
                                                               (1, 15, 1)])
def test_backup_and_restore_resumes_to_the_same_weights_and_logs(tmp_path, save_freq,
                                                                   crash_at, epochs_left):
    reference, ref_logs = _keras_run()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "b"), save_freq=save_freq)
    with pytest.raises(RuntimeError, match="crash"):
        _keras_run(backup, crash_at)
    model, logs = _keras_run(backup)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        assert np.array_equal(a, b)
    assert len(logs["loss"]) == epochs_left              # Keras: only the epochs left
    for key in logs:
        assert logs[key] == ref_logs[key][-epochs_left:], key
    assert not os.path.exists(tmp_path / "b")


def test_backup_falls_back_to_the_previous_one_with_double_checkpoint(tmp_path):
    folder = str(tmp_path / "b")
    backup = keras.callbacks.BackupAndRestore(folder, save_freq=2, double_checkpoint=True,
                                              delete_checkpoint=False)
    with pytest.raises(RuntimeError):
        _keras_run(backup, crash_at=7)
    assert sorted(os.listdir(folder)) == ["latest.backup.pt", "latest.backup.pt.bkp"]
    with open(os.path.join(folder, "latest.backup.pt"), "r+b") as f:
        f.truncate(100)                                     # the latest is unreadable
    model, _ = _keras_run(backup)
    reference, _ = _keras_run()
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(),
                                                    reference.get_weights()))
    assert os.path.exists(os.path.join(folder, "latest.backup.pt"))   # kept: delete=False


def test_an_unreadable_backup_is_a_clear_error_and_changes_nothing(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "latest.backup.pt").write_bytes(b"garbage")
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
    model.compile("sgd", "mse")
    before = model.get_weights()
    with pytest.raises(ValueError, match="cannot read the backup"):
        model.fit(np.ones((4, 5)), np.ones((4, 4)), verbose=0,
                  callbacks=[keras.callbacks.BackupAndRestore(str(folder))])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_a_backup_of_another_model_is_refused_before_anything_changes(tmp_path):
    folder = str(tmp_path / "b")
    with pytest.raises(RuntimeError):
        _keras_run(keras.callbacks.BackupAndRestore(folder, save_freq=1), crash_at=3)
    other = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    other.compile("sgd", "mse")
    before = other.get_weights()
    with pytest.raises(ValueError, match="weights"):
        other.fit(np.ones((4, 5)), np.ones((4, 3)), verbose=0,
                  callbacks=[keras.callbacks.BackupAndRestore(folder)])
    assert all(np.array_equal(a, b) for a, b in zip(before, other.get_weights()))
