"""Each Keras example of the seeds, and the examples written as Keras 3's guides write
them (a VAE, a custom-loop classifier), runs end to end in a quick form and learns.

The MNIST examples need the real data (skipped when ``$DEEPGRAD_DATA/mnist.npz`` is
absent), the seed 003 ones need scikit-learn. There is no CIFAR-10 here, so the CIFAR-10
example reads a small fake ``cifar-10-python.tar.gz`` built in the official layout (a
``cifar-10-batches-py/`` folder of pickled dicts with ``b"data"`` uint8 (N, 3072), red
then green then blue planes, and ``b"labels"``), whose classes are learnable: each class
is a blocky colour template plus noise. The LSTM example makes its own data.
"""
import io
import os
import pickle
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = os.environ.get("DEEPGRAD_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA or not (Path(DATA) / "mnist.npz").exists(),
    reason="real MNIST not found: set DEEPGRAD_DATA to the folder holding mnist.npz")
try:
    import sklearn  # noqa: F401
    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False
needs_sklearn = pytest.mark.skipif(not HAVE_SKLEARN, reason="scikit-learn not installed "
                                   "(pip install deepgrad[examples])")


def run_example(name, *args, data_dir=None):
    """Run examples/<name> with ``args``; return its stdout."""
    env = dict(os.environ)
    if data_dir is not None:
        env["DEEPGRAD_DATA"] = str(data_dir)
    # One BLAS thread: on a busy CI machine OpenBLAS's spinning threads can make these
    # small matrix products several times slower; one thread keeps the runs short.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def metric(out, label):
    """The number printed after ``label:`` (the last such line)."""
    found = re.findall(rf"^{re.escape(label)}:? ([0-9.eE+-]+)", out, re.M)
    assert found, f"no {label!r} line in:\n{out[-3000:]}"
    return float(found[-1])


# ----------------------------------------------------------------------------- MNIST
@needs_mnist
@pytest.mark.parametrize("name", ["seed000_keras_mnist_mlp.py", "seed001_keras_mlp.py",
                                  "seed001_tf_keras_mlp.py"])
def test_mnist_mlp_quick_run_learns(name):
    out = run_example(name, "--epochs", "1", "--samples", "2000")
    # one epoch on 2,000 images: a network that learns is far above chance (0.10)
    assert metric(out, "Test accuracy") > 0.6, out


@needs_mnist
def test_seed001_examples_agree():
    """4.1 (keras imports) and 4.2 (tf.keras) are the same program: same seed, same run."""
    a = run_example("seed001_keras_mlp.py", "--epochs", "1", "--samples", "500")
    b = run_example("seed001_tf_keras_mlp.py", "--epochs", "1", "--samples", "500")
    assert metric(a, "Test accuracy") == metric(b, "Test accuracy")
    assert metric(a, "Test loss") == metric(b, "Test loss")


@needs_mnist
@needs_sklearn
@pytest.mark.parametrize("name", ["seed003_tf_keras_mlp.py", "seed003_tf_keras_mnist.py"])
def test_seed003_quick_run_learns(name):
    out = run_example(name, "--epochs", "1", "--samples", "2000")
    assert metric(out, "Test accuracy") > 0.6, out


@needs_mnist
def test_seed004_cnn_quick_run_learns():
    out = run_example("seed004_keras_cnn.py", "--epochs", "1", "--samples", "2000")
    assert metric(out, "Test accuracy") > 0.6, out


@needs_mnist
def test_seed004_autoencoder_quick_run_learns():
    out = run_example("seed004_keras_autoencoder.py", "--epochs", "10", "--samples", "10000")
    # better than the best input-blind answer (the mean training image): it encodes
    assert metric(out, "Test reconstruction MSE") < \
        0.75 * metric(out, "Baseline MSE (mean training image)"), out


# ----------------------------------------------------------------------------- synthetic
def test_seed004_lstm_quick_run_learns():
    out = run_example("seed004_keras_lstm.py", "--epochs", "2", "--samples", "1000")
    # always answering 0 scores about 0.5; the LSTM must read the wave's phase
    assert metric(out, "Test MSE") < 0.7 * metric(out, "Baseline MSE (always 0)"), out


def fake_cifar10(folder, per_batch=400, test_n=200, seed=0):
    """Write a learnable fake ``cifar-10-python.tar.gz`` in the official layout."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, (10, 3, 8, 8))           # one per class, 4x upscaled

    def batch(n):
        labels = rng.integers(0, 10, n)
        images = templates[labels].repeat(4, axis=2).repeat(4, axis=3)     # (n, 3, 32, 32)
        images = np.clip(images + rng.normal(0, 60, images.shape), 0, 255).astype(np.uint8)
        return {b"batch_label": b"fake batch", b"labels": [int(v) for v in labels],
                b"data": images.reshape(n, 3072), b"filenames": [b"fake.png"] * n}

    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    with tarfile.open(folder / "cifar-10-python.tar.gz", "w:gz") as tar:
        for name in names:
            raw = pickle.dumps(batch(test_n if name == "test_batch" else per_batch),
                               protocol=4)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_seed002_cifar10_cnn_quick_run_learns(tmp_path):
    fake_cifar10(tmp_path)
    out = run_example("seed002_keras_cifar10_cnn.py", "--epochs", "1", "--samples", "2000",
                      data_dir=tmp_path)
    # 32 SGD(0.01) steps on templates + noise; chance is 0.10
    assert metric(out, "Test accuracy") > 0.35, out


# ----------------------------------------------------------------------------- Keras 3 guides
@needs_mnist
def test_vae_quick_run_learns():
    out = run_example("keras_vae.py", "--epochs", "3", "--samples", "2000")
    # the guide's losses are the logs (kl_loss, loss, reconstruction_loss) and they fall
    assert "kl_loss: " in out and "reconstruction_loss: " in out
    assert metric(out, "Last epoch loss") < 0.8 * metric(out, "First epoch loss"), out


@needs_mnist
def test_custom_train_step_quick_run_learns_both_ways():
    out = run_example("keras_custom_train_step.py", "--epochs", "1", "--samples", "2000")
    torch_acc = metric(out, "torch style: Test accuracy")
    tape_acc = metric(out, "tape style: Test accuracy")
    assert torch_acc > 0.6, out                       # chance is 0.10
    assert torch_acc == tape_acc                      # the same steps, gradients two ways
